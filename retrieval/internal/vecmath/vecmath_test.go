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
