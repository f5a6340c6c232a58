package local

import (
	"math"
	"slices"
	"sync"

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
//
// From axesMin vectors on, the codes are those of each vector's projection
// on the principal axes of the stored vectors (vecmath.PrincipalAxes):
// axesShare of the dimensions, which hold most of the vectors' energy, so
// that the scan, bound by its arithmetic, reads and multiplies fewer
// codes. The axes are fitted when the slab reaches axesMin vectors and
// again at each opening, from a sample of the vectors.
type vectorSlab struct {
	dim, stride int
	data        []float32
	codeStride  int
	codes       []int8    // nil without codes
	scales      []float32 // by ordinal
	// axes are k principal axes of stride values each; nil while the
	// codes are those of the vectors themselves.
	axes []float32
	k    int
}

// useCodes reports whether new slabs keep int8 codes; tests set it.
var useCodes = vecmath.CodesFast()

// axesMin is the number of vectors from which the codes are taken on
// principal axes (a variable for tests), axesShare the share of the
// dimensions kept, and axesSample the most vectors the axes are fitted to.
var axesMin = 1 << 15

const (
	axesShare  = 0.625
	axesSample = 1 << 14
)

// axesFor is the number of axes the codes of dim-value vectors are taken
// on, 0 when projecting would not shorten them.
func axesFor(dim int) int {
	k := vecmath.CodeStride(int(math.Ceil(float64(dim) * axesShare)))
	if k >= vecmath.CodeStride(dim) {
		return 0
	}
	return k
}

// axesDue reports whether a slab of n vectors of dimension dim should take
// its codes on principal axes and does not yet.
func (v *vectorSlab) axesDue(n, dim int) bool {
	return useCodes && v.axes == nil && n >= axesMin && axesFor(dim) > 0
}

// fitAxes fits the principal axes to sample, rows of the slab's stride
// (or of dim values padded to strideFor(dim) when the slab is empty), and
// encodes every row on them, on every core. It does nothing without codes
// or where projecting would not shorten them.
func (v *vectorSlab) fitAxes(sample []float32, dim int) {
	if !useCodes {
		return
	}
	if v.stride == 0 {
		v.dim, v.stride = dim, strideFor(dim)
	}
	k := axesFor(v.dim)
	n := len(sample) / v.stride
	if k == 0 || n == 0 {
		return
	}
	v.axes, v.k = vecmath.PrincipalAxes(sample, n, v.stride, v.dim, k), k
	v.codeStride = vecmath.CodeStride(k)
	rows := len(v.data) / v.stride
	v.codes = make([]int8, rows*v.codeStride)
	v.scales = slices.Grow(v.scales[:0], rows)[:rows]
	parallel(rows, func(i int) { v.encode(uint32(i)) })
}

// sampleRows returns up to axesSample of the slab's first n rows, evenly
// spaced, end to end.
func (v *vectorSlab) sampleRows(n int) []float32 {
	step := max(1, n/axesSample)
	out := make([]float32, 0, min(n, axesSample)*v.stride)
	for i := 0; i < n && len(out) < axesSample*v.stride; i += step {
		out = append(out, v.row(uint32(i))...)
	}
	return out
}

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
	dst := v.codes[start : start+v.codeStride]
	if v.axes == nil {
		v.scales[ord] = vecmath.Quantize(v.row(ord)[:v.dim], dst)
		return
	}
	bp := projBufs.Get().(*[]float32)
	p := slices.Grow((*bp)[:0], v.k)[:v.k]
	vecmath.DotRows(v.row(ord), v.axes, p)
	v.scales[ord] = vecmath.Quantize(p, dst)
	*bp = p
	projBufs.Put(bp)
}

// projBufs hold projections on the axes while they are quantised.
var projBufs = sync.Pool{New: func() any { return new([]float32) }}

// slot returns the zeroed row of ord, growing the slab to hold it; the
// first vector stored fixes the dimension, dim.
func (v *vectorSlab) slot(ord uint32, dim int) []float32 {
	if v.stride == 0 {
		v.dim, v.stride = dim, strideFor(dim)
	}
	if useCodes && v.codes == nil {
		v.codeStride = vecmath.CodeStride(dim)
		v.codes = []int8{}
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
	if dim <= 0 || n <= 0 {
		return
	}
	if len(v.data) == 0 && cap(v.data) < n*strideFor(dim) {
		// A fresh allocation comes zeroed from the system, and its pages
		// are touched by the cores that fill them, not cleared here on
		// one.
		v.data = make([]float32, 0, n*strideFor(dim))
		return
	}
	v.data = slices.Grow(v.data, n*strideFor(dim))
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
	src := q[:v.dim]
	if v.axes != nil {
		src = make([]float32, v.k)
		vecmath.DotRows(q, v.axes, src)
	}
	scale := vecmath.Quantize(src, codes)
	return vecmath.Widen(codes), scale
}
