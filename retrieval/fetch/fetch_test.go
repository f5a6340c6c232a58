package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ragd/ragd/retrieval/fetch"
)

func TestRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "secret")
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c := fetch.New(fetch.Config{})
	for _, u := range []string{
		srv.URL,
		"http://localhost:" + port + "/", // a name: refused when dialled, after resolution
		"http://[::1]:" + port + "/",
		"http://[::ffff:127.0.0.1]:" + port + "/",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.1.2.3/",
		"http://192.168.0.1/",
		"http://172.16.0.1/",
		"http://100.64.0.1/",
		"http://0.0.0.0:" + port + "/",
		"http://[fe80::1]/",
		"http://[fd00:ec2::254]/",
	} {
		t.Run(u, func(t *testing.T) {
			_, err := c.Get(t.Context(), u, fetch.Validators{})
			if !errors.Is(err, fetch.ErrForbiddenAddress) {
				t.Errorf("got %v, want ErrForbiddenAddress", err)
			}
		})
	}
	t.Run("allowed with AllowPrivate", func(t *testing.T) {
		resp, err := fetch.New(fetch.Config{AllowPrivate: true}).Get(t.Context(), srv.URL, fetch.Validators{})
		if err != nil || string(resp.Body) != "secret" {
			t.Fatalf("got %v, %v; want the body", resp, err)
		}
	})
}

func TestURLSchemes(t *testing.T) {
	c := fetch.New(fetch.Config{AllowPrivate: true})
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/x", "gopher://x", "/relative", "http://user:pw@example.com/"} {
		if _, err := c.Get(t.Context(), u, fetch.Validators{}); !errors.Is(err, fetch.ErrURL) {
			t.Errorf("%s: got %v, want ErrURL", u, err)
		}
	}
}

func TestRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			fmt.Fprint(w, "arrived")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/to-metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c := fetch.New(fetch.Config{AllowPrivate: true, MaxRedirects: 3})
	resp, err := c.Get(t.Context(), srv.URL+"/hop/3", fetch.Validators{})
	if err != nil || string(resp.Body) != "arrived" || resp.URL.Path != "/hop/0" {
		t.Fatalf("3 hops: got %v, %v; want the final page at /hop/0", resp, err)
	}
	if _, err := c.Get(t.Context(), srv.URL+"/hop/4", fetch.Validators{}); !errors.Is(err, fetch.ErrRedirects) {
		t.Errorf("4 hops: got %v, want ErrRedirects", err)
	}
	if _, err := c.Get(t.Context(), srv.URL+"/to-file", fetch.Validators{}); !errors.Is(err, fetch.ErrURL) {
		t.Errorf("redirect to file: got %v, want ErrURL", err)
	}

	// The first hop is allowed by the flag here, so only the check on the
	// redirect's own target can refuse it: a client allowing private
	// addresses would follow; one refusing them must stop at the hop.
	strict := fetch.New(fetch.Config{})
	if _, err := strict.Get(t.Context(), srv.URL+"/to-metadata", fetch.Validators{}); !errors.Is(err, fetch.ErrForbiddenAddress) {
		t.Errorf("redirect to metadata: got %v, want ErrForbiddenAddress", err)
	}
}

func TestLimits(t *testing.T) {
	mux := http.NewServeMux()
	big := strings.Repeat("x", 2048)
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, big) })
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 4 {
			fmt.Fprint(w, big[:512])
			w.(http.Flusher).Flush()
		}
	})
	release := make(chan struct{})
	mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "first bytes")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/image", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		fmt.Fprint(w, "\x89PNG")
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)

	c := fetch.New(fetch.Config{AllowPrivate: true, MaxBytes: 1024, Timeout: 300 * time.Millisecond, Accept: []string{"text/html", "text/plain"}})
	for _, tc := range []struct {
		path string
		want error
	}{
		{"/big", fetch.ErrTooLarge},
		{"/big-chunked", fetch.ErrTooLarge},
		{"/slow-headers", context.DeadlineExceeded},
		{"/slow-body", context.DeadlineExceeded},
		{"/image", fetch.ErrContentType},
		{"/gone", fetch.ErrStatus},
	} {
		t.Run(tc.path, func(t *testing.T) {
			_, err := c.Get(t.Context(), srv.URL+tc.path, fetch.Validators{})
			if !errors.Is(err, tc.want) && !(tc.want == context.DeadlineExceeded && isTimeout(err)) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func TestConditionalGet(t *testing.T) {
	const etag = `"v1"`
	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", "Tue, 04 Mar 2025 07:00:00 GMT")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<p>page</p>")
	}))
	defer srv.Close()
	c := fetch.New(fetch.Config{AllowPrivate: true})
	first, err := c.Get(t.Context(), srv.URL, fetch.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if first.NotModified || first.Validators.ETag != etag || first.MediaType != "text/html" || first.Charset != "utf-8" {
		t.Errorf("first: got %+v", first)
	}
	second, err := c.Get(t.Context(), srv.URL, first.Validators)
	if err != nil || !second.NotModified || len(second.Body) != 0 {
		t.Errorf("second: got %+v, %v; want a 304", second, err)
	}
	if got := ua.Load().(string); !strings.HasPrefix(got, "ragd/") {
		t.Errorf("User-Agent = %q, want one naming ragd", got)
	}
}

func TestPerHostLimit(t *testing.T) {
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	c := fetch.New(fetch.Config{AllowPrivate: true, PerHost: 2})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := c.Get(context.Background(), srv.URL, fetch.Validators{}); err != nil {
				t.Error(err)
			}
		})
	}
	for peak.Load() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room for a third request, were it let through
	close(release)
	wg.Wait()
	if got := peak.Load(); got != 2 {
		t.Errorf("peak concurrent requests to one host = %d, want 2", got)
	}
}

func TestReadArticle(t *testing.T) {
	page, err := os.ReadFile("testdata/article.html")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://news.ledger.example/uk/2025/03/severn-tidal-plan?ref=rss#top")
	a, err := fetch.ReadArticle(page, "", u)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://news.ledger.example/uk/2025/03/severn-tidal-plan"
	for _, tc := range []struct{ name, got, want string }{
		{"canonical", a.Canonical, want},
		{"id", a.Document.ID, want},
		{"source", a.Document.Source, want},
		{"headline", a.Headline, "Ministers back plan for tidal power station on the Severn"},
		{"title", a.Document.Title, "Ministers back plan for tidal power station on the Severn"},
		{"author", a.Author, "Priya Raman, Tom Hale"},
		{"language", a.Language, "en-GB"},
		{"site", a.SiteName, "The Daily Ledger"},
		{"published", a.Published.UTC().Format(time.RFC3339), "2025-03-04T07:00:00Z"},
		{"modified", a.Modified.UTC().Format(time.RFC3339), "2025-03-04T11:45:00Z"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	text := a.Document.Text
	for _, s := range []string{"tidal power station across the Severn estuary", "wading birds", "rejected in 2010 and 2013"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
	for _, s := range []string{"Skip to content", "Accept all cookies", "Share on", "Copy link", "Jane Doe/PA", "Advertisement",
		"Join Our Newsletter", "morning briefing", "Video unavailable", "WatchUsOn", "Related topics", "Man bites dog", "All rights reserved"} {
		if strings.Contains(text, s) {
			t.Errorf("text holds furniture %q:\n%s", s, text)
		}
	}
	if len(a.Document.Sections) == 0 || a.Document.Sections[len(a.Document.Sections)-1].Heading != "Environmental concerns" {
		t.Errorf("sections = %+v, want the h2 Environmental concerns", a.Document.Sections)
	}
}

func TestCanonicalOfAnotherSiteIsNotBelieved(t *testing.T) {
	page := `<html><head><link rel="canonical" href="https://wire.example/original-story"><title>Storm closes ports</title></head>
<body><article><h1>Storm closes ports</h1><p>` + strings.Repeat("Ports along the coast were closed on Monday as the storm arrived, and ferries stayed in harbour. ", 8) + `</p></article></body></html>`
	u, _ := url.Parse("https://syndicate.example/news/storm")
	a, err := fetch.ReadArticle([]byte(page), "utf-8", u)
	if err != nil {
		t.Fatal(err)
	}
	if a.Canonical != u.String() {
		t.Errorf("canonical = %q, want the page's own URL %q", a.Canonical, u)
	}
}
