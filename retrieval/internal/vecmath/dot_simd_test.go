//go:build goexperiment.simd && amd64

package vecmath

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"simd/archsimd"
)

func requireAVX2(tb testing.TB) {
	tb.Helper()
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		tb.Skip("no AVX2 and FMA on this CPU; the portable kernels are in use")
	}
}

func randomVector(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

func closeTo(got, want float32) bool {
	return math.Abs(float64(got-want)) <= 1e-5*math.Max(1, math.Abs(float64(want)))
}

func TestDotAVX2MatchesGeneric(t *testing.T) {
	requireAVX2(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 24, 100, 104, 300, 384, 768, 1024} {
		a, b := randomVector(rng, n), randomVector(rng, n+3) // b may be longer
		if got, want := dotAVX2(a, b), dotGeneric(a, b); !closeTo(got, want) {
			t.Errorf("n=%d: AVX2 %v, portable %v", n, got, want)
		}
	}
}

func TestDotRowsAVX2MatchesGeneric(t *testing.T) {
	requireAVX2(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{1, 4, 8, 13, 16, 100, 104, 384} {
		for _, n := range []int{0, 1, 3, 4, 5, 8, 11} {
			q, rows := randomVector(rng, dim), randomVector(rng, dim*n)
			got, want := make([]float32, n), make([]float32, n)
			dotRowsAVX2(q, rows, got)
			dotRowsGeneric(q, rows, want)
			for r := range want {
				if !closeTo(got[r], want[r]) {
					t.Errorf("dim %d, %d rows: row %d is %v, portable %v", dim, n, r, got[r], want[r])
				}
			}
		}
	}
}

func BenchmarkDotRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const dim, n = 104, 10_000
	q, rows, out := randomVector(rng, dim), randomVector(rng, dim*n), make([]float32, n)
	for _, k := range []struct {
		name string
		f    func(q, rows, out []float32)
	}{{"generic", dotRowsGeneric}, {"avx2", dotRowsAVX2}} {
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				k.f(q, rows, out)
			}
		})
	}
}

func TestEqualVectorsScoreEqually(t *testing.T) {
	// A vector scores the same wherever it sits in the slab (in a group of
	// four or among the last rows) and through dot, so that equal chunks
	// tie and are ordered by ID.
	requireAVX2(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dim := range []int{8, 104, 768} {
		q, v := randomVector(rng, dim), randomVector(rng, dim)
		for _, n := range []int{1, 3, 4, 5, 7, 9} {
			rows := make([]float32, 0, n*dim)
			for range n {
				rows = append(rows, v...)
			}
			out := make([]float32, n)
			dotRowsAVX2(q, rows, out)
			want := dotAVX2(q, v)
			for r, got := range out {
				if got != want {
					t.Errorf("dim %d, %d rows: row %d scores %v, dot %v", dim, n, r, got, want)
				}
			}
		}
	}
}

func randomCodes(rng *rand.Rand, n int) []int8 {
	c := make([]int8, n)
	for i := range c {
		c[i] = int8(rng.IntN(255) - 127)
	}
	return c
}

func TestDotCodeRowsAVX2MatchesGeneric(t *testing.T) {
	requireAVX2(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dim := range []int{1, 13, 16, 32, 112, 384} {
		for _, n := range []int{0, 1, 3, 4, 5, 8, 11} {
			q, rows := Widen(randomCodes(rng, dim)), randomCodes(rng, dim*n)
			got, want := make([]int32, n), make([]int32, n)
			dotCodeRowsAVX2(q, rows, got)
			dotCodeRowsGeneric(q, rows, want)
			if !slices.Equal(got, want) {
				t.Errorf("dim %d, %d rows: AVX2 %v, portable %v", dim, n, got, want)
			}
		}
	}
}

func BenchmarkDotCodeRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const dim, n = 112, 10_000
	q, rows, out := Widen(randomCodes(rng, dim)), randomCodes(rng, dim*n), make([]int32, n)
	for _, k := range []struct {
		name string
		f    func(q []int16, rows []int8, out []int32)
	}{{"generic", dotCodeRowsGeneric}, {"avx2", dotCodeRowsAVX2}} {
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				k.f(q, rows, out)
			}
		})
	}
}
