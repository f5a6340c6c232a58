package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ragd/ragd/eval"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/weaviate"
)

// evalConfig holds the flags of ragd eval.
type evalConfig struct {
	store      storeConfig
	Questions  string
	BEIR       string
	Server     string
	K          int
	JSON       bool
	Mode       string
	Weight     float64
	MaxQueries int
	Compare    string
	Split      string
	AsOf       bool
	Timeout    time.Duration
	MinHit3    float64
	MinAcc     float64
	MinRecall  float64
	MaxFalseAb float64
	Variant    bool
	Articles   string
	Weeks      string
	Sample     int
	Seed       uint64
	// set holds the names of the flags given on the command line.
	set map[string]bool
	// answer holds the answering flags of --questions.
	answer answerConfig
	// llm holds the language model flags of --questions.
	llm llmConfig
}

func (c *evalConfig) register(fs *flagSet) {
	c.store.register(fs)
	c.store.registerChunk(fs)
	c.store.registerRank(fs)
	c.answer.register(fs)
	c.llm.register(fs)
	fs.StringVar(&c.Questions, "questions", "", "question set to answer: JSONL of {id, question, answers, sources}")
	fs.StringVar(&c.BEIR, "beir", "", "BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) to ingest and search; the corpus goes into a temporary in-memory index unless --data is on the command line")
	fs.StringVar(&c.Server, "server", "", "with --questions: ask the ragd server at this URL instead of the index in --data")
	fs.IntVar(&c.K, "k", qa.DefaultK, "with --questions: passages to retrieve per question (1-50)")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.StringVar(&c.Mode, "mode", string(retrieval.Hybrid), "with --beir: ranking: hybrid, lexical or dense")
	fs.Float64Var(&c.Weight, "dense-weight", retrieval.DefaultDenseWeight, "with --beir: weight of the dense score in convex fusion, in (0, 1]")
	fs.BoolVar(&c.AsOf, "as-of", true, "with --questions: a question with a \"date\" is asked as of that day: it searches only documents published by then, and recency counts from then (--as-of=false ignores dates)")
	fs.StringVar(&c.Split, "split", "test", "with --beir: the judgements to score, qrels/SPLIT.tsv (test, train, dev)")
	fs.IntVar(&c.MaxQueries, "max-queries", 0, "with --beir: evaluate only the first N judged queries (0: all)")
	fs.StringVar(&c.Compare, "compare", "", "with --beir: an earlier run's --json report `FILE` to compare with, query by query (paired difference of nDCG@10 and its standard error)")
	fs.DurationVar(&c.Timeout, "timeout", 2*time.Minute, "with --questions: limit on one question")
	fs.Float64Var(&c.MinHit3, "min-hit3", 0, "with --questions: fail when source hit@3 is below this (0-1)")
	fs.Float64Var(&c.MinAcc, "min-answer-accuracy", 0, "with --questions: fail when answer accuracy is below this (0-1)")
	fs.Float64Var(&c.MinRecall, "min-abstention-recall", 0, "with --questions: fail when abstention recall is below this (0-1)")
	fs.Float64Var(&c.MaxFalseAb, "max-false-abstention", 1, "with --questions: fail when the share of answerable questions refused is above this (0-1)")
	fs.StringVar(&c.Articles, "articles", "", "with --questions naming a SQuAD v1.1 JSON file: only these articles, counted from 1 in file order (e.g. 25-48)")
	fs.StringVar(&c.Weeks, "weeks", "", "with --questions: only the questions of these weeks, counted from 1 in date order of the WEEK_N question ids (e.g. 12-22 of RealTime QA)")
	fs.IntVar(&c.Sample, "sample", 0, "with --questions: answer only N questions drawn at random with --seed (0: all)")
	fs.Uint64Var(&c.Seed, "seed", 1, "with --sample: the seed of the draw")
	fs.BoolVar(&c.Variant, "unanswerable-variant", false, "with --questions: ask every answerable question a second time with the documents holding its answer excluded (its sources, then any retrieved document holding a gold answer), as an unanswerable question")
}

// validate checks the eval flags, naming the bad one. Flags that do not apply
// to the chosen evaluation are refused when given on the command line.
func (c *evalConfig) validate() error {
	if err := c.answer.validate(); err != nil {
		return err
	}
	switch {
	case c.Questions == "" && c.BEIR == "":
		return errors.New("nothing to evaluate: give --questions FILE or --beir DIR")
	case c.Questions != "" && c.BEIR != "":
		return errors.New("--questions and --beir cannot be combined: run them one at a time")
	}
	only := map[string]string{
		"server": "questions", "k": "questions", "timeout": "questions", "as-of": "questions",
		"min-hit3": "questions", "min-answer-accuracy": "questions", "min-abstention-recall": "questions",
		"max-false-abstention": "questions", "unanswerable-variant": "questions",
		"articles": "questions", "weeks": "questions", "sample": "questions", "seed": "questions",
		"llm-url": "questions", "llm-model": "questions",
		"mode": "beir", "dense-weight": "beir", "max-queries": "beir", "compare": "beir", "split": "beir",
	}
	for name, mode := range only {
		if c.set[name] && ((mode == "questions") != (c.Questions != "")) {
			return fmt.Errorf("--%s applies only with --%s", name, mode)
		}
	}
	if c.Server != "" {
		if c.set["data"] {
			return errors.New("--server and --data cannot be combined: the server answers from its own index")
		}
		if c.set["llm-url"] {
			return errors.New("--server and --llm-url cannot be combined: the server answers with its own model")
		}
		if u, err := url.Parse(c.Server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--server %q is not an http or https URL", c.Server)
		}
	}
	if c.K < 1 || c.K > qa.MaxK {
		return fmt.Errorf("-k %d is outside 1..%d", c.K, qa.MaxK)
	}
	if _, err := retrieval.ParseMode(c.Mode); err != nil {
		return fmt.Errorf("--mode: %v", err)
	}
	// The ranges are written so that NaN, which every comparison
	// fails, is outside them too.
	if !(c.Weight > 0 && c.Weight <= 1) {
		return fmt.Errorf("--dense-weight %g is outside (0, 1]: use --mode lexical for no dense score", c.Weight)
	}
	if c.Split == "" || strings.ContainsAny(c.Split, `/\.`) {
		return fmt.Errorf("--split %q must be a plain name such as test or train", c.Split)
	}
	if c.MaxQueries < 0 {
		return fmt.Errorf("--max-queries %d is negative", c.MaxQueries)
	}
	for name, v := range map[string]string{"articles": c.Articles, "weeks": c.Weeks} {
		if _, err := eval.ParseSpan(v); v != "" && err != nil {
			return fmt.Errorf("--%s: %v", name, err)
		}
	}
	if c.Sample < 0 {
		return fmt.Errorf("--sample %d is negative", c.Sample)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--timeout %s must be positive", c.Timeout)
	}
	for name, v := range map[string]float64{"min-hit3": c.MinHit3, "min-answer-accuracy": c.MinAcc, "min-abstention-recall": c.MinRecall, "max-false-abstention": c.MaxFalseAb} {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("--%s %g is outside 0..1", name, v)
		}
	}
	return nil
}

func runEval(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "eval", "(--questions FILE | --beir DIR)")
	var c evalConfig
	c.register(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: ragd eval takes --questions FILE or --beir DIR", fs.Arg(0))
	}
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if err := c.validate(); err != nil {
		return usage(err)
	}
	if c.BEIR != "" {
		return evalBEIR(ctx, e, &c)
	}
	return evalQuestions(ctx, e, &c)
}

// evalQuestions answers a question set in process or over HTTP, prints the
// report and checks the gates.
func evalQuestions(ctx context.Context, e *env, c *evalConfig) error {
	questions, err := readQuestionSet(c)
	if err != nil {
		return err
	}
	if len(questions) == 0 {
		return fmt.Errorf("%s holds no questions", c.Questions)
	}
	var ask eval.AskFunc
	if c.Server != "" {
		ask = eval.Remote(&http.Client{}, c.Server, c.K)
	} else {
		c.store.existing = true
		st, answerer, err := openAnswerer(ctx, e, &c.store, &c.answer, &c.llm)
		if err != nil {
			return err
		}
		defer st.Close()
		stats, err := st.Stats(ctx)
		if err != nil {
			return err
		}
		if stats.Documents == 0 {
			return fmt.Errorf("the index in %s is empty: ingest the corpus first", c.store.Data)
		}
		unknown, err := eval.UnknownSources(ctx, st, questions)
		if err != nil {
			return err
		}
		if len(unknown) > 0 {
			fmt.Fprintf(e.stderr, "warning: %d source documents of %s are not in the index in %s; they count as misses: %s\n",
				len(unknown), c.Questions, c.store.Data, listIDs(unknown, 10))
		}
		ask = eval.Local(answerer, c.K)
	}
	if !c.AsOf {
		for i := range questions {
			questions[i].AsOf = time.Time{}
		}
	}
	if c.Variant {
		variants := eval.UnanswerableVariants(questions)
		if len(variants) == 0 {
			return fmt.Errorf("--unanswerable-variant: %s has no answerable question", c.Questions)
		}
		questions = append(questions, variants...)
		ask = eval.ExcludingAnswers(ask)
	}
	timed := func(ctx context.Context, q eval.Question) (eval.Reply, error) {
		ctx, cancel := context.WithTimeout(ctx, c.Timeout)
		defer cancel()
		return ask(ctx, q)
	}
	rep, err := eval.RunQuestions(ctx, questions, timed)
	if err != nil {
		return err
	}
	if c.JSON {
		if err := writeJSON(e.stdout, questionReportJSON(rep)); err != nil {
			return err
		}
	} else {
		printQuestionReport(e.stdout, rep)
	}
	return checkGates(rep.Summary, c)
}

// readQuestionSet reads the questions of --questions, a JSONL question set
// or a SQuAD v1.1 JSON file, and keeps those of --articles, --weeks and
// --sample.
func readQuestionSet(c *evalConfig) ([]eval.Question, error) {
	data, err := os.ReadFile(c.Questions)
	if err != nil {
		return nil, err
	}
	var questions []eval.Question
	if eval.IsSQuAD(data) {
		span := eval.Span{From: 1, To: math.MaxInt}
		if c.Articles != "" {
			span, _ = eval.ParseSpan(c.Articles)
		}
		questions, err = eval.ReadSQuAD(bytes.NewReader(data), span)
	} else {
		if c.Articles != "" {
			return nil, fmt.Errorf("--articles applies to a SQuAD JSON file, and %s is not one", c.Questions)
		}
		questions, err = eval.ReadQuestions(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Questions, err)
	}
	if c.Weeks != "" {
		span, _ := eval.ParseSpan(c.Weeks)
		if questions, err = eval.Weeks(questions, span); err != nil {
			return nil, fmt.Errorf("--weeks: %s: %w", c.Questions, err)
		}
	}
	return eval.Sample(questions, c.Sample, c.Seed), nil
}

// checkGates returns an error naming every missed gate and its figure, and
// every gate on a figure that the set gives nothing to measure (NaN): such
// a gate fails, as it cannot tell that the quality holds.
func checkGates(s eval.QuestionSummary, c *evalConfig) error {
	var unmeasured, missed []string
	gate := func(metric, flagName, what string, got, min float64) {
		switch {
		case min <= 0:
		case math.IsNaN(got):
			unmeasured = append(unmeasured, fmt.Sprintf("--%s: no %s to measure %s", flagName, what, metric))
		case got < min:
			missed = append(missed, fmt.Sprintf("%s %.4f is below --%s %g", metric, got, flagName, min))
		}
	}
	gate("hit@3", "min-hit3", "question with sources", s.Hit3, c.MinHit3)
	gate("answer accuracy", "min-answer-accuracy", "question with answers", s.AnswerAccuracy, c.MinAcc)
	gate("abstention recall", "min-abstention-recall", "unanswerable question", s.AbstentionRecall, c.MinRecall)
	switch {
	case c.MaxFalseAb >= 1:
	case math.IsNaN(s.FalseAbstention):
		unmeasured = append(unmeasured, "--max-false-abstention: no answerable question to measure false abstention")
	case s.FalseAbstention > c.MaxFalseAb:
		missed = append(missed, fmt.Sprintf("false abstention %.4f is above --max-false-abstention %g", s.FalseAbstention, c.MaxFalseAb))
	}
	if len(missed) > 0 {
		unmeasured = append(unmeasured, "quality gate missed: "+strings.Join(missed, "; "))
	}
	if len(unmeasured) > 0 {
		return errors.New(strings.Join(unmeasured, "; "))
	}
	return nil
}

// listIDs joins the first n of ids, saying how many more there are.
func listIDs(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:n], ", "), len(ids)-n)
}

// questionSummaryJSON is the summary of `ragd eval --questions --json`. A
// figure with nothing to measure is null (see eval.QuestionSummary).
type questionSummaryJSON struct {
	Questions           int      `json:"questions"`
	Answerable          int      `json:"answerable"`
	Hit1                *float64 `json:"hit@1"`
	Hit3                *float64 `json:"hit@3"`
	Hit5                *float64 `json:"hit@5"`
	MRR                 *float64 `json:"mrr"`
	AnswerAccuracy      *float64 `json:"answer_accuracy"`
	AnswerHit1          *float64 `json:"answer_hit@1"`
	AnswerHit5          *float64 `json:"answer_hit@5"`
	AbstentionPrecision *float64 `json:"abstention_precision"`
	AbstentionRecall    *float64 `json:"abstention_recall"`
	FalseAbstention     *float64 `json:"false_abstention"`
	SentToModel         *float64 `json:"sent_to_model"`
	Verified            *float64 `json:"verified"`
	P50                 float64  `json:"p50_ms"`
	P95                 float64  `json:"p95_ms"`
}

// questionResultJSON is one question of `ragd eval --questions --json`.
type questionResultJSON struct {
	ID         string  `json:"id"`
	Question   string  `json:"question"`
	Answerable bool    `json:"answerable"`
	HitRank    int     `json:"hit_rank"`
	AnswerRank int     `json:"answer_rank"`
	Correct    bool    `json:"correct"`
	Abstained  bool    `json:"abstained"`
	Evidence   float64 `json:"evidence"`
	Generated  bool    `json:"generated"`
	Verified   bool    `json:"verified"`
	MS         float64 `json:"ms"`
	Answer     string  `json:"answer"`
}

type questionReportJSONBody struct {
	Summary   questionSummaryJSON  `json:"summary"`
	Questions []questionResultJSON `json:"questions"`
}

func questionReportJSON(rep eval.QuestionReport) questionReportJSONBody {
	s := rep.Summary
	out := questionReportJSONBody{
		Summary: questionSummaryJSON{
			Questions: s.Questions, Answerable: s.Answerable,
			Hit1: figureJSON(s.Hit1), Hit3: figureJSON(s.Hit3), Hit5: figureJSON(s.Hit5), MRR: figureJSON(s.MRR),
			AnswerAccuracy: figureJSON(s.AnswerAccuracy),
			AnswerHit1:     figureJSON(s.AnswerHit1), AnswerHit5: figureJSON(s.AnswerHit5),
			AbstentionPrecision: figureJSON(s.AbstentionPrecision), AbstentionRecall: figureJSON(s.AbstentionRecall),
			FalseAbstention: figureJSON(s.FalseAbstention),
			SentToModel:     figureJSON(s.SentToModel), Verified: figureJSON(s.Verified),
			P50: millis(s.P50), P95: millis(s.P95),
		},
		Questions: make([]questionResultJSON, len(rep.Results)),
	}
	for i, r := range rep.Results {
		out.Questions[i] = questionResultJSON{
			ID: r.Question.ID, Question: r.Question.Text, Answerable: !r.Question.Unanswerable(),
			HitRank: r.HitRank, AnswerRank: r.AnswerRank, Correct: r.Correct, Abstained: r.Reply.Abstained, Evidence: round4(r.Reply.Evidence),
			Generated: r.Reply.Generated, Verified: r.Reply.Verified,
			MS: millis(r.Latency), Answer: r.Reply.Text,
		}
	}
	return out
}

// figureJSON rounds a summary figure to four decimals, or is nil (null)
// when the figure is NaN: nothing to measure.
func figureJSON(f float64) *float64 {
	if math.IsNaN(f) {
		return nil
	}
	r := round4(f)
	return &r
}

// figure formats a summary figure with three decimals, or as n/a when it is
// NaN: nothing to measure.
func figure(f float64) string {
	if math.IsNaN(f) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", f)
}

func printQuestionReport(w io.Writer, rep eval.QuestionReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHIT\tANSWER IN\tCORRECT\tABSTAINED\tMS\tQUESTION")
	for _, r := range rep.Results {
		q := r.Question
		hit, in, correct := "-", "-", "-"
		if len(q.Sources) > 0 {
			hit = "miss"
			if r.HitRank > 0 {
				hit = strconv.Itoa(r.HitRank)
			}
		}
		if len(q.Answers) > 0 {
			correct = yesNo(r.Correct)
			in = "none"
			if r.AnswerRank > 0 {
				in = strconv.Itoa(r.AnswerRank)
			}
		}
		abst := yesNo(r.Reply.Abstained)
		if q.Unanswerable() {
			abst += " (should)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.0f\t%s\n", q.ID, hit, in, correct, abst, millis(r.Latency), excerpt(q.Text, 60))
	}
	tw.Flush()
	s := rep.Summary
	fmt.Fprintf(w, "\nquestions %d (answerable %d)\n", s.Questions, s.Answerable)
	fmt.Fprintf(w, "sources:    hit@1 %s  hit@3 %s  hit@5 %s  MRR %s\n", figure(s.Hit1), figure(s.Hit3), figure(s.Hit5), figure(s.MRR))
	fmt.Fprintf(w, "answers:    accuracy %s  in passage 1 %s  in passages 1-5 %s\n", figure(s.AnswerAccuracy), figure(s.AnswerHit1), figure(s.AnswerHit5))
	fmt.Fprintf(w, "abstention: precision %s  recall %s  false abstention %s\n", figure(s.AbstentionPrecision), figure(s.AbstentionRecall), figure(s.FalseAbstention))
	if !math.IsNaN(s.SentToModel) {
		fmt.Fprintf(w, "model:      sent %s of the answerable  verified %s of its answers\n", figure(s.SentToModel), figure(s.Verified))
	}
	fmt.Fprintf(w, "latency:    p50 %.1f ms  p95 %.1f ms\n", millis(s.P50), millis(s.P95))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// evalBEIR ingests a BEIR corpus, searches its judged queries and prints
// the retrieval metrics.
func evalBEIR(ctx context.Context, e *env, c *evalConfig) error {
	var baseline map[string]float64
	if c.Compare != "" {
		// Read first, so that a bad file fails before the corpus is ingested.
		var err error
		if baseline, err = readBEIRRun(c.Compare); err != nil {
			return err
		}
	}
	queries, qrels, err := readBEIR(c.BEIR, c.Split)
	if err != nil {
		return err
	}
	corpus := filepath.Join(c.BEIR, "corpus.jsonl")
	if _, err := os.Stat(corpus); err != nil {
		return fmt.Errorf("read BEIR corpus: %w", err)
	}
	st, err := c.openBEIRStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := ingestFiles(ctx, e, st, []string{corpus})
	if err != nil {
		return err
	}
	mode, _ := retrieval.ParseMode(c.Mode)
	fusion, _ := retrieval.ParseFusion(c.store.Fusion)
	rep, err := eval.RunRetrieval(ctx, st, queries, qrels, eval.RetrievalOptions{
		Mode: mode, Fusion: fusion, DenseWeight: c.Weight, MaxQueries: c.MaxQueries,
	})
	if err != nil {
		return err
	}
	if rep.Summary.Queries == 0 {
		return fmt.Errorf("%s: no query of queries.jsonl has a relevant document in qrels/%s.tsv", c.BEIR, c.Split)
	}
	absent, err := eval.MissingJudged(ctx, st, qrels, rep)
	if err != nil {
		return err
	}
	if len(absent) > 0 {
		fmt.Fprintf(e.stderr, "warning: %d judged documents are not in the corpus; they count as misses\n", len(absent))
	}
	s := rep.Summary
	var diff *eval.PairedDiff
	if baseline != nil {
		this := make(map[string]float64, len(rep.Results))
		for _, r := range rep.Results {
			this[r.Query.ID] = r.NDCG10
		}
		if d := eval.Paired(this, baseline); d.Queries > 0 {
			diff = &d
		}
	}
	if c.JSON {
		out := beirReportJSON{
			Summary: beirSummaryJSON{
				Queries: s.Queries, NDCG10: round4(s.NDCG10), NDCG10SE: round4(s.NDCG10SE),
				Recall100: round4(s.Recall100), MRR10: round4(s.MRR10),
				Ingest: round2(sum.elapsed.Seconds()), Search: round2(s.Search.Seconds()),
			},
			Queries: make([]beirQueryJSON, len(rep.Results)),
		}
		if diff != nil {
			out.Summary.Compare = &beirCompareJSON{
				Queries: diff.Queries, NDCG10Diff: round4(diff.Mean), NDCG10DiffSE: round4(diff.SE),
				Better: diff.Better, Worse: diff.Worse,
			}
		}
		for i, r := range rep.Results {
			// Unrounded, so that a later --compare pairs exact scores.
			out.Queries[i] = beirQueryJSON{ID: r.Query.ID, NDCG10: r.NDCG10, Recall100: r.Recall100, MRR10: r.MRR10, Docs: r.Docs[:min(eval.NDCGDepth, len(r.Docs))]}
		}
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
		return noOverlap(c.Compare, baseline, diff)
	}
	fmt.Fprintf(e.stdout, "queries %d  nDCG@10 %.4f (SE %.4f)  recall@100 %.4f  MRR@10 %.4f\n", s.Queries, s.NDCG10, s.NDCG10SE, s.Recall100, s.MRR10)
	fmt.Fprintf(e.stdout, "mode %s  fusion %s  documents per query %.1f  ingest %.1fs  search %.1fs (%.1f ms/query)\n",
		mode, fusionName(fusion, mode), s.MeanDocs, sum.elapsed.Seconds(), s.Search.Seconds(), millis(s.Search)/float64(s.Queries))
	if diff != nil {
		fmt.Fprintf(e.stdout, "against %s: nDCG@10 %+.4f (paired SE %.4f) over %d queries in both; better on %d, worse on %d\n",
			c.Compare, diff.Mean, diff.SE, diff.Queries, diff.Better, diff.Worse)
	}
	return noOverlap(c.Compare, baseline, diff)
}

// noOverlap is the error of a --compare run that shares no query with this
// one, reported after this run's report, which stays usable.
func noOverlap(path string, baseline map[string]float64, diff *eval.PairedDiff) error {
	if baseline != nil && diff == nil {
		return fmt.Errorf("--compare %s: no query in common with this run (another split or data set?); nothing compared", path)
	}
	return nil
}

// readBEIRRun reads the per-query nDCG@10 of an earlier
// `ragd eval --beir --json` report.
func readBEIRRun(path string) (map[string]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--compare: %w", err)
	}
	var run struct {
		Queries []struct {
			ID     *string  `json:"id"`
			NDCG10 *float64 `json:"ndcg@10"`
		} `json:"queries"`
	}
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("--compare %s: not a ragd eval --beir --json report: %v", path, err)
	}
	if len(run.Queries) == 0 {
		return nil, fmt.Errorf("--compare %s: no per-query results (write it with ragd eval --beir --json)", path)
	}
	out := make(map[string]float64, len(run.Queries))
	for i, q := range run.Queries {
		if q.ID == nil || q.NDCG10 == nil {
			return nil, fmt.Errorf("--compare %s: query %d lacks an id or an ndcg@10", path, i+1)
		}
		out[*q.ID] = *q.NDCG10
	}
	return out, nil
}

func fusionName(f retrieval.Fusion, m retrieval.Mode) string {
	if m != retrieval.Hybrid {
		return "-"
	}
	if f == "" {
		return string(retrieval.DefaultFusion)
	}
	return string(f)
}

// beirReportJSON is the report of `ragd eval --beir --json`.
type beirReportJSON struct {
	Summary beirSummaryJSON `json:"summary"`
	Queries []beirQueryJSON `json:"queries"`
}

// beirSummaryJSON is the summary of `ragd eval --beir --json`.
type beirSummaryJSON struct {
	Queries   int              `json:"queries"`
	NDCG10    float64          `json:"ndcg@10"`
	NDCG10SE  float64          `json:"ndcg@10_se"`
	Recall100 float64          `json:"recall@100"`
	MRR10     float64          `json:"mrr@10"`
	Ingest    float64          `json:"ingest_s"`
	Search    float64          `json:"search_s"`
	Compare   *beirCompareJSON `json:"compare,omitempty"`
}

// beirCompareJSON is the paired comparison with the run given to --compare.
type beirCompareJSON struct {
	Queries      int     `json:"queries"`
	NDCG10Diff   float64 `json:"ndcg@10_diff"`
	NDCG10DiffSE float64 `json:"ndcg@10_diff_se"`
	Better       int     `json:"better"`
	Worse        int     `json:"worse"`
}

// beirQueryJSON is one query of `ragd eval --beir --json`: its metrics and
// its ten best documents.
type beirQueryJSON struct {
	ID        string   `json:"id"`
	NDCG10    float64  `json:"ndcg@10"`
	Recall100 float64  `json:"recall@100"`
	MRR10     float64  `json:"mrr@10"`
	Docs      []string `json:"docs"`
}

// readBEIR reads the queries and the judgements of one split of a BEIR folder.
func readBEIR(dir, split string) ([]eval.Query, eval.Qrels, error) {
	qf, err := os.Open(filepath.Join(dir, "queries.jsonl"))
	if err != nil {
		return nil, nil, fmt.Errorf("read BEIR queries: %w", err)
	}
	queries, err := eval.ReadQueries(qf)
	qf.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", qf.Name(), err)
	}
	rf, err := os.Open(filepath.Join(dir, "qrels", split+".tsv"))
	if err != nil {
		return nil, nil, fmt.Errorf("read BEIR qrels: %w", err)
	}
	qrels, err := eval.ReadQrels(rf)
	rf.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", rf.Name(), err)
	}
	return queries, qrels, nil
}

// openBEIRStore opens the index in --data when it was given on the command
// line, and otherwise a temporary index in memory, so that a benchmark
// corpus never lands in the everyday index.
func (c *evalConfig) openBEIRStore(ctx context.Context, e *env) (retrieval.Backend, error) {
	if c.set["data"] {
		st, _, err := c.store.openStore(ctx, e)
		return st, err
	}
	if err := c.store.validate(); err != nil {
		return nil, err
	}
	emb, err := c.store.newEmbedder()
	if err != nil {
		return nil, err
	}
	if c.store.Store == "weaviate" {
		if c.set["weaviate-collection"] {
			return weaviate.Open(ctx, c.store.weaviateConfig(c.store.Weaviate.Collection, emb, e))
		}
		// A collection of its own, dropped when the evaluation ends.
		name := fmt.Sprintf("RagdEval%d", time.Now().UnixNano())
		st, err := weaviate.Open(ctx, c.store.weaviateConfig(name, emb, e))
		if err != nil {
			return nil, err
		}
		return droppedOnClose{st}, nil
	}
	st, err := local.Open(ctx, c.store.retrievalConfig("", emb, e))
	if err != nil {
		return nil, err
	}
	return st, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func millis(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*10) / 10 }

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

func round2(f float64) float64 { return math.Round(f*100) / 100 }
