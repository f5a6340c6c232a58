package feed_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ragd/ragd/retrieval/feed"
	"github.com/ragd/ragd/retrieval/fetch"
)

// feedServer serves one feed document that the test can change, with an
// ETag and Last-Modified, answering conditional GETs with 304.
type feedServer struct {
	*httptest.Server
	mu          sync.Mutex
	body, ctype string
	version     int
	status      int
	gets, n304  int
}

func newFeedServer(tb testing.TB, ctype, body string) *feedServer {
	fs := &feedServer{ctype: ctype, body: body, version: 1}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		fs.gets++
		if fs.status != 0 {
			http.Error(w, "down", fs.status)
			return
		}
		etag := fmt.Sprintf(`"v%d"`, fs.version)
		if r.Header.Get("If-None-Match") == etag {
			fs.n304++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", time.Date(2025, 3, 1, 0, 0, fs.version, 0, time.UTC).Format(http.TimeFormat))
		w.Header().Set("Content-Type", fs.ctype)
		fmt.Fprint(w, fs.body)
	}))
	tb.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) set(body string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.body = body
	fs.version++
}

func rss(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Ledger: UK</title><link>https://news.ledger.example/uk</link><description>UK news</description>
` + strings.Join(items, "\n") + `</channel></rss>`
}

func rssItem(guid, link, title, date string) string {
	return fmt.Sprintf(`<item><guid isPermaLink="false">%s</guid><link>%s</link><title>%s</title><pubDate>%s</pubDate><description>Summary only.</description></item>`, guid, link, title, date)
}

// recorder is a Handler that records the entries it is given.
type recorder struct {
	mu   sync.Mutex
	got  []feed.Entry
	fail func(feed.Entry) error
}

func (r *recorder) handle(_ context.Context, e feed.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(e); err != nil {
			return err
		}
	}
	r.got = append(r.got, e)
	return nil
}

func (r *recorder) links() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.got {
		out = append(out, e.Link)
	}
	return out
}

func newPoller(tb testing.TB, dir string, rec *recorder) *feed.Poller {
	reg, err := feed.OpenRegistry(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return &feed.Poller{
		Registry: reg,
		Client:   fetch.New(fetch.Config{AllowPrivate: true, Accept: feed.FeedTypes}),
		Handle:   rec.handle,
		Rand:     rand.New(rand.NewPCG(1, 2)),
	}
}

func TestPollRSSConditionalAndRestart(t *testing.T) {
	a := rssItem("a", "/uk/a", "First story", "Mon, 03 Mar 2025 08:00:00 GMT")
	b := rssItem("b", "https://news.ledger.example/uk/b", "Second story", "Mon, 03 Mar 2025 09:00:00 GMT")
	srv := newFeedServer(t, "application/rss+xml", rss(b, a))
	dir := t.TempDir()
	rec := &recorder{}
	p := newPoller(t, dir, rec)
	now := time.Now()
	if _, err := p.Registry.Add(srv.URL+"/feed.xml", time.Minute, now); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/feed.xml"

	res, err := p.Poll(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{srv.URL + "/uk/a", "https://news.ledger.example/uk/b"} // oldest first, relative link resolved
	if got := rec.links(); strings.Join(got, " ") != strings.Join(want, " ") || res.New != 2 {
		t.Fatalf("first poll handled %v (%+v), want %v", got, res, want)
	}

	res, err = p.Poll(t.Context(), url)
	if err != nil || !res.NotModified || len(rec.links()) != 2 || srv.n304 != 1 {
		t.Fatalf("second poll: %+v, %v, %d 304s; want a 304 and nothing new", res, err, srv.n304)
	}

	// A new entry; then a restart: a new registry and poller on the same
	// directory must neither miss the new entry nor refetch the old ones.
	c := rssItem("c", "https://news.ledger.example/uk/c", "Third story", "Mon, 03 Mar 2025 10:00:00 GMT")
	srv.set(rss(c, b, a))
	rec2 := &recorder{}
	p2 := newPoller(t, dir, rec2)
	if _, err := p2.Poll(t.Context(), url); err != nil {
		t.Fatal(err)
	}
	if got := rec2.links(); len(got) != 1 || got[0] != "https://news.ledger.example/uk/c" {
		t.Errorf("after restart handled %v, want only the new entry", got)
	}
	f, err := p2.Registry.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "Ledger: UK" || f.ETag != `"v2"` || f.Entries != 3 || f.Failures != 0 {
		t.Errorf("feed state = %+v", f)
	}
	if lo, hi := time.Minute*9/10, time.Minute*11/10; f.NextPoll.Sub(f.LastPolled) < lo || f.NextPoll.Sub(f.LastPolled) > hi {
		t.Errorf("next poll %v after the last, want within [%v, %v]", f.NextPoll.Sub(f.LastPolled), lo, hi)
	}
}

func TestPollAtomAndJSONFeed(t *testing.T) {
	atom := func(updated string) string {
		return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title><id>urn:wire</id><updated>` + updated + `</updated>
<entry><id>urn:wire:1</id><title>Ports close</title><link rel="alternate" href="https://wire.example/ports"/><updated>` + updated + `</updated><published>2025-03-01T08:00:00Z</published><author><name>A. Reporter</name></author></entry>
</feed>`
	}
	jsonFeed := `{"version":"https://jsonfeed.org/version/1.1","title":"Blog","items":[
{"id":"p1","url":"https://blog.example/p1","title":"Post one","date_published":"2025-03-01T08:00:00Z"},
{"id":"p2","url":"https://blog.example/p2","title":"Post two","date_published":"2025-03-02T08:00:00Z"}]}`
	for _, tc := range []struct {
		name, ctype, body string
		want              []string
	}{
		{"atom", "application/atom+xml", atom("2025-03-01T08:00:00Z"), []string{"https://wire.example/ports"}},
		{"json feed", "application/feed+json", jsonFeed, []string{"https://blog.example/p1", "https://blog.example/p2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFeedServer(t, tc.ctype, tc.body)
			rec := &recorder{}
			p := newPoller(t, t.TempDir(), rec)
			p.Registry.Add(srv.URL, 0, time.Now())
			if _, err := p.Poll(t.Context(), srv.URL); err != nil {
				t.Fatal(err)
			}
			if got := rec.links(); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("handled %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("updated entry handled again", func(t *testing.T) {
		srv := newFeedServer(t, "application/atom+xml", atom("2025-03-01T08:00:00Z"))
		rec := &recorder{}
		p := newPoller(t, t.TempDir(), rec)
		p.Registry.Add(srv.URL, 0, time.Now())
		p.Poll(t.Context(), srv.URL)
		srv.set(atom("2025-03-01T12:30:00Z")) // a correction
		p.Poll(t.Context(), srv.URL)
		if got := rec.links(); len(got) != 2 {
			t.Errorf("handled %v, want the entry twice: first and corrected", got)
		}
		if rec.got[0].Author != "A. Reporter" || !rec.got[1].Updated.Equal(time.Date(2025, 3, 1, 12, 30, 0, 0, time.UTC)) {
			t.Errorf("entries = %+v", rec.got)
		}
	})
}

func TestPollFailures(t *testing.T) {
	t.Run("feed down: backoff", func(t *testing.T) {
		srv := newFeedServer(t, "application/rss+xml", rss())
		srv.status = http.StatusServiceUnavailable
		p := newPoller(t, t.TempDir(), &recorder{})
		p.Registry.Add(srv.URL, 10*time.Minute, time.Now())
		for i := 1; i <= 2; i++ {
			if _, err := p.Poll(t.Context(), srv.URL); !errors.Is(err, fetch.ErrStatus) {
				t.Fatalf("poll %d: got %v, want ErrStatus", i, err)
			}
			f, _ := p.Registry.Get(srv.URL)
			wait := 10 * time.Minute << i
			if got := f.NextPoll.Sub(f.LastPolled); f.Failures != i || got < wait*9/10 || got > wait*11/10 || f.LastError == "" {
				t.Errorf("after %d failures: failures %d, next poll in %v, want about %v", i, f.Failures, got, wait)
			}
		}
	})
	t.Run("not a feed", func(t *testing.T) {
		srv := newFeedServer(t, "text/html", "<html><body>no feed here</body></html>")
		p := newPoller(t, t.TempDir(), &recorder{})
		p.Registry.Add(srv.URL, 0, time.Now())
		if _, err := p.Poll(t.Context(), srv.URL); err == nil || !strings.Contains(err.Error(), "parse feed") {
			t.Errorf("got %v, want a parse error", err)
		}
	})
	t.Run("entry retried, then given up", func(t *testing.T) {
		srv := newFeedServer(t, "application/rss+xml", rss(rssItem("x", "https://news.example/x", "X", "Mon, 03 Mar 2025 08:00:00 GMT")))
		tries := 0
		rec := &recorder{fail: func(feed.Entry) error { tries++; return errors.New("article gone") }}
		p := newPoller(t, t.TempDir(), rec)
		p.Registry.Add(srv.URL, 0, time.Now())
		for range feed.MaxTries + 2 {
			if _, err := p.Poll(t.Context(), srv.URL); err != nil {
				t.Fatal(err)
			}
		}
		if tries != feed.MaxTries {
			t.Errorf("entry tried %d times, want %d", tries, feed.MaxTries)
		}
		f, _ := p.Registry.Get(srv.URL)
		if s := f.Seen["x"]; s.Err != "article gone" || s.Tries != feed.MaxTries {
			t.Errorf("entry state = %+v", s)
		}
	})
}

// TestEntriesToPrivateAddressesRefused polls a feed (reached with the
// private-address flag, as a test must) whose entries link to loopback and
// to the cloud metadata address, fetching each article with a client
// without the flag, as ragd does unless --fetch-allow-private is set.
func TestEntriesToPrivateAddressesRefused(t *testing.T) {
	article := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the article server was reached: %s", r.URL)
	}))
	defer article.Close()
	srv := newFeedServer(t, "application/rss+xml", rss(
		rssItem("1", article.URL+"/internal", "Loopback", "Mon, 03 Mar 2025 08:00:00 GMT"),
		rssItem("2", "http://169.254.169.254/latest/meta-data/iam/", "Metadata", "Mon, 03 Mar 2025 09:00:00 GMT"),
	))
	strict := fetch.New(fetch.Config{})
	var refused []string
	rec := &recorder{fail: func(e feed.Entry) error {
		_, err := strict.Get(context.Background(), e.Link, fetch.Validators{})
		if errors.Is(err, fetch.ErrForbiddenAddress) {
			refused = append(refused, e.Link)
		}
		return err
	}}
	p := newPoller(t, t.TempDir(), rec)
	p.Registry.Add(srv.URL, 0, time.Now())
	res, err := p.Poll(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) != 2 || res.Failed != 2 || res.New != 0 {
		t.Errorf("refused %v (%+v), want both entries refused", refused, res)
	}
}

func TestRegistry(t *testing.T) {
	dir := t.TempDir()
	reg, err := feed.OpenRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := reg.Add("https://News.Example/rss#top", 0, now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url   string
		every time.Duration
		want  error
	}{
		{"https://news.example/rss", 0, feed.ErrExists},
		{"ftp://news.example/rss", 0, feed.ErrInvalid},
		{"news.example/rss", 0, feed.ErrInvalid},
		{"https://other.example/rss", time.Millisecond, feed.ErrInvalid},
	} {
		if _, err := reg.Add(tc.url, tc.every, now); !errors.Is(err, tc.want) {
			t.Errorf("add %s every %v: got %v, want %v", tc.url, tc.every, err, tc.want)
		}
	}
	// Another process's registry on the same directory sees the feed.
	other, _ := feed.OpenRegistry(dir)
	feeds, err := other.List()
	if err != nil || len(feeds) != 1 || feeds[0].URL != "https://news.example/rss" || feeds[0].Every != feed.DefaultEvery {
		t.Fatalf("list = %+v, %v", feeds, err)
	}
	if err := other.Remove("https://news.example/rss"); err != nil {
		t.Fatal(err)
	}
	if err := reg.Remove("https://news.example/rss"); !errors.Is(err, feed.ErrNotFound) {
		t.Errorf("second remove: got %v, want ErrNotFound", err)
	}
}
