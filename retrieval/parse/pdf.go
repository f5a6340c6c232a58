package parse

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/clean"
)

// ErrNoText reports a PDF without a text layer: a scan, whose pages are
// pictures of text that only OCR can read.
var ErrNoText = errors.New("the PDF has no text layer (a scanned document?): run it through OCR first")

// MaxPDFPages is the most pages PDF reads of one file.
const MaxPDFPages = 2000

// PDF reads the text layer of the PDF document in r, of size bytes.
//
// Each page becomes a section headed "Page N", its lines rebuilt from the
// glyphs' positions: glyphs on one baseline make a line, a gap wider than
// a fifth of the font size a space, the lines of a paragraph one line of
// text, and a vertical gap over one and a half lines a paragraph break; a
// word hyphenated across lines is joined, and page numbers are dropped. The
// text is cleaned of furniture (see package clean). Title is the PDF's
// Title entry, else the headline found in the text. A PDF whose pages hold
// no letters gives an error wrapping ErrNoText; an encrypted or damaged
// one an error saying so.
func PDF(id string, r io.ReaderAt, size int64) (doc retrieval.Document, err error) {
	defer func() {
		if p := recover(); p != nil { // the library panics on some damaged files
			doc, err = retrieval.Document{}, fmt.Errorf("parse pdf: damaged file: %v", p)
		}
	}()
	rd, err := pdf.NewReader(r, size)
	if err != nil {
		return retrieval.Document{}, fmt.Errorf("parse pdf: %w", err)
	}
	doc = retrieval.Document{ID: id}
	info := rd.Trailer().Key("Info")
	title := strings.TrimSpace(info.Key("Title").Text())
	doc.Author = strings.TrimSpace(info.Key("Author").Text())

	var b strings.Builder
	pos := 0 // code points written
	n := min(rd.NumPage(), MaxPDFPages)
	for i := 1; i <= n; i++ {
		page := pageText(rd.Page(i))
		if strings.TrimSpace(page) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
			pos += 2
		}
		start := pos
		b.WriteString(page)
		pos += utf8.RuneCountInString(page)
		doc.Sections = append(doc.Sections, retrieval.Section{Heading: fmt.Sprintf("Page %d", i), Start: start, End: pos})
	}
	doc.Text = b.String()
	if !strings.ContainsFunc(doc.Text, unicode.IsLetter) {
		return retrieval.Document{}, fmt.Errorf("parse pdf: %w", ErrNoText)
	}
	doc = clean.Document(doc)
	if title != "" {
		doc.Title = title
	}
	return doc, nil
}

// pageText rebuilds a page's lines and paragraphs from its glyphs.
func pageText(p pdf.Page) string {
	if p.V.IsNull() {
		return ""
	}
	glyphs := p.Content().Text
	if len(glyphs) == 0 {
		return ""
	}
	// Top to bottom, then left to right; glyphs within a third of the font
	// size of a line's baseline belong to it.
	slices.SortStableFunc(glyphs, func(a, b pdf.Text) int {
		if math.Abs(a.Y-b.Y) > 0.01 {
			return cmp.Compare(b.Y, a.Y)
		}
		return cmp.Compare(a.X, b.X)
	})
	type line struct {
		y, size float64
		glyphs  []pdf.Text
	}
	var lines []*line
	for _, g := range glyphs {
		size := cmp.Or(g.FontSize, 10)
		if l := lastOf(lines); l != nil && math.Abs(l.y-g.Y) <= size/3 {
			l.glyphs = append(l.glyphs, g)
			continue
		}
		lines = append(lines, &line{y: g.Y, size: size, glyphs: []pdf.Text{g}})
	}
	var b strings.Builder
	for i, l := range lines {
		slices.SortStableFunc(l.glyphs, func(a, b pdf.Text) int { return cmp.Compare(a.X, b.X) })
		var s strings.Builder
		end := math.Inf(-1)
		for _, g := range l.glyphs {
			if s.Len() > 0 && g.X-end > cmp.Or(g.FontSize, 10)/5 && !strings.HasSuffix(s.String(), " ") && g.S != " " {
				s.WriteByte(' ')
			}
			s.WriteString(g.S)
			end = g.X + g.W
		}
		text := strings.Join(strings.Fields(s.String()), " ")
		if text == "" || isPageNumber(text) {
			continue
		}
		if i > 0 && b.Len() > 0 {
			prev := lines[i-1]
			cur := b.String()
			switch {
			case prev.y-l.y > 1.5*max(prev.size, l.size)*1.2:
				b.WriteString("\n\n")
			case strings.HasSuffix(cur, "-") && len(cur) > 1 && unicode.IsLetter(rune(cur[len(cur)-2])):
				// A hyphenated word: join it.
				s := b.String()
				b.Reset()
				b.WriteString(strings.TrimSuffix(s, "-"))
			default:
				b.WriteByte(' ') // a line of the same paragraph
			}
		}
		b.WriteString(text)
	}
	return b.String()
}

// isPageNumber reports a line that is a page number: "7", "- 7 -", "Page 7 of 9".
func isPageNumber(s string) bool {
	s = strings.ToLower(strings.Trim(s, "-–— "))
	s = strings.TrimPrefix(s, "page ")
	if a, b, ok := strings.Cut(s, " of "); ok {
		s = a + b
	}
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
}

func lastOf[T any](s []*T) *T {
	if len(s) == 0 {
		return nil
	}
	return s[len(s)-1]
}
