package embed

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// DefaultModelPath is where the setup script writes the GloVe model, relative
// to the repository root.
const DefaultModelPath = "models/glove-6b-100d.bin"

// SIF pooling parameters; see GloVe.
const (
	sifA = 1e-3
	// eulerGamma is the Euler–Mascheroni constant, for the harmonic number.
	eulerGamma = 0.5772156649015329
)

// Parallel embedding: batches of at least parallelMin texts are spread over up
// to GOMAXPROCS goroutines, which take parallelChunk texts at a time.
const (
	parallelMin   = 32
	parallelChunk = 8
)

// GloVe embeds text offline with GloVe 6B word vectors (100 dimensions, int8
// quantised) pooled by smooth inverse frequency (SIF).
//
// A text's vector is the weighted sum of the vectors of its known words, each
// weighted a/(a+p(w)) with a = 1e-3, less its component along the model's
// common direction, then L2-normalised. The word probability p(w) is
// estimated from the word's frequency rank r by Zipf's law, p = 1/(r·H), H
// being the harmonic number of the vocabulary size, so that frequent words
// ("the", "said") count for little and rare ones for nearly one. The common
// direction is that of the expected weighted sum for a word drawn with
// probability p, computed when the model loads; every long text leans towards
// it, so removing it (as SIF removes its corpus's first principal component)
// keeps texts on different topics apart: on news-like paragraphs it moves the
// mean cosine between different topics from about 0.5 to about 0. Words are lowercased runs of letters and digits; a word joined by
// apostrophes or hyphens is looked up whole first ("well-known") and otherwise
// part by part ("don't" -> "don", "t"); words not in the vocabulary are
// skipped.
//
// A text with no known word (empty, numbers only, another script) gets the
// unit vector along the last dimension, so that such texts are all alike,
// stay comparable by cosine, and never produce a zero vector.
//
// A GloVe is immutable and safe for concurrent use.
type GloVe struct {
	name  string
	dim   int
	index map[string]int32
	// weight[i] is word i's SIF weight times its quantisation scale.
	weight []float32
	// vecs holds the int8 components, row after row.
	vecs []byte
	// common is the unit common direction removed from every text's sum.
	common []float64
}

// LoadGloVe reads a model file written by Convert. It returns an error
// wrapping ErrModelMissing when the file does not exist and ErrModelCorrupt
// when it is not a valid model.
func LoadGloVe(path string) (*GloVe, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load glove: %w: %w", ErrModelMissing, err)
	}
	if err != nil {
		return nil, fmt.Errorf("load glove: %w", err)
	}
	g, err := parseModel(data)
	if err != nil {
		return nil, fmt.Errorf("load glove %s: %w: %w", path, ErrModelCorrupt, err)
	}
	return g, nil
}

func parseModel(data []byte) (*GloVe, error) {
	if len(data) < headerSize+4 {
		return nil, errors.New("truncated header")
	}
	if string(data[:8]) != modelMagic {
		return nil, errors.New("bad magic")
	}
	le := binary.LittleEndian
	if v := le.Uint32(data[8:]); v != modelVersion {
		return nil, fmt.Errorf("unsupported version %d", v)
	}
	dim, count, textLen := int(le.Uint32(data[12:])), int(le.Uint32(data[16:])), int(le.Uint32(data[20:]))
	if dim == 0 {
		return nil, errors.New("zero dimensions")
	}
	// Sizes fit in int64 however large the uint32 fields are.
	want := int64(headerSize) + int64(count) + int64(textLen) + 4*int64(count) + int64(dim)*int64(count) + 4
	if int64(len(data)) != want {
		return nil, fmt.Errorf("size %d bytes, header implies %d", len(data), want)
	}
	body, sum := data[:len(data)-4], le.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("checksum mismatch")
	}

	lens := data[headerSize : headerSize+count]
	off := headerSize + count
	text := string(data[off : off+textLen]) // one allocation; words share it
	off += textLen
	scales := data[off : off+4*count]
	off += 4 * count

	g := &GloVe{
		name:   fmt.Sprintf("glove-6b-%dd-sif", dim),
		dim:    dim,
		index:  make(map[string]int32, count),
		weight: make([]float32, count),
		vecs:   data[off : off+dim*count],
	}
	h := harmonic(count)
	pos := 0
	for i, n := range lens {
		end := pos + int(n)
		if end > len(text) {
			return nil, errors.New("word lengths exceed text")
		}
		word := text[pos:end]
		pos = end
		if _, dup := g.index[word]; dup {
			return nil, fmt.Errorf("duplicate word %q", word)
		}
		g.index[word] = int32(i)
		p := 1 / (float64(i+1) * h)
		scale := math.Float32frombits(le.Uint32(scales[4*i:]))
		g.weight[i] = float32(sifA/(sifA+p)) * scale
	}
	if pos != len(text) {
		return nil, errors.New("word lengths do not cover text")
	}
	g.common = commonDirection(g.vecs, g.weight, h, dim)
	return g, nil
}

// commonDirection returns the unit direction of sum_i p_i*weight[i]*q_i over
// all words i, p_i being word i's Zipf probability; nil when that sum is zero.
func commonDirection(vecs []byte, weight []float32, h float64, dim int) []float64 {
	sum := make([]float64, dim)
	for i, w := range weight {
		f := float64(w) / (float64(i+1) * h)
		row := vecs[i*dim : (i+1)*dim]
		sum := sum[:len(row)]
		for j, q := range row {
			sum[j] += f * float64(int8(q))
		}
	}
	var n float64
	for _, x := range sum {
		n += x * x
	}
	if n == 0 {
		return nil
	}
	n = math.Sqrt(n)
	for j := range sum {
		sum[j] /= n
	}
	return sum
}

// harmonic returns the n-th harmonic number.
func harmonic(n int) float64 {
	if n < 100 {
		h := 0.0
		for k := 1; k <= n; k++ {
			h += 1 / float64(k)
		}
		return h
	}
	x := float64(n)
	return math.Log(x) + eulerGamma + 1/(2*x) - 1/(12*x*x)
}

// Name returns "glove-6b-<dim>d-sif", e.g. "glove-6b-100d-sif".
func (g *GloVe) Name() string { return g.name }

// Dim returns the length of the vectors Embed returns.
func (g *GloVe) Dim() int { return g.dim }

// Embed returns one unit-length vector per text, in order. Large batches are
// spread over up to runtime.GOMAXPROCS goroutines. The only error is the
// context's.
func (g *GloVe) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("glove embed: %w", err)
	}
	out := make([][]float32, len(texts))
	backing := make([]float32, len(texts)*g.dim)
	for i := range out {
		out[i] = backing[i*g.dim : (i+1)*g.dim : (i+1)*g.dim]
	}

	workers := min(runtime.GOMAXPROCS(0), len(texts)/(parallelMin/2))
	if len(texts) < parallelMin || workers < 2 {
		var e gloveEmbedder
		for i, text := range texts {
			if i%256 == 255 {
				if err := ctx.Err(); err != nil {
					return nil, fmt.Errorf("glove embed: %w", err)
				}
			}
			e.embed(g, text, out[i])
		}
		return out, nil
	}

	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var e gloveEmbedder
			for ctx.Err() == nil {
				start := int(next.Add(parallelChunk)) - parallelChunk
				if start >= len(texts) {
					return
				}
				for i := start; i < min(start+parallelChunk, len(texts)); i++ {
					e.embed(g, texts[i], out[i])
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("glove embed: %w", err)
	}
	return out, nil
}

// gloveEmbedder holds one goroutine's scratch space.
type gloveEmbedder struct {
	tok tokenizer
	acc []float64
}

// embed writes the normalised SIF vector of text into dst.
func (e *gloveEmbedder) embed(g *GloVe, text string, dst []float32) {
	if len(e.acc) != g.dim {
		e.acc = make([]float64, g.dim)
	}
	acc := e.acc
	clear(acc)
	add := func(id int32) {
		w := float64(g.weight[id])
		row := g.vecs[int(id)*g.dim : int(id+1)*g.dim]
		acc := acc[:len(row)]
		for j, q := range row {
			acc[j] += w * float64(int8(q))
		}
	}
	e.tok.scan(text, func(word []byte, joins []int) {
		if id, ok := g.index[string(word)]; ok {
			add(id)
			return
		}
		start := 0
		for _, j := range joins {
			if id, ok := g.index[string(word[start:j])]; ok {
				add(id)
			}
			start = j + 1
		}
		if len(joins) > 0 {
			if id, ok := g.index[string(word[start:])]; ok {
				add(id)
			}
		}
	})

	if g.common != nil {
		var d float64
		for j, x := range acc {
			d += x * g.common[j]
		}
		for j, c := range g.common {
			acc[j] -= d * c
		}
	}
	var norm float64
	for _, x := range acc {
		norm += x * x
	}
	if norm == 0 {
		clear(dst)
		dst[len(dst)-1] = 1
		return
	}
	inv := 1 / math.Sqrt(norm)
	for j, x := range acc {
		dst[j] = float32(x * inv)
	}
}
