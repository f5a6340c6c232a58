package fetch_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval/fetch"
	"github.com/ragd/ragd/retrieval/parse"
	"github.com/ragd/ragd/retrieval/parse/pdftest"
)

func TestDocument(t *testing.T) {
	page, err := os.ReadFile("testdata/article.html")
	if err != nil {
		t.Fatal(err)
	}
	report := pdftest.Make("Tidal range survey", [][]string{{"The Severn estuary has the second highest tidal range in the world, at up to fourteen metres."}})
	scan := pdftest.Make("Scan", [][]string{nil})
	serve := func(ctype string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Write(body)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/story", serve("text/html; charset=utf-8", page))
	mux.Handle("/old-story", http.RedirectHandler("/story", http.StatusMovedPermanently))
	mux.Handle("/survey.pdf", serve("application/pdf", report))
	mux.Handle("/scan.pdf", serve("application/pdf", scan))
	mux.Handle("/notes.txt", serve("text/plain; charset=utf-8", []byte("Tide tables\nHigh water at Avonmouth is at 07:12 on Tuesday.\nShare this article\n")))
	mux.Handle("/data.zip", serve("application/zip", []byte("PK\x03\x04")))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := fetch.New(fetch.Config{AllowPrivate: true})

	t.Run("html through a redirect", func(t *testing.T) {
		d, err := c.Document(t.Context(), srv.URL+"/old-story")
		if err != nil {
			t.Fatal(err)
		}
		// The page's canonical URL is on another host than the test
		// server, so the URL it was fetched from stands.
		if d.ID != srv.URL+"/story" || d.Title != "Ministers back plan for tidal power station on the Severn" || d.SiteName != "The Daily Ledger" || d.Language != "en-GB" || d.Modified.IsZero() {
			t.Errorf("got id %q, title %q, site %q, language %q, modified %v", d.ID, d.Title, d.SiteName, d.Language, d.Modified)
		}
	})
	t.Run("pdf", func(t *testing.T) {
		d, err := c.Document(t.Context(), srv.URL+"/survey.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != srv.URL+"/survey.pdf" || d.Title != "Tidal range survey" || !strings.Contains(d.Text, "fourteen metres") || len(d.Sections) != 1 {
			t.Errorf("got %+v", d)
		}
	})
	t.Run("scanned pdf", func(t *testing.T) {
		if _, err := c.Document(t.Context(), srv.URL+"/scan.pdf"); !errors.Is(err, parse.ErrNoText) {
			t.Errorf("got %v, want ErrNoText", err)
		}
	})
	t.Run("plain text", func(t *testing.T) {
		d, err := c.Document(t.Context(), srv.URL+"/notes.txt")
		if err != nil {
			t.Fatal(err)
		}
		if d.Title != "Tide tables" || strings.Contains(d.Text, "Share this") {
			t.Errorf("got title %q, text %q", d.Title, d.Text)
		}
	})
	t.Run("zip", func(t *testing.T) {
		if _, err := c.Document(t.Context(), srv.URL+"/data.zip"); !errors.Is(err, fetch.ErrContentType) {
			t.Errorf("got %v, want ErrContentType", err)
		}
	})
}
