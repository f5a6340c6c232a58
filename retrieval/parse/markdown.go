package parse

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/ragd/ragd/retrieval"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

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
