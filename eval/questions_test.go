package eval_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ragd/ragd/eval"
	"github.com/ragd/ragd/web"
)

func TestEvalReadQuestions(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		in := "\uFEFF" + `{"id": "a", "question": " Who? ", "answers": [" X "], "sources": ["d1"], "date": "2022/06/16"}` + "\n\n" +
			`{"id": "b", "question": "Capital of Mars?", "answers": [], "sources": []}` + "\n" +
			`{"id": "c", "question": "No lists at all?"}`
		qs, err := eval.ReadQuestions(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) != 3 {
			t.Fatalf("got %d questions, want 3", len(qs))
		}
		if qs[0].Text != "Who?" || len(qs[0].Answers) != 1 || qs[0].Sources[0] != "d1" || qs[0].Unanswerable() {
			t.Errorf("got %+v, want trimmed answerable question with one answer", qs[0])
		}
		if !qs[1].Unanswerable() || !qs[2].Unanswerable() {
			t.Errorf("questions without answers and sources should be unanswerable: %+v %+v", qs[1], qs[2])
		}
	})
	bad := []struct {
		name, in, wantErr string
	}{
		{"malformed", `{"id": "a", "question": `, "line 1"},
		{"no id", `{"question": "Q?"}`, "no id"},
		{"empty question", `{"id": "a", "question": " "}`, "is empty"},
		{"duplicate id", `{"id": "a", "question": "Q?"}` + "\n" + `{"id": "a", "question": "R?"}`, "line 2: invalid evaluation data: id \"a\" is also on line 1"},
		// An answer that normalises to nothing would make the question
		// unanswerable (when blank) or never correct: a mistake in the set.
		{"empty answer", `{"id": "e", "question": "Q?", "answers": [""], "sources": ["d1"]}`, `line 1: invalid evaluation data: question "e": answer "" is empty once normalised`},
		{"blank answer beside a good one", `{"id": "a", "question": "Q?"}` + "\n" + `{"id": "b", "question": "Q?", "answers": ["X", " "]}`, `line 2: invalid evaluation data: question "b": answer " " is empty`},
		{"article only", `{"id": "t", "question": "Q?", "answers": ["the"]}`, `question "t": answer "the" is empty once normalised`},
		{"punctuation only", `{"id": "p", "question": "Q?", "answers": ["!!"]}`, `question "p": answer "!!" is empty once normalised`},
		{"blank source", `{"id": "s", "question": "Q?", "sources": [" "]}`, `question "s": source " " is empty`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eval.ReadQuestions(strings.NewReader(tt.in))
			if !errors.Is(err, eval.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want ErrInvalid containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestSummarize checks the question metrics on a hand-computed example.
func TestEvalSummarize(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		q       eval.Question
		reply   eval.Reply
		lat     time.Duration
		rank    int
		ok      bool
		ansRank int
	}{
		{eval.Question{ID: "q1", Answers: []string{"alpha"}, Sources: []string{"A"}},
			eval.Reply{Text: "Alpha is here [1].", Docs: []string{"A", "B"}, Passages: []string{"The alpha.", "Other."}}, 10 * ms, 1, true, 1},
		{eval.Question{ID: "q2", Answers: []string{"beta"}, Sources: []string{"B"}},
			eval.Reply{Text: "gamma", Docs: []string{"A", "C", "B"}, Passages: []string{"a", "c", "b", "d", "e", "f", "Beta!"}}, 20 * ms, 3, false, 7},
		{eval.Question{ID: "q3", Answers: []string{"delta"}, Sources: []string{"D"}},
			eval.Reply{Text: "delta, but abstained", Abstained: true, Docs: []string{"A"}, Passages: []string{"x", "the Delta"}}, 30 * ms, 0, false, 2},
		{eval.Question{ID: "q4", Answers: []string{"eps"}, Sources: []string{"E", "F"}},
			eval.Reply{Text: "EPS", Docs: []string{"X", "Y", "Z", "W", "F", "E"}, Passages: []string{"nothing to see"}}, 40 * ms, 5, true, 0},
		{eval.Question{ID: "u1"}, eval.Reply{Text: "none", Abstained: true}, 50 * ms, 0, false, 0},
		{eval.Question{ID: "u2"}, eval.Reply{Text: "made up", Docs: []string{"A"}, Passages: []string{"made up"}}, 60 * ms, 0, false, 0},
	}
	var results []eval.QuestionResult
	for _, c := range cases {
		r := eval.ScoreQuestion(c.q, c.reply, c.lat)
		if r.HitRank != c.rank || r.Correct != c.ok || r.AnswerRank != c.ansRank {
			t.Errorf("%s: got rank %d correct %v answer rank %d, want %d %v %d", c.q.ID, r.HitRank, r.Correct, r.AnswerRank, c.rank, c.ok, c.ansRank)
		}
		results = append(results, r)
	}
	got := eval.Summarize(results)
	want := eval.QuestionSummary{
		Questions: 6, Answerable: 4,
		Hit1: 0.25, Hit3: 0.5, Hit5: 0.75, MRR: (1 + 1.0/3 + 0 + 1.0/5) / 4,
		AnswerAccuracy: 0.5,
		AnswerHit1:     0.25, AnswerHit5: 0.5, // q1 at 1, q3 at 2 (abstaining does not matter); q2 at 7, q4 nowhere
		AbstentionPrecision: 0.5, AbstentionRecall: 0.5,
		FalseAbstention: 0.25, // q3 of the four answerable
		P50:             30 * ms, P95: 60 * ms,
	}
	if !near(got.MRR, want.MRR) {
		t.Errorf("MRR = %.9f, want %.9f", got.MRR, want.MRR)
	}
	got.MRR = want.MRR
	if !math.IsNaN(got.SentToModel) || !math.IsNaN(got.Verified) {
		t.Errorf("SentToModel, Verified = %v, %v without a generated answer, want NaN", got.SentToModel, got.Verified)
	}
	got.SentToModel, got.Verified = 0, 0
	if got != want {
		t.Errorf("Summarize =\n%+v, want\n%+v", got, want)
	}

	// A figure with nothing to count is undefined, NaN, rather than a 0 or
	// a 1 that a quality gate would take for a measurement.
	t.Run("no unanswerable question and no abstention", func(t *testing.T) {
		s := eval.Summarize(results[:2])
		if !math.IsNaN(s.AbstentionPrecision) || !math.IsNaN(s.AbstentionRecall) {
			t.Errorf("got precision %g recall %g, want NaN and NaN", s.AbstentionPrecision, s.AbstentionRecall)
		}
		if s.Hit3 != 1 || s.AnswerAccuracy != 0.5 {
			t.Errorf("got hit@3 %g accuracy %g, want 1 and 0.5", s.Hit3, s.AnswerAccuracy)
		}
	})
	t.Run("no answerable question", func(t *testing.T) {
		s := eval.Summarize(results[4:])
		for name, got := range map[string]float64{
			"hit@1": s.Hit1, "hit@3": s.Hit3, "hit@5": s.Hit5, "MRR": s.MRR,
			"answer accuracy": s.AnswerAccuracy, "answer hit@1": s.AnswerHit1, "answer hit@5": s.AnswerHit5,
		} {
			if !math.IsNaN(got) {
				t.Errorf("%s = %g, want NaN", name, got)
			}
		}
		if s.Questions != 2 || s.Answerable != 0 || s.AbstentionPrecision != 1 || s.AbstentionRecall != 0.5 {
			t.Errorf("got %+v, want 2 questions, none answerable, abstention precision 1 and recall 0.5", s)
		}
	})
}

func TestEvalRunQuestions(t *testing.T) {
	qs := []eval.Question{
		{ID: "a", Text: "first?", Answers: []string{"one"}, Sources: []string{"d1"}},
		{ID: "b", Text: "second?"},
	}
	var asked []string
	ask := func(_ context.Context, q eval.Question) (eval.Reply, error) {
		asked = append(asked, q.Text)
		if q.Text == "second?" {
			return eval.Reply{Abstained: true, Text: "no"}, nil
		}
		return eval.Reply{Text: "one", Docs: []string{"d1"}}, nil
	}
	rep, err := eval.RunQuestions(context.Background(), qs, ask)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(asked, "|") != "first?|second?" {
		t.Errorf("asked %q, want the questions in order", asked)
	}
	if s := rep.Summary; s.Hit1 != 1 || s.AnswerAccuracy != 1 || s.AbstentionRecall != 1 || len(rep.Results) != 2 {
		t.Errorf("got %+v", s)
	}

	failing := func(context.Context, eval.Question) (eval.Reply, error) { return eval.Reply{}, errors.New("boom") }
	if _, err := eval.RunQuestions(context.Background(), qs, failing); err == nil || !strings.Contains(err.Error(), "question a: boom") {
		t.Errorf("got error %v, want one naming question a", err)
	}
}

func TestEvalRemote(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Question string `json:"question"`
			K        int    `json:"k"`
		}
		if r.Method != http.MethodPost || r.URL.Path != "/api/ask" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, `{"error": "bad request"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if body.Question == "fail?" {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error": "question is required"}`))
			return
		}
		json.NewEncoder(w).Encode(web.AskResponse{
			Answer:    "k=" + string(rune('0'+body.K)),
			Citations: []web.CitationJSON{{N: 1, DocID: "d2"}, {N: 2, DocID: "d2"}},
			Passages:  []web.HitJSON{{DocID: "d1"}, {DocID: "d2"}, {DocID: "d3"}, {DocID: "d1"}},
		})
	}))
	defer srv.Close()

	ask := eval.Remote(srv.Client(), srv.URL+"/", 5)
	got, err := ask(context.Background(), eval.Question{Text: "why?"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "k=5" || strings.Join(got.Docs, ",") != "d2,d1,d3" {
		t.Errorf("got %+v, want text k=5 and docs d2,d1,d3 (cited first, each once)", got)
	}
	if _, err := ask(context.Background(), eval.Question{Text: "fail?"}); err == nil || !strings.Contains(err.Error(), "question is required") {
		t.Errorf("got error %v, want the server's message", err)
	}
}

// TestSeedQuestions checks the project's question set as data: enough
// questions of each kind, and every gold answer grounded in the text of
// each of its source articles.
func TestEvalSeedQuestionSetIsGrounded(t *testing.T) {
	f, err := os.Open("../testdata/questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := eval.ReadQuestions(f)
	if err != nil {
		t.Fatal(err)
	}
	articles := map[string]string{}
	paths, _ := filepath.Glob("../testdata/articles/*.txt")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		articles[strings.TrimSuffix(filepath.Base(p), ".txt")] = string(b)
	}
	var unanswerable, multi int
	for _, q := range qs {
		if q.Unanswerable() {
			unanswerable++
			continue
		}
		if len(q.Answers) == 0 || len(q.Sources) == 0 {
			t.Errorf("%s: an answerable question needs both answers and sources", q.ID)
		}
		if len(q.Sources) > 1 {
			multi++
		}
		for _, s := range q.Sources {
			text, ok := articles[s]
			if !ok {
				t.Errorf("%s: source %q is not a seed article", q.ID, s)
				continue
			}
			if !eval.AnswerMatches(text, q.Answers) {
				t.Errorf("%s: no answer of %q appears in %s", q.ID, q.Answers, s)
			}
		}
	}
	if len(qs) < 40 || unanswerable < 6 || multi < 3 {
		t.Errorf("got %d questions, %d unanswerable, %d with several sources; want at least 40, 6 and 3", len(qs), unanswerable, multi)
	}
}

func TestEvalAsksAsOfTheQuestionDate(t *testing.T) {
	qs, err := eval.ReadQuestions(strings.NewReader(`{"id": "q1", "question": "Who won?", "answers": ["x"], "sources": ["d"], "date": "2022/06/16"}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := qs[0].AsOf.Format("2006-01-02"); got != "2022-06-16" {
		t.Fatalf("AsOf = %s, want 2022-06-16", got)
	}
	var sent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Filters struct {
				PublishedTo string `json:"published_to"`
			} `json:"filters"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		sent = body.Filters.PublishedTo
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(web.AskResponse{Answer: "x"})
	}))
	defer srv.Close()
	if _, err := eval.Remote(srv.Client(), srv.URL, 0)(context.Background(), qs[0]); err != nil {
		t.Fatal(err)
	}
	if sent != "2022-06-16" {
		t.Errorf("filters.published_to = %q, want 2022-06-16", sent)
	}
	if _, err := eval.ReadQuestions(strings.NewReader(`{"id": "q1", "question": "Who?", "date": "June"}` + "\n")); !errors.Is(err, eval.ErrInvalid) {
		t.Errorf("bad date: %v, want ErrInvalid", err)
	}
}
