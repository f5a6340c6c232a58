package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// ErrUnsupported reports a file whose type ReadFile cannot read.
var ErrUnsupported = errors.New("unsupported file type")

// ErrBinary is returned (wrapped) by ReadFile for a file that is not text:
// one with a NUL byte in its first 8 KiB, as Git decides.
var ErrBinary = errors.New("not a text file: it holds NUL bytes (binary, or UTF-16)")

// isBinary reports whether b looks like a binary file: a NUL byte in its
// first 8 KiB. Text in UTF-8 never holds one; images, archives and
// executables almost always do.
func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), 8<<10)], 0) >= 0
}

// ReadFile reads the documents of the file at path, by its extension (in any
// case): .txt (ParseText), .md and .markdown (ParseMarkdown), .html and .htm
// (ParseHTML) hold one document whose ID is the file's base name without
// its extension; .jsonl (ReadJSONL) holds any number. Any other extension
// gives an error wrapping ErrUnsupported. ReadFile sets no Source that the
// file itself does not give.
func ReadFile(path string) ([]retrieval.Document, error) {
	ext := filepath.Ext(path)
	id := strings.TrimSuffix(filepath.Base(path), ext)
	switch strings.ToLower(ext) {
	case ".txt", ".md", ".markdown":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		if isBinary(b) {
			return nil, fmt.Errorf("read file %s: %w", path, ErrBinary)
		}
		if strings.EqualFold(ext, ".txt") {
			return []retrieval.Document{Text(id, string(b))}, nil
		}
		return []retrieval.Document{Markdown(id, string(b))}, nil
	case ".html", ".htm":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		if isBinary(b) {
			return nil, fmt.Errorf("read file %s: %w", path, ErrBinary)
		}
		doc, err := HTML(id, bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("read file %s: %w", path, err)
		}
		return []retrieval.Document{doc}, nil
	case ".jsonl":
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		defer f.Close()
		var docs []retrieval.Document
		err = JSONL(f, func(d retrieval.Document) error {
			docs = append(docs, d)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read file %s: %w", path, err)
		}
		return docs, nil
	}
	return nil, fmt.Errorf("read file %s: %w", path, ErrUnsupported)
}

// Text returns the plain-text document text. Text is text with line
// ends normalised to "\n", a leading byte order mark removed, invalid UTF-8
// replaced by U+FFFD and trailing white space trimmed; Title is its first
// non-empty line, trimmed, and stays in Text. Source is left to the caller.
func Text(id, text string) retrieval.Document {
	text = strings.TrimRightFunc(normalizeText(text), unicode.IsSpace)
	return retrieval.Document{ID: id, Title: retrieval.DerivedTitle(text), Text: text}
}

// Markdown returns the Markdown document src as readable text.
//
// Markup is stripped: links keep their text, images are dropped, code keeps
// its content, list items become lines starting with "- " or "1. ", table
// rows become lines of cells separated by " | ", and blocks are separated
// by a blank line. Headings stay in Text as lines of their own and are
// recorded in Sections, each governing the text up to the next heading of
// the same or a higher level. A front matter block between "---" lines may
// give title, date (or published), author and source (or url); a date that
// does not parse is ignored. Title is the front matter title, else the
// first level-1 heading, else the first non-empty line of Text.
func Markdown(id, src string) retrieval.Document {
	src = normalizeText(src)
	doc := retrieval.Document{ID: id}
	src = frontMatter(src, &doc)

	source := []byte(src)
	md := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))
	root := md.Parser().Parse(text.NewReader(source))
	w := markdownWriter{src: source}
	w.block(root)
	doc.Text, doc.Sections = w.out.finish()
	if doc.Title == "" {
		doc.Title = w.h1
	}
	if doc.Title == "" {
		doc.Title = retrieval.DerivedTitle(doc.Text)
	}
	return doc
}

// HTML reads an HTML page from r and returns its readable text.
//
// Only the main content is kept: the <article> with the most text, else
// <main>, else <body>; nav, header (outside an article), footer, aside,
// script, style, noscript, form, svg, iframe, template and hidden elements
// are dropped. Block elements become paragraph breaks, list items lines
// starting with "- " or "1. ", table rows lines of cells separated by " | ",
// and <pre> keeps its line breaks. Headings are recorded in Sections as in
// ParseMarkdown. Title is the <title>, else the first <h1>; Author, Published
// and Source come from the meta tags author, article:published_time and
// og:url. The page's character set is honoured.
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
	if doc.Title == "" {
		doc.Title = retrieval.DerivedTitle(doc.Text)
	}
	return doc, nil
}

// JSONL reads documents in the BEIR corpus layout, one JSON object a
// line, and calls fn with each in turn, stopping at the first error.
//
// Fields: "_id" (or "id"; a string or a number), "title", "text", and
// optionally "url", "published" (RFC 3339, YYYY-MM-DD or YYYY/MM/DD) and
// "author"; others are ignored. Text is the title, a line break and the
// text, so that it holds the whole document as for the other formats.
// Blank lines are skipped; a line that does not parse, lacks an ID or has a
// bad date gives an error naming its line number. Lines may be of any length.
func JSONL(r io.Reader, fn func(retrieval.Document) error) error {
	return JSONLLines(r, func(_ int, d retrieval.Document) error { return fn(d) })
}

// JSONLLines reads documents as ReadJSONL does, passing fn each one's
// line number (from 1) too.
func JSONLLines(r io.Reader, fn func(line int, d retrieval.Document) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read jsonl: line %d: %w", line, err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		}
		if len(bytes.TrimSpace(b)) > 0 {
			doc, perr := parseJSONLine(b)
			if perr != nil {
				return fmt.Errorf("read jsonl: line %d: %w", line, perr)
			}
			if ferr := fn(line, doc); ferr != nil {
				return fmt.Errorf("read jsonl: line %d: %w", line, ferr)
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// jsonlRecord is one line of a BEIR corpus file.
type jsonlRecord struct {
	ID        jsonID `json:"_id"`
	AltID     jsonID `json:"id"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	URL       string `json:"url"`
	Published string `json:"published"`
	Author    string `json:"author"`
}

// jsonID is a document ID written as a JSON string or number.
type jsonID string

// UnmarshalJSON accepts a string or a number.
func (id *jsonID) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = jsonID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id %s is neither a string nor a number", b)
	}
	*id = jsonID(n)
	return nil
}

// parseJSONLine converts one JSONL line to a Document.
func parseJSONLine(b []byte) (retrieval.Document, error) {
	var rec jsonlRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return retrieval.Document{}, fmt.Errorf("decode: %w", err)
	}
	id := string(rec.ID)
	if id == "" {
		id = string(rec.AltID)
	}
	if id == "" {
		return retrieval.Document{}, errors.New("missing _id")
	}
	doc := retrieval.Document{
		ID:     id,
		Title:  strings.TrimSpace(rec.Title),
		Source: rec.URL,
		Author: rec.Author,
	}
	body := strings.TrimRightFunc(normalizeText(rec.Text), unicode.IsSpace)
	switch {
	case doc.Title == "" || strings.HasPrefix(body, doc.Title):
		doc.Text = body
	case body == "":
		doc.Text = doc.Title
	default:
		doc.Text = doc.Title + "\n" + body
	}
	if rec.Published != "" {
		t, err := parseDate(rec.Published)
		if err != nil {
			return retrieval.Document{}, err
		}
		doc.Published = t
	}
	return doc, nil
}

// dateLayouts are the date formats documents may use, most precise first.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02",
	"2006/01/02",
}

// parseDate parses a publication date in one of dateLayouts.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse date %q: want RFC 3339, YYYY-MM-DD or YYYY/MM/DD", s)
}

// normalizeText removes a byte order mark, turns "\r\n" and "\r" into "\n"
// and replaces invalid UTF-8.
func normalizeText(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// frontMatter reads a front matter block at the start of src into doc and
// returns the rest of src.
func frontMatter(src string, doc *retrieval.Document) string {
	if !strings.HasPrefix(src, "---\n") {
		return src
	}
	rest := src[len("---\n"):]
	end, next := -1, 0
	for off := 0; off < len(rest); {
		line, _, _ := strings.Cut(rest[off:], "\n")
		if t := strings.TrimRight(line, " \t"); t == "---" || t == "..." {
			end, next = off, min(off+len(line)+1, len(rest))
			break
		}
		off += len(line) + 1
	}
	if end < 0 {
		return src
	}
	for line := range strings.Lines(rest[:end]) {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = unquote(strings.TrimSpace(value))
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "title":
			doc.Title = value
		case "author":
			doc.Author = value
		case "source", "url":
			doc.Source = value
		case "date", "published":
			if t, err := parseDate(value); err == nil {
				doc.Published = t
			}
		}
	}
	return rest[next:]
}

// unquote removes matching single or double quotes around a YAML scalar.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		if s[0] == '"' {
			if u, err := strconv.Unquote(s); err == nil {
				return u
			}
		}
		return s[1 : len(s)-1]
	}
	return s
}

// textOut accumulates readable text with collapsed white space, paragraph
// breaks and the sections of its headings, in code point offsets.
type textOut struct {
	b        strings.Builder
	runes    int  // code points written
	pending  int  // line breaks owed before the next text
	space    bool // a space owed before the next text on this line
	prefix   string
	sections []retrieval.Section
	levels   []int // heading level of each section
}

// lineBreak asks for n line breaks (1 for a new line, 2 for a blank line)
// before the next text.
func (o *textOut) lineBreak(n int) {
	o.pending = max(o.pending, n)
	o.space = false
}

// flush writes the line breaks and the list marker owed before text.
func (o *textOut) flush() {
	if o.pending > 0 && o.b.Len() > 0 {
		for range o.pending {
			o.b.WriteByte('\n')
		}
		o.runes += o.pending
	}
	o.pending = 0
	if o.prefix != "" {
		o.b.WriteString(o.prefix)
		o.runes += utf8.RuneCountInString(o.prefix)
		o.prefix = ""
		o.space = false
	}
}

// atLineStart reports whether the next text starts a line.
func (o *textOut) atLineStart() bool {
	s := o.b.String()
	return o.pending > 0 || s == "" || s[len(s)-1] == '\n'
}

// separate writes sep between two cells of a line, with spaces around it.
func (o *textOut) separate(sep string) {
	if o.atLineStart() {
		return
	}
	o.space = true
	o.inline(sep)
	o.space = true
}

// inline writes s with each run of white space collapsed to one space.
func (o *textOut) inline(s string) {
	for _, r := range s {
		if unicode.IsSpace(r) {
			o.space = true
			continue
		}
		o.flush()
		if o.space && !o.atLineStart() {
			o.b.WriteByte(' ')
			o.runes++
		}
		o.space = false
		o.b.WriteRune(r)
		o.runes++
	}
}

// raw writes s as it is, line breaks included.
func (o *textOut) raw(s string) {
	if s == "" {
		return
	}
	o.flush()
	o.space = false
	o.b.WriteString(s)
	o.runes += utf8.RuneCountInString(s)
}

// startHeading closes the sections a heading of the given level ends and
// returns the code point offset where the heading's line will start.
func (o *textOut) startHeading(level int) int {
	o.lineBreak(2)
	start := o.runes
	if o.b.Len() > 0 {
		start += o.pending
	}
	for i := range o.sections {
		if o.sections[i].End < 0 && o.levels[i] >= level {
			o.sections[i].End = start
		}
	}
	return start
}

// addSection records a heading whose line starts at start.
func (o *textOut) addSection(heading string, level, start int) {
	heading = strings.Join(strings.Fields(heading), " ")
	if heading == "" {
		return
	}
	o.sections = append(o.sections, retrieval.Section{Heading: heading, Start: start, End: -1})
	o.levels = append(o.levels, level)
}

// finish returns the text, trimmed, and the sections.
func (o *textOut) finish() (string, []retrieval.Section) {
	s := strings.TrimRightFunc(o.b.String(), unicode.IsSpace)
	n := utf8.RuneCountInString(s)
	for i := range o.sections {
		if o.sections[i].End < 0 || o.sections[i].End > n {
			o.sections[i].End = n
		}
	}
	return s, o.sections
}

// markdownWriter renders a goldmark tree as readable text.
type markdownWriter struct {
	src   []byte
	out   textOut
	h1    string
	lists int // depth of list nesting
}

// paragraphBreak is the break around a paragraph: a blank line, or a new
// line inside a list.
func (w *markdownWriter) paragraphBreak() int {
	if w.lists > 0 {
		return 1
	}
	return 2
}

// block renders a block node.
func (w *markdownWriter) block(n ast.Node) {
	switch n := n.(type) {
	case *ast.Heading:
		start := w.out.startHeading(n.Level)
		mark := w.out.b.Len()
		w.inlines(n)
		heading := w.out.b.String()[min(mark, w.out.b.Len()):]
		w.out.addSection(heading, n.Level, start)
		if n.Level == 1 && w.h1 == "" {
			w.h1 = strings.Join(strings.Fields(heading), " ")
		}
		w.out.lineBreak(2)
	case *ast.Paragraph, *ast.TextBlock:
		w.out.lineBreak(w.paragraphBreak())
		w.inlines(n)
		w.out.lineBreak(w.paragraphBreak())
	case *ast.List:
		w.out.lineBreak(w.paragraphBreak())
		w.lists++
		number := n.Start
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			w.out.lineBreak(1)
			w.out.prefix = "- "
			if n.IsOrdered() {
				w.out.prefix = strconv.Itoa(number) + ". "
				number++
			}
			w.blocks(item)
			w.out.prefix = ""
		}
		w.lists--
		w.out.lineBreak(w.paragraphBreak())
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		w.out.lineBreak(2)
		var b strings.Builder
		lines := n.Lines()
		for i := range lines.Len() {
			seg := lines.At(i)
			b.Write(seg.Value(w.src))
		}
		w.out.raw(strings.TrimRight(b.String(), "\n "))
		w.out.lineBreak(2)
	case *ast.HTMLBlock:
		var b strings.Builder
		lines := n.Lines()
		for i := range lines.Len() {
			seg := lines.At(i)
			b.Write(seg.Value(w.src))
		}
		w.out.lineBreak(2)
		w.out.inline(htmlFragmentText(b.String()))
		w.out.lineBreak(2)
	case *ast.ThematicBreak:
		w.out.lineBreak(2)
	case *east.Table:
		w.out.lineBreak(2)
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			w.out.lineBreak(1)
			for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
				w.out.separate("|")
				w.inlines(cell)
			}
		}
		w.out.lineBreak(2)
	default:
		w.blocks(n)
	}
}

// blocks renders the children of n.
func (w *markdownWriter) blocks(n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if c.Type() == ast.TypeInline {
			w.inline(c)
			continue
		}
		w.block(c)
	}
}

// inlines renders the inline children of n.
func (w *markdownWriter) inlines(n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		w.inline(c)
	}
}

// inline renders an inline node.
func (w *markdownWriter) inline(n ast.Node) {
	switch n := n.(type) {
	case *ast.Text:
		v := n.Segment.Value(w.src)
		if !n.IsRaw() {
			v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
		}
		w.out.inline(string(v))
		switch {
		case n.HardLineBreak():
			w.out.lineBreak(1)
		case n.SoftLineBreak():
			w.out.space = true
		}
	case *ast.String:
		w.out.inline(string(n.Value))
	case *ast.AutoLink:
		w.out.inline(string(n.Label(w.src)))
	case *ast.RawHTML:
		for i := range n.Segments.Len() {
			seg := n.Segments.At(i)
			tag := seg.Value(w.src)
			if len(tag) > 3 && bytes.EqualFold(tag[:3], []byte("<br")) {
				w.out.lineBreak(1)
			}
		}
	case *ast.Image:
	default:
		w.inlines(n)
	}
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
		level := int(a.String()[1] - '0')
		start := w.out.startHeading(level)
		mark := w.out.b.Len()
		w.children(n)
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
