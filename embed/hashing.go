package embed

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"unicode"
)

// Hashing is a feature-hashing bag-of-words embedder: each lowercased word
// adds one to the dimension its FNV-1a hash selects, and the vector is
// L2-normalised. It needs no model file, so tests and tools can run a real
// store without one; its vectors carry no meaning beyond shared words.
type Hashing struct {
	dim int
}

// NewHashing returns a Hashing embedder with dim dimensions (at least 1).
func NewHashing(dim int) *Hashing { return &Hashing{dim: max(dim, 1)} }

// Name identifies the embedder and its dimension.
func (h *Hashing) Name() string { return fmt.Sprintf("hashing-%d", h.dim) }

// Embed returns one unit vector per text. A text without words gets the
// first basis vector.
func (h *Hashing) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, h.dim)
		var norm float64
		for _, w := range strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			f := fnv.New32a()
			f.Write([]byte(w))
			v[f.Sum32()%uint32(h.dim)]++
		}
		for _, x := range v {
			norm += float64(x) * float64(x)
		}
		if norm == 0 {
			v[0], norm = 1, 1
		}
		inv := float32(1 / math.Sqrt(norm))
		for j := range v {
			v[j] *= inv
		}
		out[i] = v
	}
	return out, nil
}
