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
	if cfg.Hidden < 1 || cfg.Epochs < 1 || !(cfg.Rate > 0) {
		return Model{}, errors.New("fit: MLP needs hidden units, epochs and a positive rate")
	}
	m, err := FitRank(features, groups, l2)
	if err != nil {
		return Model{}, err
	}
	n := len(features)
	// The groups that teach: standardised features and labels.
	type group struct {
		z     [][]float64
		label []bool
		wt    float64
	}
	var gs []group
	total := 0.0
	for _, g := range groups {
		pos := positives(g)
		if pos == 0 || pos == len(g) {
			continue
		}
		gr := group{wt: weightOf(g[0]) / float64(pos)}
		for _, e := range g {
			z := make([]float64, n)
			m.standardise(e.X, z)
			gr.z = append(gr.z, z)
			gr.label = append(gr.label, e.Label)
		}
		gs = append(gs, gr)
		total += weightOf(g[0])
	}
	if len(gs) == 0 {
		return Model{}, errors.New("fit: no group has both labels")
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
	}
	// Parameters as one vector: linear weights, hidden weights, hidden
	// biases, outputs.
	params := [][]float64{m.Weights}
	params = append(params, m.Hidden...)
	params = append(params, m.HiddenBias, m.Out)
	grads := make([][]float64, len(params))
	mom := make([][]float64, len(params))
	vel := make([][]float64, len(params))
	for i, p := range params {
		grads[i] = make([]float64, len(p))
		mom[i] = make([]float64, len(p))
		vel[i] = make([]float64, len(p))
	}
	gW, gH, gB, gO := grads[0], grads[1:1+H], grads[1+H], grads[2+H]
	act := make([]float64, H)
	const b1, b2, eps = 0.9, 0.999, 1e-8
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		for _, g := range grads {
			clear(g)
		}
		for _, gr := range gs {
			scores := make([]float64, len(gr.z))
			acts := make([][]float64, len(gr.z))
			top := math.Inf(-1)
			for i, z := range gr.z {
				s := dot(m.Weights, z)
				a := make([]float64, H)
				for h, row := range m.Hidden {
					a[h] = math.Tanh(m.HiddenBias[h] + dot(row, z))
					s += m.Out[h] * a[h]
				}
				scores[i], acts[i] = s, a
				top = math.Max(top, s)
			}
			sum := 0.0
			for i := range scores {
				scores[i] = math.Exp(scores[i] - top)
				sum += scores[i]
			}
			npos := 0.0
			for _, l := range gr.label {
				npos += b2f(l)
			}
			// d loss / d score_i = wt * (npos * softmax_i - label_i)
			for i, z := range gr.z {
				d := gr.wt * (npos*scores[i]/sum - b2f(gr.label[i])) / total
				if d == 0 {
					continue
				}
				copy(act, acts[i])
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
		c1 := 1 - math.Pow(b1, float64(epoch))
		c2 := 1 - math.Pow(b2, float64(epoch))
		for i, p := range params {
			for k := range p {
				g := grads[i][k] + cfg.L2*p[k]
				mom[i][k] = b1*mom[i][k] + (1-b1)*g
				vel[i][k] = b2*vel[i][k] + (1-b2)*g*g
				p[k] -= cfg.Rate * (mom[i][k] / c1) / (math.Sqrt(vel[i][k]/c2) + eps)
			}
		}
	}
	return m, nil
}
