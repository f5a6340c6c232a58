package vecmath

import (
	"cmp"
	"math"
	"slices"
)

// PrincipalAxes returns the k unit directions that hold the most of the
// rows' energy: the leading eigenvectors of their second-moment matrix
// (the sum of x xᵀ over the rows), strongest first, as k rows of stride
// values end to end, zero past dim. Projected on them, inner products
// between vectors like the rows lose the least on average. rows holds n
// rows of stride values, of which the first dim are the vector's.
func PrincipalAxes(rows []float32, n, stride, dim, k int) []float32 {
	m := make([]float64, dim*dim)
	for r := range n {
		x := rows[r*stride : r*stride+dim]
		for i, xi := range x {
			if xi == 0 {
				continue
			}
			row := m[i*dim : i*dim+dim]
			for j := i; j < dim; j++ {
				row[j] += float64(xi) * float64(x[j])
			}
		}
	}
	for i := range dim {
		for j := range i {
			m[i*dim+j] = m[j*dim+i]
		}
	}
	vals, vecs := SymmetricEigen(m, dim)
	order := make([]int, dim)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(vals[b], vals[a]) })
	axes := make([]float32, k*stride)
	for a, col := range order[:k] {
		for i := range dim {
			axes[a*stride+i] = float32(vecs[i*dim+col])
		}
	}
	return axes
}

// SymmetricEigen returns the eigenvalues of the symmetric n×n matrix a
// (row-major, overwritten) and its eigenvectors, as the columns of an n×n
// row-major matrix, by cyclic Jacobi rotations.
func SymmetricEigen(a []float64, n int) (vals, vecs []float64) {
	v := make([]float64, n*n)
	for i := range n {
		v[i*n+i] = 1
	}
	norm := 0.0
	for _, x := range a {
		norm += x * x
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for p := range n {
			for q := p + 1; q < n; q++ {
				off += a[p*n+q] * a[p*n+q]
			}
		}
		if off <= 1e-24*norm {
			break
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				apq := a[p*n+q]
				if apq == 0 {
					continue
				}
				// The rotation of the (p, q) plane that zeroes a[p][q].
				theta := (a[q*n+q] - a[p*n+p]) / (2 * apq)
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range n {
					akp, akq := a[k*n+p], a[k*n+q]
					a[k*n+p], a[k*n+q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := range n {
					apk, aqk := a[p*n+k], a[q*n+k]
					a[p*n+k], a[q*n+k] = c*apk-s*aqk, s*apk+c*aqk
				}
				for k := range n {
					vkp, vkq := v[k*n+p], v[k*n+q]
					v[k*n+p], v[k*n+q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	vals = make([]float64, n)
	for i := range n {
		vals[i] = a[i*n+i]
	}
	return vals, v
}
