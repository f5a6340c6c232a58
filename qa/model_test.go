package qa_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
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

// TestFitRankMLPLearnsWhatALinearRankerCannot ranks groups whose labelled
// example is the one with the feature nearest zero: no linear score puts it
// first, a hidden layer does.
func TestFitRankMLPLearnsWhatALinearRankerCannot(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	features := []string{"a", "noise"}
	groups := func(n int) [][]qa.Example {
		var out [][]qa.Example
		for range n {
			var g []qa.Example
			best := 0
			for i := range 6 {
				x := []float64{rng.NormFloat64() * 2, rng.NormFloat64()}
				g = append(g, qa.Example{X: x})
				if abs(x[0]) < abs(g[best].X[0]) {
					best = i
				}
			}
			g[best].Label = true
			out = append(out, g)
		}
		return out
	}
	train, held := groups(300), groups(300)
	top1 := func(m qa.Model) float64 {
		right := 0
		for _, g := range held {
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
		return float64(right) / float64(len(held))
	}
	linear, err := qa.FitRank(features, train, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := qa.DefaultMLP
	cfg.Rate = 0.03
	mlp, err := qa.FitRankMLP(features, train, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	lin, got := top1(linear), top1(mlp)
	if got < 0.7 || got < lin+0.2 {
		t.Errorf("held-out top-1: hidden layer %.3f, linear %.3f; want >= 0.7 and 0.2 above linear", got, lin)
	}
	again, err := qa.FitRankMLP(features, train, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Out, mlp.Out) || !slices.Equal(again.Weights, mlp.Weights) {
		t.Error("two fits with one seed differ")
	}
	data, err := json.Marshal(qa.Models{Relevance: qa.Untrained(qa.RelevanceFeatures()), Sentence: qa.Untrained(qa.SentenceFeatures()), Answerable: qa.Untrained(qa.AnswerableFeatures())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := qa.ParseModels(data); err != nil {
		t.Fatalf("untrained models: %v", err)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestCommittedModelsLoad(t *testing.T) {
	m, err := qa.DefaultModels()
	if err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]qa.Model{"relevance": m.Relevance, "sentence": m.Sentence, "answerable": m.Answerable} {
		if mod.Training.Examples == 0 || mod.Training.Seed == 0 || len(mod.Training.Data) == 0 || mod.Training.Split == "" {
			t.Errorf("%s model records no training (%+v): retrain with ragd train", name, mod.Training)
		}
	}
	if m.Answerable.Threshold <= 0 || m.Relevance.Threshold <= 0 {
		t.Errorf("thresholds %g, %g: want positive, chosen on the choosing splits", m.Relevance.Threshold, m.Answerable.Threshold)
	}
}

func TestParseModelsRefusesAMismatch(t *testing.T) {
	good, err := qa.DefaultModels()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*qa.Models)
		want   string
	}{
		{"another version", func(m *qa.Models) { m.Sentence.Version = 99 }, "version 99"},
		{"other features", func(m *qa.Models) { m.Answerable.Features = m.Answerable.Features[1:] }, "reads features"},
		{"a zero scale", func(m *qa.Models) { m.Relevance.Scale = make([]float64, len(m.Relevance.Scale)) }, "scale"},
		{"a threshold above 1", func(m *qa.Models) { m.Answerable.Threshold = 2 }, "threshold"},
		{"hidden units without outputs", func(m *qa.Models) {
			m.Sentence.Hidden = [][]float64{make([]float64, len(m.Sentence.Features))}
			m.Sentence.HiddenBias = []float64{0}
		}, "hidden units"},
		{"a hidden unit of the wrong width", func(m *qa.Models) {
			m.Sentence.Hidden = [][]float64{{1}}
			m.Sentence.HiddenBias, m.Sentence.Out = []float64{0}, []float64{1}
		}, "hidden unit 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good
			m.Sentence.Features = slices.Clone(good.Sentence.Features)
			m.Answerable.Features = slices.Clone(good.Answerable.Features)
			tt.change(&m)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			_, err = qa.ParseModels(data)
			if !errors.Is(err, qa.ErrModel) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseModels = %v, want ErrModel mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := qa.ParseModels([]byte("{")); !errors.Is(err, qa.ErrModel) {
		t.Errorf("ParseModels of bad JSON = %v, want ErrModel", err)
	}
}

// BenchmarkJudge measures the answer models over the passages of one
// question of the seed articles: features (GloVe soft matching included)
// and the three models, per candidate sentence.
func BenchmarkJudge(b *testing.B) {
	st := openStore(b)
	g, err := embed.LoadGloVe("../" + embed.DefaultModelPath)
	if err != nil {
		b.Skipf("no GloVe model: %v", err)
	}
	a, err := qa.New(qa.Config{Retriever: st, Embedder: g, Words: g})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const q = "What did Macron say European troops would not do?"
	hits, err := st.Search(ctx, retrieval.SearchRequest{Query: q, K: qa.DefaultK})
	if err != nil {
		b.Fatal(err)
	}
	j, err := a.Judge(ctx, q, hits)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Judge(ctx, q, hits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(j.Candidates))/1000, "µs/candidate")
}

// TestFitMLPLearnsWhatALinearModelCannot: the label is |a| < 1, which no
// linear function of a separates; a hidden layer learns it, from the
// linear fit, and the same seed gives the same model.
func TestFitMLPLearnsWhatALinearModelCannot(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	features := []string{"a", "noise"}
	examples := func(n int) []qa.Example {
		var out []qa.Example
		for range n {
			x := []float64{rng.NormFloat64() * 1.5, rng.NormFloat64()}
			out = append(out, qa.Example{X: x, Label: abs(x[0]) < 1})
		}
		return out
	}
	train, held := examples(600), examples(600)
	accuracy := func(m qa.Model) float64 {
		right := 0
		for _, e := range held {
			if (m.Prob(e.X) >= 0.5) == e.Label {
				right++
			}
		}
		return float64(right) / float64(len(held))
	}
	linear, err := qa.Fit(features, train, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := qa.DefaultMLP
	cfg.Rate = 0.03
	mlp, err := qa.FitMLP(features, train, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	lin, got := accuracy(linear), accuracy(mlp)
	if got < 0.85 || got < lin+0.2 {
		t.Errorf("held-out accuracy: hidden layer %.3f, linear %.3f; want >= 0.85 and 0.2 above linear", got, lin)
	}
	again, err := qa.FitMLP(features, train, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Out, mlp.Out) || again.Bias != mlp.Bias {
		t.Error("two fits with one seed differ")
	}
	if _, err := qa.FitMLP(features, train, 1, qa.MLPConfig{}); err == nil {
		t.Error("FitMLP without hidden units or epochs: no error")
	}
}
