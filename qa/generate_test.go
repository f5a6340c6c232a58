package qa_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/qa/qatest"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/parse"
)

// answerable is a question the seed articles answer; unanswerable is one
// they do not touch, below the abstention threshold.
const (
	answerable   = "When is Zelensky set to visit Washington to sign a minerals agreement?"
	unanswerable = "What is the boiling point of liquid nitrogen in kelvin?"
)

// openStore opens a store in a temporary directory holding the seed articles.
func openStore(tb testing.TB) *local.Store {
	tb.Helper()
	st, err := local.Open(context.Background(), local.Config{Dir: tb.TempDir(), Embedder: embed.NewHashing(256)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	paths, _ := filepath.Glob("../testdata/articles/*.txt")
	if len(paths) == 0 {
		tb.Fatal("no seed articles in ../testdata/articles")
	}
	for _, p := range paths {
		docs, err := parse.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := st.Ingest(context.Background(), docs); err != nil {
			tb.Fatal(err)
		}
	}
	return st
}

// newAnswerer returns an answerer over st that generates with fake (or
// answers extractively when fake is nil), after cfg changes the config.
func newAnswerer(tb testing.TB, st *local.Store, fake *qatest.Server, change func(*qa.Config)) *qa.Answerer {
	tb.Helper()
	cfg := qa.Config{Retriever: st, Embedder: embed.NewHashing(256)}
	if fake != nil {
		cfg.LLM, cfg.Model = fake.NewClient(), "fake-model"
	}
	if change != nil {
		change(&cfg)
	}
	a, err := qa.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// checkQuotes checks that every citation quotes its document verbatim at
// its offsets and refers to the passage of its number.
func checkQuotes(tb testing.TB, st *local.Store, ans qa.Answer) {
	tb.Helper()
	for _, c := range ans.Citations {
		doc, err := st.Get(context.Background(), c.DocID)
		if err != nil {
			tb.Fatalf("citation [%d]: %v", c.N, err)
		}
		r := []rune(doc.Text)
		if c.Start < 0 || c.End > len(r) || c.Start >= c.End {
			tb.Fatalf("citation [%d]: offsets %d..%d outside the document (%d code points)", c.N, c.Start, c.End, len(r))
		}
		if got := string(r[c.Start:c.End]); got != c.Quote {
			tb.Errorf("citation [%d]: document[%d:%d] = %q, quote %q", c.N, c.Start, c.End, got, c.Quote)
		}
		if c.N < 1 || c.N > len(ans.Passages) || ans.Passages[c.N-1].ID != c.ChunkID {
			tb.Errorf("citation [%d]: chunk %s is not passage %d", c.N, c.ChunkID, c.N)
		}
	}
}

func citationNumbers(cs []qa.Citation) []int {
	var out []int
	for _, c := range cs {
		out = append(out, c.N)
	}
	return out
}

func TestGeneratedAnswers(t *testing.T) {
	st := openStore(t)
	fake := qatest.NewServer(t)
	a := newAnswerer(t, st, fake, nil)
	tests := []struct {
		name          string
		set           func()
		wantCitations []int
		wantPostHoc   bool
		wantAbstained bool
		wantSupported []bool
		notInText     string
	}{
		{name: "verified answer", set: func() { fake.Set(qatest.Cite) },
			wantCitations: []int{1}, wantSupported: []bool{true}},
		{name: "citation of a passage not sent is dropped", set: func() { fake.Set(qatest.CiteMissing) },
			wantCitations: []int{1}, wantSupported: []bool{true}, notInText: "42"},
		{name: "answer citing nothing gets a post-hoc citation", set: func() { fake.Set(qatest.CiteNothing) },
			wantCitations: []int{1}, wantPostHoc: true, wantSupported: []bool{true}},
		{name: "list and adjacent markers", set: func() { fake.SetReply("{p1} [1, 42] {p2} [2][3]") },
			wantCitations: []int{1, 2, 3}, wantSupported: []bool{true, true}, notInText: "42"},
		{name: "marker after the full stop", set: func() { fake.SetReply("{p2}[2]\n[1]") },
			wantCitations: []int{1, 2}, wantSupported: []bool{true}},
		{name: "unsupported sentence", set: func() { fake.SetReply("{p1} [1] The moon is made of green cheese, astronomers say [2].") },
			wantCitations: []int{1, 2}, wantSupported: []bool{true, false}},
		{name: "model says the passages do not contain the answer", set: func() { fake.Set(qatest.NoAnswer) },
			wantAbstained: true},
		{name: "variant of the no-answer sentence", set: func() { fake.SetReply("I'm sorry, but the provided passages don't mention that.") },
			wantAbstained: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.set()
			ans, err := a.Answer(context.Background(), answerable, qa.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ans.Abstained != tt.wantAbstained {
				t.Fatalf("abstained = %v, want %v (text %q)", ans.Abstained, tt.wantAbstained, ans.Text)
			}
			if !ans.Generated || ans.Context == nil || ans.Context.PassagesSent == 0 {
				t.Errorf("generated = %v, context = %+v; want a generated answer with passages sent", ans.Generated, ans.Context)
			}
			if tt.wantAbstained {
				if ans.Text != qa.AbstainText || len(ans.Citations) != 0 {
					t.Errorf("abstention: text %q, %d citations; want %q and none", ans.Text, len(ans.Citations), qa.AbstainText)
				}
				return
			}
			if got := citationNumbers(ans.Citations); !slices.Equal(got, tt.wantCitations) {
				t.Errorf("citations %v, want %v (text %q)", got, tt.wantCitations, ans.Text)
			}
			for _, c := range ans.Citations {
				if c.PostHoc != tt.wantPostHoc {
					t.Errorf("citation [%d]: post hoc = %v, want %v", c.N, c.PostHoc, tt.wantPostHoc)
				}
			}
			checkQuotes(t, st, ans)
			if tt.notInText != "" && strings.Contains(ans.Text, tt.notInText) {
				t.Errorf("text %q still contains %q", ans.Text, tt.notInText)
			}
			var supported []bool
			for _, s := range ans.Sentences {
				supported = append(supported, s.Supported)
				if len(s.Citations) == 0 {
					t.Errorf("sentence %q checked against no passage", s.Text)
				}
				if !strings.Contains(ans.Text, s.Text) {
					t.Errorf("sentence %q is not in the answer %q", s.Text, ans.Text)
				}
			}
			if !slices.Equal(supported, tt.wantSupported) {
				t.Errorf("supported %v, want %v; sentences %+v", supported, tt.wantSupported, ans.Sentences)
			}
		})
	}
}

func TestAbstentionDoesNotCallTheModel(t *testing.T) {
	st := openStore(t)
	fake := qatest.NewServer(t)
	a := newAnswerer(t, st, fake, nil)
	var deltas []string
	ans, err := a.Answer(context.Background(), unanswerable, qa.Options{OnDelta: func(d string) { deltas = append(deltas, d) }})
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Abstained || ans.Text != qa.AbstainText {
		t.Errorf("answer %q (abstained %v, evidence %.3f), want an abstention", ans.Text, ans.Abstained, ans.Evidence)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the model got %d requests, want none", n)
	}
	if !slices.Equal(deltas, []string{qa.AbstainText}) {
		t.Errorf("deltas %q, want the abstention in one piece", deltas)
	}
}

func TestStreamingCallbacks(t *testing.T) {
	st := openStore(t)
	fake := qatest.NewServer(t)
	tests := []struct {
		name       string
		fake       *qatest.Server
		behaviour  qatest.Behaviour
		wantPieces int // at least
	}{
		{"generated", fake, qatest.Cite, 5},
		{"generated with a dropped marker", fake, qatest.CiteMissing, 5},
		{"extractive", nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Set(tt.behaviour)
			a := newAnswerer(t, st, tt.fake, nil)
			var events []string
			var text strings.Builder
			opt := qa.Options{
				OnPassages: func(hits []retrieval.Hit) { events = append(events, "passages") },
				OnDelta: func(d string) {
					events = append(events, "delta")
					text.WriteString(d)
				},
			}
			ans, err := a.Answer(context.Background(), answerable, opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) < 1+tt.wantPieces || events[0] != "passages" || slices.Contains(events[1:], "passages") {
				t.Errorf("events %v: want passages once, then at least %d deltas", events, tt.wantPieces)
			}
			if tt.fake == nil && len(events) != 2 {
				t.Errorf("extractive answer streamed in %d pieces, want 1", len(events)-1)
			}
			if got := strings.TrimSpace(text.String()); got != ans.Text {
				t.Errorf("streamed text %q, final text %q", got, ans.Text)
			}
			if n := len(fake.Requests()); tt.fake != nil && !fake.Requests()[n-1].Stream {
				t.Errorf("the model was not asked to stream")
			}
		})
	}
}

func TestModelFailures(t *testing.T) {
	st := openStore(t)
	fake := qatest.NewServer(t)
	tests := []struct {
		name        string
		behaviour   qatest.Behaviour
		fallback    qa.Fallback
		stream      bool
		wantErr     error
		wantWarning string
	}{
		{"failure falls back", qatest.Fail, qa.FallbackExtractive, false, nil, qatest.FailMessage},
		{"failure falls back while streaming", qatest.Fail, qa.FallbackExtractive, true, nil, "status 500"},
		{"failure is an error", qatest.Fail, qa.FallbackError, false, qa.ErrModelFailed, ""},
		{"timeout falls back", qatest.Stall, "", true, nil, "timed out"},
		{"timeout is an error", qatest.Stall, qa.FallbackError, false, qa.ErrModelTimeout, ""},
		{"streamed timeout is an error", qatest.Stall, qa.FallbackError, true, qa.ErrModelTimeout, ""},
		{"stream cut short falls back", qatest.CutShort, qa.FallbackExtractive, true, nil, "the stream ended before the answer did"},
		{"stream cut short is an error", qatest.CutShort, qa.FallbackError, true, qa.ErrModelFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Set(tt.behaviour)
			a := newAnswerer(t, st, fake, func(c *qa.Config) { c.Fallback, c.LLMTimeout = tt.fallback, 200*time.Millisecond })
			var opt qa.Options
			var streamed strings.Builder
			if tt.stream {
				opt.OnDelta = func(d string) { streamed.WriteString(d) }
			}
			ans, err := a.Answer(context.Background(), answerable, opt)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(ans.Warning, tt.wantWarning) {
				t.Errorf("warning %q does not mention %q", ans.Warning, tt.wantWarning)
			}
			if ans.Generated || ans.Abstained || len(ans.Citations) == 0 {
				t.Errorf("fallback answer %+v, want an extractive answer with citations", ans)
			}
			checkQuotes(t, st, ans)
			if tt.stream && !strings.Contains(streamed.String(), ans.Text) {
				t.Errorf("streamed %q, which lacks the fallback answer %q", streamed.String(), ans.Text)
			}
			// Model text streamed before the failure is set apart from
			// the quotation that replaces it.
			if before, _, ok := strings.Cut(streamed.String(), ans.Text); tt.stream && ok && strings.TrimSpace(before) != "" && !strings.Contains(before, qa.FallbackNotice) {
				t.Errorf("streamed %q: the model's partial text runs into the fallback without the notice", streamed.String())
			}
		})
	}
}

func TestCancellationReachesTheModel(t *testing.T) {
	st := openStore(t)
	fake := qatest.NewServer(t)
	fake.Set(qatest.Stall)
	a := newAnswerer(t, st, fake, nil)
	for _, stream := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		opt := qa.Options{}
		if stream {
			opt.OnDelta = func(string) {}
		}
		before, sent := fake.Cancelled(), len(fake.Requests())
		done := make(chan error, 1)
		go func() {
			_, err := a.Answer(ctx, answerable, opt)
			done <- err
		}()
		for len(fake.Requests()) == sent {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("stream %v: error %v, want context.Canceled (no fallback for a cancelled request)", stream, err)
		}
		fake.WaitCancelled(t, before+1, 5*time.Second)
	}
}

func TestFollowUpIsRewritten(t *testing.T) {
	st := openStore(t)
	fake := qatest.NewServer(t)
	fake.SetStandalone("What does Sir Keir Starmer want from Donald Trump?")
	history := []qa.Turn{
		{Role: "user", Content: "Who is visiting Washington?"},
		{Role: "assistant", Content: "Sir Keir Starmer is visiting Washington [1]."},
	}
	tests := []struct {
		name      string
		fake      *qatest.Server
		behaviour qatest.Behaviour
		wantQuery string
		wantWarn  string
	}{
		{"rewritten by the model", fake, qatest.Cite, "Question: What does Sir Keir Starmer want from Donald Trump?", ""},
		{"rewrite fails and falls back", fake, qatest.Fail, "", qatest.FailMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(fake.Requests())
			fake.Set(tt.behaviour)
			if tt.behaviour == qatest.Fail {
				fake.SetStandalone("")
			}
			a := newAnswerer(t, st, tt.fake, nil)
			ans, err := a.Answer(context.Background(), "What does he want from him?", qa.Options{History: history})
			if err != nil {
				t.Fatal(err)
			}
			reqs := fake.Requests()[before:]
			if tt.wantWarn != "" {
				if !strings.Contains(ans.Warning, tt.wantWarn) && len(reqs) != 1 {
					t.Errorf("warning %q, %d requests", ans.Warning, len(reqs))
				}
				return
			}
			if len(reqs) != 2 || !reqs[0].Rewrite || reqs[1].Rewrite {
				t.Fatalf("requests %+v, want a rewrite then an answer", reqs)
			}
			if !strings.Contains(reqs[0].Prompt, "user: Who is visiting Washington?") || !strings.Contains(reqs[0].Prompt, "user: What does he want from him?") {
				t.Errorf("rewrite prompt lacks the conversation:\n%s", reqs[0].Prompt)
			}
			if !strings.Contains(reqs[1].Prompt, tt.wantQuery) {
				t.Errorf("answer prompt does not ask %q:\n%s", tt.wantQuery, reqs[1].Prompt)
			}
			if ans.Timings.Rewrite <= 0 {
				t.Errorf("rewrite timing %v, want positive", ans.Timings.Rewrite)
			}
		})
	}
}

func TestNewRejectsBadGenerationConfig(t *testing.T) {
	st := openStore(t)
	fake := qatest.NewServer(t)
	tests := []struct {
		name   string
		change func(*qa.Config)
	}{
		{"no model name", func(c *qa.Config) { c.Model = "" }},
		{"unknown fallback", func(c *qa.Config) { c.Fallback = "shrug" }},
		{"negative budget", func(c *qa.Config) { c.MaxContextTokens = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := qa.Config{Retriever: st, Embedder: embed.NewHashing(256), LLM: fake.NewClient(), Model: "m"}
			tt.change(&cfg)
			if _, err := qa.New(cfg); !errors.Is(err, qa.ErrInvalid) {
				t.Errorf("error %v, want ErrInvalid", err)
			}
		})
	}
}

// TestUnreachableModelWarningHidesItsAddress: the warning of a model that
// cannot be reached says why, without the model's URL, which API clients
// see.
func TestUnreachableModelWarningHidesItsAddress(t *testing.T) {
	st := openStore(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	conf := openai.DefaultConfig("key")
	conf.BaseURL = "http://" + addr + "/v1"
	a := newAnswerer(t, st, nil, func(c *qa.Config) { c.LLM, c.Model = openai.NewClientWithConfig(conf), "m" })
	ans, err := a.Answer(context.Background(), answerable, qa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ans.Warning, "connection refused") || strings.Contains(ans.Warning, addr) {
		t.Errorf("warning %q: want the reason without the address %s", ans.Warning, addr)
	}
}

// TestOnlyTheRelevanceGateRunsBeforeTheModel checks that with a model the
// extractive answerability decision does not keep a question from it: a
// question about the articles reaches the model even when no sentence
// would be quoted as its answer, while an off-topic one does not.
func TestOnlyTheRelevanceGateRunsBeforeTheModel(t *testing.T) {
	st := openStore(t)
	fake := qatest.NewServer(t)
	// No extractive answer reaches this threshold.
	a := newAnswerer(t, st, fake, func(c *qa.Config) { c.AbstainThreshold = 1 - 1e-12 })
	ans, err := a.Answer(context.Background(), "What did Macron say European troops would not do?", qa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Requests()); n != 1 || !ans.Generated {
		t.Errorf("the model got %d requests (generated %v), want 1: only relevance gates it", n, ans.Generated)
	}
	if _, err := a.Answer(context.Background(), unanswerable, qa.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("the model got %d requests after an off-topic question, want still 1", n)
	}
}
