package qa

import (
	"errors"
	"math"
	"math/rand/v2"
)

// MLPConfig sets the training of FitRankMLP.
type MLPConfig struct {
	// Hidden is the number of tanh units.
	Hidden int
	// Epochs are the full passes of Adam over the groups.
	Epochs int
	// Rate is Adam's step size.
	Rate float64
	// L2 penalises every weight, per unit of example weight.
	L2 float64
	// Seed draws the hidden layer's starting weights.
	Seed uint64
}

// DefaultMLP is the ranker `ragd train` fits: eight hidden units, 200
// epochs of Adam at rate 0.003, L2 0.01 (chosen on a held-out fifth of the
// choosing questions).
var DefaultMLP = MLPConfig{Hidden: 8, Epochs: 200, Rate: 0.003, L2: 1e-2, Seed: 1}

// FitRankMLP trains a conditional logit whose score is the linear score of
// FitRank plus a hidden layer of tanh units, by full-batch Adam on the
// groups' softmax loss, starting from the linear solution. It is
// deterministic for a given seed.
func FitRankMLP(features []string, groups [][]Example, l2 float64, cfg MLPConfig) (Model, error) {
	if err := cfg.check(); err != nil {
		return Model{}, err
	}
	m, err := FitRank(features, groups, l2)
	if err != nil {
		return Model{}, err
	}
	var gs []mlpGroup
	for _, g := range groups {
		pos := positives(g)
		if pos == 0 || pos == len(g) {
			continue
		}
		gs = append(gs, m.mlpGroup(g, weightOf(g[0])/float64(pos)))
	}
	if len(gs) == 0 {
		return Model{}, errors.New("fit: no group has both labels")
	}
	// d loss / d score_i = wt * (npos * softmax_i - label_i)
	softmax := func(gr *mlpGroup, scores []float64) {
		top := math.Inf(-1)
		for _, s := range scores {
			top = math.Max(top, s)
		}
		sum, npos := 0.0, 0.0
		for i := range scores {
			scores[i] = math.Exp(scores[i] - top)
			sum += scores[i]
			npos += b2f(gr.label[i])
		}
		for i := range scores {
			scores[i] = gr.wt * (npos*scores[i]/sum - b2f(gr.label[i]))
		}
	}
	m.trainHidden(gs, cfg, false, softmax)
	return m, nil
}

// FitMLP trains a logistic regression whose log-odds is the linear score of
// Fit plus a hidden layer of tanh units, by full-batch Adam on the
// examples' log loss, starting from the linear solution. It is
// deterministic for a given seed.
func FitMLP(features []string, examples []Example, l2 float64, cfg MLPConfig) (Model, error) {
	if err := cfg.check(); err != nil {
		return Model{}, err
	}
	m, err := Fit(features, examples, l2)
	if err != nil {
		return Model{}, err
	}
	gs := make([]mlpGroup, len(examples))
	for i, e := range examples {
		gs[i] = m.mlpGroup([]Example{e}, weightOf(e))
	}
	// d loss / d logit = wt * (sigmoid(logit) - label)
	logistic := func(gr *mlpGroup, scores []float64) {
		scores[0] = gr.wt * (1/(1+math.Exp(-scores[0])) - b2f(gr.label[0]))
	}
	m.trainHidden(gs, cfg, true, logistic)
	return m, nil
}

func (cfg MLPConfig) check() error {
	if cfg.Hidden < 1 || cfg.Epochs < 1 || !(cfg.Rate > 0) {
		return errors.New("fit: MLP needs hidden units, epochs and a positive rate")
	}
	return nil
}

// mlpGroup is one observation of the loss: standardised features, their
// labels and its weight.
type mlpGroup struct {
	z     [][]float64
	label []bool
	wt    float64
}

func (m *Model) mlpGroup(g []Example, wt float64) mlpGroup {
	gr := mlpGroup{wt: wt}
	for _, e := range g {
		z := make([]float64, len(m.Features))
		m.standardise(e.X, z)
		gr.z = append(gr.z, z)
		gr.label = append(gr.label, e.Label)
	}
	return gr
}

// trainHidden adds a hidden layer of cfg.Hidden tanh units, drawn with
// cfg.Seed, to the fitted linear model m and trains every weight (and the
// bias, when withBias) by full-batch Adam. loss turns a group's scores, in
// place, into the loss's derivatives with respect to them.
func (m *Model) trainHidden(gs []mlpGroup, cfg MLPConfig, withBias bool, loss func(gr *mlpGroup, scores []float64)) {
	n := len(m.Features)
	total := 0.0
	for _, gr := range gs {
		total += gr.wt * float64(max(1, positivesOf(gr.label)))
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	H := cfg.Hidden
	m.Hidden = make([][]float64, H)
	m.HiddenBias = make([]float64, H)
	m.Out = make([]float64, H)
	for h := range m.Hidden {
		m.Hidden[h] = make([]float64, n)
		for i := range m.Hidden[h] {
			m.Hidden[h][i] = rng.NormFloat64() / math.Sqrt(float64(n))
		}
		m.Out[h] = 0.01 * rng.NormFloat64()
		// Biases drawn too: from zero, tanh units are odd functions and
		// a label that is even in a feature (|a| < 1) gives them no gradient.
		m.HiddenBias[h] = rng.NormFloat64()
	}
	bias := []float64{m.Bias}
	// Parameters as one vector: linear weights, hidden weights, hidden
	// biases, outputs, bias.
	params := [][]float64{m.Weights}
	params = append(params, m.Hidden...)
	params = append(params, m.HiddenBias, m.Out, bias)
	grads := make([][]float64, len(params))
	mom := make([][]float64, len(params))
	vel := make([][]float64, len(params))
	for i, p := range params {
		grads[i] = make([]float64, len(p))
		mom[i] = make([]float64, len(p))
		vel[i] = make([]float64, len(p))
	}
	gW, gH, gB, gO, gBias := grads[0], grads[1:1+H], grads[1+H], grads[2+H], grads[3+H]
	const b1, b2, eps = 0.9, 0.999, 1e-8
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		for _, g := range grads {
			clear(g)
		}
		for gi := range gs {
			gr := &gs[gi]
			scores := make([]float64, len(gr.z))
			acts := make([][]float64, len(gr.z))
			for i, z := range gr.z {
				s := bias[0] + dot(m.Weights, z)
				a := make([]float64, H)
				for h, row := range m.Hidden {
					a[h] = math.Tanh(m.HiddenBias[h] + dot(row, z))
					s += m.Out[h] * a[h]
				}
				scores[i], acts[i] = s, a
			}
			loss(gr, scores)
			for i, z := range gr.z {
				d := scores[i] / total
				if d == 0 {
					continue
				}
				act := acts[i]
				gBias[0] += d
				for k, v := range z {
					gW[k] += d * v
				}
				for h := range m.Hidden {
					gO[h] += d * act[h]
					dh := d * m.Out[h] * (1 - act[h]*act[h])
					gB[h] += dh
					row := gH[h]
					for k, v := range z {
						row[k] += dh * v
					}
				}
			}
		}
		if !withBias {
			gBias[0] = 0
		}
		c1 := 1 - math.Pow(b1, float64(epoch))
		c2 := 1 - math.Pow(b2, float64(epoch))
		for i, p := range params {
			for k := range p {
				g := grads[i][k]
				if i < len(params)-1 {
					g += cfg.L2 * p[k]
				}
				mom[i][k] = b1*mom[i][k] + (1-b1)*g
				vel[i][k] = b2*vel[i][k] + (1-b2)*g*g
				p[k] -= cfg.Rate * (mom[i][k] / c1) / (math.Sqrt(vel[i][k]/c2) + eps)
			}
		}
	}
	m.Bias = bias[0]
}

func positivesOf(labels []bool) int {
	n := 0
	for _, l := range labels {
		n += int(b2f(l))
	}
	return n
}
