package parse

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/clean"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// HTML reads an HTML page from r and returns its readable text.
//
// Only the main content is kept: the <article> with the most text, else
// <main>, else <body>; nav, header (outside an article), footer, aside,
// script, style, noscript, form, svg, iframe, template and hidden elements
// are dropped. Block elements become paragraph breaks, list items lines
// starting with "- " or "1. ", table rows lines of cells separated by " | ",
// and <pre> keeps its line breaks. Headings are recorded in Sections as in
// Markdown. Page furniture is then removed line by line (see package
// clean). Title is the <title>, else the first <h1>, else the headline;
// Author, Published and Source come from the meta tags author,
// article:published_time and og:url. The page's character set is honoured.
func HTML(id string, r io.Reader) (retrieval.Document, error) {
	cr, err := charset.NewReader(r, "")
	if errors.Is(err, io.EOF) {
		return retrieval.Document{ID: id}, nil // an empty file: a page without text
	}
	if err != nil {
		return retrieval.Document{}, fmt.Errorf("parse html: %w", err)
	}
	page, err := html.Parse(cr)
	if err != nil {
		return retrieval.Document{}, fmt.Errorf("parse html: %w", err)
	}
	doc := retrieval.Document{ID: id}
	var p htmlPage
	p.scan(page)
	doc.Title = p.title
	doc.Author = p.author
	doc.Source = p.url
	if p.published != "" {
		if t, err := parseDate(p.published); err == nil {
			doc.Published = t
		}
	}

	root := p.root()
	w := htmlWriter{inArticle: root.DataAtom == atom.Article}
	w.node(root)
	doc.Text, doc.Sections = w.out.finish()
	if doc.Title == "" {
		doc.Title = w.h1
	}
	doc = clean.Document(doc) // a title still empty becomes the headline
	if doc.Title == "" {
		doc.Title = retrieval.DerivedTitle(doc.Text)
	}
	return doc, nil
}

// htmlFragmentText returns the text of an HTML fragment, without scripts
// and styles.
func htmlFragmentText(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			if name, _ := z.TagName(); dropped(atom.Lookup(name)) {
				skip++
			}
			b.WriteByte(' ')
		case html.EndTagToken:
			if name, _ := z.TagName(); dropped(atom.Lookup(name)) && skip > 0 {
				skip--
			}
			b.WriteByte(' ')
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
}

// dropped reports whether an element holds no readable article text.
func dropped(a atom.Atom) bool {
	switch a {
	case atom.Nav, atom.Footer, atom.Aside, atom.Script, atom.Style, atom.Noscript,
		atom.Form, atom.Svg, atom.Iframe, atom.Template, atom.Head, atom.Button,
		atom.Select, atom.Object, atom.Embed, atom.Canvas, atom.Img, atom.Picture,
		atom.Video, atom.Audio, atom.Math, atom.Dialog:
		return true
	}
	return false
}

// htmlPage holds what a first pass over an HTML page finds.
type htmlPage struct {
	title, author, published, url string
	body, main                    *html.Node
	article                       *html.Node
	articleLen                    int
}

// scan walks the page, recording its metadata and candidate content roots.
func (p *htmlPage) scan(n *html.Node) {
	if n.Type == html.ElementNode {
		switch n.DataAtom {
		case atom.Title:
			if p.title == "" {
				p.title = strings.Join(strings.Fields(nodeText(n)), " ")
			}
			return
		case atom.Meta:
			p.meta(n)
		case atom.Svg, atom.Script, atom.Style, atom.Template:
			return
		case atom.Body:
			if p.body == nil {
				p.body = n
			}
		case atom.Main:
			if p.main == nil {
				p.main = n
			}
		case atom.Article:
			if l := len(strings.TrimSpace(nodeText(n))); l > p.articleLen {
				p.article, p.articleLen = n, l
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		p.scan(c)
	}
}

// meta records the author, publication date and URL meta tags.
func (p *htmlPage) meta(n *html.Node) {
	var key, content string
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "name", "property":
			key = strings.ToLower(strings.TrimSpace(a.Val))
		case "content":
			content = strings.TrimSpace(a.Val)
		}
	}
	if content == "" {
		return
	}
	switch key {
	case "author":
		if p.author == "" {
			p.author = content
		}
	case "article:published_time":
		if p.published == "" {
			p.published = content
		}
	case "og:url":
		if p.url == "" {
			p.url = content
		}
	}
}

// root returns the element holding the page's main content.
func (p *htmlPage) root() *html.Node {
	switch {
	case p.article != nil:
		return p.article
	case p.main != nil:
		return p.main
	case p.body != nil:
		return p.body
	}
	return &html.Node{Type: html.DocumentNode}
}

// nodeText returns the text inside n, scripts and styles excluded.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style || n.DataAtom == atom.Template):
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// htmlWriter renders an HTML tree as readable text.
type htmlWriter struct {
	out       textOut
	h1        string
	inArticle bool
	pre       int // depth of <pre> nesting
	// inHeading is set while a heading's children are written: a heading
	// nested in another (which HTML's parser allows inside inline
	// elements) is part of the outer heading's text, not a section.
	inHeading bool
	lists     []int
}

// node renders n and its children.
func (w *htmlWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		if w.pre > 0 {
			w.out.raw(n.Data)
		} else {
			w.out.inline(n.Data)
		}
		return
	case html.ElementNode:
	case html.DocumentNode:
		w.children(n)
		return
	default:
		return
	}
	if dropped(n.DataAtom) || hidden(n) || (n.DataAtom == atom.Header && !w.inArticle) {
		return
	}
	switch a := n.DataAtom; a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		if w.inHeading {
			w.children(n)
			return
		}
		level := int(a.String()[1] - '0')
		start := w.out.startHeading(level)
		mark := w.out.b.Len()
		w.inHeading = true
		w.children(n)
		w.inHeading = false
		heading := w.out.b.String()[min(mark, w.out.b.Len()):]
		w.out.addSection(heading, level, start)
		if level == 1 && w.h1 == "" {
			w.h1 = strings.Join(strings.Fields(heading), " ")
		}
		w.out.lineBreak(2)
	case atom.Br:
		w.out.lineBreak(1)
	case atom.Pre:
		w.out.lineBreak(2)
		w.pre++
		w.children(n)
		w.pre--
		w.out.lineBreak(2)
	case atom.Article:
		outer := w.inArticle
		w.inArticle = true
		w.out.lineBreak(2)
		w.children(n)
		w.out.lineBreak(2)
		w.inArticle = outer
	case atom.Ul, atom.Ol:
		w.out.lineBreak(2)
		number := 0
		if a == atom.Ol {
			number = 1
			if s, err := strconv.Atoi(attr(n, "start")); err == nil {
				number = s
			}
		}
		w.lists = append(w.lists, number)
		w.children(n)
		w.lists = w.lists[:len(w.lists)-1]
		w.out.lineBreak(2)
	case atom.Li:
		w.out.lineBreak(1)
		w.out.prefix = "- "
		if k := len(w.lists) - 1; k >= 0 && w.lists[k] > 0 {
			w.out.prefix = strconv.Itoa(w.lists[k]) + ". "
			w.lists[k]++
		}
		w.children(n)
		w.out.prefix = ""
		w.out.lineBreak(1)
	case atom.Tr, atom.Dt, atom.Dd:
		w.out.lineBreak(1)
		w.children(n)
		w.out.lineBreak(1)
	case atom.Td, atom.Th:
		w.out.separate("|")
		w.children(n)
		w.out.space = true
	default:
		if blockElement(a) {
			w.out.lineBreak(2)
			w.children(n)
			w.out.lineBreak(2)
			return
		}
		w.children(n)
	}
}

// children renders the children of n.
func (w *htmlWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
}

// blockElement reports whether a starts a paragraph of its own.
func blockElement(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Blockquote, atom.Details, atom.Div, atom.Dl,
		atom.Fieldset, atom.Figcaption, atom.Figure, atom.Header, atom.Hgroup,
		atom.Hr, atom.Main, atom.P, atom.Section, atom.Table, atom.Caption,
		atom.Summary, atom.Body, atom.Center:
		return true
	}
	return false
}

// hidden reports whether an element is marked as not displayed.
func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch {
		case a.Key == "hidden":
			return true
		case a.Key == "aria-hidden" && a.Val == "true":
			return true
		}
	}
	return false
}

// attr returns the value of n's attribute key, or "".
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
