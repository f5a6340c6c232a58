//go:build goexperiment.simd && amd64

package vecmath

import "simd/archsimd"

// With GOEXPERIMENT=simd (the Makefile sets it) on an x86-64 CPU with AVX2
// and FMA, inner products of vectors padded to whole 8-lane blocks (the
// store's, see vectorSlab) use 256-bit fused multiply-adds, and the dense
// scan computes four chunks' similarities at a time, in float32 and from
// int8 codes padded to whole 16-code blocks. Other lengths use the
// portable code.
func init() {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		dotKernel = dotAVX2
		dotRowsKernel = dotRowsAVX2
		dotCodeRowsKernel = dotCodeRowsAVX2
		codesFast = true
	}
}

// dotAVX2 is dotGeneric with one 8-lane accumulator, reduced as
// dotRowsAVX2 reduces each of its four: so a vector scores the same, to the
// bit, whichever path scores it, and equal vectors tie (ties are broken by
// chunk ID).
func dotAVX2(a, b []float32) float32 {
	if len(a)%Lanes != 0 {
		return dotGeneric(a, b)
	}
	b = b[:len(a)]
	acc := archsimd.BroadcastFloat32x8(0)
	zero := acc
	for i := 0; i < len(a); i += 8 {
		acc = archsimd.LoadFloat32x8Slice(b[i:]).MulAdd(archsimd.LoadFloat32x8Slice(a[i:]), acc)
	}
	h := acc.AddPairsGrouped(zero).AddPairsGrouped(zero)
	var lanes [4]float32
	h.GetLo().Add(h.GetHi()).Store(&lanes)
	// Clear the upper halves of the vector registers before scalar (SSE)
	// code runs again, which would otherwise pay for the mix.
	archsimd.ClearAVXUpperBits()
	return lanes[0]
}

// dotRowsAVX2 is dotRowsGeneric, four rows at a time: one load of each
// block of q serves four rows, and the four sums are reduced and stored
// together without leaving the vector registers.
func dotRowsAVX2(q, rows, out []float32) {
	dim := len(q)
	if dim%Lanes != 0 {
		dotRowsGeneric(q, rows, out)
		return
	}
	// One zero for all accumulators: materialising it in the loop mixes
	// an SSE instruction into AVX code.
	zero := archsimd.BroadcastFloat32x8(0)
	r := 0
	for ; r+4 <= len(out); r += 4 {
		base := r * dim
		a0 := rows[base : base+dim : base+dim]
		a1 := rows[base+dim : base+2*dim : base+2*dim]
		a2 := rows[base+2*dim : base+3*dim : base+3*dim]
		a3 := rows[base+3*dim : base+4*dim : base+4*dim]
		acc0, acc1, acc2, acc3 := zero, zero, zero, zero
		for i := 0; i < dim; i += 8 {
			qv := archsimd.LoadFloat32x8Slice(q[i:])
			acc0 = archsimd.LoadFloat32x8Slice(a0[i:]).MulAdd(qv, acc0)
			acc1 = archsimd.LoadFloat32x8Slice(a1[i:]).MulAdd(qv, acc1)
			acc2 = archsimd.LoadFloat32x8Slice(a2[i:]).MulAdd(qv, acc2)
			acc3 = archsimd.LoadFloat32x8Slice(a3[i:]).MulAdd(qv, acc3)
		}
		// Within each 128-bit half, two horizontal adds leave the
		// partial sums of rows 0-3 in order; the halves add up.
		h := acc0.AddPairsGrouped(acc1).AddPairsGrouped(acc2.AddPairsGrouped(acc3))
		h.GetLo().Add(h.GetHi()).StoreSlice(out[r:])
	}
	archsimd.ClearAVXUpperBits()
	for ; r < len(out); r++ {
		out[r] = dotAVX2(q, rows[r*dim:(r+1)*dim])
	}
}

// dotCodeRowsAVX2 is dotCodeRowsGeneric, four rows at a time: each block
// of sixteen codes is widened to int16 and multiplied by the query's with
// VPMADDWD, which adds adjacent products into eight int32 lanes. Integer
// sums are exact, so the result is the portable one to the bit.
func dotCodeRowsAVX2(q []int16, rows []int8, out []int32) {
	dim := len(q)
	if dim%CodeLanes != 0 {
		dotCodeRowsGeneric(q, rows, out)
		return
	}
	zero := archsimd.BroadcastInt32x8(0)
	r := 0
	for ; r+4 <= len(out); r += 4 {
		base := r * dim
		a0 := rows[base : base+dim : base+dim]
		a1 := rows[base+dim : base+2*dim : base+2*dim]
		a2 := rows[base+2*dim : base+3*dim : base+3*dim]
		a3 := rows[base+3*dim : base+4*dim : base+4*dim]
		acc0, acc1, acc2, acc3 := zero, zero, zero, zero
		for i := 0; i < dim; i += CodeLanes {
			qv := archsimd.LoadInt16x16Slice(q[i:])
			acc0 = acc0.Add(archsimd.LoadInt8x16Slice(a0[i:]).ExtendToInt16().DotProductPairs(qv))
			acc1 = acc1.Add(archsimd.LoadInt8x16Slice(a1[i:]).ExtendToInt16().DotProductPairs(qv))
			acc2 = acc2.Add(archsimd.LoadInt8x16Slice(a2[i:]).ExtendToInt16().DotProductPairs(qv))
			acc3 = acc3.Add(archsimd.LoadInt8x16Slice(a3[i:]).ExtendToInt16().DotProductPairs(qv))
		}
		h := acc0.AddPairsGrouped(acc1).AddPairsGrouped(acc2.AddPairsGrouped(acc3))
		h.GetLo().Add(h.GetHi()).StoreSlice(out[r:])
	}
	archsimd.ClearAVXUpperBits()
	if r < len(out) {
		dotCodeRowsGeneric(q, rows[r*dim:], out[r:])
	}
}
