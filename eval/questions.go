package eval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// ErrInvalid reports a question set, query set or relevance file that
// cannot be read.
var ErrInvalid = errors.New("invalid evaluation data")

// Question is one question of a question set with its gold answers and the
// documents that hold them.
type Question struct {
	ID   string
	Text string
	// Answers are gold answer strings; any one found in the answer text
	// after normalisation makes the answer correct.
	Answers []string
	// Sources are the IDs of the documents that contain an answer.
	Sources []string
	// AsOf is the day the question was asked, zero if unknown. Evaluation
	// then searches only documents published by that day: the index as it
	// was when the question was asked.
	AsOf time.Time
	// Exclude are IDs of documents the question is asked without.
	Exclude []string
	// Withheld are the gold answers of the answerable question an
	// unanswerable variant was made from: a retrieved passage holding one
	// has its document excluded too (see ExcludingAnswers).
	Withheld []string
}

// Unanswerable reports whether the corpus cannot answer the question, so
// that ragd should abstain: it has neither answers nor sources.
func (q Question) Unanswerable() bool { return len(q.Answers) == 0 && len(q.Sources) == 0 }

// questionLine is one line of a question set file.
type questionLine struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Answers  []string `json:"answers"`
	Sources  []string `json:"sources"`
	Date     string   `json:"date"`
}

// ReadQuestions reads a question set in JSONL, one object a line:
// {"id": "...", "question": "...", "answers": ["..."], "sources": ["doc_id"]}.
// Other fields are ignored and blank lines skipped. IDs must be present and
// unique, questions non-empty, every answer something once normalised (an
// answer such as "", "the" or "!!" could never match, and a set of only
// such answers would make the question unanswerable) and every source a
// non-blank ID; errors wrap ErrInvalid and name the line.
func ReadQuestions(r io.Reader) ([]Question, error) {
	var out []Question
	seen := map[string]int{}
	err := readLines(r, func(line int, b []byte) error {
		var ql questionLine
		if err := json.Unmarshal(b, &ql); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		q := Question{ID: strings.TrimSpace(ql.ID), Text: strings.TrimSpace(ql.Question)}
		if d := strings.TrimSpace(ql.Date); d != "" {
			t, err := time.Parse(time.DateOnly, strings.ReplaceAll(d, "/", "-"))
			if err != nil {
				return fmt.Errorf("%w: date %q is not YYYY-MM-DD or YYYY/MM/DD", ErrInvalid, d)
			}
			q.AsOf = t
		}
		switch prev, dup := seen[q.ID]; {
		case q.ID == "":
			return fmt.Errorf("%w: no id", ErrInvalid)
		case dup:
			return fmt.Errorf("%w: id %q is also on line %d", ErrInvalid, q.ID, prev)
		case q.Text == "":
			return fmt.Errorf("%w: question %q is empty", ErrInvalid, q.ID)
		}
		for _, a := range ql.Answers {
			if Normalize(a) == "" {
				return fmt.Errorf("%w: question %q: answer %q is empty once normalised (lower case, no punctuation, no a, an or the)", ErrInvalid, q.ID, a)
			}
			q.Answers = append(q.Answers, strings.TrimSpace(a))
		}
		for _, src := range ql.Sources {
			id := strings.TrimSpace(src)
			if id == "" {
				return fmt.Errorf("%w: question %q: source %q is empty", ErrInvalid, q.ID, src)
			}
			q.Sources = append(q.Sources, id)
		}
		seen[q.ID] = line
		out = append(out, q)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read questions: %w", err)
	}
	return out, nil
}

// readLines calls fn with the 1-based number and bytes of each non-blank
// line of r, naming the line in errors.
func readLines(r io.Reader, fn func(line int, b []byte) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		}
		if len(bytes.TrimSpace(b)) > 0 {
			if ferr := fn(line, b); ferr != nil {
				return fmt.Errorf("line %d: %w", line, ferr)
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// QuestionResult is the outcome of one question.
type QuestionResult struct {
	Question Question
	Reply    Reply
	// HitRank is the 1-based rank in Reply.Docs of the first source
	// document, 0 if none is there or the question has no sources.
	HitRank int
	// Correct reports that the answer was not an abstention and contains
	// a gold answer; false for questions without answers.
	Correct bool
	// AnswerRank is the 1-based rank of the first retrieved passage that
	// contains a gold answer (normalised as for Correct), 0 if none does or
	// the question has no answers: retrieval judged by the answer rather
	// than by the source documents, which miss other articles that say
	// the same (DPR's top-k retrieval accuracy).
	AnswerRank int
	// Latency is the duration of the ask call.
	Latency time.Duration
}

// QuestionSummary aggregates the results of a question set. A figure with
// nothing to count is NaN, undefined: the hit rates and MRR without a
// question with sources, the answer figures without a question with
// answers, abstention precision without an abstention and abstention
// recall without an unanswerable question. A 0 or a 1 there would read as
// a measurement, and a quality gate would fail or pass on nothing.
type QuestionSummary struct {
	// Questions counts every question; Answerable those that are not
	// Unanswerable.
	Questions, Answerable int
	// Hit1, Hit3 and Hit5 are the shares of questions with sources whose
	// first source document ranks within 1, 3 and 5; MRR is the mean
	// reciprocal rank of that document over the whole ranking.
	Hit1, Hit3, Hit5, MRR float64
	// AnswerAccuracy is the share of correct answers among questions with
	// gold answers.
	AnswerAccuracy float64
	// AnswerHit1 and AnswerHit5 are the shares of questions with gold
	// answers whose first passage, or one of the first five, contains one;
	// with fewer than five passages retrieved (-k), AnswerHit5 counts those.
	AnswerHit1, AnswerHit5 float64
	// AbstentionPrecision is the share of abstentions that were on
	// unanswerable questions; AbstentionRecall the share of unanswerable
	// questions on which ragd abstained.
	AbstentionPrecision, AbstentionRecall float64
	// FalseAbstention is the share of answerable questions on which ragd
	// abstained.
	FalseAbstention float64
	// SentToModel is the share of answerable questions that reached the
	// language model; Verified the share of the answers it wrote whose
	// every sentence its cited passages support. Both are NaN without a
	// generated answer.
	SentToModel, Verified float64
	// P50 and P95 are nearest-rank percentiles of the ask latency.
	P50, P95 time.Duration
}

// QuestionReport is the evaluation of a question set.
type QuestionReport struct {
	Summary QuestionSummary
	Results []QuestionResult
}

// RunQuestions asks every question in order, one at a time so that the
// latencies are not confounded, and scores the replies. It stops at the
// first failed call, with an error naming the question.
func RunQuestions(ctx context.Context, questions []Question, ask AskFunc) (QuestionReport, error) {
	results := make([]QuestionResult, 0, len(questions))
	for _, q := range questions {
		start := time.Now()
		reply, err := ask(ctx, q)
		latency := time.Since(start)
		if err != nil {
			return QuestionReport{}, fmt.Errorf("question %s: %w", q.ID, err)
		}
		results = append(results, ScoreQuestion(q, reply, latency))
	}
	return QuestionReport{Summary: Summarize(results), Results: results}, nil
}

// ScoreQuestion scores one reply to q.
func ScoreQuestion(q Question, reply Reply, latency time.Duration) QuestionResult {
	res := QuestionResult{Question: q, Reply: reply, Latency: latency}
	if len(q.Sources) > 0 {
		res.HitRank = FirstRelevant(reply.Docs, sourceRelevance(q.Sources))
	}
	res.Correct = len(q.Answers) > 0 && !reply.Abstained && AnswerMatches(reply.Text, q.Answers)
	if len(q.Answers) > 0 {
		for i, p := range reply.Passages {
			if AnswerMatches(p, q.Answers) {
				res.AnswerRank = i + 1
				break
			}
		}
	}
	return res
}

func sourceRelevance(sources []string) Relevance {
	rel := make(Relevance, len(sources))
	for _, s := range sources {
		rel[s] = 1
	}
	return rel
}

// Summarize aggregates question results; figures with nothing to count
// are NaN (see QuestionSummary).
func Summarize(results []QuestionResult) QuestionSummary {
	var s QuestionSummary
	var withSources, withAnswers, correct, abstained, unanswerable, trueAbstained int
	var hit1, hit3, hit5, ansHit1, ansHit5 int
	var generated, sent, written, verified int
	var rr float64
	latencies := make([]time.Duration, 0, len(results))
	for _, r := range results {
		s.Questions++
		latencies = append(latencies, r.Latency)
		if r.Reply.Abstained {
			abstained++
		}
		if r.Question.Unanswerable() {
			unanswerable++
			if r.Reply.Abstained {
				trueAbstained++
			}
			continue
		}
		s.Answerable++
		if r.Reply.Generated {
			sent++
			if !r.Reply.Abstained {
				written++
				verified += b2i(r.Reply.Verified)
			}
		}
		if len(r.Question.Sources) > 0 {
			withSources++
			if r.HitRank > 0 {
				rr += 1 / float64(r.HitRank)
				hit1 += b2i(r.HitRank <= 1)
				hit3 += b2i(r.HitRank <= 3)
				hit5 += b2i(r.HitRank <= 5)
			}
		}
		if len(r.Question.Answers) > 0 {
			withAnswers++
			correct += b2i(r.Correct)
			if r.AnswerRank > 0 {
				ansHit1 += b2i(r.AnswerRank <= 1)
				ansHit5 += b2i(r.AnswerRank <= 5)
			}
		}
	}
	s.Hit1 = ratio(float64(hit1), withSources)
	s.Hit3 = ratio(float64(hit3), withSources)
	s.Hit5 = ratio(float64(hit5), withSources)
	s.MRR = ratio(rr, withSources)
	s.AnswerAccuracy = ratio(float64(correct), withAnswers)
	s.AnswerHit1 = ratio(float64(ansHit1), withAnswers)
	s.AnswerHit5 = ratio(float64(ansHit5), withAnswers)
	s.AbstentionPrecision = ratio(float64(trueAbstained), abstained)
	s.AbstentionRecall = ratio(float64(trueAbstained), unanswerable)
	s.FalseAbstention = ratio(float64(abstained-trueAbstained), s.Answerable)
	for _, r := range results {
		generated += b2i(r.Reply.Generated)
	}
	if generated > 0 {
		s.SentToModel = ratio(float64(sent), s.Answerable)
		s.Verified = ratio(float64(verified), written)
	} else {
		s.SentToModel, s.Verified = math.NaN(), math.NaN()
	}
	s.P50 = Percentile(latencies, 50)
	s.P95 = Percentile(latencies, 95)
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ratio returns n/d, or NaN when d is zero: nothing was counted.
func ratio(n float64, d int) float64 {
	if d == 0 {
		return math.NaN()
	}
	return n / float64(d)
}
