package vecmath

import "math"

// CodeLanes is the block that int8 codes are padded to for the SIMD
// kernel: sixteen codes, which widen to one 256-bit register of int16s.
const CodeLanes = 16

// CodeStride is the padded length of the codes of a dim-value vector.
func CodeStride(dim int) int {
	return (dim + CodeLanes - 1) / CodeLanes * CodeLanes
}

// Quantize sets dst to the int8 codes of v, round(v[i]/scale) with scale
// max|v[i]|/127, zeroing the rest of dst, and returns scale: v[i] is
// about scale*dst[i], within scale/2. A zero vector has scale 0 and zero
// codes. dst must be at least as long as v.
func Quantize(v []float32, dst []int8) float32 {
	hi := float32(0)
	for _, x := range v {
		hi = max(hi, float32(math.Abs(float64(x))))
	}
	clear(dst)
	if hi == 0 {
		return 0
	}
	scale := hi / 127
	for i, x := range v {
		dst[i] = int8(math.Round(float64(x / scale)))
	}
	return scale
}

// Widen returns codes as int16s, the form of a query's codes that
// DotCodeRows takes.
func Widen(codes []int8) []int16 {
	out := make([]int16, len(codes))
	for i, c := range codes {
		out[i] = int16(c)
	}
	return out
}

// DotCodeRows sets out[r] to the inner product of the codes q and row r
// of rows, which holds at least len(out) rows of len(q) codes end to end.
// The products are exact: 127*127 times any dimension below 130,000 fits
// an int32.
func DotCodeRows(q []int16, rows []int8, out []int32) {
	if len(rows) < len(out)*len(q) {
		panic("vecmath: DotCodeRows: fewer rows than results")
	}
	dotCodeRowsKernel(q, rows, out)
}

// dotCodeRowsKernel computes DotCodeRows; dot_simd.go replaces it at
// start-up.
var dotCodeRowsKernel = dotCodeRowsGeneric

// CodesFast reports whether DotCodeRows has a SIMD kernel here, which
// scans codes several times faster than DotRows scans float32 vectors;
// the portable one is slower than the portable DotRows.
func CodesFast() bool {
	return codesFast
}

// codesFast is CodesFast's answer; dot_simd.go sets it.
var codesFast = false

// dotCodeRowsGeneric is the portable DotCodeRows.
func dotCodeRowsGeneric(q []int16, rows []int8, out []int32) {
	dim := len(q)
	for r := range out {
		row := rows[r*dim : (r+1)*dim]
		var s0, s1 int32
		i := 0
		for ; i+2 <= dim; i += 2 {
			s0 += int32(q[i]) * int32(row[i])
			s1 += int32(q[i+1]) * int32(row[i+1])
		}
		for ; i < dim; i++ {
			s0 += int32(q[i]) * int32(row[i])
		}
		out[r] = s0 + s1
	}
}
