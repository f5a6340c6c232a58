package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/web"
)

// Keys of the tests; long enough for ParseKeys.
const (
	readKey  = "read-key-0123456789abcdef"
	writeKey = "write-key-0123456789abcdef"
)

// newSafeServer serves the seed articles with extractive answers and the
// configuration that edit makes.
func newSafeServer(tb testing.TB, edit func(*web.Config)) (*httptest.Server, *local.Store) {
	tb.Helper()
	emb := embed.NewHashing(256)
	st := seededStore(tb, emb)
	a, err := qa.New(qa.Config{Retriever: st, Embedder: emb})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := web.Config{Searcher: st, Writer: st, Reader: st, Answerer: a, Stats: st.Stats}
	if edit != nil {
		edit(&cfg)
	}
	srv := httptest.NewServer(web.New(cfg))
	tb.Cleanup(srv.Close)
	return srv, st
}

func mustKeys(tb testing.TB, text string) web.Keys {
	tb.Helper()
	ks, err := web.ParseKeys(strings.NewReader(text))
	if err != nil {
		tb.Fatal(err)
	}
	return ks
}

// send makes a request with the given headers and returns the status, the
// response headers and the body.
func send(tb testing.TB, srv *httptest.Server, method, path, body string, header map[string]string) (int, http.Header, string) {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(data)
}

func errorOf(body string) string {
	var e struct {
		Error any `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &e)
	if m, ok := e.Error.(map[string]any); ok {
		return fmt.Sprint(m["message"])
	}
	return fmt.Sprint(e.Error)
}

const newDoc = `{"id":"planted","title":"Planted","text":"A document no one should be able to plant without a key."}`

func TestAPIKeys(t *testing.T) {
	srv, st := newSafeServer(t, func(c *web.Config) {
		c.Keys = mustKeys(t, "# comment\n"+readKey+" read\n"+writeKey+" write\n")
	})
	docs0, _ := st.Len()
	bearer := func(k string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + k, "Content-Type": "application/json"}
	}
	jsonOnly := map[string]string{"Content-Type": "application/json"}
	for _, tt := range []struct {
		name         string
		method, path string
		body         string
		header       map[string]string
		want         int
		wantErr      string
	}{
		{"health check is open", "GET", "/healthz", "", nil, 200, ""},
		{"chat page is open", "GET", "/", "", nil, 200, ""},
		{"search without a key", "POST", "/api/search", `{"query":"troops"}`, jsonOnly, 401, "API key is required"},
		{"search with a wrong key", "POST", "/api/search", `{"query":"troops"}`, bearer("not-a-key-0123456789abcdef"), 401, "not valid"},
		{"basic auth is not a bearer key", "POST", "/api/search", `{"query":"troops"}`, map[string]string{"Authorization": "Basic " + readKey, "Content-Type": "application/json"}, 401, "API key is required"},
		{"search with a read key", "POST", "/api/search", `{"query":"troops"}`, bearer(readKey), 200, ""},
		{"ask with a read key", "POST", "/api/ask", `{"question":"What did Macron say?"}`, bearer(readKey), 200, ""},
		{"list without a key", "GET", "/api/documents", "", nil, 401, "API key"},
		{"models without a key", "GET", "/v1/models", "", nil, 401, "API key"},
		{"metrics without a key", "GET", "/metrics", "", nil, 401, "API key"},
		{"metrics with a read key", "GET", "/metrics", "", bearer(readKey), 200, ""},
		{"post without a key", "POST", "/api/documents", newDoc, jsonOnly, 401, "API key"},
		{"post with a read key", "POST", "/api/documents", newDoc, bearer(readKey), 403, "write key"},
		{"delete with a read key", "DELETE", "/api/documents/planted", "", bearer(readKey), 403, "write key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, h, body := send(t, srv, tt.method, tt.path, tt.body, tt.header)
			if got != tt.want {
				t.Fatalf("status %d, want %d (%s)", got, tt.want, body)
			}
			if tt.wantErr != "" && !strings.Contains(errorOf(body), tt.wantErr) {
				t.Errorf("error %q does not mention %q", errorOf(body), tt.wantErr)
			}
			if got == 401 && h.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
	if docs, _ := st.Len(); docs != docs0 {
		t.Fatalf("refused requests changed the store: %d documents, want %d", docs, docs0)
	}
	if got, _, body := send(t, srv, "POST", "/api/documents", newDoc, bearer(writeKey)); got != 201 {
		t.Fatalf("post with a write key: status %d, want 201 (%s)", got, body)
	}
}

func TestParseKeys(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       int
		wantErr    string
	}{
		{"lines and comments", "# keys\n\n" + readKey + " read\n" + writeKey + " write\n", 2, ""},
		{"commas", readKey + " read, " + writeKey + " write", 2, ""},
		{"unknown scope", readKey + " admin", 0, `scope "admin" is not read or write`},
		{"no scope", readKey, 0, "want \"KEY SCOPE\""},
		{"short key", "short read", 0, "shorter than 16"},
		{"twice", readKey + " read\n" + readKey + " write", 0, "line 2: key given twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ks, err := web.ParseKeys(strings.NewReader(tt.text))
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case err != nil && strings.Contains(err.Error(), readKey):
				t.Errorf("error %q reveals the key", err)
			case err == nil && ks.Len() != tt.want:
				t.Errorf("%d keys, want %d", ks.Len(), tt.want)
			}
		})
	}
}

// TestWritesNeedJSONContentType posts what any web page may send to any
// address without a preflight: no Content-Type, text/plain and a form.
func TestWritesNeedJSONContentType(t *testing.T) {
	srv, st := newSafeServer(t, nil)
	docs0, _ := st.Len()
	for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		for _, path := range []string{"/api/documents", "/api/search", "/api/ask", "/v1/chat/completions"} {
			for _, body := range []string{"", newDoc} {
				t.Run(fmt.Sprintf("%s %q %d bytes", path, ct, len(body)), func(t *testing.T) {
					h := map[string]string{}
					if ct != "" {
						h["Content-Type"] = ct
					}
					got, _, resp := send(t, srv, "POST", path, body, h)
					if got != http.StatusUnsupportedMediaType || !strings.Contains(errorOf(resp), "application/json") {
						t.Errorf("status %d %q, want 415 naming application/json", got, errorOf(resp))
					}
				})
			}
		}
	}
	if docs, _ := st.Len(); docs != docs0 {
		t.Fatalf("a refused post was stored: %d documents, want %d", docs, docs0)
	}
}

func TestHostHeader(t *testing.T) {
	srv, _ := newSafeServer(t, func(c *web.Config) { c.AllowedHosts = []string{"ragd.example.org", "*.corp.example"} })
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	for _, tt := range []struct {
		host string
		want int
	}{
		{srv.Listener.Addr().String(), 200},
		{"localhost:" + strconv.Itoa(port), 200},
		{"LOCALHOST", 200},
		{"app.localhost", 200},
		{"[::1]:8080", 200},
		{"ragd.example.org", 200},
		{"ragd.example.org:443", 200},
		{"a.corp.example", 200},
		// A name rebound to 127.0.0.1 by a page on that name.
		{"attacker.example:" + strconv.Itoa(port), 421},
		{"ragd.example.org.attacker.example", 421},
		{"corp.example.attacker", 421},
		{"10.1.2.3", 421},
	} {
		t.Run(tt.host, func(t *testing.T) {
			got, _, body := send(t, srv, "GET", "/healthz", "", map[string]string{"Host": tt.host})
			if got != tt.want {
				t.Fatalf("status %d, want %d (%s)", got, tt.want, body)
			}
			if got == 421 && !strings.Contains(errorOf(body), "--allowed-hosts") {
				t.Errorf("error %q does not say how to allow the host", errorOf(body))
			}
		})
	}
}

// TestNoHostHeader sends an HTTP/1.0 probe without Host, which no browser
// sends and so no page can use.
func TestNoHostHeader(t *testing.T) {
	srv, _ := newSafeServer(t, nil)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /healthz HTTP/1.0\r\n\r\n")
	resp, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(resp), "HTTP/1.0 200") {
		t.Errorf("response %q, want 200", resp)
	}
}

func TestValidateHost(t *testing.T) {
	for _, h := range []string{"ragd.example.org", "*.example.org", "*", "10.0.0.1", "[::1]"} {
		if err := web.ValidateHost(h); err != nil {
			t.Errorf("ValidateHost(%q): %v", h, err)
		}
	}
	for _, h := range []string{"", "ragd.example.org:8080", "http://ragd", "a*b"} {
		if err := web.ValidateHost(h); err == nil {
			t.Errorf("ValidateHost(%q) accepted it", h)
		}
	}
}

func TestCORS(t *testing.T) {
	preflight := map[string]string{
		"Origin": "http://127.0.0.1:9999", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type",
	}
	t.Run("off by default", func(t *testing.T) {
		srv, _ := newSafeServer(t, nil)
		_, h, _ := send(t, srv, "OPTIONS", "/api/documents", "", preflight)
		if got := h.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin %q, want none", got)
		}
		_, h, _ = send(t, srv, "GET", "/api/documents", "", map[string]string{"Origin": "http://127.0.0.1:9999"})
		if got := h.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET: Access-Control-Allow-Origin %q, want none", got)
		}
	})
	t.Run("listed origin", func(t *testing.T) {
		srv, _ := newSafeServer(t, func(c *web.Config) { c.CORSOrigins = []string{"http://127.0.0.1:9999"} })
		_, h, _ := send(t, srv, "OPTIONS", "/api/documents", "", preflight)
		if got := h.Get("Access-Control-Allow-Origin"); got != "http://127.0.0.1:9999" {
			t.Errorf("Access-Control-Allow-Origin %q, want the listed origin", got)
		}
		preflight["Origin"] = "http://127.0.0.1:9998"
		_, h, _ = send(t, srv, "OPTIONS", "/api/documents", "", preflight)
		if got := h.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("unlisted origin: Access-Control-Allow-Origin %q, want none", got)
		}
	})
}

// words returns n distinct words.
func words(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "w%dq ", i)
	}
	return b.String()
}

func TestBoundedWork(t *testing.T) {
	srv, st := newSafeServer(t, nil)
	docs0, _ := st.Len()
	js := map[string]string{"Content-Type": "application/json"}
	body := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	turns := func(n int, content string) []map[string]string {
		var out []map[string]string
		for i := range n {
			role := "user"
			if i%2 == 1 {
				role = "assistant"
			}
			out = append(out, map[string]string{"role": role, "content": content})
		}
		return out
	}
	for _, tt := range []struct {
		name, path, body, wantErr string
	}{
		{"80,000-word query", "/api/search", body(map[string]any{"query": words(80000)}), "request body too large"},
		{"9,000-character query", "/api/search", body(map[string]any{"query": strings.Repeat("troops ", 1300)}), "longer than 8192 characters"},
		{"1,024 terms", "/api/search", body(map[string]any{"query": words(1024)}), ""},
		{"1,100 distinct terms", "/api/search", body(map[string]any{"query": words(1100)}), "more than 1024 search terms"},
		{"1,500 repeated terms", "/api/search", body(map[string]any{"query": strings.Repeat("troops ", 1100)}), "more than 1024 search terms"},
		{"long question", "/api/ask", body(map[string]any{"question": words(1000)}), "longer than 2000 characters"},
		{"too many turns", "/api/ask", body(map[string]any{"question": "Who?", "history": turns(51, "hi")}), "more than 50 turns"},
		{"long history", "/api/ask", body(map[string]any{"question": "Who?", "history": turns(20, strings.Repeat("x", 1999))}), "over 32000 characters"},
		{"long user turn", "/api/ask", body(map[string]any{"question": "Who?", "history": turns(1, words(400))}), "longer than 2000 characters"},
		{"chat: long history", "/v1/chat/completions", body(map[string]any{"messages": append(turns(20, strings.Repeat("x", 1999)), map[string]string{"role": "user", "content": "Who?"})}), "over 32000 characters"},
		{"chat: 80,000-word last message", "/v1/chat/completions", body(map[string]any{"messages": turns(1, words(80000))}), "request body too large"},
		{"chat: long last message", "/v1/chat/completions", body(map[string]any{"messages": turns(1, words(400))}), "longer than 2000 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, _, resp := send(t, srv, "POST", tt.path, tt.body, js)
			if tt.wantErr == "" {
				if got != 200 {
					t.Fatalf("status %d, want 200 (%s)", got, errorOf(resp))
				}
				return
			}
			want := 400
			if strings.Contains(tt.wantErr, "too large") {
				want = 413
			}
			if got != want || !strings.Contains(errorOf(resp), tt.wantErr) {
				t.Fatalf("status %d %q, want %d saying %q", got, errorOf(resp), want, tt.wantErr)
			}
		})
	}
	if docs, _ := st.Len(); docs != docs0 {
		t.Fatalf("documents %d, want %d", docs, docs0)
	}
}

func TestRateLimit(t *testing.T) {
	srv, _ := newSafeServer(t, func(c *web.Config) {
		c.RateLimit, c.RateBurst = 0.5, 3
		c.Keys = mustKeys(t, readKey+" read\n"+writeKey+" write")
	})
	get := func(key string) (int, http.Header) {
		got, h, _ := send(t, srv, "GET", "/api/documents", "", map[string]string{"Authorization": "Bearer " + key})
		return got, h
	}
	for i := range 3 {
		if got, _ := get(readKey); got != 200 {
			t.Fatalf("request %d: status %d, want 200", i+1, got)
		}
	}
	got, h := get(readKey)
	if got != http.StatusTooManyRequests {
		t.Fatalf("request 4: status %d, want 429", got)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
		t.Errorf("Retry-After %q, want 1 or 2 seconds", h.Get("Retry-After"))
	}
	// Each key has its own bucket; the health check has none.
	if got, _ := get(writeKey); got != 200 {
		t.Errorf("another key: status %d, want 200", got)
	}
	for range 5 {
		if got, _, _ := send(t, srv, "GET", "/healthz", "", nil); got != 200 {
			t.Fatalf("health check: status %d, want 200", got)
		}
	}
}

func TestAccessLog(t *testing.T) {
	var buf syncBuffer
	srv, _ := newSafeServer(t, func(c *web.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, h, _ := send(t, srv, "POST", "/api/search", `{"query":"troops"}`, map[string]string{"Content-Type": "application/json", "X-Request-ID": "req-42"})
	if got := h.Get("X-Request-ID"); got != "req-42" {
		t.Errorf("X-Request-ID %q, want the client's", got)
	}
	_, h, _ = send(t, srv, "GET", "/api/documents/nope", "", map[string]string{"X-Request-ID": "bad id\twith spaces"})
	generated := h.Get("X-Request-ID")
	if len(generated) != 16 {
		t.Errorf("X-Request-ID %q, want a fresh 16-digit id for an unusable one", generated)
	}
	var lines []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d access log lines, want 2:\n%s", len(lines), buf.String())
	}
	for i, want := range []map[string]any{
		{"method": "POST", "route": "/api/search", "status": 200.0, "request_id": "req-42"},
		{"method": "GET", "route": "/api/documents/:id", "status": 404.0, "request_id": generated},
	} {
		for k, v := range want {
			if lines[i][k] != v {
				t.Errorf("line %d: %s = %v, want %v", i+1, k, lines[i][k], v)
			}
		}
		if b, _ := lines[i]["bytes"].(float64); b <= 0 {
			t.Errorf("line %d: bytes %v, want the body's size", i+1, lines[i]["bytes"])
		}
		if _, ok := lines[i]["duration_ms"].(float64); !ok {
			t.Errorf("line %d: no duration_ms", i+1)
		}
	}
}

func TestMetrics(t *testing.T) {
	srv, st := newSafeServer(t, nil)
	js := map[string]string{"Content-Type": "application/json"}
	send(t, srv, "POST", "/api/search", `{"query":"troops"}`, js)
	send(t, srv, "POST", "/api/ask", `{"question":"What did Macron say European troops would not do?"}`, js)
	send(t, srv, "POST", "/api/documents", newDoc, js)
	send(t, srv, "DELETE", "/api/documents/planted", "", nil)
	send(t, srv, "GET", "/api/documents/nope", "", nil)
	got, _, body := send(t, srv, "GET", "/metrics", "", nil)
	if got != 200 {
		t.Fatalf("status %d", got)
	}
	docs, chunks := st.Len()
	for _, want := range []string{
		`ragd_http_requests_total{method="POST",route="/api/search",status="200"} 1`,
		`ragd_http_requests_total{method="GET",route="/api/documents/:id",status="404"} 1`,
		`ragd_http_request_duration_seconds_count{method="POST",route="/api/ask"} 1`,
		`ragd_answer_stage_duration_seconds_count{stage="retrieve"} 1`,
		`ragd_answer_stage_duration_seconds_count{stage="extract"} 1`,
		// A search and an answer's retrieval, each embedding, ranking
		// both ways, fusing and re-ranking.
		`ragd_search_stage_duration_seconds_count{stage="embed"} 2`,
		`ragd_search_stage_duration_seconds_count{stage="lexical"} 2`,
		`ragd_search_stage_duration_seconds_count{stage="dense"} 2`,
		`ragd_search_stage_duration_seconds_count{stage="fuse"} 2`,
		`ragd_search_stage_duration_seconds_count{stage="rerank"} 2`,
		`ragd_ingested_documents_total{status="added"} 1`,
		`ragd_deleted_documents_total 1`,
		fmt.Sprintf("ragd_documents %d", docs),
		fmt.Sprintf("ragd_chunks %d", chunks),
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// faultyWriter fails every write with an error of the operating system,
// wrapped as the store wraps its file errors.
type faultyWriter struct{ err error }

func (w faultyWriter) Ingest(context.Context, []retrieval.Document) ([]retrieval.IngestResult, error) {
	return nil, fmt.Errorf("ingest: save: %w", &fs.PathError{Op: "open", Path: "/secret/data/docs.jsonl", Err: w.err})
}

func (w faultyWriter) Delete(context.Context, string) error {
	return fmt.Errorf("delete: save: %w", &fs.PathError{Op: "rename", Path: "/secret/data/docs.jsonl", Err: w.err})
}

func TestStorageFaults(t *testing.T) {
	for _, tt := range []struct {
		err     error
		want    int
		wantMsg string
	}{
		{syscall.ENOSPC, 507, "no space left"},
		{syscall.EDQUOT, 507, "no space left"},
		{syscall.EROFS, 503, "read-only"},
		{syscall.EACCES, 503, "permission denied"},
		{syscall.EPERM, 503, "permission denied"},
	} {
		t.Run(tt.err.Error(), func(t *testing.T) {
			srv, _ := newSafeServer(t, func(c *web.Config) { c.Writer = faultyWriter{tt.err} })
			for _, req := range []struct{ method, path, body string }{
				{"POST", "/api/documents", newDoc},
				{"DELETE", "/api/documents/a", ""},
			} {
				got, _, body := send(t, srv, req.method, req.path, req.body, map[string]string{"Content-Type": "application/json"})
				msg := errorOf(body)
				if got != tt.want || !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("%s: status %d %q, want %d saying %q", req.method, got, msg, tt.want, tt.wantMsg)
				}
				if strings.Contains(msg, "/secret") {
					t.Errorf("%s: error %q reveals the path", req.method, msg)
				}
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSlowBodyTimesOut(t *testing.T) {
	srv, st := newSafeServer(t, func(c *web.Config) { c.Timeouts.Read = 300 * time.Millisecond })
	docs0, _ := st.Len()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/documents HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"title\":")
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, _ := io.ReadAll(conn)
	if time.Since(start) > 5*time.Second {
		t.Fatalf("the server held a stalled body for %v", time.Since(start))
	}
	if !strings.Contains(string(resp), "408") {
		t.Errorf("response %q, want 408 Request Timeout", resp)
	}
	if docs, _ := st.Len(); docs != docs0 {
		t.Fatalf("documents %d, want %d", docs, docs0)
	}
}

// echoingModel is an OpenAI-compatible server that refuses every call with
// an error body that repeats the bearer key it was sent, as some providers
// and proxies do ("Incorrect API key provided: sk-..."): JSON in OpenAI's
// shape, or plain text.
func echoingModel(tb testing.TB, plain bool) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if plain {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, "401 Unauthorized: bad token %s for %s", key, r.URL.Path)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s. You can find your API key at https://provider.example/keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, key)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func TestModelErrorsHideSecrets(t *testing.T) {
	const secret = "sk-live-5f3c9a0d2b7e41c8a9f0"
	for _, tt := range []struct {
		name     string
		plain    bool
		fallback qa.Fallback
	}{
		{"JSON error, extractive fallback", false, qa.FallbackExtractive},
		{"text error, extractive fallback", true, qa.FallbackExtractive},
		{"JSON error, error fallback", false, qa.FallbackError},
		{"text error, error fallback", true, qa.FallbackError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			model := echoingModel(t, tt.plain)
			cfg := openai.DefaultConfig(secret)
			cfg.BaseURL = model.URL + "/v1"
			var logs syncBuffer
			srv, _ := newSafeServer(t, func(c *web.Config) {
				emb := embed.NewHashing(256)
				a, err := qa.New(qa.Config{Retriever: c.Searcher.(*local.Store), Embedder: emb,
					LLM: openai.NewClientWithConfig(cfg), Model: "m", Fallback: tt.fallback})
				if err != nil {
					t.Fatal(err)
				}
				c.Answerer = a
				c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			})
			js := map[string]string{"Content-Type": "application/json"}
			for _, req := range []struct{ path, body string }{
				{"/api/ask", `{"question":"What did Macron say European troops would not do?"}`},
				{"/api/ask", `{"question":"What did Macron say European troops would not do?","stream":true}`},
				{"/v1/chat/completions", `{"messages":[{"role":"user","content":"What did Macron say European troops would not do?"}]}`},
			} {
				code, _, body := send(t, srv, "POST", req.path, req.body, js)
				if strings.Contains(body, secret) || strings.Contains(body, secret[:12]) {
					t.Errorf("%s: the response reveals the model's key: %s", req.path, body)
				}
				want := 200
				if tt.fallback == qa.FallbackError && !strings.Contains(req.body, "stream") {
					want = http.StatusBadGateway
				}
				if code != want {
					t.Errorf("%s: status %d, want %d: %s", req.path, code, want, body)
				}
				if !strings.Contains(body, "status 401") {
					t.Errorf("%s: the response does not say what the model answered: %s", req.path, body)
				}
			}
			if strings.Contains(logs.String(), secret[:12]) {
				t.Errorf("the log reveals the model's key:\n%s", logs.String())
			}
		})
	}
}

// TestCitationMarkersInDocumentText asks about an article whose text holds
// "[1]" and "[2]" of its own: only ragd's markers may cite in the answer,
// while the citation still quotes the document verbatim.
func TestCitationMarkersInDocumentText(t *testing.T) {
	srv, _ := newGloVeServer(t, nil)
	doc := `{"id":"markers","title":"Tromsø harbour froze","text":"Tromsø harbour froze.\n\nThe harbour of Tromsø froze over in January for the first time in forty years [1], the port authority said [2, 3]. Ferries to the islands were cancelled for a week."}`
	if code := call(t, srv, "POST", "/api/documents", doc, nil); code != 201 {
		t.Fatalf("post: status %d", code)
	}
	var got web.AskResponse
	if code := call(t, srv, "POST", "/api/ask", `{"question":"When did the harbour of Tromsø freeze over?","filters":{"doc_id":"markers"}}`, &got); code != 200 {
		t.Fatalf("ask: status %d", code)
	}
	if got.Abstained || len(got.Citations) == 0 {
		t.Fatalf("no answer: %+v", got)
	}
	markers := regexp.MustCompile(`\[(\d+(?:\s*,\s*\d+)*)\]`).FindAllStringSubmatch(got.Answer, -1)
	var ns []string
	for _, m := range markers {
		ns = append(ns, m[1])
	}
	var want []string
	for _, c := range got.Citations {
		want = append(want, strconv.Itoa(c.N))
	}
	if !slices.Equal(ns, want) {
		t.Errorf("markers %q in %q, want only ragd's %q", ns, got.Answer, want)
	}
	if !strings.Contains(got.Answer, "forty years (1)") {
		t.Errorf("answer %q does not keep the document's own note as (1)", got.Answer)
	}
	if !strings.Contains(got.Citations[0].Quote, "[1]") {
		t.Errorf("quote %q is not verbatim", got.Citations[0].Quote)
	}
}

// slowAnswerer answers after a delay, streaming a piece every step when
// asked to, and records whether its context was cancelled.
type slowAnswerer struct {
	steps     int
	step      time.Duration
	cancelled chan struct{}
}

func (a *slowAnswerer) Answer(ctx context.Context, question string, opt qa.Options) (qa.Answer, error) {
	for i := range a.steps {
		select {
		case <-ctx.Done():
			close(a.cancelled)
			return qa.Answer{}, fmt.Errorf("answer: %w", ctx.Err())
		case <-time.After(a.step):
		}
		if opt.OnDelta != nil {
			opt.OnDelta(fmt.Sprintf("piece %d ", i))
		}
	}
	return qa.Answer{Text: "done", Citations: []qa.Citation{}}, nil
}

func TestWriteTimeout(t *testing.T) {
	newSlow := func(t *testing.T) (*httptest.Server, *slowAnswerer) {
		a := &slowAnswerer{steps: 8, step: 100 * time.Millisecond, cancelled: make(chan struct{})}
		srv, _ := newSafeServer(t, func(c *web.Config) {
			c.Answerer = a
			c.Timeouts = web.Timeouts{Write: 300 * time.Millisecond, Stream: 5 * time.Second}
		})
		return srv, a
	}
	t.Run("a slow answer is cut off with 503", func(t *testing.T) {
		srv, a := newSlow(t)
		code, _, body := send(t, srv, "POST", "/api/ask", `{"question":"Who?"}`, map[string]string{"Content-Type": "application/json"})
		if code != http.StatusServiceUnavailable || !strings.Contains(errorOf(body), "longer than the server allows") {
			t.Errorf("status %d %q, want 503 saying it took too long", code, errorOf(body))
		}
		select {
		case <-a.cancelled:
		case <-time.After(2 * time.Second):
			t.Error("the answer's work went on after the write timeout")
		}
	})
	t.Run("a stream outlives the write timeout", func(t *testing.T) {
		srv, _ := newSlow(t)
		code, _, body := send(t, srv, "POST", "/api/ask", `{"question":"Who?","stream":true}`, map[string]string{"Content-Type": "application/json"})
		if code != 200 || !strings.Contains(body, "event: done") || !strings.Contains(body, "piece 7") {
			t.Errorf("status %d, body %q; want the whole stream", code, body)
		}
	})
	t.Run("a stream is cut off at the stream timeout", func(t *testing.T) {
		a := &slowAnswerer{steps: 100, step: 100 * time.Millisecond, cancelled: make(chan struct{})}
		srv, _ := newSafeServer(t, func(c *web.Config) {
			c.Answerer = a
			c.Timeouts = web.Timeouts{Write: 200 * time.Millisecond, Stream: 500 * time.Millisecond}
		})
		start := time.Now()
		_, _, body := send(t, srv, "POST", "/api/ask", `{"question":"Who?","stream":true}`, map[string]string{"Content-Type": "application/json"})
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("the stream lasted %v", d)
		}
		if !strings.Contains(body, "event: error") || !strings.Contains(body, "longer than the server allows") {
			t.Errorf("body %q, want an error event saying the stream took too long", body)
		}
	})
}

// TestClientLeavingStopsWork cancels a request while its answer is being
// worked on: the work must see its context end.
func TestClientLeavingStopsWork(t *testing.T) {
	a := &slowAnswerer{steps: 100, step: 100 * time.Millisecond, cancelled: make(chan struct{})}
	srv, _ := newSafeServer(t, func(c *web.Config) { c.Answerer = a })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/ask", strings.NewReader(`{"question":"Who?"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("status %d, want the client to give up", resp.StatusCode)
	}
	select {
	case <-a.cancelled:
	case <-time.After(2 * time.Second):
		t.Fatal("the work went on after the client left")
	}
}

// TestQueryBodyLimit posts a 2 MiB query, under the documents' body limit:
// it is refused before it is decoded. The largest history allowed, written
// as \uXXXX escapes, still fits.
func TestQueryBodyLimit(t *testing.T) {
	srv, _ := newSafeServer(t, nil)
	huge := mustJSON(map[string]any{"query": strings.Repeat("troops ", 300000)})
	for _, path := range []string{"/api/search", "/api/ask", "/v1/chat/completions"} {
		code, _, body := send(t, srv, "POST", path, huge, map[string]string{"Content-Type": "application/json"})
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(errorOf(body), "too large") {
			t.Errorf("%s: status %d %q, want 413", path, code, errorOf(body))
		}
	}
	var turns []string
	for range 16 {
		turns = append(turns, `{"role":"assistant","content":"`+strings.Repeat(`\u00e9`, web.MaxHistoryLen/16)+`"}`)
	}
	escaped := `{"question":"` + strings.Repeat(`\u00e9`, 1990) + `?","history":[` + strings.Join(turns, ",") + `]}`
	if code, _, body := send(t, srv, "POST", "/api/ask", escaped, map[string]string{"Content-Type": "application/json"}); code != 200 {
		t.Errorf("the largest history, escaped (%d bytes): status %d %q, want 200", len(escaped), code, errorOf(body))
	}
	doc := mustJSON(map[string]any{"id": "big", "title": "Big", "text": strings.Repeat("Troops gathered at the border. ", 70000)})
	if code, _, body := send(t, srv, "POST", "/api/documents", doc, map[string]string{"Content-Type": "application/json"}); code != 201 {
		t.Errorf("a 2 MiB document: status %d %q, want 201", code, errorOf(body))
	}
}
