// Package vecmath holds the inner-product kernels of the retrieval packages:
// SIMD where the build and the CPU have it, portable code elsewhere. The
// dense scan of retrieval/local and the sentence re-ranking of
// retrieval/rank share them, so both score a pair of vectors alike.
package vecmath

import "math"

// Lanes is the block that vectors are padded to for the SIMD kernels: eight
// float32s, one 256-bit register.
const Lanes = 8

// Unit returns a copy of v scaled to unit length, or a copy of v
// itself when its length is zero.
func Unit(v []float32) []float32 {
	out := make([]float32, len(v))
	n := math.Sqrt(float64(Dot(v, v)))
	if n == 0 {
		copy(out, v)
		return out
	}
	for i, x := range v {
		out[i] = float32(float64(x) / n)
	}
	return out
}

// Dot returns the inner product of two vectors of equal length: with SIMD
// instructions where the build and the CPU have them and the length is a
// multiple of Lanes (dot_simd.go), else with portable code.
func Dot(a, b []float32) float32 {
	return dotKernel(a, b)
}

// dotKernel computes Dot; dot_simd.go replaces it at start-up.
var dotKernel = dotGeneric

// DotRows sets out[r] to the inner product of q and row r of rows, which
// holds at least len(out) rows of len(q) values end to end.
func DotRows(q, rows, out []float32) {
	if len(rows) < len(out)*len(q) {
		panic("vecmath: DotRows: fewer rows than results")
	}
	dotRowsKernel(q, rows, out)
}

// dotRowsKernel computes DotRows; dot_simd.go replaces it at start-up.
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
