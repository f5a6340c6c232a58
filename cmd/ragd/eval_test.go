package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/web"
)

// seedQuestions is the project's question set on testdata/articles.
const seedQuestions = "../../testdata/questions.jsonl"

// Quality gates of the seed question set, enforced in CI. The set is for
// regression only: the answer models are never trained or chosen on it.
// The targets are hit@3 >= 0.95, answer accuracy >= 0.90 and abstention
// recall 1.0; ragd measures 0.982, 0.875 (49 of 56) and 0.75 (6 of 8), so the
// last two gates hold the measured figures: one more wrong answer or one
// more answered unanswerable question fails them (docs/answering.md).
var seedGates = []string{
	"--min-hit3", "0.95",
	"--min-answer-accuracy", "0.87",
	"--min-abstention-recall", "0.75",
}

// runRagd runs ragd in process with an empty environment and returns its
// exit code, stdout and stderr.
func runRagd(tb testing.TB, args ...string) (int, string, string) {
	tb.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// seedStore ingests the seed articles into a data directory in tb.TempDir.
func seedStore(tb testing.TB) string {
	tb.Helper()
	if _, err := os.Stat(modelPath); err != nil {
		tb.Fatalf("no model at %s: run make setup (%v)", modelPath, err)
	}
	data := filepath.Join(tb.TempDir(), "data")
	if code, _, stderr := runRagd(tb, "ingest", "--data", data, "--model-path", modelPath, "../../testdata/articles"); code != 0 {
		tb.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	return data
}

// evalReport is the JSON of `ragd eval --questions --json`.
type evalReport struct {
	Summary   map[string]float64 `json:"summary"`
	Questions []struct {
		ID         string  `json:"id"`
		Answerable bool    `json:"answerable"`
		HitRank    int     `json:"hit_rank"`
		Correct    bool    `json:"correct"`
		Abstained  bool    `json:"abstained"`
		MS         float64 `json:"ms"`
		Answer     string  `json:"answer"`
	} `json:"questions"`
}

func decodeReport(tb testing.TB, stdout string) evalReport {
	tb.Helper()
	var rep evalReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		tb.Fatalf("decode %q: %v", stdout, err)
	}
	return rep
}

// TestEvalSeedQuestions is the quality gate CI runs: the seed question set
// answered in process over the seed articles.
func TestEvalSeedQuestions(t *testing.T) {
	data := seedStore(t)
	args := append([]string{"eval", "--questions", seedQuestions, "--data", data, "--model-path", modelPath}, seedGates...)

	code, stdout, stderr := runRagd(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d, want 0: %s", code, stderr)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("the seed set names only seed articles, yet stderr warns: %q", stderr)
	}
	rep := decodeReport(t, stdout)
	for _, key := range []string{"questions", "answerable", "hit@1", "hit@3", "hit@5", "mrr", "answer_accuracy", "answer_hit@1", "answer_hit@5", "abstention_precision", "abstention_recall", "p50_ms", "p95_ms"} {
		if _, ok := rep.Summary[key]; !ok {
			t.Errorf("summary has no %q: %v", key, rep.Summary)
		}
	}
	if int(rep.Summary["questions"]) != len(rep.Questions) || len(rep.Questions) < 40 {
		t.Errorf("summary counts %v questions, report lists %d; want the same, at least 40", rep.Summary["questions"], len(rep.Questions))
	}
	t.Logf("seed set: %v", rep.Summary)

	t.Run("human table", func(t *testing.T) {
		code, stdout, stderr := runRagd(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{"ID", "HIT", "ANSWER IN", "CORRECT", "ABSTAINED", "seed-01", "hit@3", "accuracy", "in passages 1-5", "p95"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, stdout)
			}
		}
	})

	t.Run("missed gate", func(t *testing.T) {
		code, _, stderr := runRagd(t, "eval", "--questions", seedQuestions, "--data", data, "--model-path", modelPath,
			"--min-answer-accuracy", "0.999")
		if code == 0 {
			t.Fatal("exit 0, want non-zero")
		}
		if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines != 0 {
			t.Errorf("stderr has %d lines, want one: %q", lines+1, stderr)
		}
		if !strings.Contains(stderr, "answer accuracy 0.") || !strings.Contains(stderr, "--min-answer-accuracy 0.999") {
			t.Errorf("stderr %q does not name the gate and the figure", stderr)
		}
	})
}

// TestEvalUnknownSources checks that a source missing from the index is
// reported once, with the unknown IDs, rather than silently scored as a miss.
func TestEvalUnknownSources(t *testing.T) {
	data := seedStore(t)
	questions := writeQuestions(t,
		`{"id": "q1", "question": "What did Macron say European troops would not do?", "answers": ["front line"], "sources": ["nope-1", "000_b23e37521d96755f"]}`,
		`{"id": "q2", "question": "Who said the British can take care of themselves?", "answers": ["Trump"], "sources": ["nope-2", "nope-1"]}`,
	)
	code, stdout, stderr := runRagd(t, "eval", "--questions", questions, "--data", data, "--model-path", modelPath)
	if code != 0 {
		t.Fatalf("exit %d, want 0: %s", code, stderr)
	}
	if n := strings.Count(stderr, "warning"); n != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("stderr %q: want one warning line", stderr)
	}
	for _, want := range []string{"2 source documents", "nope-1", "nope-2", "not in the index"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "000_b23e37521d96755f") || !strings.Contains(stdout, "q1") {
		t.Errorf("stderr %q names a known source, or stdout %q lacks the report", stderr, stdout)
	}

	t.Run("not checked with --server", func(t *testing.T) {
		url := fakeAskServer(t, web.AskResponse{Answer: "Trump", Citations: []web.CitationJSON{{N: 1, DocID: "d1"}}})
		code, _, stderr := runRagd(t, "eval", "--questions", questions, "--server", url)
		if code != 0 || stderr != "" {
			t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr)
		}
	})
}

// fakeAskServer serves POST /api/ask, giving reply to every question.
func fakeAskServer(tb testing.TB, reply web.AskResponse) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(reply)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// writeQuestions writes a question set, one line each, in tb.TempDir.
func writeQuestions(tb testing.TB, lines ...string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "questions.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestEvalNothingToMeasure checks that a metric without a single question
// to count is reported as undefined, not as 0 or 1, and that a gate on it
// fails saying so.
func TestEvalNothingToMeasure(t *testing.T) {
	abstaining := fakeAskServer(t, web.AskResponse{Answer: "I could not find this in the indexed articles.", Abstained: true})
	answering := fakeAskServer(t, web.AskResponse{Answer: "Paris", Citations: []web.CitationJSON{{N: 1, DocID: "d1"}}})
	unanswerable := writeQuestions(t, `{"id": "u1", "question": "Capital of Mars?"}`, `{"id": "u2", "question": "Who won in 2090?"}`)
	answerable := writeQuestions(t, `{"id": "a1", "question": "Capital of France?", "answers": ["Paris"], "sources": ["d1"]}`)
	tests := []struct {
		name, server, questions string
		null                    []string
		want                    map[string]float64
		table                   []string
		gate                    []string
		gateMsg                 string
	}{
		{
			name: "no answerable question", server: abstaining, questions: unanswerable,
			null:    []string{"hit@1", "hit@3", "hit@5", "mrr", "answer_accuracy", "answer_hit@1", "answer_hit@5"},
			want:    map[string]float64{"questions": 2, "answerable": 0, "abstention_precision": 1, "abstention_recall": 1},
			table:   []string{"hit@1 n/a  hit@3 n/a  hit@5 n/a  MRR n/a", "accuracy n/a  in passage 1 n/a  in passages 1-5 n/a", "precision 1.000  recall 1.000"},
			gate:    []string{"--min-hit3", "0.5", "--min-answer-accuracy", "0.5"},
			gateMsg: "--min-hit3: no question with sources to measure hit@3; --min-answer-accuracy: no question with answers to measure answer accuracy",
		},
		{
			name: "no unanswerable question, no abstention", server: answering, questions: answerable,
			null:    []string{"abstention_precision", "abstention_recall"},
			want:    map[string]float64{"questions": 1, "answerable": 1, "hit@1": 1, "hit@3": 1, "mrr": 1, "answer_accuracy": 1},
			table:   []string{"hit@3 1.000", "accuracy 1.000", "precision n/a  recall n/a"},
			gate:    []string{"--min-abstention-recall", "1", "--min-hit3", "0.9"},
			gateMsg: "--min-abstention-recall: no unanswerable question to measure abstention recall",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runRagd(t, "eval", "--questions", tt.questions, "--server", tt.server, "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var rep struct {
				Summary map[string]json.RawMessage `json:"summary"`
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("decode %q: %v", stdout, err)
			}
			for _, key := range tt.null {
				if got, ok := rep.Summary[key]; !ok || string(got) != "null" {
					t.Errorf("%s = %s (present %v), want null", key, got, ok)
				}
			}
			for key, want := range tt.want {
				if got := string(rep.Summary[key]); got != strconv.FormatFloat(want, 'g', -1, 64) {
					t.Errorf("%s = %s, want %v", key, got, want)
				}
			}

			code, stdout, stderr = runRagd(t, "eval", "--questions", tt.questions, "--server", tt.server)
			if code != 0 {
				t.Fatalf("table: exit %d: %s", code, stderr)
			}
			for _, want := range tt.table {
				if !strings.Contains(stdout, want) {
					t.Errorf("table lacks %q:\n%s", want, stdout)
				}
			}

			code, _, stderr = runRagd(t, append([]string{"eval", "--questions", tt.questions, "--server", tt.server}, tt.gate...)...)
			if code != 1 {
				t.Errorf("gate on nothing measured: exit %d, want 1", code)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines != 0 || !strings.Contains(stderr, tt.gateMsg) || strings.Contains(stderr, "quality gate missed") {
				t.Errorf("stderr %q, want one line with %q and no missed gate", stderr, tt.gateMsg)
			}
		})
	}
}

// TestEvalRefusesEmptyAnswers checks that a gold answer that normalises to
// nothing stops the evaluation before any question is asked.
func TestEvalRefusesEmptyAnswers(t *testing.T) {
	var asked atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { asked.Store(true) }))
	defer srv.Close()
	for _, answers := range []string{`[""]`, `["the"]`, `["!!"]`} {
		t.Run(answers, func(t *testing.T) {
			questions := writeQuestions(t, `{"id": "ok", "question": "Q?", "answers": ["x"]}`, `{"id": "bad", "question": "R?", "answers": `+answers+`, "sources": ["d1"]}`)
			code, _, stderr := runRagd(t, "eval", "--questions", questions, "--server", srv.URL)
			if code != 1 || !strings.Contains(stderr, `line 2`) || !strings.Contains(stderr, `question "bad"`) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 1 and one line naming line 2 and question \"bad\"", code, stderr)
			}
		})
	}
	if asked.Load() {
		t.Error("a question was asked of a set that does not read")
	}
}

// TestEvalValidateRefusesNaN checks the range checks of evalConfig
// themselves, whatever parsing lets through: NaN fails every comparison.
func TestEvalValidateRefusesNaN(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name    string
		set     func(*evalConfig)
		wantMsg string
	}{
		{"min-hit3", func(c *evalConfig) { c.MinHit3 = nan }, "--min-hit3 NaN is outside 0..1"},
		{"min-answer-accuracy", func(c *evalConfig) { c.MinAcc = nan }, "--min-answer-accuracy NaN is outside 0..1"},
		{"min-abstention-recall", func(c *evalConfig) { c.MinRecall = math.Inf(-1) }, "--min-abstention-recall -Inf is outside 0..1"},
		{"dense-weight", func(c *evalConfig) { c.BEIR, c.Questions, c.Weight = "d", "", nan }, "--dense-weight NaN is outside (0, 1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := evalConfig{Questions: "q", K: qa.DefaultK, Mode: string(retrieval.Hybrid), Weight: retrieval.DefaultDenseWeight, Split: "test", Timeout: time.Minute}
			if err := c.validate(); err != nil {
				t.Fatalf("valid config: %v", err)
			}
			tt.set(&c)
			if err := c.validate(); err == nil || !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want %q", err, tt.wantMsg)
			}
		})
	}
}

// TestEvalHelp checks the value names that ragd eval -h shows.
func TestEvalHelp(t *testing.T) {
	code, stdout, _ := runRagd(t, "eval", "-h")
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, want := range []string{"-compare FILE", "-questions string", "-beir string"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("usage lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "-compare --json") {
		t.Errorf("usage names the value of --compare --json:\n%s", stdout)
	}
}

// TestEvalServer answers the seed set over HTTP from a real server and
// checks that it scores exactly as in process: only latency may differ.
func TestEvalServer(t *testing.T) {
	data := seedStore(t)
	ctx := context.Background()
	glove, err := embed.LoadGloVe(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := local.Open(ctx, local.Config{Dir: data, Embedder: glove})
	if err != nil {
		t.Fatal(err)
	}
	answerer, err := qa.New(qa.Config{Retriever: st, Embedder: glove, Words: glove})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{Searcher: st, Writer: st, Reader: st, Answerer: answerer}))
	defer srv.Close()

	code, stdout, stderr := runRagd(t, "eval", "--questions", seedQuestions, "--server", srv.URL, "--json")
	if code != 0 {
		t.Fatalf("--server: exit %d: %s", code, stderr)
	}
	remote := decodeReport(t, stdout)

	t.Run("server errors name the question", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "q.jsonl")
		long := strings.Repeat("why ", qa.MaxQuestionLen)
		os.WriteFile(bad, []byte(`{"id": "too-long", "question": "`+long+`"}`+"\n"), 0o644)
		code, _, stderr := runRagd(t, "eval", "--questions", bad, "--server", srv.URL)
		if code == 0 || !strings.Contains(stderr, "too-long") || !strings.Contains(stderr, "400") {
			t.Errorf("exit %d, stderr %q; want a failure naming the question and the status", code, stderr)
		}
	})

	// The server's store is open: the data directory is not to be opened
	// by a second process meanwhile, which would miss the server's writes
	// and the server its.
	code, _, stderr = runRagd(t, "eval", "--questions", seedQuestions, "--data", data, "--model-path", modelPath, "--json")
	if code == 0 || !strings.Contains(stderr, "in use") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("eval on the server's open data directory: exit %d, stderr %q; want a one-line refusal", code, stderr)
	}

	srv.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runRagd(t, "eval", "--questions", seedQuestions, "--data", data, "--model-path", modelPath, "--json")
	if code != 0 {
		t.Fatalf("in process: exit %d: %s", code, stderr)
	}
	local := decodeReport(t, stdout)
	for k, v := range local.Summary {
		if !strings.HasSuffix(k, "_ms") && remote.Summary[k] != v {
			t.Errorf("%s: %v over HTTP, %v in process", k, remote.Summary[k], v)
		}
	}
	for i, q := range local.Questions {
		r := remote.Questions[i]
		if r.ID != q.ID || r.HitRank != q.HitRank || r.Correct != q.Correct || r.Abstained != q.Abstained || r.Answer != q.Answer {
			t.Errorf("%s: over HTTP %+v, in process %+v", q.ID, r, q)
		}
	}
}

// writeBEIR writes a tiny BEIR folder: three documents, queries q1 and q2
// judged, q3 unjudged and q4 judged non-relevant only.
func writeBEIR(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	files := map[string]string{
		"corpus.jsonl": `{"_id": "d1", "title": "Aurora", "text": "The aurora borealis lights the polar sky in winter."}
{"_id": "d2", "title": "Eruptions", "text": "Volcanic eruptions release ash and lava into the air."}
{"_id": "d3", "title": "Glaciers", "text": "Glaciers carve deep valleys slowly over millennia."}
`,
		"queries.jsonl": `{"_id": "q1", "text": "volcanic ash"}
{"_id": "q2", "text": "glaciers carve valleys"}
{"_id": "q3", "text": "polar sky"}
{"_id": "q4", "text": "aurora"}
`,
		"qrels/test.tsv": "query-id\tcorpus-id\tscore\nq1\td2\t1\nq1\td3\t1\nq2\td3\t2\nq2\td1\t0\nq4\td1\t0\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func TestEvalBEIR(t *testing.T) {
	if _, err := os.Stat(modelPath); err != nil {
		t.Fatalf("no model at %s: run make setup (%v)", modelPath, err)
	}
	dir := writeBEIR(t)
	// Lexical ranking retrieves only documents sharing a query term:
	// q1 -> [d2]: nDCG@10 = 1 / (1 + 1/log2(3)), recall 1/2, RR 1.
	// q2 -> [d3]: nDCG@10 = 1, recall 1, RR 1. q3 and q4 are skipped.
	ndcg1 := 1 / (1 + 1/math.Log2(3))
	want := map[string]float64{
		"queries":    2,
		"ndcg@10":    math.Round((ndcg1+1)/2*1e4) / 1e4,
		"recall@100": 0.75,
		"mrr@10":     1,
	}
	data := filepath.Join(t.TempDir(), "data")
	code, stdout, stderr := runRagd(t, "eval", "--beir", dir, "--mode", "lexical", "--json", "--model-path", modelPath, "--data", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("every judged document is in the corpus, yet stderr warns: %q", stderr)
	}
	var got struct {
		Summary map[string]float64 `json:"summary"`
		Queries []struct {
			ID     string   `json:"id"`
			NDCG10 float64  `json:"ndcg@10"`
			Docs   []string `json:"docs"`
		} `json:"queries"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("decode %q: %v", stdout, err)
	}
	for k, v := range want {
		if got.Summary[k] != v {
			t.Errorf("%s = %v, want %v", k, got.Summary[k], v)
		}
	}
	// Two values a and b have a standard error of the mean of |a-b|/2.
	if se, want := got.Summary["ndcg@10_se"], math.Round((1-ndcg1)/2*1e4)/1e4; se != want {
		t.Errorf("ndcg@10_se = %v, want %v", se, want)
	}
	if len(got.Queries) != 2 || got.Queries[0].ID != "q1" || math.Abs(got.Queries[0].NDCG10-ndcg1) > 1e-9 ||
		got.Queries[1].ID != "q2" || got.Queries[1].NDCG10 != 1 || len(got.Queries[0].Docs) != 1 || got.Queries[0].Docs[0] != "d2" {
		t.Errorf("per-query results %+v, want q1 (%v, [d2]) and q2 (1)", got.Queries, ndcg1)
	}
	for _, k := range []string{"ingest_s", "search_s"} {
		if _, ok := got.Summary[k]; !ok {
			t.Errorf("summary has no %q: %v", k, got.Summary)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "ragd.json")); err != nil {
		t.Errorf("--data given: the corpus should be ingested there: %v", err)
	}

	t.Run("compared with an earlier run", func(t *testing.T) {
		run := filepath.Join(t.TempDir(), "lexical.json")
		if err := os.WriteFile(run, []byte(stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		// The same settings again: no query moves.
		code, out, stderr := runRagd(t, "eval", "--beir", dir, "--mode", "lexical", "--json", "--model-path", modelPath, "--compare", run)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var again struct {
			Summary struct {
				Compare map[string]float64 `json:"compare"`
			} `json:"summary"`
		}
		if err := json.Unmarshal([]byte(out), &again); err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		if c := again.Summary.Compare; c["queries"] != 2 || c["ndcg@10_diff"] != 0 || c["ndcg@10_diff_se"] != 0 || c["better"] != 0 || c["worse"] != 0 {
			t.Errorf("compare = %v, want 2 queries, no difference", c)
		}
		code, out, stderr = runRagd(t, "eval", "--beir", dir, "--model-path", modelPath, "--compare", run)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(out, "against "+run) || !strings.Contains(out, "paired SE") || !strings.Contains(out, "over 2 queries") {
			t.Errorf("output %q lacks the comparison", out)
		}
		empty := filepath.Join(t.TempDir(), "summary-only.json")
		os.WriteFile(empty, []byte(`{"summary": {"ndcg@10": 0.5}}`), 0o644)
		if code, _, stderr := runRagd(t, "eval", "--beir", dir, "--model-path", modelPath, "--compare", empty); code == 0 || !strings.Contains(stderr, "no per-query results") {
			t.Errorf("a report without queries: exit %d, %q", code, stderr)
		}
		other := filepath.Join(t.TempDir(), "other-set.json")
		os.WriteFile(other, []byte(`{"queries": [{"id": "zzz", "ndcg@10": 1}]}`), 0o644)
		code, out, stderr = runRagd(t, "eval", "--beir", dir, "--model-path", modelPath, "--compare", other)
		if code == 0 || !strings.Contains(stderr, "no query in common") || !strings.Contains(out, "nDCG@10") {
			t.Errorf("a report of other queries: exit %d, stderr %q, stdout %q; want this run's report, then an error", code, stderr, out)
		}
	})

	t.Run("judged documents missing from the corpus", func(t *testing.T) {
		dir := writeBEIR(t)
		qrels := filepath.Join(dir, "qrels", "test.tsv")
		f, err := os.OpenFile(qrels, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Two relevant documents missing, one of them judged twice; a
		// missing document judged not relevant is no miss.
		f.WriteString("q1\td404\t1\nq2\td404\t1\nq2\td405\t2\nq1\td406\t0\nq3\td407\t0\n")
		f.Close()
		code, stdout, stderr := runRagd(t, "eval", "--beir", dir, "--mode", "lexical", "--model-path", modelPath)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		want := "warning: 2 judged documents are not in the corpus; they count as misses"
		if strings.TrimSpace(stderr) != want {
			t.Errorf("stderr %q, want %q", stderr, want)
		}
		if !strings.Contains(stdout, "queries 2") {
			t.Errorf("stdout %q lacks the report", stdout)
		}
	})

	t.Run("hybrid in a temporary index", func(t *testing.T) {
		wd, _ := os.Getwd()
		_, before := os.Stat(filepath.Join(wd, defaultDataDir))
		code, stdout, stderr := runRagd(t, "eval", "--beir", dir, "--fusion", "rrf", "--model-path", modelPath)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "queries 2") || !strings.Contains(stdout, "nDCG@10") || !strings.Contains(stdout, "fusion rrf") {
			t.Errorf("unexpected output %q", stdout)
		}
		if _, after := os.Stat(filepath.Join(wd, defaultDataDir)); before != nil && after == nil {
			t.Errorf("eval without --data created %s", defaultDataDir)
		}
	})
}

func TestEvalUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantMsg string
	}{
		{"nothing to do", []string{"eval"}, "--questions FILE or --beir DIR"},
		{"both", []string{"eval", "--questions", "q", "--beir", "d"}, "cannot be combined"},
		{"mode with questions", []string{"eval", "--questions", "q", "--mode", "dense"}, "--mode applies only with --beir"},
		{"gate with beir", []string{"eval", "--beir", "d", "--min-hit3", "0.5"}, "--min-hit3 applies only with --questions"},
		{"compare with questions", []string{"eval", "--questions", "q", "--compare", "run.json"}, "--compare applies only with --beir"},
		{"missing compare", []string{"eval", "--beir", "d", "--compare", "/nonexistent/run.json"}, "--compare: open /nonexistent/run.json"},
		{"bad server", []string{"eval", "--questions", "q", "--server", "localhost:8080"}, "not an http or https URL"},
		{"bad k", []string{"eval", "--questions", "q", "-k", "0"}, "-k 0 is outside"},
		{"zero dense weight", []string{"eval", "--beir", "d", "--dense-weight", "0"}, "use --mode lexical"},
		{"bad gate", []string{"eval", "--questions", "q", "--min-hit3", "95"}, "--min-hit3 95 is outside 0..1"},
		{"missing file", []string{"eval", "--questions", "/nonexistent/q.jsonl", "--server", "http://localhost:1"}, "no such file"},
		{"missing BEIR", []string{"eval", "--beir", "/nonexistent"}, "queries.jsonl"},
		{"split with questions", []string{"eval", "--questions", "q", "--split", "train"}, "--split applies only with --beir"},
		{"as-of with beir", []string{"eval", "--beir", "d", "--as-of=false"}, "--as-of applies only with --questions"},
		// NaN passes every comparison, so a range check must be written to
		// refuse it; infinities are out of range.
		{"NaN hit gate", []string{"eval", "--questions", "q", "--min-hit3", "NaN"}, "--min-hit3 NaN"},
		{"NaN accuracy gate", []string{"eval", "--questions", "q", "--min-answer-accuracy", "NaN"}, "--min-answer-accuracy NaN"},
		{"NaN recall gate", []string{"eval", "--questions", "q", "--min-abstention-recall", "nan"}, "--min-abstention-recall NaN"},
		{"infinite gate", []string{"eval", "--questions", "q", "--min-hit3", "+Inf"}, "--min-hit3 +Inf"},
		{"NaN dense weight", []string{"eval", "--beir", "d", "--dense-weight", "NaN"}, "--dense-weight NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runRagd(t, tt.args...)
			if code == 0 {
				t.Fatal("exit 0, want non-zero")
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines != 0 {
				t.Errorf("stderr has %d lines, want one: %q", lines+1, stderr)
			}
			if !strings.Contains(stderr, tt.wantMsg) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.wantMsg)
			}
		})
	}
}
