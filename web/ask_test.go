package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/parse"
	"github.com/ragd/ragd/web"
)

// newGloVeAskServer serves the seed articles with the offline GloVe model and
// extractive answers, as `make run` does.
func newGloVeAskServer(tb testing.TB) (*httptest.Server, *local.Store) {
	tb.Helper()
	return newGloVeServer(tb, nil)
}

// newGloVeServer is newGloVeAskServer with the configuration edit makes.
func newGloVeServer(tb testing.TB, edit func(*web.Config)) (*httptest.Server, *local.Store) {
	tb.Helper()
	g, err := embed.LoadGloVe("../" + embed.DefaultModelPath)
	if errors.Is(err, embed.ErrModelMissing) {
		if b, ok := tb.(*testing.B); ok {
			b.Skip("no GloVe model: run make setup")
		}
		tb.Fatalf("no GloVe model: run make setup")
	}
	if err != nil {
		tb.Fatal(err)
	}
	st, err := local.Open(context.Background(), local.Config{Dir: tb.TempDir(), Embedder: g})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	var docs []retrieval.Document
	for _, d := range seedFiles(tb) {
		ds, err := parse.ReadFile(d)
		if err != nil {
			tb.Fatal(err)
		}
		docs = append(docs, ds...)
	}
	if _, err := st.Ingest(context.Background(), docs); err != nil {
		tb.Fatal(err)
	}
	a, err := qa.New(qa.Config{Retriever: st, Embedder: g, Words: g})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := web.Config{Searcher: st, Writer: st, Reader: st, Answerer: a}
	if edit != nil {
		edit(&cfg)
	}
	srv := httptest.NewServer(web.New(cfg))
	tb.Cleanup(srv.Close)
	return srv, st
}

func seedFiles(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, id := range []string{"000_b23e37521d96755f", "001_4e0e17ab994ec6fb", "002_ad0790ffa20be1de", "003_fd5a07de505a063c", "004_1d232bd1e832b10d"} {
		out = append(out, "../testdata/articles/"+id+".txt")
	}
	return out
}

func TestAskClientErrors(t *testing.T) {
	srv, st := newGloVeAskServer(t)
	docs0, chunks0 := st.Len()
	long := strings.Repeat("why ", 501) // 2,004 characters
	tests := []struct {
		name, body, wantMsg string
	}{
		{"malformed JSON", `{"question": `, "malformed JSON"},
		{"empty body", ``, "empty"},
		{"no question", `{"k": 3}`, "question is required"},
		{"blank question", `{"question": "   "}`, "question is required"},
		{"question too long", `{"question": "` + long + `"}`, "longer than 2000"},
		{"k zero", `{"question": "troops?", "k": 0}`, "k must be between 1 and 50"},
		{"k too big", `{"question": "troops?", "k": 51}`, "k must be between 1 and 50"},
		{"k not a number", `{"question": "troops?", "k": "five"}`, "k"},
		{"bad history role", `{"question": "troops?", "history": [{"role": "system", "content": "x"}]}`, "role"},
		{"bad filter", `{"question": "troops?", "filters": {"published_to": "soon"}}`, "published_to"},
		{"unknown field", `{"question": "troops?", "temperature": 2}`, "temperature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got errorResponse
			if code := call(t, srv, "POST", "/api/ask", tt.body, &got); code != http.StatusBadRequest {
				t.Errorf("status %d, want 400 (error %q)", code, got.Error)
			}
			if got.Error == "" || !strings.Contains(got.Error, tt.wantMsg) {
				t.Errorf("error %q does not mention %q", got.Error, tt.wantMsg)
			}
			if docs, chunks := st.Len(); docs != docs0 || chunks != chunks0 {
				t.Errorf("store changed by a rejected request")
			}
		})
	}
}

func TestAskCitationsQuoteTheDocumentAtTheirOffsets(t *testing.T) {
	srv, _ := newGloVeAskServer(t)
	questions := []string{
		"What did Macron say European troops would not do?",
		"Who said the British can take care of themselves?",
		"How many troops would the buffer zone need?",
		"When is Zelensky set to visit Washington?",
		"What did Trump say about security guarantees?",
	}
	for _, q := range questions {
		t.Run(q, func(t *testing.T) {
			var ans web.AskResponse
			if code := call(t, srv, "POST", "/api/ask", fmt.Sprintf(`{"question": %q}`, q), &ans); code != 200 {
				t.Fatalf("status %d", code)
			}
			if ans.Abstained || len(ans.Citations) == 0 {
				t.Fatalf("no answer: %+v", ans)
			}
			for _, c := range ans.Citations {
				if !strings.Contains(ans.Answer, fmt.Sprintf("[%d]", c.N)) {
					t.Errorf("citation %d has no marker in %q", c.N, ans.Answer)
				}
				var doc struct{ Text string }
				if code := call(t, srv, "GET", "/api/documents/"+c.DocID, "", &doc); code != 200 {
					t.Fatalf("GET %s: %d", c.DocID, code)
				}
				runes := []rune(doc.Text)
				if c.Start < 0 || c.End > len(runes) || c.Start >= c.End {
					t.Fatalf("citation %d offsets [%d,%d) outside the document", c.N, c.Start, c.End)
				}
				if got := string(runes[c.Start:c.End]); got != c.Quote {
					t.Errorf("citation %d: document text at [%d,%d) = %q, quote = %q", c.N, c.Start, c.End, got, c.Quote)
				}
				if h := c.Highlight; h != nil && (h[0] < c.Start || h[1] > c.End || h[0] >= h[1]) {
					t.Errorf("citation %d: highlight %v outside its quote [%d,%d)", c.N, *h, c.Start, c.End)
				}
			}
		})
	}
}

func TestAskAbstainsWhenTheArticlesDoNotSay(t *testing.T) {
	srv, _ := newGloVeAskServer(t)
	for _, q := range []string{"What is the capital of Australia?", "How much did Japan pledge in aid to Ukraine?"} {
		var ans web.AskResponse
		if code := call(t, srv, "POST", "/api/ask", fmt.Sprintf(`{"question": %q}`, q), &ans); code != 200 {
			t.Fatalf("%s: status %d", q, code)
		}
		if !ans.Abstained || ans.Answer != qa.AbstainText || len(ans.Citations) != 0 {
			t.Errorf("%s: abstained=%v answer=%q citations=%d; want the fixed abstention and no citations", q, ans.Abstained, ans.Answer, len(ans.Citations))
		}
	}
}

func TestAskAnswersTheIssueQuestions(t *testing.T) {
	srv, _ := newGloVeAskServer(t)
	tests := []struct {
		question, firstDoc, contains string
	}{
		{"What did Macron say European troops would not do?", "000_b23e37521d96755f", "front line"},
		{"Who said the British can take care of themselves?", "001_4e0e17ab994ec6fb", "Trump"},
	}
	for _, tt := range tests {
		var ans web.AskResponse
		call(t, srv, "POST", "/api/ask", fmt.Sprintf(`{"question": %q}`, tt.question), &ans)
		var cited []string
		for _, c := range ans.Citations {
			cited = append(cited, c.DocID)
		}
		if len(cited) == 0 || cited[0] != tt.firstDoc {
			t.Errorf("%s: cites %v, want %s first", tt.question, cited, tt.firstDoc)
		}
		if !strings.Contains(ans.Answer, tt.contains) {
			t.Errorf("%s: answer %q does not contain %q", tt.question, ans.Answer, tt.contains)
		}
		if ans.Timings.Total <= 0 || len(ans.Passages) == 0 {
			t.Errorf("%s: timings %+v, %d passages", tt.question, ans.Timings, len(ans.Passages))
		}
	}
}

// BenchmarkAsk measures POST /api/ask in extractive mode on the seed corpus
// over a real HTTP connection, and reports the median and 95th percentile.
func BenchmarkAsk(b *testing.B) {
	// One client sends every request: the rate limit would measure itself.
	srv, _ := newGloVeServer(b, func(c *web.Config) { c.RateLimit = -1 })
	questions := []string{
		"What did Macron say European troops would not do?",
		"Who said the British can take care of themselves?",
		"How many troops would the buffer zone need?",
		"What is the capital of Australia?",
	}
	client := srv.Client()
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		body := fmt.Sprintf(`{"question": %q}`, questions[i%len(questions)])
		start := time.Now()
		resp, err := client.Post(srv.URL+"/api/ask", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		lat = append(lat, time.Since(start))
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*95/100)].Microseconds())/1000, "p95-ms")
}
