package fetch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/parse"
)

// ErrNoArticle reports a page in which no article text was found.
var ErrNoArticle = errors.New("no article text found on the page")

// Article is a news article read from a web page.
type Article struct {
	// Canonical is the page's canonical URL: <link rel="canonical">, else
	// og:url, else the JSON-LD url, else the URL it was fetched from.
	// A canonical URL on another site than the page is not believed.
	Canonical string
	// Headline is the JSON-LD headline, else og:title, else the page's
	// only <h1>, else the title readability finds (the <title> without
	// the site's name).
	Headline string
	Author   string
	// Published and Modified come from JSON-LD, else the meta tags
	// article:published_time and article:modified_time (and their
	// Dublin Core and Open Graph kin).
	Published, Modified time.Time
	Language, SiteName  string
	// Document is the article as ragd stores it: its ID and Source are the
	// canonical URL, its Text the main content, cleaned of furniture, with
	// the article's headings as Sections.
	Document retrieval.Document
}

// ReadArticle extracts the article from an HTML page fetched from pageURL,
// whose Content-Type named charsetName (may be empty; the page's own
// declaration is honoured then).
func ReadArticle(body []byte, charsetName string, pageURL *url.URL) (Article, error) {
	r, err := charset.NewReaderLabel(charsetName, bytes.NewReader(body))
	if err != nil || charsetName == "" {
		r, err = charset.NewReader(bytes.NewReader(body), "text/html")
	}
	if err != nil {
		return Article{}, fmt.Errorf("read article: %w", err)
	}
	page, err := html.Parse(r)
	if err != nil {
		return Article{}, fmt.Errorf("read article: %w", err)
	}
	var m pageMeta
	m.scan(page)
	ld := m.article()

	// readability changes the tree it reads: it goes last.
	ra, err := readability.FromDocument(page, pageURL)
	if err != nil {
		return Article{}, fmt.Errorf("read article: %w", err)
	}
	if ra.Node == nil {
		return Article{}, fmt.Errorf("read article: %w", ErrNoArticle)
	}
	a := Article{
		Canonical: canonical(pageURL, m.canonical, m.meta["og:url"], ld.str("url"), ld.str("mainEntityOfPage")),
		Headline:  firstOf(ld.str("headline"), m.meta["og:title"], m.headline(), ra.Title()),
		Author:    firstOf(ld.author(), ra.Byline(), m.meta["author"]),
		Language:  firstOf(ld.str("inLanguage"), ra.Language()),
		SiteName:  firstOf(ld.publisher(), ra.SiteName()),
	}
	a.Headline = strings.Join(strings.Fields(a.Headline), " ")
	if t, ok := parseTime(ld.str("datePublished")); ok {
		a.Published = t
	} else if t, err := ra.PublishedTime(); err == nil {
		a.Published = t
	}
	if t, ok := parseTime(ld.str("dateModified")); ok {
		a.Modified = t
	} else if t, err := ra.ModifiedTime(); err == nil {
		a.Modified = t
	} else if t, ok := parseTime(firstOf(m.meta["article:modified_time"], m.meta["og:updated_time"])); ok {
		a.Modified = t
	}

	var content bytes.Buffer
	if err := ra.RenderHTML(&content); err != nil {
		return Article{}, fmt.Errorf("read article: %w", err)
	}
	doc, err := parse.HTML(a.Canonical, &content) // cleaned of furniture
	if err != nil {
		return Article{}, fmt.Errorf("read article: %w", err)
	}
	if strings.TrimSpace(doc.Text) == "" {
		return Article{}, fmt.Errorf("read article: %w", ErrNoArticle)
	}
	if a.Headline != "" {
		doc.Title = a.Headline
	}
	a.Headline = doc.Title
	doc.Source = a.Canonical
	doc.Author = a.Author
	doc.Published = a.Published
	a.Document = doc
	return a, nil
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// canonical picks the first of candidates that is an absolute http(s) URL
// (relative ones resolved against page) on the page's own site, else the
// page's URL. The fragment is dropped.
func canonical(page *url.URL, candidates ...string) string {
	for _, c := range candidates {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		u, err := page.Parse(c)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !sameSite(u.Hostname(), page.Hostname()) {
			continue
		}
		u.Fragment = ""
		return u.String()
	}
	u := *page
	u.Fragment = ""
	return u.String()
}

// sameSite reports whether hosts a and b end in the same two labels
// ("www.example.com", "news.example.com"), so that a page cannot claim
// another site's canonical URL and replace that site's article.
func sameSite(a, b string) bool {
	site := func(h string) string {
		labels := strings.Split(strings.ToLower(strings.TrimSuffix(h, ".")), ".")
		if len(labels) <= 2 {
			return strings.Join(labels, ".")
		}
		return strings.Join(labels[len(labels)-2:], ".")
	}
	return site(a) == site(b)
}

// parseTime reads the date forms pages use: RFC 3339 with or without
// seconds or zone, or a bare date.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02", time.RFC1123Z, time.RFC1123} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// pageMeta is what the page's head says about it.
type pageMeta struct {
	canonical string
	meta      map[string]string // property or name, lowercase -> content
	h1        []string          // texts of the page's <h1> elements
	ld        []map[string]any  // JSON-LD objects, @graph flattened
}

func (m *pageMeta) scan(n *html.Node) {
	if m.meta == nil {
		m.meta = make(map[string]string)
	}
	if n.Type == html.ElementNode {
		switch n.DataAtom {
		case atom.Link:
			if strings.EqualFold(attr(n, "rel"), "canonical") && m.canonical == "" {
				m.canonical = attr(n, "href")
			}
		case atom.Meta:
			key := strings.ToLower(firstOf(attr(n, "property"), attr(n, "name"), attr(n, "itemprop")))
			if _, ok := m.meta[key]; key != "" && !ok {
				m.meta[key] = attr(n, "content")
			}
		case atom.H1:
			m.h1 = append(m.h1, strings.Join(strings.Fields(textOf(n)), " "))
			return
		case atom.Script:
			if strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") && n.FirstChild != nil {
				m.addLD(n.FirstChild.Data)
			}
			return
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		m.scan(c)
	}
}

func (m *pageMeta) addLD(src string) {
	src = strings.TrimSpace(src)
	src = strings.TrimSuffix(strings.TrimPrefix(src, "<![CDATA["), "]]>")
	var v any
	if json.Unmarshal([]byte(src), &v) != nil {
		return // a page's broken JSON-LD leaves the meta tags to speak
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			m.ld = append(m.ld, x)
			if g, ok := x["@graph"]; ok {
				walk(g)
			}
		}
	}
	walk(v)
}

// headline returns the page's one <h1> when it has a headline's length
// (four words or more): the <title> often adds the site's name, or cuts.
func (m *pageMeta) headline() string {
	if len(m.h1) != 1 || len(strings.Fields(m.h1[0])) < 4 || len(m.h1[0]) > 300 {
		return ""
	}
	return m.h1[0]
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
		b.WriteByte(' ')
	}
	return b.String()
}

// ldObject is a JSON-LD object.
type ldObject map[string]any

// article returns the page's JSON-LD article object: the first whose
// @type names an Article (NewsArticle, ReportageNewsArticle, BlogPosting
// and the like), or nil.
func (m *pageMeta) article() ldObject {
	for _, o := range m.ld {
		for _, t := range types(o["@type"]) {
			if strings.HasSuffix(t, "Article") || t == "BlogPosting" || t == "Report" {
				return o
			}
		}
	}
	return nil
}

func types(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// str returns a string property, or the @id or url of an object property.
func (o ldObject) str(key string) string {
	switch x := o[key].(type) {
	case string:
		return x
	case map[string]any:
		if s, ok := x["@id"].(string); ok {
			return s
		}
		if s, ok := x["url"].(string); ok {
			return s
		}
	}
	return ""
}

// author returns the names of the article's authors, joined by ", ".
func (o ldObject) author() string {
	var names []string
	var add func(v any)
	add = func(v any) {
		switch x := v.(type) {
		case string:
			names = append(names, x)
		case map[string]any:
			if s, ok := x["name"].(string); ok {
				names = append(names, s)
			}
		case []any:
			for _, e := range x {
				add(e)
			}
		}
	}
	add(o["author"])
	return strings.Join(names, ", ")
}

// publisher returns the name of the article's publisher.
func (o ldObject) publisher() string {
	if p, ok := o["publisher"].(map[string]any); ok {
		if s, ok := p["name"].(string); ok {
			return s
		}
	}
	return ""
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}
