package parse

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/clean"
)

// Text returns the plain-text document text. Text is text with line
// ends normalised to "\n", a leading byte order mark removed, invalid UTF-8
// replaced by U+FFFD, page furniture removed line by line (see package
// clean) and trailing white space trimmed; Title is its headline (see
// clean.Headline), which stays in Text. Source is left to the caller.
func Text(id, text string) retrieval.Document {
	text = strings.TrimRightFunc(normalizeText(text), unicode.IsSpace)
	d := clean.Document(retrieval.Document{ID: id, Text: text})
	if d.Title == "" {
		d.Title = retrieval.DerivedTitle(d.Text)
	}
	return d
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
