package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ragd/ragd/eval"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
)

// Splits of the public data: the choosing split trains the answer models
// and sets their thresholds; the reporting split is for ragd eval only.
var (
	squadChoose = eval.Span{From: 1, To: 24}
	rtqaChoose  = eval.Span{From: 1, To: 11}
)

// trainConfig holds the flags of ragd train.
type trainConfig struct {
	store   storeConfig
	Bench   string
	Out     string
	Sample  int
	Seed    uint64
	K       int
	L2      float64
	MaxFA   float64
	MinPass float64
}

func (c *trainConfig) register(fs *flagSet) {
	c.store.register(fs)
	fs.StringVar(&c.Bench, "bench", "../shared/bench", "folder of the public benchmarks (squad-v1.1/, realtimeqa/ragd/)")
	fs.StringVar(&c.Out, "out", filepath.Join("qa", "model", "answer.json"), "where to write the models")
	fs.IntVar(&c.Sample, "squad-sample", 1500, "SQuAD questions of articles 1-24 to train on, drawn with --seed (0: all 5,696)")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the SQuAD draw")
	fs.IntVar(&c.K, "k", qa.DefaultK, "passages retrieved per question, as answering does")
	fs.Float64Var(&c.L2, "l2", 1, "L2 penalty of the logistic regressions")
	fs.Float64Var(&c.MaxFA, "max-false-abstention", 0.04, "the evidence threshold is the highest that abstains on at most this share of each set's answerable questions")
	fs.Float64Var(&c.MinPass, "min-relevant", 0.99, "the relevance threshold is the highest that lets at least this share of each set's answerable questions through")
}

// trainSet is one choosing set: its questions and the index they are
// asked of.
type trainSet struct {
	name      string
	questions []eval.Question
	store     *local.Store
	answerer  *qa.Answerer
	weight    float64
}

// judged is one asked question: its judgement and whether it should be
// answered.
type judged struct {
	set        string
	serial     int // the question's number, shared by its variants
	answerable bool
	offTopic   bool
	j          qa.Judgement
	answers    []string
	// answerableX are the answerability features under the trained
	// sentence model; bestHolds reports that its best sentence holds a
	// gold answer.
	answerableX []float64
	bestHolds   bool
}

func runTrain(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "train", "")
	var c trainConfig
	c.register(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: ragd train takes only flags", fs.Arg(0))
	}
	if c.K < 1 || c.K > qa.MaxK {
		return fmt.Errorf("-k %d is outside 1..%d", c.K, qa.MaxK)
	}
	if !(c.L2 > 0) {
		return fmt.Errorf("--l2 %g must be positive", c.L2)
	}
	if err := c.store.validate(); err != nil {
		return err
	}
	squadFile := filepath.Join(c.Bench, "squad-v1.1", "dev-v1.1.json")
	squadCorpus := filepath.Join(c.Bench, "squad-v1.1", "beir", "corpus.jsonl")
	rtqaQuestions := filepath.Join(c.Bench, "realtimeqa", "ragd", "questions.jsonl")
	rtqaCorpus := filepath.Join(c.Bench, "realtimeqa", "ragd", "corpus.jsonl")
	for _, f := range []string{squadFile, squadCorpus, rtqaQuestions, rtqaCorpus} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("--bench: %w", err)
		}
	}
	sq, err := readSpan(squadFile, func(f *os.File) ([]eval.Question, error) { return eval.ReadSQuAD(f, squadChoose) })
	if err != nil {
		return err
	}
	sq = eval.Sample(sq, c.Sample, c.Seed)
	rt, err := readSpan(rtqaQuestions, func(f *os.File) ([]eval.Question, error) {
		qs, err := eval.ReadQuestions(f)
		if err != nil {
			return nil, err
		}
		return eval.Weeks(qs, rtqaChoose)
	})
	if err != nil {
		return err
	}
	emb, err := c.store.newEmbedder()
	if err != nil {
		return err
	}
	untrained := qa.Models{Relevance: qa.Untrained(qa.RelevanceFeatures()), Sentence: qa.Untrained(qa.SentenceFeatures()), Answerable: qa.Untrained(qa.AnswerableFeatures())}
	open := func(name, corpus string, qs []eval.Question, weight float64) (*trainSet, error) {
		st, err := local.Open(ctx, c.store.retrievalConfig("", emb, e))
		if err != nil {
			return nil, err
		}
		if _, err := ingestFiles(ctx, e, st, []string{corpus}); err != nil {
			st.Close()
			return nil, err
		}
		cfg := qa.Config{Retriever: st, Embedder: emb, Models: untrained}
		openWords(&cfg, emb)
		a, err := qa.New(cfg)
		if err != nil {
			st.Close()
			return nil, err
		}
		return &trainSet{name: name, questions: qs, store: st, answerer: a, weight: weight}, nil
	}
	squad, err := open("squad", squadCorpus, sq, 1)
	if err != nil {
		return err
	}
	defer squad.store.Close()
	// RealTime QA has a fifteenth of SQuAD's questions; its examples
	// weigh more so that news counts as much as encyclopaedia text.
	rtqa, err := open("realtimeqa", rtqaCorpus, rt, float64(len(sq))/float64(max(1, len(rt))))
	if err != nil {
		return err
	}
	defer rtqa.store.Close()

	start := time.Now()
	var all []judged
	serial := 0
	for _, set := range []*trainSet{squad, rtqa} {
		other := rtqa
		if set == rtqa {
			other = squad
		}
		for _, q := range set.questions {
			// The question as asked, the same with every document holding
			// its answer excluded, and the question asked of the other
			// corpus, which is about something else entirely.
			j, err := judgeQuestion(ctx, set, q, c.K, nil)
			if err != nil {
				return err
			}
			serial++
			all = append(all, judged{set: set.name, serial: serial, answerable: true, j: j, answers: q.Answers})
			v := eval.UnanswerableVariants([]eval.Question{q})[0]
			j, err = judgeQuestion(ctx, set, v, c.K, v.Withheld)
			if err != nil {
				return err
			}
			all = append(all, judged{set: set.name, serial: serial, j: j, answers: q.Answers})
			off := q
			off.AsOf = time.Time{}
			j, err = judgeQuestion(ctx, other, off, c.K, nil)
			if err != nil {
				return err
			}
			all = append(all, judged{set: set.name, serial: serial, offTopic: true, j: j, answers: q.Answers})
		}
	}
	fmt.Fprintf(e.stderr, "judged %d questions in %s\n", len(all), time.Since(start).Round(time.Second))

	weightOf := map[string]float64{squad.name: squad.weight, rtqa.name: rtqa.weight}
	var relEx []qa.Example
	var groups [][]qa.Example
	for _, x := range all {
		relEx = append(relEx, qa.Example{X: x.j.Relevance, Label: !x.offTopic, Weight: weightOf[x.set]})
		if !x.answerable {
			continue
		}
		var g []qa.Example
		for _, cand := range x.j.Candidates {
			g = append(g, qa.Example{X: cand.Features, Label: eval.AnswerMatches(cand.Text, x.answers), Weight: weightOf[x.set]})
		}
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	var models qa.Models
	if models.Relevance, err = qa.Fit(qa.RelevanceFeatures(), relEx, c.L2); err != nil {
		return fmt.Errorf("relevance model: %w", err)
	}
	// The sentence ranker's family, linear or with a hidden layer, is the
	// one that ranks a sentence holding the answer first more often on a
	// fifth of the choosing questions held out of its fit.
	var fitGroups, heldGroups [][]qa.Example
	for i, g := range groups {
		if i%5 == 4 {
			heldGroups = append(heldGroups, g)
		} else {
			fitGroups = append(fitGroups, g)
		}
	}
	fitRanker := func(hidden, whole bool) (qa.Model, error) {
		gs := fitGroups
		if whole {
			gs = groups
		}
		if hidden {
			return qa.FitRankMLP(qa.SentenceFeatures(), gs, c.L2, qa.DefaultMLP)
		}
		return qa.FitRank(qa.SentenceFeatures(), gs, c.L2)
	}
	var linearTop, mlpTop float64
	models.Sentence, linearTop, mlpTop, err = chooseFamily(fitRanker, func(m *qa.Model) float64 { return topOne(m, heldGroups) })
	if err != nil {
		return fmt.Errorf("sentence model: %w", err)
	}
	fmt.Fprintf(e.stderr, "sentence ranker on the held-out fifth: linear %.4f, hidden layer %.4f\n", linearTop, mlpTop)
	models.Sentence.Training.Figures = map[string]float64{
		"held-out fifth: sentence holding the answer ranked first, linear":       linearTop,
		"held-out fifth: sentence holding the answer ranked first, hidden layer": mlpTop,
	}
	// The answerability model learns, from the sentence the ranking puts
	// first, to tell a question it answers from the same question asked
	// without the documents holding its answer.
	var ansEx, ansFit []qa.Example
	var ansHeld []judged
	for i := range all {
		x := &all[i]
		if x.offTopic {
			continue
		}
		feats := make([][]float64, len(x.j.Candidates))
		for k, cand := range x.j.Candidates {
			feats[k] = cand.Features
		}
		v, best := models.AnswerableFeatures(x.j.Relevance, feats)
		x.answerableX, x.bestHolds = v, best >= 0 && eval.AnswerMatches(x.j.Candidates[best].Text, x.answers)
		if best < 0 {
			continue // nothing to learn: no sentence
		}
		ex := qa.Example{X: v, Label: x.answerable, Weight: weightOf[x.set]}
		ansEx = append(ansEx, ex)
		if x.serial%5 == 4 {
			ansHeld = append(ansHeld, *x)
		} else {
			ansFit = append(ansFit, ex)
		}
	}
	// Its family too is the one that abstains on more of the held-out
	// fifth's variants at the false abstention the threshold allows.
	fitAnswerable := func(hidden, whole bool) (qa.Model, error) {
		ex := ansFit
		if whole {
			ex = ansEx
		}
		if hidden {
			return qa.FitMLP(qa.AnswerableFeatures(), ex, c.L2, qa.DefaultMLP)
		}
		return qa.Fit(qa.AnswerableFeatures(), ex, c.L2)
	}
	sets := []string{squad.name, rtqa.name}
	var linearRecall, mlpRecall float64
	models.Answerable, linearRecall, mlpRecall, err = chooseFamily(fitAnswerable, func(m *qa.Model) float64 { return variantRecall(m, ansHeld, sets, c.MaxFA) })
	if err != nil {
		return fmt.Errorf("answerable model: %w", err)
	}
	fmt.Fprintf(e.stderr, "answerability on the held-out fifth, variant abstention recall at %.0f%% false abstention: linear %.4f, hidden layer %.4f\n", c.MaxFA*100, linearRecall, mlpRecall)
	figures := chooseThresholds(&models, all, sets, c.MinPass, c.MaxFA)
	figures[fmt.Sprintf("held-out fifth: variant abstention recall at %.0f%% false abstention, linear", c.MaxFA*100)] = linearRecall
	figures[fmt.Sprintf("held-out fifth: variant abstention recall at %.0f%% false abstention, hidden layer", c.MaxFA*100)] = mlpRecall
	data := []string{
		fmt.Sprintf("SQuAD v1.1 dev (squad-v1.1/dev-v1.1.json), articles %s, %d questions drawn with seed %d, over the BEIR corpus of all 2,067 paragraphs", squadChoose, len(sq), c.Seed),
		fmt.Sprintf("RealTime QA (realtimeqa/ragd), weeks %s, %d questions, over its corpus of %d articles, asked as of each question's date", rtqaChoose, len(rt), mustLen(rtqa.store)),
		"each question as asked (answerable), again with every document holding a gold answer excluded (near-topic unanswerable), and asked of the other corpus (off-topic)",
	}
	for _, m := range []*qa.Model{&models.Relevance, &models.Sentence, &models.Answerable} {
		m.Training = qa.TrainingInfo{Data: data, Split: fmt.Sprintf("choosing: SQuAD articles %s, RealTime QA weeks %s", squadChoose, rtqaChoose), Seed: int64(c.Seed), L2: c.L2, Figures: m.Training.Figures}
	}
	models.Relevance.Training.Examples, models.Relevance.Training.Positives = len(relEx), positives(relEx)
	var sentEx []qa.Example
	for _, g := range groups {
		sentEx = append(sentEx, g...)
	}
	models.Sentence.Training.Examples, models.Sentence.Training.Positives = len(sentEx), positives(sentEx)
	models.Answerable.Training.Examples, models.Answerable.Training.Positives = len(ansEx), positives(ansEx)
	models.Answerable.Training.Figures = figures
	out, err := json.MarshalIndent(models, "", " ")
	if err != nil {
		return err
	}
	if _, err := qa.ParseModels(out); err != nil {
		return err
	}
	if err := os.WriteFile(c.Out, append(out, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: relevance threshold %.4f, evidence threshold %.4f\n", c.Out, models.Relevance.Threshold, models.Answerable.Threshold)
	keys := make([]string, 0, len(figures))
	for k := range figures {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(e.stdout, "  %-40s %.4f\n", k, figures[k])
	}
	return nil
}

// chooseFamily fits a model's two families, linear and with a hidden
// layer, with fit on the four fifths of the choosing questions (whole
// false), scores each with score on the held-out fifth, and refits the
// better on all of them (whole true). It returns that model and both
// scores.
func chooseFamily(fit func(hidden, whole bool) (qa.Model, error), score func(*qa.Model) float64) (m qa.Model, linear, hidden float64, err error) {
	lin, err := fit(false, false)
	if err != nil {
		return qa.Model{}, 0, 0, err
	}
	mlp, err := fit(true, false)
	if err != nil {
		return qa.Model{}, 0, 0, err
	}
	linear, hidden = score(&lin), score(&mlp)
	m, err = fit(hidden > linear, true)
	return m, linear, hidden, err
}

// variantRecall is the mean over sets of the share of near-topic variants
// among xs that m abstains on, at the highest threshold that abstains on
// at most maxFA of the set's answerable questions.
func variantRecall(m *qa.Model, xs []judged, sets []string, maxFA float64) float64 {
	sum := 0.0
	for _, s := range sets {
		var ans, variants []float64
		for _, x := range xs {
			switch {
			case x.set != s || x.offTopic:
			case x.answerable:
				ans = append(ans, m.Prob(x.answerableX))
			default:
				variants = append(variants, m.Prob(x.answerableX))
			}
		}
		if len(ans) == 0 || len(variants) == 0 {
			continue
		}
		slices.Sort(ans)
		t := ans[min(int(math.Floor(maxFA*float64(len(ans)))), len(ans)-1)]
		refused := 0
		for _, p := range variants {
			refused += b2i(p < t)
		}
		sum += float64(refused) / float64(len(variants))
	}
	return sum / float64(len(sets))
}

// topOne is the weighted share of groups with a labelled example whose
// best-scored example is labelled.
func topOne(m *qa.Model, groups [][]qa.Example) float64 {
	hit, n := 0.0, 0.0
	for _, g := range groups {
		if positives(g) == 0 {
			continue
		}
		best := 0
		for i := range g {
			if m.Logit(g[i].X) > m.Logit(g[best].X) {
				best = i
			}
		}
		w := g[0].Weight
		n += w
		if g[best].Label {
			hit += w
		}
	}
	if n == 0 {
		return 0
	}
	return hit / n
}

func mustLen(st *local.Store) int {
	docs, _ := st.Len()
	return docs
}

func positives(ex []qa.Example) int {
	n := 0
	for _, x := range ex {
		if x.Label {
			n++
		}
	}
	return n
}

// readSpan opens path and reads questions from it with read.
func readSpan(path string, read func(*os.File) ([]eval.Question, error)) ([]eval.Question, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	qs, err := read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("%s: no questions in the choosing split", path)
	}
	return qs, nil
}

// judgeQuestion retrieves passages for q as evaluation asks it (as of its
// date, without its excluded documents) and judges them. With withheld
// answers, documents of retrieved passages holding one are excluded and
// the question asked again, as eval.ExcludingAnswers does.
func judgeQuestion(ctx context.Context, set *trainSet, q eval.Question, k int, withheld []string) (qa.Judgement, error) {
	filter := retrieval.Filter{ExcludeDocIDs: slices.Clone(q.Exclude)}
	if !q.AsOf.IsZero() {
		filter.To = q.AsOf.Add(24*time.Hour - time.Nanosecond)
	}
	for round := 0; ; round++ {
		hits, err := set.store.Search(ctx, retrieval.SearchRequest{Query: q.Text, K: k, Filter: filter})
		if err != nil {
			return qa.Judgement{}, fmt.Errorf("question %s: %w", q.ID, err)
		}
		more := false
		for _, h := range hits {
			if len(withheld) > 0 && eval.AnswerMatches(h.Text, withheld) && !slices.Contains(filter.ExcludeDocIDs, h.DocID) {
				filter.ExcludeDocIDs = append(filter.ExcludeDocIDs, h.DocID)
				more = true
			}
		}
		if more && round < 4 {
			continue
		}
		j, err := set.answerer.Judge(ctx, q.Text, hits)
		if err != nil {
			return qa.Judgement{}, fmt.Errorf("question %s: %w", q.ID, err)
		}
		return j, nil
	}
}

// chooseThresholds sets the relevance threshold to the highest that lets
// minPass of each set's answerable questions through, then the evidence
// threshold to the highest that abstains on at most maxFA of each set's
// answerable questions, and returns the figures both reach on the
// choosing split.
func chooseThresholds(m *qa.Models, all []judged, sets []string, minPass, maxFA float64) map[string]float64 {
	relOf := func(x judged) float64 { return m.Relevance.Prob(x.j.Relevance) }
	evOf := func(x judged) float64 {
		if x.answerableX == nil {
			return 0
		}
		return m.Answerable.Prob(x.answerableX)
	}
	m.Relevance.Threshold = 1
	for _, s := range sets {
		var ps []float64
		for _, x := range all {
			if x.set == s && x.answerable {
				ps = append(ps, relOf(x))
			}
		}
		slices.Sort(ps)
		i := int(math.Floor(float64(len(ps)) * (1 - minPass)))
		m.Relevance.Threshold = math.Min(m.Relevance.Threshold, ps[min(i, len(ps)-1)])
	}
	m.Relevance.Threshold = math.Max(0, m.Relevance.Threshold-1e-9)
	evThreshold := func(maxFA float64) float64 {
		t := 1.0
		for _, s := range sets {
			var ps []float64
			n := 0
			for _, x := range all {
				if x.set == s && x.answerable {
					n++
					if relOf(x) >= m.Relevance.Threshold {
						ps = append(ps, evOf(x))
					}
				}
			}
			slices.Sort(ps)
			allowed := max(0, int(math.Floor(maxFA*float64(n)))-(n-len(ps)))
			t = math.Min(t, ps[min(allowed, len(ps)-1)])
		}
		return math.Max(0, t-1e-9)
	}
	m.Answerable.Threshold = evThreshold(maxFA)
	figures := map[string]float64{}
	// The trade-off beyond the chosen point: abstention recall on the
	// variants were more false abstention allowed.
	for _, fa := range []float64{0.10, 0.20} {
		t := evThreshold(fa)
		for _, s := range sets {
			n, refused := 0, 0
			for _, x := range all {
				if x.set == s && !x.answerable && !x.offTopic {
					n++
					refused += b2i(relOf(x) < m.Relevance.Threshold || evOf(x) < t)
				}
			}
			figures[fmt.Sprintf("%s variant abstention recall at %.0f%% false abstention", s, fa*100)] = float64(refused) / float64(n)
		}
	}
	for _, s := range sets {
		var ans, ansAbst, top1, variant, variantAbst, off, offRefused int
		for _, x := range all {
			if x.set != s {
				continue
			}
			rel := relOf(x) >= m.Relevance.Threshold
			abstained := !rel || evOf(x) < m.Answerable.Threshold
			switch {
			case x.offTopic:
				off++
				offRefused += b2i(!rel)
			case x.answerable:
				ans++
				ansAbst += b2i(abstained)
				top1 += b2i(x.bestHolds && !abstained)
			default:
				variant++
				variantAbst += b2i(abstained)
			}
		}
		figures[s+" best sentence holds the answer"] = float64(top1) / float64(ans)
		figures[s+" false abstention"] = float64(ansAbst) / float64(ans)
		figures[s+" variant abstention recall"] = float64(variantAbst) / float64(variant)
		figures[s+" off-topic refused"] = float64(offRefused) / float64(off)
	}
	return figures
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
