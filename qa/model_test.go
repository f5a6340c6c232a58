package qa_test

import (
	"math/rand/v2"
	"testing"

	"github.com/ragd/ragd/qa"
)

// TestFitRecoversWeights fits both model kinds on data drawn from known
// weights and checks that the fitted models rank and classify as those do.
func TestFitRecoversWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	truth := []float64{2, -1, 0}
	score := func(x []float64) float64 { return truth[0]*x[0] + truth[1]*x[1] + truth[2]*x[2] }
	features := []string{"a", "b", "c"}
	var groups [][]qa.Example
	var flat []qa.Example
	for range 400 {
		var g []qa.Example
		best, bestScore := 0, -1e9
		for i := range 8 {
			x := []float64{rng.NormFloat64(), rng.NormFloat64() * 3, rng.NormFloat64()}
			s := score(x) + rng.NormFloat64()*0.3
			if s > bestScore {
				best, bestScore = i, s
			}
			g = append(g, qa.Example{X: x})
			flat = append(flat, qa.Example{X: x, Label: s > 0})
		}
		g[best].Label = true
		groups = append(groups, g)
	}
	t.Run("rank", func(t *testing.T) {
		m, err := qa.FitRank(features, groups, 1)
		if err != nil {
			t.Fatal(err)
		}
		right := 0
		for _, g := range groups {
			top := 0
			for i := range g {
				if m.Logit(g[i].X) > m.Logit(g[top].X) {
					top = i
				}
			}
			if g[top].Label {
				right++
			}
		}
		if got := float64(right) / float64(len(groups)); got < 0.8 {
			t.Errorf("top-1 accuracy on the training groups = %.3f, want >= 0.8 (weights %v)", got, m.Weights)
		}
	})
	t.Run("classify", func(t *testing.T) {
		m, err := qa.Fit(features, flat, 1)
		if err != nil {
			t.Fatal(err)
		}
		right := 0
		for _, e := range flat {
			if (m.Prob(e.X) >= 0.5) == e.Label {
				right++
			}
		}
		if got := float64(right) / float64(len(flat)); got < 0.9 {
			t.Errorf("accuracy on the training data = %.3f, want >= 0.9 (weights %v)", got, m.Weights)
		}
	})
}
