package vecmath

import (
	"slices"
	"testing"
)

func TestDotRowsPortable(t *testing.T) {
	// Any length, including ones the SIMD kernels hand back to this code.
	q := []float32{1, 2, 3}
	rows := []float32{1, 0, 0, 0, 1, 0, 1, 1, 1, 9, 9, 9}
	out := make([]float32, 3) // the fourth row is not asked for
	dotRowsGeneric(q, rows, out)
	if want := []float32{1, 2, 6}; !slices.Equal(out, want) {
		t.Errorf("dotRowsGeneric = %v, want %v", out, want)
	}
	if got := dotGeneric([]float32{1, 2, 3, 4, 5}, []float32{5, 4, 3, 2, 1, 7}); got != 35 {
		t.Errorf("dotGeneric = %v, want 35", got)
	}
}

func TestQuantize(t *testing.T) {
	v := []float32{0.5, -0.25, 0, 0.1}
	codes := []int8{9, 9, 9, 9, 9, 9, 9, 9}
	scale := Quantize(v, codes)
	if want := []int8{127, -64, 0, 25, 0, 0, 0, 0}; !slices.Equal(codes, want) {
		t.Errorf("codes %v, want %v", codes, want)
	}
	for i, x := range v {
		if d := x - scale*float32(codes[i]); d > scale/2 || d < -scale/2 {
			t.Errorf("value %d: %v decodes to %v, more than half a step away", i, x, scale*float32(codes[i]))
		}
	}
	if s := Quantize([]float32{0, 0}, codes[:2]); s != 0 || codes[0] != 0 {
		t.Errorf("zero vector: scale %v codes %v", s, codes[:2])
	}
}

func TestDotCodeRowsPortable(t *testing.T) {
	q := Widen([]int8{1, -2, 3})
	rows := []int8{1, 1, 1, -127, 0, 127, 2, 2, 2}
	out := make([]int32, 3)
	DotCodeRows(q, rows, out)
	if want := []int32{2, 254, 4}; !slices.Equal(out, want) {
		t.Errorf("DotCodeRows = %v, want %v", out, want)
	}
}
