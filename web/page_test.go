package web_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ragd/ragd/web"
)

// svgNamespace is the one URL the assets may hold: an XML namespace name,
// never fetched.
const svgNamespace = "http://www.w3.org/2000/svg"

// newPageServer serves the chat page; the page needs no index.
func newPageServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(web.New(web.Config{}))
	tb.Cleanup(srv.Close)
	return srv
}

func get(tb testing.TB, srv *httptest.Server, method, p string, header http.Header) (*http.Response, string) {
	tb.Helper()
	req, err := http.NewRequest(method, srv.URL+p, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, string(b)
}

// assetBase returns the versioned folder the index loads its assets from.
func assetBase(tb testing.TB, index string) string {
	tb.Helper()
	m := regexp.MustCompile(`<script type="module" src="(/static/[0-9a-f]+)/app\.js"></script>`).FindStringSubmatch(index)
	if m == nil {
		tb.Fatalf("index loads no /static/VERSION/app.js module:\n%s", index)
	}
	return m[1]
}

func TestPageIndex(t *testing.T) {
	srv := newPageServer(t)
	resp, body := get(t, srv, http.MethodGet, "/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d, want 200", resp.StatusCode)
	}
	wantHeaders := map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-cache",
		"X-Content-Type-Options": "nosniff",
	}
	for k, want := range wantHeaders {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("GET /: %s = %q, want %q", k, got, want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("GET /: Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") || strings.Contains(csp, "http") {
		t.Errorf("GET /: Content-Security-Policy %q allows more than the page's own origin", csp)
	}
	base := assetBase(t, body)
	for _, want := range []string{`<html lang="en">`, `<main id="main"`, `aria-live`, base + "/app.css", base + "/icon.svg"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /: body lacks %q", want)
		}
	}

	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("GET /: no ETag")
	}
	resp, _ = get(t, srv, http.MethodGet, "/", http.Header{"If-None-Match": {etag}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET / with If-None-Match: status %d, want 304", resp.StatusCode)
	}
	resp, _ = get(t, srv, http.MethodHead, "/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /: status %d, want 200", resp.StatusCode)
	}
}

func TestPageAssets(t *testing.T) {
	srv := newPageServer(t)
	_, index := get(t, srv, http.MethodGet, "/", nil)
	base := assetBase(t, index)
	wantType := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
		".svg": "image/svg+xml",
	}
	names := staticFiles(t)
	for _, name := range names {
		if name == "index.html" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			resp, body := get(t, srv, http.MethodGet, base+"/"+name, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200", name, resp.StatusCode)
			}
			want, ok := wantType[path.Ext(name)]
			if !ok {
				t.Fatalf("no content type expected for %s: add it to the test", name)
			}
			if got := resp.Header.Get("Content-Type"); got != want {
				t.Errorf("GET %s: Content-Type %q, want %q", name, got, want)
			}
			if got, want := resp.Header.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
				t.Errorf("GET %s: Cache-Control %q, want %q", name, got, want)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET %s: X-Content-Type-Options %q, want nosniff", name, got)
			}
			disk, err := os.ReadFile(filepath.Join("static", name))
			if err != nil {
				t.Fatal(err)
			}
			if body != string(disk) {
				t.Errorf("GET %s: body differs from static/%s", name, name)
			}
			// Every module a script imports is served too.
			for _, m := range regexp.MustCompile(`(?m)^import .* from '\./([^']+)';$`).FindAllStringSubmatch(body, -1) {
				if resp, _ := get(t, srv, http.MethodGet, base+"/"+m[1], nil); resp.StatusCode != http.StatusOK {
					t.Errorf("%s imports %s: status %d", name, m[1], resp.StatusCode)
				}
			}
		})
	}
}

func TestPageAssetOfOtherVersion(t *testing.T) {
	srv := newPageServer(t)
	resp, _ := get(t, srv, http.MethodGet, "/static/0123456789ab/app.js", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Cache-Control"), "no-cache"; got != want {
		t.Errorf("Cache-Control %q, want %q: an asset of another version must be revalidated", got, want)
	}
}

func TestPageUnknownAsset(t *testing.T) {
	srv := newPageServer(t)
	_, index := get(t, srv, http.MethodGet, "/", nil)
	base := assetBase(t, index)
	tests := []struct {
		name, path string
	}{
		{"missing file", base + "/nope.js"},
		{"unknown kind", base + "/app.exe"},
		{"index itself", base + "/index.html"},
		{"folder", base + "/"},
		{"escape", base + "/../../page.go"},
		{"escape encoded", base + "/..%2f..%2fpage.go"},
		{"no version", "/static/app.js"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv, http.MethodGet, tt.path, nil)
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("GET %s: status %d, want 404", tt.path, resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("GET %s: Content-Type %q, want JSON", tt.path, ct)
			}
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
				t.Errorf("GET %s: body %q, want {\"error\": ...}", tt.path, body)
			}
		})
	}
}

// TestPageOffline checks that the page names no other server: it must work
// with no network but the one to ragd.
func TestPageOffline(t *testing.T) {
	external := regexp.MustCompile(`(?i)https?://|//[a-z0-9-]+\.[a-z]{2,}/|@import|url\(\s*['"]?(?:https?:)?//`)
	for _, name := range staticFiles(t) {
		b, err := os.ReadFile(filepath.Join("static", name))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), svgNamespace, "")
		for i, line := range strings.Split(text, "\n") {
			if loc := external.FindStringIndex(line); loc != nil {
				t.Errorf("static/%s:%d names another server: %q", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// staticFiles lists the files under static/, as slash paths.
func staticFiles(tb testing.TB) []string {
	tb.Helper()
	var names []string
	err := fs.WalkDir(os.DirFS("static"), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(names) < 3 {
		tb.Fatalf("static/ holds %d files, want the page and its assets", len(names))
	}
	return names
}
