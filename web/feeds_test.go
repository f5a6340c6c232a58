package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval/feed"
	"github.com/ragd/ragd/retrieval/fetch"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/parse/pdftest"
	"github.com/ragd/ragd/web"
)

// newsServer is a ragd server over an empty store that fetches URLs with
// a client allowing private addresses or not, and keeps feeds in a
// registry beside the store.
func newsServer(tb testing.TB, allowPrivate bool) *httptest.Server {
	tb.Helper()
	dir := tb.TempDir()
	st, err := local.Open(context.Background(), local.Config{Dir: dir, Embedder: embed.NewHashing(256)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	reg, err := feed.OpenRegistry(dir)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{Searcher: st, Writer: st, Reader: st,
		Fetcher: fetch.New(fetch.Config{AllowPrivate: allowPrivate, Accept: fetch.ArticleTypes}), Feeds: reg}))
	tb.Cleanup(srv.Close)
	return srv
}

// site serves an article page, a PDF, a scanned PDF, an image and a feed.
func site(tb testing.TB) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/story", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><head><title>Ferry timetable changes | Isles</title><link rel="canonical" href="/news/ferry-timetable"></head>
<body><nav><a href="/">Home</a></nav><article><h1>Ferry timetable changes for the winter</h1>
<p>%s</p><p>Share this article</p></article></body></html>`, strings.Repeat("The winter timetable for the island ferries starts on the first of November, with fewer sailings on Sundays. ", 4))
	})
	mux.HandleFunc("/report.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(pdftest.Make("Harbour dues 2025", [][]string{{"Harbour dues for vessels under ten metres rise by three per cent from April."}}))
	})
	mux.HandleFunc("/scan.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(pdftest.Make("Scan", [][]string{nil}))
	})
	mux.HandleFunc("/photo.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write([]byte{0xff, 0xd8, 0xff})
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

func TestCreateDocumentFromURL(t *testing.T) {
	pages := site(t)
	srv := newsServer(t, true)
	for _, tc := range []struct {
		name, body string
		code       int
		want       string
	}{
		{"article", `{"url": "` + pages.URL + `/story?ref=home"}`, http.StatusCreated, `"id":"` + pages.URL + `/news/ferry-timetable"`},
		{"same article again", `{"url": "` + pages.URL + `/story"}`, http.StatusOK, `"status":"unchanged"`},
		{"pdf", `{"url": "` + pages.URL + `/report.pdf"}`, http.StatusCreated, `"id":"` + pages.URL + `/report.pdf"`},
		{"scanned pdf", `{"url": "` + pages.URL + `/scan.pdf"}`, http.StatusUnprocessableEntity, "OCR"},
		{"image", `{"url": "` + pages.URL + `/photo.jpg"}`, http.StatusUnprocessableEntity, "unsupported content type"},
		{"missing page", `{"url": "` + pages.URL + `/gone"}`, http.StatusBadGateway, "404"},
		{"not http", `{"url": "file:///etc/passwd"}`, http.StatusBadRequest, "not an http or https URL"},
		{"url and text", `{"url": "` + pages.URL + `/story", "title": "x", "text": "y"}`, http.StatusBadRequest, "url alone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw map[string]any
			code := call(t, srv, http.MethodPost, "/api/documents", tc.body, &raw)
			if got := fmt.Sprint(raw); code != tc.code || !strings.Contains(jsonString(t, raw), tc.want) {
				t.Errorf("got %d %s, want %d with %s", code, got, tc.code, tc.want)
			}
		})
	}
	var doc map[string]any
	call(t, srv, http.MethodGet, "/api/documents/"+strings.ReplaceAll(pages.URL+"/news/ferry-timetable", "/", "%2F"), "", &doc)
	if doc["title"] != "Ferry timetable changes for the winter" || strings.Contains(fmt.Sprint(doc["text"]), "Share this") {
		t.Errorf("stored document = %v", doc)
	}
}

func TestCreateDocumentFromPrivateURLRefused(t *testing.T) {
	pages := site(t)
	srv := newsServer(t, false)
	for _, u := range []string{pages.URL + "/story", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"} {
		var body map[string]string
		code := call(t, srv, http.MethodPost, "/api/documents", `{"url": "`+u+`"}`, &body)
		if code != http.StatusBadRequest || !strings.Contains(body["error"], "address not allowed") {
			t.Errorf("%s: got %d %v, want 400 address not allowed", u, code, body)
		}
	}
	var list struct{ Total int }
	call(t, srv, http.MethodGet, "/api/documents", "", &list)
	if list.Total != 0 {
		t.Errorf("%d documents stored after refusals, want 0", list.Total)
	}
}

func TestFeedsAPI(t *testing.T) {
	srv := newsServer(t, true)
	var created web.FeedJSON
	if code := call(t, srv, http.MethodPost, "/api/feeds", `{"url": "https://news.example/rss.xml", "every": "30m"}`, &created); code != http.StatusCreated || created.Every != "30m0s" || created.ID == "" {
		t.Fatalf("add: %d %+v", code, created)
	}
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
	}{
		{"again", http.MethodPost, "/api/feeds", `{"url": "https://news.example/rss.xml"}`, http.StatusConflict},
		{"no url", http.MethodPost, "/api/feeds", `{}`, http.StatusBadRequest},
		{"bad url", http.MethodPost, "/api/feeds", `{"url": "news.example"}`, http.StatusBadRequest},
		{"bad interval", http.MethodPost, "/api/feeds", `{"url": "https://b.example/", "every": "soon"}`, http.StatusBadRequest},
		{"too often", http.MethodPost, "/api/feeds", `{"url": "https://b.example/", "every": "1ms"}`, http.StatusBadRequest},
		{"get", http.MethodGet, "/api/feeds/" + created.ID, "", http.StatusOK},
		{"get unknown", http.MethodGet, "/api/feeds/000000000000", "", http.StatusNotFound},
		{"delete", http.MethodDelete, "/api/feeds/" + created.ID, "", http.StatusOK},
		{"delete again", http.MethodDelete, "/api/feeds/" + created.ID, "", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body map[string]any
			if code := call(t, srv, tc.method, tc.path, tc.body, &body); code != tc.code {
				t.Errorf("got %d %v, want %d", code, body, tc.code)
			}
		})
	}
	var list struct{ Feeds []web.FeedJSON }
	call(t, srv, http.MethodGet, "/api/feeds", "", &list)
	if len(list.Feeds) != 0 {
		t.Errorf("feeds after delete: %+v", list.Feeds)
	}
}

func jsonString(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
