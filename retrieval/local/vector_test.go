package local

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"slices"
	"testing"

	"github.com/ragd/ragd/retrieval/internal/vecmath"
)

func TestVectorSlab(t *testing.T) {
	var v vectorSlab
	v.set(0, []float32{3, 4, 0, 0, 0, 0, 0, 0, 0, 0}) // 10 values: stride 16
	v.set(2, []float32{0, 0, 0, 0, 0, 0, 0, 0, 0, 2})
	v.set(1, []float32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) // zero: kept as is
	if v.dim != 10 || v.stride != 16 || len(v.data) != 3*16 {
		t.Fatalf("dim %d, stride %d, %d values; want 10, 16, 48", v.dim, v.stride, len(v.data))
	}
	want0 := append([]float32{0.6, 0.8}, make([]float32, 14)...)
	if got := v.row(0); !slices.Equal(got, want0) {
		t.Errorf("row 0 = %v, want %v", got, want0)
	}
	// A reused ordinal is overwritten whole, padding included.
	v.set(0, []float32{0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	if got := v.row(0); got[0] != 0 || got[1] != 1 || slices.ContainsFunc(got[2:], func(x float32) bool { return x != 0 }) {
		t.Errorf("reused row 0 = %v", got)
	}

	q := v.query([]float32{0, 0, 0, 0, 0, 0, 0, 0, 0, 5})
	if len(q) != 16 || q[9] != 1 {
		t.Fatalf("query = %v, want unit e9 padded to 16", q)
	}
	sims := make([]float32, 3)
	vecmath.DotRows(q, v.data, sims)
	if sims[0] != 0 || sims[1] != 0 || math.Abs(float64(sims[2]-1)) > 1e-6 {
		t.Errorf("similarities %v, want [0 0 1]", sims)
	}
	if v.query(make([]float32, 9)) != nil {
		t.Error("a query of another dimension was accepted")
	}
	var empty vectorSlab
	if empty.query([]float32{1}) != nil {
		t.Error("an empty slab accepted a query")
	}
}

// TestVectorCRC checks the checksum read from a vector's memory against
// the checksum of its little-endian bytes, as the vector file holds them.
func TestVectorCRC(t *testing.T) {
	for _, n := range []int{1, 100, 300} {
		v := make([]float32, n)
		var b []byte
		for i := range v {
			v[i] = float32(i)*0.37 - 11
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v[i]))
		}
		if got, want := vectorCRC(v), crc32.Checksum(b, castagnoli); got != want {
			t.Errorf("%d dimensions: %08x, want %08x", n, got, want)
		}
	}
}
