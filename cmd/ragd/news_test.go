package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// newsSite is an httptest news site: article pages shaped like real ones
// (navigation, share buttons, captions, newsletter box, related links,
// JSON-LD) and an RSS feed with an ETag, to which a test adds entries.
type newsSite struct {
	*httptest.Server
	mu       sync.Mutex
	items    []string // RSS items, newest first
	version  int
	articles map[string]int // GETs per article path
	feedGets int
	addPage  func(path, html string) // called with mu held
}

type story struct {
	slug, headline, published string
	// modified, when set, is the page's dateModified and the entry's
	// date: a correction.
	modified string
	paras    []string
}

func newNewsSite(tb testing.TB) *newsSite {
	s := &newsSite{articles: map[string]int{}}
	pages := map[string]string{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.URL.Path == "/feed.xml" {
			s.feedGets++
			etag := fmt.Sprintf(`"feed-%d"`, s.version)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", etag)
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Coast News</title><link>%s</link><description>News</description>%s</channel></rss>`, s.URL, strings.Join(s.items, ""))
			return
		}
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		s.articles[r.URL.Path]++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	tb.Cleanup(s.Close)
	s.addPage = func(path, html string) { pages[path] = html }
	return s
}

// publish adds an article page and its feed entry, linked with a
// tracking parameter, as feeds do; the page's canonical URL has none.
func (s *newsSite) publish(st story, furniture int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addPage("/news/"+st.slug, articlePage(s.URL, st, furniture))
	item := fmt.Sprintf(`<item><title>%s</title><link>%s/news/%s?utm_source=rss</link><guid>%s</guid><pubDate>%s</pubDate><description>Summary.</description></item>`,
		st.headline, s.URL, st.slug, st.slug, cmpOr(st.modified, st.published))
	for i, it := range s.items {
		if strings.Contains(it, "<guid>"+st.slug+"</guid>") {
			s.items = append(s.items[:i], s.items[i+1:]...) // a correction replaces its entry
			break
		}
	}
	s.items = append([]string{item}, s.items...)
	s.version++
}

func (s *newsSite) gets(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.articles[path]
}

func (s *newsSite) feedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.feedGets
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func articlePage(base string, st story, furniture int) string {
	t, _ := time.Parse(time.RFC1123, st.published)
	m, _ := time.Parse(time.RFC1123, cmpOr(st.modified, st.published))
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s | Coast News</title>
<link rel="canonical" href="%s/news/%s">
<meta property="og:site_name" content="Coast News">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":%q,"datePublished":%q,"dateModified":%q,"author":{"@type":"Person","name":"Morag Bell"}}</script>
</head><body>`, st.headline, base, st.slug, st.headline, t.UTC().Format(time.RFC3339), m.UTC().Format(time.RFC3339))
	switch furniture {
	case 0:
		b.WriteString(`<header><nav><a href="/">Home</a> <a href="/scotland">Scotland</a> <a href="/weather">Weather</a></nav></header>`)
	default:
		b.WriteString(`<div class="top"><a href="#c">Skip to content</a><ul class="menu"><li>News</li><li>Sport</li><li>Business</li></ul></div>`)
	}
	fmt.Fprintf(&b, `<main><article><h1>%s</h1><div class="share"><a>Share this article</a> <a>Copy link</a></div>
<figure><img src="/i.jpg" alt="The tower at dusk"><figcaption>The tower at dusk (Picture: Iain Reid/PA)</figcaption></figure>`, st.headline)
	for i, p := range st.paras {
		fmt.Fprintf(&b, "<p>%s</p>\n", p)
		if i == 1 {
			b.WriteString(`<aside class="newsletter"><h3>Join Our Newsletter</h3><p>Sign up for our morning briefing newsletter.</p></aside>`)
		}
	}
	b.WriteString(`<div class="related"><h3>Related topics</h3><ul><li><a href="/t/islands">Islands</a></li></ul></div></article></main>
<footer><p>WatchUsOn</p><p>© Coast News. All rights reserved.</p></footer></body></html>`)
	return b.String()
}

var (
	harbourStory = story{slug: "harbour-wall", headline: "Storm damage closes Oban harbour wall for repairs", published: "Mon, 03 Mar 2025 08:00:00 GMT", paras: []string{
		"The harbour wall at Oban will be closed for six weeks while engineers repair damage from last week's storm, the council said on Monday.",
		"Waves overtopped the wall on Thursday night and dislodged several blocks of granite from its seaward face, leaving a gap of about four metres.",
		"Ferries to Mull and Lismore are not affected, but fishing boats will have to unload at the north pier until the work is finished.",
		"The council said the repairs would cost about two hundred thousand pounds, which it hopes to recover from the government's storm fund.",
	}}
	lighthouseStory = story{slug: "skerryvore-reopens", headline: "Skerryvore lighthouse to reopen to visitors after restoration", published: "Tue, 04 Mar 2025 09:00:00 GMT", paras: []string{
		"Skerryvore lighthouse, the tallest in Scotland, will reopen to visitors in June 2026 after a three-year restoration of its granite tower, its trust announced on Tuesday.",
		"The tower, completed in 1844 by Alan Stevenson on a reef twelve miles south-west of Tiree, had been closed since cracks were found in its lantern room.",
		"Boat trips from Tiree will run twice a week through the summer, and visitors will be able to climb the 151 steps to the gallery.",
		"The restoration was paid for by a heritage lottery grant and by donations from more than four thousand people, many of them descendants of keepers.",
	}}
)

// syndicated is a copy of a story as another site runs it a day later:
// a few words edited, its own furniture around it.
func syndicated(st story, slug, published string) story {
	c := st
	c.slug, c.published = slug, published
	c.paras = append([]string(nil), st.paras...)
	c.paras[0] = strings.Replace(c.paras[0], "announced on Tuesday", "said on Tuesday", 1)
	c.paras[2] = strings.Replace(c.paras[2], "twice a week", "two times a week", 1)
	return c
}

func postJSON(tb testing.TB, url string, body any, out any) int {
	tb.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			tb.Fatalf("decode %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

type docList struct {
	Documents []struct {
		ID, Title, Source string
	} `json:"documents"`
}

func listDocs(tb testing.TB, base string) docList {
	tb.Helper()
	resp, err := http.Get(base + "/api/documents")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var l docList
	json.NewDecoder(resp.Body).Decode(&l)
	return l
}

// waitFor polls cond until it holds, failing the test after 60s.
func waitFor(tb testing.TB, p *process, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s\n%s", what, p.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServeFollowsFeed follows a local feed with a real ragd process: the
// entry there at the start is stored with its canonical URL, a new entry
// is picked up on a later poll and answers a question with a citation of
// its canonical URL, a syndicated copy joins its story, and a restart
// fetches nothing again.
func TestServeFollowsFeed(t *testing.T) {
	site := newNewsSite(t)
	site.publish(harbourStory, 0)
	data := filepath.Join(t.TempDir(), "data")
	feedURL := site.URL + "/feed.xml"
	env := map[string]string{"RAGD_DATA": data}
	if code, out, stderr := ragd(t, env, "", "feeds", "add", "--every", "1s", "--fetch-allow-private", feedURL); code != 0 || !strings.Contains(out, `"Coast News", 1 entries`) {
		t.Fatalf("feeds add: exit %d: %s%s", code, out, stderr)
	}
	if code, _, stderr := ragd(t, map[string]string{"RAGD_DATA": data}, "", "feeds", "add", feedURL); code == 0 || !strings.Contains(stderr, "address not allowed") {
		t.Errorf("feeds add of a loopback feed without --fetch-allow-private: exit %d, %s", code, stderr)
	}

	p := serveProcess(t, data, "--fetch-allow-private")
	harbour := site.URL + "/news/harbour-wall"
	waitFor(t, p, "the first entry", func() bool { return len(listDocs(t, p.URL).Documents) == 1 })
	docs := listDocs(t, p.URL).Documents
	if docs[0].ID != harbour || docs[0].Source != harbour || docs[0].Title != harbourStory.headline {
		t.Errorf("stored %+v, want id and source %s, title %q", docs[0], harbour, harbourStory.headline)
	}

	site.publish(lighthouseStory, 1)
	lighthouse := site.URL + "/news/skerryvore-reopens"
	waitFor(t, p, "the new entry", func() bool { return len(listDocs(t, p.URL).Documents) == 2 })

	var ans struct {
		Answer    string `json:"answer"`
		Citations []struct {
			Source, Title, Quote string
		} `json:"citations"`
	}
	if code := postJSON(t, p.URL+"/api/ask", map[string]any{"question": "When will Skerryvore lighthouse reopen to visitors?"}, &ans); code != http.StatusOK {
		t.Fatalf("ask: status %d", code)
	}
	t.Logf("answer %q citing %+v", ans.Answer, ans.Citations)
	if !strings.Contains(ans.Answer, "June 2026") || len(ans.Citations) == 0 || ans.Citations[0].Source != lighthouse {
		t.Errorf("answer %q citing %+v; want June 2026 cited from %s", ans.Answer, ans.Citations, lighthouse)
	}

	var stored struct{ Text, StoryID string }
	resp, err := http.Get(p.URL + "/api/documents/" + strings.ReplaceAll(lighthouse, "/", "%2F"))
	if err == nil {
		var d struct {
			Text    string `json:"text"`
			StoryID string `json:"story_id"`
		}
		json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		stored.Text, stored.StoryID = d.Text, d.StoryID
	}
	for _, furniture := range []string{"Share this", "Copy link", "Iain Reid/PA", "Join Our Newsletter", "morning briefing", "Related topics", "WatchUsOn", "Skip to content"} {
		if strings.Contains(stored.Text, furniture) {
			t.Errorf("stored article holds %q", furniture)
		}
	}

	// A syndicated copy, a day later under another address: one story.
	site.publish(syndicated(lighthouseStory, "wire/lighthouse-copy", "Wed, 05 Mar 2025 07:00:00 GMT"), 0)
	waitFor(t, p, "the syndicated copy", func() bool { return len(listDocs(t, p.URL).Documents) == 3 })
	var hits struct {
		Hits []struct {
			DocID   string `json:"doc_id"`
			StoryID string `json:"story_id"`
		} `json:"hits"`
	}
	q := "Skerryvore lighthouse restoration visitors Tiree"
	postJSON(t, p.URL+"/api/search", map[string]any{"query": q, "k": 5}, &hits)
	var lighthouseHits []string
	for _, h := range hits.Hits {
		if h.StoryID == stored.StoryID {
			lighthouseHits = append(lighthouseHits, h.DocID)
		}
	}
	t.Logf("story %s, collapsed hits %v of %+v", stored.StoryID, lighthouseHits, hits.Hits)
	if stored.StoryID == "" || len(lighthouseHits) != 1 || lighthouseHits[0] != lighthouse {
		t.Errorf("collapsed search: story %q hits %v, want one, the earliest copy %s", stored.StoryID, lighthouseHits, lighthouse)
	}
	postJSON(t, p.URL+"/api/search", map[string]any{"query": q, "k": 5, "collapse_duplicates": false}, &hits)
	copies := map[string]bool{}
	for _, h := range hits.Hits {
		if h.StoryID == stored.StoryID {
			copies[h.DocID] = true
		}
	}
	if len(copies) != 2 {
		t.Errorf("search with collapse_duplicates false found copies %v, want both", copies)
	}

	// A correction: same canonical URL, new text, a later date. It
	// replaces the stored version and keeps its modified date.
	corrected := harbourStory
	corrected.modified = "Tue, 04 Mar 2025 16:30:00 GMT"
	corrected.paras = append(append([]string(nil), harbourStory.paras...), "Correction: an earlier version of this article said the wall would close for four weeks; the council has said six.")
	site.publish(corrected, 0)
	var got struct {
		Text     string  `json:"text"`
		Modified *string `json:"modified"`
	}
	waitFor(t, p, "the correction", func() bool {
		resp, err := http.Get(p.URL + "/api/documents/" + strings.ReplaceAll(harbour, "/", "%2F"))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&got)
		return strings.Contains(got.Text, "Correction:")
	})
	if got.Modified == nil || *got.Modified != "2025-03-04T16:30:00Z" {
		t.Errorf("corrected article's modified date = %v, want 2025-03-04T16:30:00Z", got.Modified)
	}
	if n := len(listDocs(t, p.URL).Documents); n != 3 {
		t.Errorf("%d documents after the correction, want 3: it replaces the old version", n)
	}

	// A restart neither misses nor refetches: after two more polls, no
	// article was fetched again.
	before := map[string]int{}
	for _, path := range []string{"/news/harbour-wall", "/news/skerryvore-reopens", "/news/wire/lighthouse-copy"} {
		before[path] = site.gets(path)
	}
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
	p = serveProcess(t, data, "--fetch-allow-private")
	polls := site.feedCount()
	waitFor(t, p, "two polls after the restart", func() bool { return site.feedCount() >= polls+2 })
	for path, n := range before {
		if got := site.gets(path); got != n {
			t.Errorf("%s fetched %d times after the restart, want none", path, got-n)
		}
	}
	if got := len(listDocs(t, p.URL).Documents); got != 3 {
		t.Errorf("%d documents after the restart, want 3", got)
	}
}

// TestIngestURLRefusesPrivateAddresses ingests from a loopback server
// without the flag (refused, nothing stored) and with it.
func TestIngestURLRefusesPrivateAddresses(t *testing.T) {
	site := newNewsSite(t)
	site.publish(harbourStory, 0)
	env := map[string]string{"RAGD_DATA": filepath.Join(t.TempDir(), "data"), "RAGD_MODEL_PATH": modelPath}
	requireModel(t)
	for _, u := range []string{site.URL + "/news/harbour-wall", "http://169.254.169.254/latest/meta-data/"} {
		if code, _, stderr := ragd(t, env, "", "ingest", u); code != 1 || !strings.Contains(stderr, "address not allowed") {
			t.Errorf("ingest %s: exit %d, %q; want a refusal", u, code, stderr)
		}
	}
	code, out, stderr := ragd(t, env, "", "ingest", "--fetch-allow-private", site.URL+"/news/harbour-wall?utm_source=x")
	if code != 0 || !strings.Contains(out, "ingested 1 documents (1 added") {
		t.Fatalf("ingest with the flag: exit %d: %s%s", code, out, stderr)
	}
	code, out, _ = ragd(t, env, "", "search", "--json", "granite blocks harbour wall")
	var hits hitsJSON
	if code != 0 || json.Unmarshal([]byte(out), &hits) != nil || len(hits.Hits) == 0 || hits.Hits[0].Source != site.URL+"/news/harbour-wall" || hits.Hits[0].Title != harbourStory.headline {
		t.Errorf("search: exit %d, %s", code, out)
	}
}
