package local

import (
	"math"
	"slices"

	"github.com/ragd/ragd/retrieval/internal/vecmath"
)

// vectorSlab holds the unit-length embeddings of the indexed chunks by
// ordinal, end to end in one slice, so that an exhaustive dense scan reads
// memory in order instead of following a pointer per chunk. Each vector is
// zero-padded to a multiple of vecmath.Lanes (100 -> 104 values for GloVe),
// so that SIMD kernels need no remainder handling. A freed ordinal's slot
// keeps its old vector until the ordinal is reused; callers skip free
// ordinals.
//
// Where the int8 kernel is the faster one (vecmath.CodesFast), the slab
// also holds each vector's int8 codes (vecmath.Quantize), padded to
// vecmath.CodeLanes, and their scale: the dense scan reads those, a
// quarter of the bytes, and scores only its best candidates on the float32
// rows, which also make the vector file.
type vectorSlab struct {
	dim, stride int
	data        []float32
	codeStride  int
	codes       []int8    // nil without codes
	scales      []float32 // by ordinal
}

// useCodes reports whether new slabs keep int8 codes; tests set it.
var useCodes = vecmath.CodesFast()

// set stores vec, scaled to unit length, as the vector of ord. Every vector
// of a slab has the dimension of the first (the store checks dimensions
// before indexing).
func (v *vectorSlab) set(ord uint32, vec []float32) {
	dst := v.slot(ord, len(vec))
	n := math.Sqrt(float64(vecmath.Dot(vec, vec)))
	for i, x := range vec[:v.dim] {
		if n == 0 {
			dst[i] = x
		} else {
			dst[i] = float32(float64(x) / n)
		}
	}
	v.encode(ord)
}

// setUnit stores vec, of unit length already, as it is.
func (v *vectorSlab) setUnit(ord uint32, vec []float32) {
	copy(v.slot(ord, len(vec)), vec[:v.dim])
	v.encode(ord)
}

// encode computes the codes of ord's row.
func (v *vectorSlab) encode(ord uint32) {
	if v.codes == nil {
		return
	}
	start := int(ord) * v.codeStride
	v.scales[ord] = vecmath.Quantize(v.row(ord)[:v.dim], v.codes[start:start+v.codeStride])
}

// slot returns the zeroed row of ord, growing the slab to hold it; the
// first vector stored fixes the dimension, dim.
func (v *vectorSlab) slot(ord uint32, dim int) []float32 {
	if v.stride == 0 {
		v.dim, v.stride = dim, strideFor(dim)
		if useCodes {
			v.codeStride = vecmath.CodeStride(dim)
			v.codes = []int8{}
		}
	}
	start := int(ord) * v.stride
	if end := start + v.stride; end > len(v.data) {
		v.data = slices.Grow(v.data, end-len(v.data))[:end]
	}
	if v.codes != nil {
		if end := (int(ord) + 1) * v.codeStride; end > len(v.codes) {
			v.codes = slices.Grow(v.codes, end-len(v.codes))[:end]
		}
		if n := int(ord) + 1; n > len(v.scales) {
			v.scales = slices.Grow(v.scales, n-len(v.scales))[:n]
		}
	}
	dst := v.data[start : start+v.stride]
	clear(dst)
	return dst
}

// size makes the slab hold n rows of dimension dim, so that they can then
// be set concurrently, row by row.
func (v *vectorSlab) size(n, dim int) {
	if n > 0 && dim > 0 {
		v.slot(uint32(n-1), dim)
	}
}

// reserve makes room for n more vectors of dimension dim.
func (v *vectorSlab) reserve(n, dim int) {
	if dim > 0 && n > 0 {
		v.data = slices.Grow(v.data, n*strideFor(dim))
		if useCodes {
			v.codes = slices.Grow(v.codes, n*vecmath.CodeStride(dim))
			v.scales = slices.Grow(v.scales, n)
		}
	}
}

// strideFor is the padded length of a row of dim values.
func strideFor(dim int) int {
	return (dim + vecmath.Lanes - 1) / vecmath.Lanes * vecmath.Lanes
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
	out := vecmath.Unit(q)
	return append(out, make([]float32, v.stride-v.dim)...)
}

// queryCodes returns the codes of q, a query from query, widened for
// vecmath.DotCodeRows, and their scale.
func (v *vectorSlab) queryCodes(q []float32) ([]int16, float32) {
	codes := make([]int8, v.codeStride)
	scale := vecmath.Quantize(q[:v.dim], codes)
	return vecmath.Widen(codes), scale
}
