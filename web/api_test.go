package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/parse"
	"github.com/ragd/ragd/web"
)

// newServer starts a real ragd HTTP server on loopback over a store in a
// temporary directory, holding the seed articles.
func newServer(tb testing.TB, maxBody int64) (*httptest.Server, *local.Store) {
	tb.Helper()
	st := seededStore(tb, embed.NewHashing(256))
	srv := httptest.NewServer(web.New(web.Config{Searcher: st, Writer: st, Reader: st, MaxBody: maxBody}))
	tb.Cleanup(srv.Close)
	return srv, st
}

// seededStore opens a store in a temporary directory and ingests the seed
// articles.
func seededStore(tb testing.TB, emb retrieval.Embedder) *local.Store {
	tb.Helper()
	st, err := local.Open(context.Background(), local.Config{Dir: tb.TempDir(), Embedder: emb})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	paths, _ := filepath.Glob("../testdata/articles/*.txt")
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

// call sends a request and decodes the JSON response into out (if not nil).
func call(tb testing.TB, srv *httptest.Server, method, path, body string, out any) int {
	tb.Helper()
	var header map[string]string
	if body != "" || method == http.MethodPost {
		header = map[string]string{"Content-Type": "application/json"}
	}
	code, h, data := send(tb, srv, method, path, body, header)
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("%s %s: content type %q, want JSON", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(data), out); err != nil {
			tb.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return code
}

type errorResponse struct {
	Error string `json:"error"`
}

func TestClientErrors(t *testing.T) {
	srv, st := newServer(t, 4096)
	docs0, chunks0 := st.Len()
	big := `{"title":"Big","text":"` + strings.Repeat("word ", 2000) + `"}`
	tests := []struct {
		name, method, path, body string
		want                     int
		wantMsg                  string
	}{
		{"malformed JSON", "POST", "/api/documents", `{"title": "x", "text": `, 400, "malformed JSON"},
		{"not an object", "POST", "/api/documents", `["x"]`, 400, ""},
		{"empty body", "POST", "/api/documents", ``, 400, "empty"},
		{"missing title", "POST", "/api/documents", `{"text":"some text"}`, 400, "title is required"},
		{"missing text", "POST", "/api/documents", `{"title":"T"}`, 400, "text is required"},
		{"blank text", "POST", "/api/documents", `{"title":"T","text":"   "}`, 400, "text is required"},
		{"text without words", "POST", "/api/documents", `{"title":"T","text":"... !!! -- \u0000"}`, 400, "no words"},
		{"bad date", "POST", "/api/documents", `{"title":"T","text":"x","published":"yesterday"}`, 400, "published"},
		{"zero date", "POST", "/api/documents", `{"title":"T","text":"x","published":"0001-01-01"}`, 400, "not a real date"},
		{"unknown field", "POST", "/api/documents", `{"title":"T","text":"x","colour":"red"}`, 400, "colour"},
		{"wrong type", "POST", "/api/documents", `{"title":7,"text":"x"}`, 400, `field "title" must be a string, not number`},
		{"body not an object", "POST", "/api/search", `[]`, 400, "request body must be an object, not array"},
		{"filters not an object", "POST", "/api/search", `{"query":"x","filters":"abc"}`, 400, `field "filters" must be an object, not string`},
		{"doc_id filter not strings", "POST", "/api/search", `{"query":"x","filters":{"doc_id":5}}`, 400, "doc_id must be a string or an array of strings"},
		{"exclude_doc_id filter not strings", "POST", "/api/ask", `{"question":"x","filters":{"exclude_doc_id":[1]}}`, 400, "exclude_doc_id must be a string or an array of strings"},
		{"trailing brace", "POST", "/api/documents", `{"title":"T","text":"x"} }`, 400, "trailing"},
		{"trailing data", "POST", "/api/documents", `{"title":"T","text":"x"} {}`, 400, "trailing"},
		{"too large", "POST", "/api/documents", big, 413, "too large"},
		{"search malformed", "POST", "/api/search", `{"query":`, 400, "malformed JSON"},
		{"search no query", "POST", "/api/search", `{"k":3}`, 400, "query is required"},
		{"search k zero", "POST", "/api/search", `{"query":"troops","k":0}`, 400, "k must be"},
		{"search k too big", "POST", "/api/search", `{"query":"troops","k":101}`, 400, "k must be"},
		{"search k negative", "POST", "/api/search", `{"query":"troops","k":-5}`, 400, "k must be"},
		{"search bad filter date", "POST", "/api/search", `{"query":"troops","filters":{"published_from":"May"}}`, 400, "published_from"},
		{"search dates out of order", "POST", "/api/search", `{"query":"troops","filters":{"published_from":"2025-03-02","published_to":"2025-03-01"}}`, 400, ""},
		{"search bad mode", "POST", "/api/search", `{"query":"troops","mode":"fuzzy"}`, 400, "mode"},
		{"search sentence weight of 1", "POST", "/api/search", `{"query":"troops","sentence_weight":1}`, 400, "sentence_weight"},
		{"search negative sentence weight", "POST", "/api/search", `{"query":"troops","sentence_weight":-0.5}`, 400, "sentence_weight"},
		{"search too large", "POST", "/api/search", `{"query":"` + strings.Repeat("q", 5000) + `"}`, 413, "too large"},
		{"get unknown", "GET", "/api/documents/no-such-doc", "", 404, "not found"},
		{"delete unknown", "DELETE", "/api/documents/no-such-doc", "", 404, "not found"},
		{"list bad limit", "GET", "/api/documents?limit=0", "", 400, "limit"},
		{"list bad offset", "GET", "/api/documents?offset=-1", "", 400, "offset"},
		{"unknown route", "GET", "/api/nothing", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got errorResponse
			code := call(t, srv, tt.method, tt.path, tt.body, &got)
			if code != tt.want {
				t.Errorf("status %d, want %d (error %q)", code, tt.want, got.Error)
			}
			if got.Error == "" {
				t.Errorf("no error message in body")
			}
			if !strings.Contains(got.Error, tt.wantMsg) {
				t.Errorf("error %q does not mention %q", got.Error, tt.wantMsg)
			}
			// Messages speak of the request, not of Go types or of the
			// calls that found the mistake.
			for _, internal := range []string{"web.", "[]", "search:", "retrieve:", "invalid input:"} {
				if strings.Contains(got.Error, internal) {
					t.Errorf("error %q shows %q", got.Error, internal)
				}
			}
			// A rejected request leaves the store unchanged.
			if docs, chunks := st.Len(); docs != docs0 || chunks != chunks0 {
				t.Errorf("store changed by a rejected request: %d docs, %d chunks; want %d, %d", docs, chunks, docs0, chunks0)
			}
		})
	}
}

func TestDocumentLifecycle(t *testing.T) {
	srv, _ := newServer(t, 0)
	body := `{"id":"kiwi-1","title":"Kiwi harvest","text":"The kiwi harvest in Otago reached 4,200 tonnes.\nGrowers were pleased.","source":"https://news.example/kiwi","published":"2025-03-01","author":"Ann Reporter"}`
	var created struct {
		ID     string `json:"id"`
		Chunks int    `json:"chunks"`
		Status string `json:"status"`
	}
	if code := call(t, srv, "POST", "/api/documents", body, &created); code != http.StatusCreated {
		t.Fatalf("create: status %d, want 201", code)
	}
	if created.ID != "kiwi-1" || created.Chunks != 1 || created.Status != "added" {
		t.Errorf("create response %+v", created)
	}
	if code := call(t, srv, "POST", "/api/documents", body, &created); code != http.StatusOK || created.Status != "unchanged" {
		t.Errorf("re-post: status %d, %+v; want 200 unchanged", code, created)
	}

	var doc struct {
		ID, Title, Text, Source, Author string
		Published                       *string
		Chunks                          []struct {
			ChunkID    string `json:"chunk_id"`
			Start, End int
			Text       string
		}
	}
	if code := call(t, srv, "GET", "/api/documents/kiwi-1", "", &doc); code != 200 {
		t.Fatalf("get: status %d", code)
	}
	if doc.Title != "Kiwi harvest" || doc.Author != "Ann Reporter" || doc.Published == nil || *doc.Published != "2025-03-01" || len(doc.Chunks) != 1 {
		t.Errorf("get returned %+v", doc)
	}

	var res web.SearchResponse
	code := call(t, srv, "POST", "/api/search", `{"query":"kiwi tonnes Otago","k":3,"filters":{"author":"Ann Reporter","published_from":"2025-03-01","published_to":"2025-03-01"}}`, &res)
	if code != 200 || len(res.Hits) != 1 {
		t.Fatalf("filtered search: status %d, %d hits; want 200, 1", code, len(res.Hits))
	}
	h := res.Hits[0]
	if h.DocID != "kiwi-1" || h.ChunkID == "" || h.Title != "Kiwi harvest" || h.Source != "https://news.example/kiwi" || h.Published == nil || !strings.Contains(h.Text, "4,200 tonnes") {
		t.Errorf("hit = %+v", h)
	}

	var list struct {
		Documents []struct{ ID string }
		Total     int
	}
	if code := call(t, srv, "GET", "/api/documents?limit=2&offset=0", "", &list); code != 200 || len(list.Documents) != 2 || list.Total != 6 {
		t.Errorf("list: status %d, %d docs, total %d; want 200, 2, 6", code, len(list.Documents), list.Total)
	}

	if code := call(t, srv, "DELETE", "/api/documents/kiwi-1", "", nil); code != 200 {
		t.Errorf("delete: status %d", code)
	}
	if code := call(t, srv, "GET", "/api/documents/kiwi-1", "", nil); code != 404 {
		t.Errorf("get after delete: status %d, want 404", code)
	}
	call(t, srv, "POST", "/api/search", `{"query":"kiwi harvest Otago","k":10}`, &res)
	for _, h := range res.Hits {
		if h.DocID == "kiwi-1" {
			t.Errorf("deleted document still found: %s", h.ChunkID)
		}
	}
}

func TestDocumentWithoutIDGetsAStableOne(t *testing.T) {
	srv, _ := newServer(t, 0)
	var a, b struct{ ID, Status string }
	body := `{"title":"Untitled note","text":"A note without an id."}`
	call(t, srv, "POST", "/api/documents", body, &a)
	call(t, srv, "POST", "/api/documents", body, &b)
	if a.ID == "" || a.ID != b.ID || b.Status != "unchanged" {
		t.Errorf("ids %q then %q (status %q): want the same id and unchanged", a.ID, b.ID, b.Status)
	}
}

func TestHealthz(t *testing.T) {
	srv, _ := newServer(t, 0)
	var got map[string]string
	if code := call(t, srv, "GET", "/healthz", "", &got); code != 200 || got["status"] != "ok" {
		t.Errorf("healthz: %d %v", code, got)
	}
	resp, err := srv.Client().Head(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("HEAD /healthz: status %d, want 200", resp.StatusCode)
	}
}

func TestSearchSentenceWeight(t *testing.T) {
	// sentence_weight re-ranks this query's hits as the store's
	// SentenceWeight would: the same hits as the Go API returns for it.
	srv, st := newServer(t, 0)
	query := "What did Macron say European troops would not do?"
	for _, w := range []float64{0, 0.8} {
		var got web.SearchResponse
		body, _ := json.Marshal(map[string]any{"query": query, "k": 20, "sentence_weight": w})
		if code := call(t, srv, "POST", "/api/search", string(body), &got); code != http.StatusOK {
			t.Fatalf("sentence_weight %g: status %d", w, code)
		}
		req := retrieval.SearchRequest{Query: query, K: 20, SentenceWeight: w}
		if w == 0 {
			req.SentenceWeight = -1
		}
		want, err := st.Search(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Hits) != len(want) {
			t.Fatalf("sentence_weight %g: %d hits, want %d", w, len(got.Hits), len(want))
		}
		for i := range want {
			if got.Hits[i].ChunkID != want[i].ID {
				t.Errorf("sentence_weight %g: hit %d is %s, want %s", w, i, got.Hits[i].ChunkID, want[i].ID)
			}
		}
	}
}

// TestChunkedBodyOverLimit sends bodies without a length, which the limit
// can only refuse while reading; the read that crosses it may also be the
// one that completes the JSON object.
func TestChunkedBodyOverLimit(t *testing.T) {
	srv, st := newServer(t, 100)
	docs0, _ := st.Len()
	for _, body := range []string{
		`{"query":"What backstop does Starmer want? What backstop does Starmer want? What backstop does he want?"}`,
		`{"title":"T","text":"` + strings.Repeat("word ", 40) + `"}`,
	} {
		for _, path := range []string{"/api/search", "/api/documents"} {
			req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = -1 // unknown: the client sends the body chunked
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("POST %s, %d bytes chunked over a 100-byte limit: status %d, want 413", path, len(body), resp.StatusCode)
			}
		}
	}
	if docs, _ := st.Len(); docs != docs0 {
		t.Errorf("documents %d, want %d", docs, docs0)
	}
}

func TestContentType(t *testing.T) {
	srv, _ := newServer(t, 0)
	for _, tt := range []struct {
		ct   string
		want int
	}{
		{"application/json", 200},
		{"Application/JSON", 200},
		{"application/json; charset=utf-8", 200},
		{"application/jsonx", 415},
		{"application/json-seq", 415},
		{"text/plain", 415},
		{"application/json; charset", 415},
	} {
		req, err := http.NewRequest("POST", srv.URL+"/api/search", strings.NewReader(`{"query":"troops"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", tt.ct)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("Content-Type %q: status %d, want %d", tt.ct, resp.StatusCode, tt.want)
		}
	}
}

// TestDocumentIDsNeedingEscapes gets and deletes documents whose IDs the
// chat page escapes with encodeURIComponent.
func TestDocumentIDsNeedingEscapes(t *testing.T) {
	srv, _ := newServer(t, 0)
	for _, id := range []string{"Q&A report", "news:2025+uk", "a/b", "100%", "..", "café €5", "x=1;y,z$@"} {
		body, err := json.Marshal(map[string]string{"id": id, "title": "T", "text": "Some text about " + id})
		if err != nil {
			t.Fatal(err)
		}
		if code := call(t, srv, "POST", "/api/documents", string(body), nil); code != http.StatusCreated {
			t.Fatalf("create %q: status %d", id, code)
		}
		path := "/api/documents/" + url.PathEscape(id)
		if id != "a/b" && id != ".." {
			// JavaScript's encodeURIComponent also escapes these.
			path = "/api/documents/" + strings.NewReplacer("&", "%26", "+", "%2B", ":", "%3A", "=", "%3D", ";", "%3B", ",", "%2C", "$", "%24", "@", "%40").Replace(url.PathEscape(id))
		} else {
			path = "/api/documents/" + strings.NewReplacer("/", "%2F", ".", "%2E").Replace(id)
		}
		var doc struct{ ID string }
		if code := call(t, srv, "GET", path, "", &doc); code != 200 || doc.ID != id {
			t.Errorf("GET %s: status %d, id %q; want 200, %q", path, code, doc.ID, id)
		}
		var del struct{ ID string }
		if code := call(t, srv, "DELETE", path, "", &del); code != 200 || del.ID != id {
			t.Errorf("DELETE %s: status %d, id %q; want 200, %q", path, code, del.ID, id)
		}
		if code := call(t, srv, "GET", path, "", nil); code != 404 {
			t.Errorf("GET %s after delete: status %d, want 404", path, code)
		}
	}
}
