package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/qa/qatest"
	"github.com/ragd/ragd/web"
)

// Questions the seed articles answer, and one they do not.
const (
	answerable   = "When is Zelensky set to visit Washington to sign a minerals agreement?"
	unanswerable = "What is the boiling point of liquid nitrogen in kelvin?"
)

// askSetup configures newAskServer.
type askSetup struct {
	fake      *qatest.Server // nil: extractive answers
	fallback  qa.Fallback
	timeout   time.Duration
	heartbeat time.Duration
}

// newAskServer starts a ragd server over the seed articles whose answerer
// generates with the fake model, or answers extractively without one.
func newAskServer(tb testing.TB, setup askSetup) *httptest.Server {
	tb.Helper()
	_, st := newServer(tb, 0)
	cfg := qa.Config{Retriever: st, Embedder: embed.NewHashing(256), Fallback: setup.fallback, LLMTimeout: setup.timeout}
	if setup.fake != nil {
		cfg.LLM, cfg.Model = setup.fake.NewClient(), "fake-model"
	}
	a, err := qa.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{Searcher: st, Writer: st, Reader: st, Answerer: a, Heartbeat: setup.heartbeat}))
	tb.Cleanup(srv.Close)
	return srv
}

// sseEvent is a server-sent event; comments are events named ":".
type sseEvent struct {
	name, data string
}

// readEvents reads server-sent events until the body ends.
func readEvents(tb testing.TB, body io.Reader) []sseEvent {
	tb.Helper()
	var out []sseEvent
	var ev sseEvent
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.name != "" || ev.data != "" {
				out = append(out, ev)
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
			out = append(out, sseEvent{name: ":", data: strings.TrimSpace(line[1:])})
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data += line[len("data: "):]
		default:
			tb.Errorf("unexpected line %q in the event stream", line)
		}
	}
	return out
}

// names returns the event names, with runs of deltas collapsed and
// comments left out.
func names(events []sseEvent) []string {
	var out []string
	for _, e := range events {
		if e.name == ":" || len(out) > 0 && out[len(out)-1] == e.name && e.name == "delta" {
			continue
		}
		out = append(out, e.name)
	}
	return out
}

func postAsk(tb testing.TB, srv *httptest.Server, ctx context.Context, body string, header map[string]string) *http.Response {
	tb.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/ask", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

type doneEvent struct {
	Answer    string          `json:"answer"`
	Abstained bool            `json:"abstained"`
	Timings   web.TimingsJSON `json:"timings_ms"`
	Debug     *web.DebugJSON  `json:"debug"`
	Warning   string          `json:"warning"`
}

func TestAskStream(t *testing.T) {
	fake := qatest.NewServer(t)
	full := []string{"passages", "delta", "citations", "sentences", "done"}
	tests := []struct {
		name          string
		setup         askSetup
		behaviour     qatest.Behaviour
		question      string
		accept        bool // ask by Accept header instead of "stream": true
		wantNames     []string
		wantAbstained bool
		wantSentences bool
		wantWarning   string
		wantPings     bool
	}{
		{name: "generated", setup: askSetup{fake: fake}, question: answerable, wantNames: full, wantSentences: true},
		{name: "generated, asked by Accept", setup: askSetup{fake: fake}, question: answerable, accept: true, wantNames: full, wantSentences: true},
		{name: "extractive", question: answerable, wantNames: full},
		{name: "abstention without the model", setup: askSetup{fake: fake}, question: unanswerable, wantNames: full, wantAbstained: true},
		{name: "model failure falls back", setup: askSetup{fake: fake}, behaviour: qatest.Fail, question: answerable, wantNames: full, wantWarning: qatest.FailMessage},
		{name: "model failure is an error event", setup: askSetup{fake: fake, fallback: qa.FallbackError}, behaviour: qatest.Fail, question: answerable,
			wantNames: []string{"passages", "error"}},
		{name: "heartbeat while the model stalls", setup: askSetup{fake: fake, timeout: 300 * time.Millisecond, heartbeat: 20 * time.Millisecond},
			behaviour: qatest.Stall, question: answerable, wantNames: full, wantWarning: "timed out", wantPings: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Set(tt.behaviour)
			srv := newAskServer(t, tt.setup)
			before := len(fake.Requests())
			body := `{"question":"` + tt.question + `","stream":true}`
			var header map[string]string
			if tt.accept {
				body = `{"question":"` + tt.question + `"}`
				header = map[string]string{"Accept": "text/event-stream"}
			}
			resp := postAsk(t, srv, context.Background(), body, header)
			defer resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
				t.Fatalf("status %d, content type %q; want 200 and an event stream", resp.StatusCode, ct)
			}
			events := readEvents(t, resp.Body)
			if got := names(events); !slices.Equal(got, tt.wantNames) {
				t.Fatalf("events %v, want %v", got, tt.wantNames)
			}
			pings := slices.IndexFunc(events, func(e sseEvent) bool { return e.name == ":" && e.data == "ping" }) >= 0
			if pings != tt.wantPings {
				t.Errorf("pings sent: %v, want %v", pings, tt.wantPings)
			}
			events = slices.DeleteFunc(events, func(e sseEvent) bool { return e.name == ":" })
			var passages []web.HitJSON
			if err := json.Unmarshal([]byte(events[0].data), &passages); err != nil || len(passages) == 0 {
				t.Errorf("passages event %q: %v", events[0].data, err)
			}
			last := events[len(events)-1]
			if last.name == "error" {
				var e struct{ Error string }
				if err := json.Unmarshal([]byte(last.data), &e); err != nil || !strings.Contains(e.Error, qatest.FailMessage) {
					t.Errorf("error event %q (%v), want the model's failure", last.data, err)
				}
				return
			}
			var streamed strings.Builder
			var citations []web.CitationJSON
			var sentences []web.SentenceJSON
			var done doneEvent
			for _, e := range events {
				var err error
				switch e.name {
				case "delta":
					var d struct{ Text string }
					err = json.Unmarshal([]byte(e.data), &d)
					streamed.WriteString(d.Text)
				case "citations":
					err = json.Unmarshal([]byte(e.data), &citations)
				case "sentences":
					if e.data == "null" {
						t.Errorf("sentences event is null, want an array")
					}
					err = json.Unmarshal([]byte(e.data), &sentences)
				case "done":
					err = json.Unmarshal([]byte(e.data), &done)
				}
				if err != nil {
					t.Errorf("%s event %q: %v", e.name, e.data, err)
				}
			}
			if done.Abstained != tt.wantAbstained || (done.Abstained && done.Answer != qa.AbstainText) {
				t.Errorf("done %+v, want abstained %v", done, tt.wantAbstained)
			}
			if !strings.Contains(streamed.String(), done.Answer) {
				t.Errorf("streamed %q does not hold the final answer %q", streamed.String(), done.Answer)
			}
			if (len(sentences) > 0) != tt.wantSentences {
				t.Errorf("%d sentences, want some: %v", len(sentences), tt.wantSentences)
			}
			if !tt.wantAbstained && len(citations) == 0 {
				t.Errorf("no citations")
			}
			if !strings.Contains(done.Warning, tt.wantWarning) || (tt.wantWarning == "") != (done.Warning == "") {
				t.Errorf("warning %q, want one mentioning %q", done.Warning, tt.wantWarning)
			}
			if done.Timings.Total <= 0 {
				t.Errorf("timings %+v, want a positive total", done.Timings)
			}
			if tt.setup.fake != nil && tt.wantAbstained && len(fake.Requests()) != before {
				t.Errorf("the model was called for a question the index cannot answer")
			}
			if tt.wantSentences && (done.Debug == nil || done.Debug.PassagesSent == 0 || done.Debug.PromptTokensEstimate == 0) {
				t.Errorf("debug %+v, want the passages sent", done.Debug)
			}
		})
	}
}

func TestAskStreamClientDisconnectCancelsTheModel(t *testing.T) {
	fake := qatest.NewServer(t)
	fake.Set(qatest.Stall)
	srv := newAskServer(t, askSetup{fake: fake})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp := postAsk(t, srv, ctx, `{"question":"`+answerable+`","stream":true}`, nil)
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "event: passages\n" {
		t.Fatalf("first line %q (%v), want the passages event", line, err)
	}
	for len(fake.Requests()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	fake.WaitCancelled(t, 1, 5*time.Second)
}

func TestAskModelFailures(t *testing.T) {
	fake := qatest.NewServer(t)
	tests := []struct {
		name        string
		setup       askSetup
		behaviour   qatest.Behaviour
		wantStatus  int
		wantError   string
		wantWarning string
	}{
		{"failure is a bad gateway", askSetup{fake: fake, fallback: qa.FallbackError}, qatest.Fail, 502, qatest.FailMessage, ""},
		{"timeout is a gateway timeout", askSetup{fake: fake, fallback: qa.FallbackError, timeout: 100 * time.Millisecond}, qatest.Stall, 504, "timed out", ""},
		{"failure falls back", askSetup{fake: fake}, qatest.Fail, 200, "", qatest.FailMessage},
		{"timeout falls back", askSetup{fake: fake, timeout: 100 * time.Millisecond}, qatest.Stall, 200, "", "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Set(tt.behaviour)
			srv := newAskServer(t, tt.setup)
			var got struct {
				web.AskResponse
				Error string `json:"error"`
			}
			code := call(t, srv, "POST", "/api/ask", `{"question":"`+answerable+`"}`, &got)
			if code != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %+v)", code, tt.wantStatus, got)
			}
			if !strings.Contains(got.Error, tt.wantError) || (tt.wantError == "") != (got.Error == "") {
				t.Errorf("error %q, want one mentioning %q", got.Error, tt.wantError)
			}
			if !strings.Contains(got.Warning, tt.wantWarning) || (tt.wantWarning == "") != (got.Warning == "") {
				t.Errorf("warning %q, want one mentioning %q", got.Warning, tt.wantWarning)
			}
			if code == 200 && (got.Answer == "" || len(got.Citations) == 0 || got.Sentences != nil) {
				t.Errorf("fallback answer %+v, want an extractive answer", got.AskResponse)
			}
		})
	}
}

func TestAskGeneratedJSON(t *testing.T) {
	fake := qatest.NewServer(t)
	fake.Set(qatest.CiteMissing)
	srv := newAskServer(t, askSetup{fake: fake})
	var got web.AskResponse
	if code := call(t, srv, "POST", "/api/ask", `{"question":"`+answerable+`","k":4}`, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	if strings.Contains(got.Answer, "[42]") || !strings.Contains(got.Answer, "[1]") {
		t.Errorf("answer %q: want [1] kept and [42] dropped", got.Answer)
	}
	if len(got.Citations) != 1 || got.Citations[0].N != 1 || got.Citations[0].Quote == "" || got.Citations[0].PostHoc {
		t.Errorf("citations %+v, want [1] with a quote", got.Citations)
	}
	if len(got.Sentences) != 1 || !got.Sentences[0].Supported || !slices.Equal(got.Sentences[0].Citations, []int{1}) {
		t.Errorf("sentences %+v, want one supported sentence citing [1]", got.Sentences)
	}
	if got.Debug == nil || got.Debug.PassagesSent != 4 || got.Debug.PassagesTruncated != 0 || got.Debug.PromptTokensEstimate == 0 {
		t.Errorf("debug %+v, want 4 passages sent, none truncated", got.Debug)
	}
	if len(got.Passages) != 4 {
		t.Errorf("%d passages, want 4", len(got.Passages))
	}
}
