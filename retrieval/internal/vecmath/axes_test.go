package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSymmetricEigen(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 30
	a := make([]float64, n*n)
	for i := range n {
		for j := i; j < n; j++ {
			x := rng.NormFloat64()
			a[i*n+j], a[j*n+i] = x, x
		}
	}
	orig := append([]float64(nil), a...)
	vals, vecs := SymmetricEigen(a, n)
	for c := range n {
		// A v = λ v for each eigenpair, and the eigenvectors are orthonormal.
		for i := range n {
			av := 0.0
			for j := range n {
				av += orig[i*n+j] * vecs[j*n+c]
			}
			if d := math.Abs(av - vals[c]*vecs[i*n+c]); d > 1e-9 {
				t.Fatalf("eigenpair %d, row %d: A v - λ v = %g", c, i, d)
			}
		}
		for c2 := range n {
			dot := 0.0
			for i := range n {
				dot += vecs[i*n+c] * vecs[i*n+c2]
			}
			want := 0.0
			if c == c2 {
				want = 1
			}
			if math.Abs(dot-want) > 1e-9 {
				t.Fatalf("eigenvectors %d and %d: inner product %g, want %g", c, c2, dot, want)
			}
		}
	}
}

// TestPrincipalAxesFindTheSubspace gives rows that lie in a plane, plus a
// little noise: the two leading axes span it, so projecting on them keeps
// the rows' inner products.
func TestPrincipalAxesFindTheSubspace(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, dim, stride = 2000, 20, 24
	u, w := make([]float64, dim), make([]float64, dim)
	for i := range dim {
		u[i], w[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	rows := make([]float32, n*stride)
	for r := range n {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		for i := range dim {
			rows[r*stride+i] = float32(a*u[i] + b*w[i] + 1e-3*rng.NormFloat64())
		}
	}
	axes := PrincipalAxes(rows, n, stride, dim, 2)
	for r := range 50 {
		x := rows[r*stride : (r+1)*stride]
		kept, all := 0.0, float64(Dot(x, x))
		for a := range 2 {
			p := float64(Dot(x, axes[a*stride:(a+1)*stride]))
			kept += p * p
		}
		if kept < 0.999*all {
			t.Fatalf("row %d: the axes keep %.4f of its energy, want all", r, kept/all)
		}
	}
	for i := dim; i < stride; i++ {
		if axes[i] != 0 || axes[stride+i] != 0 {
			t.Fatal("an axis is not zero past dim")
		}
	}
}
