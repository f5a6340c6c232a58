package local

import (
	"math"
	"slices"
)

// vectorLanes is the block the vectors of a vectorSlab are padded to: eight
// float32s, one 256-bit register.
const vectorLanes = 8

// vectorSlab holds the unit-length embeddings of the indexed chunks by
// ordinal, end to end in one slice, so that an exhaustive dense scan reads
// memory in order instead of following a pointer per chunk. Each vector is
// zero-padded to a multiple of vectorLanes (100 -> 104 values for GloVe),
// so that SIMD kernels need no remainder handling. A freed ordinal's slot
// keeps its old vector until the ordinal is reused; callers skip free
// ordinals.
type vectorSlab struct {
	dim, stride int
	data        []float32
}

// set stores vec, scaled to unit length, as the vector of ord. Every vector
// of a slab has the dimension of the first (the store checks dimensions
// before indexing).
func (v *vectorSlab) set(ord uint32, vec []float32) {
	if v.stride == 0 {
		v.dim = len(vec)
		v.stride = (len(vec) + vectorLanes - 1) / vectorLanes * vectorLanes
	}
	start := int(ord) * v.stride
	if end := start + v.stride; end > len(v.data) {
		v.data = slices.Grow(v.data, end-len(v.data))[:end]
	}
	dst := v.data[start : start+v.stride]
	n := math.Sqrt(float64(dot(vec, vec)))
	for i, x := range vec[:v.dim] {
		if n == 0 {
			dst[i] = x
		} else {
			dst[i] = float32(float64(x) / n)
		}
	}
	clear(dst[v.dim:])
}

// row returns the padded vector of ord, which must have been set.
func (v *vectorSlab) row(ord uint32) []float32 {
	start := int(ord) * v.stride
	return v.data[start : start+v.stride : start+v.stride]
}

// query returns q scaled to unit length and zero-padded like the slab's
// vectors, or nil when q has another dimension or the slab is empty.
func (v *vectorSlab) query(q []float32) []float32 {
	if v.stride == 0 || len(q) != v.dim {
		return nil
	}
	out := unitVector(q)
	return append(out, make([]float32, v.stride-v.dim)...)
}

// unitVector returns a copy of v scaled to unit length, or a copy of v
// itself when its length is zero.
func unitVector(v []float32) []float32 {
	out := make([]float32, len(v))
	n := math.Sqrt(float64(dot(v, v)))
	if n == 0 {
		copy(out, v)
		return out
	}
	for i, x := range v {
		out[i] = float32(float64(x) / n)
	}
	return out
}

// dot returns the inner product of two vectors of equal length: with SIMD
// instructions where the build and the CPU have them and the length is a
// multiple of vectorLanes (dot_simd.go), else with portable code.
func dot(a, b []float32) float32 {
	return dotKernel(a, b)
}

// dotKernel computes dot; dot_simd.go replaces it at start-up.
var dotKernel = dotGeneric

// dotRows sets out[r] to the inner product of q and row r of rows, which
// holds at least len(out) rows of len(q) values end to end.
func dotRows(q, rows, out []float32) {
	if len(rows) < len(out)*len(q) {
		panic("retrieval: dotRows: fewer rows than results")
	}
	dotRowsKernel(q, rows, out)
}

// dotRowsKernel computes dotRows; dot_simd.go replaces it at start-up.
var dotRowsKernel = dotRowsGeneric

// dotRowsGeneric is the portable dotRows.
func dotRowsGeneric(q, rows, out []float32) {
	dim := len(q)
	for r := range out {
		out[r] = dotGeneric(q, rows[r*dim:(r+1)*dim])
	}
}

// dotGeneric is the portable inner product.
func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
