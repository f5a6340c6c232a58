package qa

import (
	_ "embed" // the committed answer model
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ModelVersion is the version of the model file format and of the features
// it reads; a file of another version is refused.
const ModelVersion = 3

// Model is a logistic regression over named features, optionally with a
// hidden layer of tanh units added to its linear score, trained by
// `ragd train` from public data and stored as JSON. Its probability is the
// answerer's evidence.
type Model struct {
	// Version is ModelVersion.
	Version int `json:"version"`
	// Features name the inputs, in order; they must equal the features the
	// answerer computes.
	Features []string `json:"features"`
	// Mean and Scale standardise each feature before the weights apply.
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
	// Weights and Bias are the coefficients of the standardised features.
	Weights []float64 `json:"weights"`
	Bias    float64   `json:"bias"`
	// Hidden, HiddenBias and Out, when present, add a hidden layer of tanh
	// units to the linear score: Logit is Bias + Weights·z +
	// Σ Out[h] tanh(HiddenBias[h] + Hidden[h]·z), z the standardised
	// features.
	Hidden     [][]float64 `json:"hidden,omitempty"`
	HiddenBias []float64   `json:"hidden_bias,omitempty"`
	Out        []float64   `json:"out,omitempty"`
	// Threshold is the probability below which the decision is no: chosen
	// on the choosing splits only.
	Threshold float64 `json:"threshold"`
	// Training records what made the model.
	Training TrainingInfo `json:"training"`
}

// TrainingInfo records how a model was made: data, splits, seed, sizes
// and the figures it reached on the split it was chosen on.
type TrainingInfo struct {
	Data      []string           `json:"data"`
	Split     string             `json:"split"`
	Seed      int64              `json:"seed"`
	Examples  int                `json:"examples"`
	Positives int                `json:"positives"`
	L2        float64            `json:"l2"`
	Figures   map[string]float64 `json:"figures,omitempty"`
}

// Models are the decisions of answering.
type Models struct {
	// Relevance decides, per question, whether anything retrieved is about
	// it at all; it runs in both modes, before any model call.
	Relevance Model `json:"relevance"`
	// Sentence ranks the retrieved sentences as answers (a conditional
	// logit: its score is comparable between the sentences of one
	// question; Threshold is unused).
	Sentence Model `json:"sentence"`
	// Answerable decides, in extractive mode, whether the best sentence
	// answers the question; its probability is the answer's evidence.
	Answerable Model `json:"answerable"`
}

//go:embed model/answer.json
var committedModels []byte

// DefaultModels returns the models committed with ragd
// (qa/model/answer.json), as `ragd train` wrote them.
func DefaultModels() (Models, error) { return ParseModels(committedModels) }

// ErrModel reports a model file that cannot be used.
var ErrModel = errors.New("invalid answer model")

// ParseModels reads a models file and checks it against the features the
// answerer computes.
func ParseModels(data []byte) (Models, error) {
	var m Models
	if err := json.Unmarshal(data, &m); err != nil {
		return Models{}, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if err := m.Relevance.check("relevance", relevanceFeatureNames); err != nil {
		return Models{}, err
	}
	if err := m.Sentence.check("sentence", sentenceFeatureNames); err != nil {
		return Models{}, err
	}
	if err := m.Answerable.check("answerable", answerableFeatureNames); err != nil {
		return Models{}, err
	}
	return m, nil
}

func (m *Models) check() error {
	if err := m.Relevance.check("relevance", relevanceFeatureNames); err != nil {
		return err
	}
	if err := m.Sentence.check("sentence", sentenceFeatureNames); err != nil {
		return err
	}
	return m.Answerable.check("answerable", answerableFeatureNames)
}

func (m *Model) check(name string, features []string) error {
	switch {
	case m.Version != ModelVersion:
		return fmt.Errorf("%w: %s model has version %d, want %d (retrain with ragd train)", ErrModel, name, m.Version, ModelVersion)
	case !slices.Equal(m.Features, features):
		return fmt.Errorf("%w: %s model reads features %v, the answerer computes %v (retrain with ragd train)", ErrModel, name, m.Features, features)
	case len(m.Mean) != len(features) || len(m.Scale) != len(features) || len(m.Weights) != len(features):
		return fmt.Errorf("%w: %s model has %d/%d/%d means/scales/weights for %d features", ErrModel, name, len(m.Mean), len(m.Scale), len(m.Weights), len(features))
	case len(m.HiddenBias) != len(m.Hidden) || len(m.Out) != len(m.Hidden):
		return fmt.Errorf("%w: %s model has %d/%d/%d hidden units/biases/outputs", ErrModel, name, len(m.Hidden), len(m.HiddenBias), len(m.Out))
	case !(m.Threshold >= 0 && m.Threshold <= 1):
		return fmt.Errorf("%w: %s model threshold %g is outside 0..1", ErrModel, name, m.Threshold)
	}
	for h, row := range m.Hidden {
		if len(row) != len(features) {
			return fmt.Errorf("%w: %s model hidden unit %d has %d weights for %d features", ErrModel, name, h, len(row), len(features))
		}
	}
	for i, s := range m.Scale {
		if !(s > 0) {
			return fmt.Errorf("%w: %s model scale of %s is %g", ErrModel, name, features[i], s)
		}
	}
	return nil
}

// Logit is the model's log-odds for the feature vector x.
func (m *Model) Logit(x []float64) float64 {
	if len(m.Hidden) == 0 {
		z := m.Bias
		for i, v := range x {
			z += m.Weights[i] * (v - m.Mean[i]) / m.Scale[i]
		}
		return z
	}
	var buf [64]float64
	zs := buf[:0]
	if len(x) > len(buf) {
		zs = make([]float64, 0, len(x))
	}
	for i, v := range x {
		zs = append(zs, (v-m.Mean[i])/m.Scale[i])
	}
	return m.Bias + m.scoreStd(zs)
}

// scoreStd is the model's score, less its bias, of standardised features.
func (m *Model) scoreStd(z []float64) float64 {
	s := dot(m.Weights, z)
	for h, row := range m.Hidden {
		s += m.Out[h] * math.Tanh(m.HiddenBias[h]+dot(row, z))
	}
	return s
}

// Prob is the model's probability for the feature vector x.
func (m *Model) Prob(x []float64) float64 { return 1 / (1 + math.Exp(-m.Logit(x))) }

// Example is one labelled feature vector for Fit.
type Example struct {
	X     []float64
	Label bool
	// Weight scales the example's loss; 1 when zero.
	Weight float64
}

// Fit trains a logistic regression with L2 penalty l2 on the standardised
// features by Newton's method, which converges in a few steps for a few
// dozen features and gives the same weights on every run.
func Fit(features []string, examples []Example, l2 float64) (Model, error) {
	m, err := standardised(features, examples)
	if err != nil {
		return Model{}, err
	}
	n := len(features)
	z := make([]float64, n+1)
	w, err := newton(n+1, n, l2, func(w, grad []float64, hess [][]float64) float64 {
		loss := 0.0
		for _, e := range examples {
			m.standardise(e.X, z)
			z[n] = 1
			s := dot(w, z)
			p := 1 / (1 + math.Exp(-s))
			// -log p(label), computed stably.
			if e.Label {
				loss += weightOf(e) * softplus(-s)
			} else {
				loss += weightOf(e) * softplus(s)
			}
			if grad == nil {
				continue
			}
			g, h := weightOf(e)*(p-b2f(e.Label)), weightOf(e)*p*(1-p)
			for i := range z {
				grad[i] += g * z[i]
				for j := 0; j <= i; j++ {
					hess[i][j] += h * z[i] * z[j]
				}
			}
		}
		return loss
	})
	if err != nil {
		return Model{}, err
	}
	copy(m.Weights, w[:n])
	m.Bias = w[n]
	return m, nil
}

// FitRank trains a conditional logit: within each group, the probability of
// the labelled example is the softmax of the examples' scores. It ranks the
// sentences of one question; groups without a labelled example teach
// nothing and are skipped. The bias is zero, as softmax ignores it.
func FitRank(features []string, groups [][]Example, l2 float64) (Model, error) {
	var flat []Example
	for _, g := range groups {
		flat = append(flat, g...)
	}
	m, err := standardised(features, flat)
	if err != nil {
		return Model{}, err
	}
	n := len(features)
	zs := [][]float64{}
	w, err := newton(n, n, l2, func(w, grad []float64, hess [][]float64) float64 {
		loss := 0.0
		for _, g := range groups {
			pos := positives(g)
			if pos == 0 || pos == len(g) {
				continue
			}
			for len(zs) < len(g) {
				zs = append(zs, make([]float64, n))
			}
			scores := make([]float64, len(g))
			top := math.Inf(-1)
			for i, e := range g {
				m.standardise(e.X, zs[i])
				scores[i] = dot(w, zs[i])
				top = math.Max(top, scores[i])
			}
			raw := slices.Clone(scores)
			sum := 0.0
			for i := range scores {
				scores[i] = math.Exp(scores[i] - top)
				sum += scores[i]
			}
			// Each labelled example is one observation of the group.
			wt := weightOf(g[0]) / float64(pos)
			for i, e := range g {
				if e.Label {
					loss += wt * (top + math.Log(sum) - raw[i])
				}
			}
			if grad == nil {
				continue
			}
			mean := make([]float64, n)
			for i := range g {
				scores[i] /= sum
				for k := range mean {
					mean[k] += scores[i] * zs[i][k]
				}
			}
			for i, e := range g {
				if e.Label {
					for k := range grad {
						grad[k] += wt * (mean[k] - zs[i][k])
					}
				}
			}
			for i := range g {
				for a := 0; a < n; a++ {
					da := zs[i][a] - mean[a]
					for b := 0; b <= a; b++ {
						hess[a][b] += float64(pos) * wt * scores[i] * da * (zs[i][b] - mean[b])
					}
				}
			}
		}
		return loss
	})
	if err != nil {
		return Model{}, err
	}
	copy(m.Weights, w)
	return m, nil
}

// standardised returns an unfitted model whose means and scales are those
// of the examples' features.
func standardised(features []string, examples []Example) (Model, error) {
	n := len(features)
	if len(examples) == 0 {
		return Model{}, errors.New("fit: no examples")
	}
	m := Model{Version: ModelVersion, Features: slices.Clone(features), Mean: make([]float64, n), Scale: make([]float64, n), Weights: make([]float64, n)}
	for _, e := range examples {
		if len(e.X) != n {
			return Model{}, fmt.Errorf("fit: example has %d features, want %d", len(e.X), n)
		}
		for i, v := range e.X {
			m.Mean[i] += v
		}
	}
	for i := range m.Mean {
		m.Mean[i] /= float64(len(examples))
	}
	for _, e := range examples {
		for i, v := range e.X {
			m.Scale[i] += (v - m.Mean[i]) * (v - m.Mean[i])
		}
	}
	for i := range m.Scale {
		m.Scale[i] = math.Sqrt(m.Scale[i] / float64(len(examples)))
		if m.Scale[i] < 1e-9 {
			m.Scale[i] = 1
		}
	}
	return m, nil
}

func (m *Model) standardise(x, z []float64) {
	for i, v := range x {
		z[i] = (v - m.Mean[i]) / m.Scale[i]
	}
}

// newton minimises a convex loss over n weights, the first pen of which
// bear an L2 penalty l2 (a bias does not), by Newton's method with
// backtracking. accumulate returns the loss at w and, when grad is not nil,
// adds its gradient and the lower triangle of its Hessian.
func newton(n, pen int, l2 float64, accumulate func(w, grad []float64, hess [][]float64) float64) ([]float64, error) {
	penalty := func(w []float64) float64 {
		s := 0.0
		for i := 0; i < pen; i++ {
			s += 0.5 * l2 * w[i] * w[i]
		}
		return s
	}
	w := make([]float64, n)
	for iter := 0; iter < 100; iter++ {
		grad := make([]float64, n)
		hess := make([][]float64, n)
		for i := range hess {
			hess[i] = make([]float64, n)
		}
		loss := accumulate(w, grad, hess) + penalty(w)
		for i := 0; i < n; i++ {
			pl := 1e-6
			if i < pen {
				pl = l2
			}
			grad[i] += pl * w[i]
			hess[i][i] += pl
		}
		for i := range hess {
			for j := i + 1; j < n; j++ {
				hess[i][j] = hess[j][i]
			}
		}
		step, err := solve(hess, grad)
		if err != nil {
			return nil, fmt.Errorf("fit: %w", err)
		}
		next := make([]float64, n)
		t := 1.0
		for ; t > 1e-6; t /= 2 {
			for i := range w {
				next[i] = w[i] - t*step[i]
			}
			if accumulate(next, nil, nil)+penalty(next) <= loss {
				break
			}
		}
		moved := 0.0
		for i := range w {
			moved = math.Max(moved, math.Abs(next[i]-w[i]))
		}
		w = next
		if moved < 1e-7 {
			break
		}
	}
	return w, nil
}

// softplus is log(1 + e^x) without overflow.
func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func weightOf(e Example) float64 {
	if e.Weight == 0 {
		return 1
	}
	return e.Weight
}

// solve solves a x = b for a symmetric positive definite a by Cholesky
// decomposition.
func solve(a [][]float64, b []float64) ([]float64, error) {
	n := len(b)
	l := make([][]float64, n)
	for i := range l {
		l[i] = make([]float64, n)
		for j := 0; j <= i; j++ {
			s := a[i][j]
			for k := 0; k < j; k++ {
				s -= l[i][k] * l[j][k]
			}
			if i == j {
				if s <= 0 {
					return nil, errors.New("hessian is not positive definite")
				}
				l[i][i] = math.Sqrt(s)
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= l[i][k] * y[k]
		}
		y[i] = s / l[i][i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= l[k][i] * x[k]
		}
		x[i] = s / l[i][i]
	}
	return x, nil
}

// SentenceFeatures returns the names of the sentence model's features.
func SentenceFeatures() []string { return slices.Clone(sentenceFeatureNames) }

// AnswerableFeatures returns the names of the answerability model's
// features.
func AnswerableFeatures() []string { return slices.Clone(answerableFeatureNames) }

// RelevanceFeatures returns the names of the relevance model's features.
func RelevanceFeatures() []string { return slices.Clone(relevanceFeatureNames) }

// Untrained returns a model over features that gives every input the
// probability one half: the starting point of training, which needs the
// features but not the probabilities.
func Untrained(features []string) Model {
	n := len(features)
	scale := make([]float64, n)
	for i := range scale {
		scale[i] = 1
	}
	return Model{Version: ModelVersion, Features: slices.Clone(features), Mean: make([]float64, n), Scale: scale, Weights: make([]float64, n), Threshold: 0.5}
}

// positives counts the examples of a group labelled as answers.
func positives(g []Example) int {
	n := 0
	for _, e := range g {
		if e.Label {
			n++
		}
	}
	return n
}
