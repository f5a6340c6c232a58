package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/ragd/ragd/retrieval/dedup"
	"github.com/ragd/ragd/retrieval/feed"
	"github.com/ragd/ragd/retrieval/fetch"
	"github.com/ragd/ragd/web"
)

// TestOpenAPI loads the document the server serves at /openapi.json,
// validates it, then sends requests to every route, good and bad, and
// validates each live response against it: its status must be documented
// and a JSON body must match its schema. Every operation of the document
// must have been exercised.
func TestOpenAPI(t *testing.T) {
	ctx := context.Background()
	plain, _ := newSafeServer(t, nil)
	keyed, _ := newSafeServer(t, func(c *web.Config) {
		c.Keys = mustKeys(t, readKey+" read\n"+writeKey+" write")
		c.RateLimit, c.RateBurst = 0.001, 40
	})
	full, _ := newSafeServer(t, func(c *web.Config) { c.Writer = faultyWriter{syscall.ENOSPC} })
	readOnly, _ := newSafeServer(t, func(c *web.Config) { c.Writer = faultyWriter{syscall.EROFS} })
	small, _ := newSafeServer(t, func(c *web.Config) { c.MaxBody = 64 })
	pages := site(t)
	withNews := func(allowPrivate bool) func(*web.Config) {
		return func(c *web.Config) {
			reg, err := feed.OpenRegistry(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			c.Feeds, c.Writer = reg, dedup.Writer{Index: dedup.NewIndex(0), Next: c.Writer}
			c.Fetcher = fetch.New(fetch.Config{AllowPrivate: allowPrivate, Accept: fetch.ArticleTypes})
		}
	}
	news, _ := newSafeServer(t, withNews(true))
	strict, _ := newSafeServer(t, withNews(false))
	keyedNews, _ := newSafeServer(t, func(c *web.Config) {
		withNews(false)(c)
		c.Keys = mustKeys(t, readKey+" read\n"+writeKey+" write")
	})
	feedURL := "https://news.example/rss.xml"
	sum := sha256.Sum256([]byte(feedURL))
	feedID := hex.EncodeToString(sum[:6])

	resp, err := http.Get(plain.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		t.Fatalf("load /openapi.json: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1", doc.OpenAPI)
	}

	js := map[string]string{"Content-Type": "application/json"}
	withKey := func(k string) map[string]string {
		return map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + k}
	}
	sse := map[string]string{"Content-Type": "application/json", "Accept": "text/event-stream"}
	var static string
	{
		_, _, page := send(t, plain, "GET", "/", "", nil)
		i := strings.Index(page, "/static/")
		static = page[i : i+strings.Index(page[i:], `"`)]
		static = static[:strings.LastIndex(static, "/")]
	}
	macron := `{"question":"What did Macron say European troops would not do?"}`
	type tc struct {
		srv                *httptest.Server
		method, path, body string
		header             map[string]string
		want               int
		validRequest       bool
	}
	cases := []tc{
		{plain, "GET", "/healthz", "", nil, 200, true},
		{plain, "HEAD", "/healthz", "", nil, 200, true},
		{plain, "GET", "/healthz", "", map[string]string{"Host": "attacker.example"}, 421, false},
		{plain, "GET", "/metrics", "", nil, 200, true},
		{keyed, "GET", "/metrics", "", nil, 401, false},
		{plain, "GET", "/openapi.json", "", nil, 200, true},
		{keyed, "GET", "/openapi.json", "", nil, 401, false},
		{plain, "GET", "/", "", nil, 200, true},
		{plain, "GET", static + "/app.css", "", nil, 200, true},
		{plain, "GET", static + "/app.js", "", nil, 200, true},
		{plain, "GET", static + "/icon.svg", "", nil, 200, true},
		{plain, "GET", static + "/nope.txt", "", nil, 404, true},
		{plain, "POST", "/api/documents", `{"id":"oa-1","title":"OpenAPI","text":"A document posted by the OpenAPI test."}`, js, 201, true},
		{plain, "POST", "/api/documents", `{"id":"oa-1","title":"OpenAPI","text":"A document posted by the OpenAPI test."}`, js, 200, true},
		{plain, "POST", "/api/documents", `{"title":""}`, js, 400, false},
		{plain, "POST", "/api/documents", newDoc, nil, 415, false},
		{small, "POST", "/api/documents", newDoc, js, 413, false},
		{keyed, "POST", "/api/documents", newDoc, js, 401, false},
		{keyed, "POST", "/api/documents", newDoc, withKey(readKey), 403, false},
		{full, "POST", "/api/documents", newDoc, js, 507, true},
		{readOnly, "POST", "/api/documents", newDoc, js, 503, true},
		{plain, "GET", "/api/documents", "", nil, 200, true},
		{plain, "GET", "/api/documents?limit=0", "", nil, 400, false},
		{keyed, "GET", "/api/documents", "", withKey(readKey), 200, true},
		{plain, "GET", "/api/documents/oa-1", "", nil, 200, true},
		{plain, "GET", "/api/documents/none", "", nil, 404, true},
		{plain, "DELETE", "/api/documents/oa-1", "", nil, 200, true},
		{plain, "DELETE", "/api/documents/oa-1", "", nil, 404, true},
		{full, "DELETE", "/api/documents/x", "", nil, 507, true},
		{keyed, "DELETE", "/api/documents/x", "", withKey(readKey), 403, false},
		{plain, "POST", "/api/search", `{"query":"troops","k":3}`, js, 200, true},
		{plain, "POST", "/api/search", `{"query":"troops","filters":{"doc_id":["a","b"],"published_from":"2020-01-01"}}`, js, 200, true},
		{plain, "POST", "/api/search", `{"query":""}`, js, 400, false},
		{plain, "POST", "/api/search", `{"query":"` + words(1100) + `"}`, js, 400, false},
		{plain, "POST", "/api/search", `{"query":"troops"}`, map[string]string{"Content-Type": "text/plain"}, 415, false},
		{plain, "POST", "/api/ask", macron, js, 200, true},
		{plain, "POST", "/api/ask", macron, sse, 200, true},
		{plain, "POST", "/api/ask", `{"question":"Who?","history":[{"role":"system","content":"x"}]}`, js, 400, false},
		{plain, "POST", "/v1/chat/completions", `{"model":"ragd","messages":[{"role":"user","content":"What did Macron say European troops would not do?"}]}`, js, 200, true},
		{plain, "POST", "/v1/chat/completions", `{"model":"ragd","stream":true,"messages":[{"role":"user","content":"What did Macron say European troops would not do?"}]}`, js, 200, true},
		{plain, "POST", "/v1/chat/completions", `{"messages":[]}`, js, 400, false},
		{keyed, "POST", "/v1/chat/completions", `{"messages":[]}`, js, 401, false},
		{plain, "GET", "/v1/models", "", nil, 200, true},
		{plain, "GET", "/v1/models/ragd", "", nil, 200, true},
		{plain, "GET", "/v1/models/gpt-4o", "", nil, 404, true},
		{keyed, "GET", "/v1/models", "", nil, 401, false},
		{news, "POST", "/api/documents", `{"url":"` + pages.URL + `/story"}`, js, 201, true},
		{news, "POST", "/api/documents", `{"url":"` + pages.URL + `/scan.pdf"}`, js, 422, true},
		{news, "POST", "/api/documents", `{"url":"` + pages.URL + `/gone"}`, js, 502, true},
		{news, "POST", "/api/documents", `{"url":"` + pages.URL + `/story","title":"x"}`, js, 400, false},
		{strict, "POST", "/api/documents", `{"url":"http://169.254.169.254/latest/meta-data/"}`, js, 400, true},
		{news, "POST", "/api/documents", `{"id":"oa-news","title":"Ferries","text":"The winter timetable for the island ferries starts in November."}`, js, 201, true},
		{news, "GET", "/api/documents/oa-news", "", nil, 200, true},
		{news, "POST", "/api/search", `{"query":"winter timetable island ferries","collapse_duplicates":false}`, js, 200, true},
		{news, "POST", "/api/search", `{"query":"ferries","filters":{"story_id":"story-000000000000"}}`, js, 200, true},
		{news, "GET", "/api/feeds", "", nil, 200, true},
		{news, "POST", "/api/feeds", `{"url":"` + feedURL + `","every":"30m"}`, js, 201, true},
		{news, "POST", "/api/feeds", `{"url":"` + feedURL + `"}`, js, 409, true},
		{news, "POST", "/api/feeds", `{"url":"news.example"}`, js, 400, true},
		{news, "POST", "/api/feeds", `{"every":"1m"}`, js, 400, false},
		{keyedNews, "POST", "/api/feeds", `{"url":"` + feedURL + `"}`, withKey(readKey), 403, false},
		{news, "GET", "/api/feeds/" + feedID, "", nil, 200, true},
		{news, "GET", "/api/feeds/000000000000", "", nil, 404, true},
		{keyedNews, "DELETE", "/api/feeds/" + feedID, "", withKey(readKey), 403, false},
		{news, "DELETE", "/api/feeds/" + feedID, "", nil, 200, true},
		{news, "DELETE", "/api/feeds/" + feedID, "", nil, 404, true},
	}
	// The keyed server's bucket of 40 is spent last, so that its 429 is
	// documented too.
	for range 40 {
		cases = append(cases, tc{keyed, "GET", "/v1/models", "", withKey(readKey), 0, true})
	}
	cases = append(cases, tc{keyed, "GET", "/api/documents", "", withKey(readKey), 429, true})

	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	for _, c := range cases {
		name := fmt.Sprintf("%s %s %d", c.method, c.path[:min(len(c.path), 60)], c.want)
		req, err := http.NewRequest(c.method, c.srv.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.header {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		// The router matches the document's server, not the test's.
		route, params, err := router.FindRoute(withURL(req, "http://localhost:8080"))
		if err != nil {
			t.Errorf("%s: no route in the document: %v", name, err)
			continue
		}
		seen[route.Method+" "+route.Path] = true
		input := &openapi3filter.RequestValidationInput{Request: withURL(req, "http://localhost:8080"), PathParams: params, Route: route, Options: opts}
		if c.body != "" {
			input.Request.Body = io.NopCloser(strings.NewReader(c.body))
		}
		if c.validRequest {
			if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
				t.Errorf("%s: the request does not match the document: %v", name, err)
			}
		}
		resp, err := c.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if c.want != 0 && resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d (%s)", name, resp.StatusCode, c.want, body)
			continue
		}
		ct := resp.Header.Get("Content-Type")
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
				// Only JSON bodies have schemas worth checking.
				ExcludeResponseBody: !strings.HasPrefix(ct, "application/json")},
		}
		out.SetBodyBytes(body)
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("%s: the response does not match the document: %v\n%s", name, err, bytes.TrimSpace(body[:min(len(body), 300)]))
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !seen[method+" "+path] {
				t.Errorf("%s %s is documented but not exercised", method, path)
			}
		}
	}
	var ops []string
	for k := range seen {
		ops = append(ops, k)
	}
	slices.Sort(ops)
	t.Logf("exercised %d operations: %s", len(ops), strings.Join(ops, ", "))
}

// withURL returns a copy of r addressed to base, for the router.
func withURL(r *http.Request, base string) *http.Request {
	c := r.Clone(r.Context())
	u := *r.URL
	u.Scheme, u.Host = "http", strings.TrimPrefix(base, "http://")
	c.URL = &u
	c.Host = u.Host
	return c
}
