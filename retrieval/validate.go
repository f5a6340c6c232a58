package retrieval

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Title limits, in characters. A document's title is indexed with each of
// its chunks, so its length multiplies.
const (
	// MaxTitle is the longest title a document may be given.
	MaxTitle = 1000
	// MaxDerivedTitle is the longest title taken from a document's first
	// line; a longer line is cut (see parse.Text).
	MaxDerivedTitle = 300
)

// ValidateDocument reports, with an error wrapping ErrInvalid, why Ingest
// would refuse d, or nil.
func ValidateDocument(d Document) error {
	return NormalizeDocument(&d)
}

// NormalizeDocument validates a document, as ValidateDocument does, and
// fills its derived fields: trimmed ID and title, LF line ends, and a title
// taken from the first line when it has none.
func NormalizeDocument(d *Document) error {
	d.ID = strings.TrimSpace(d.ID)
	d.Text = strings.ReplaceAll(d.Text, "\r\n", "\n")
	d.Title = strings.TrimSpace(d.Title)
	switch {
	case d.ID == "":
		return fmt.Errorf("%w: document has no id", ErrInvalid)
	case !utf8.ValidString(d.ID) || strings.ContainsFunc(d.ID, unicode.IsControl):
		return fmt.Errorf("%w: document id %q has invalid characters", ErrInvalid, d.ID)
	case len(d.ID) > 512:
		return fmt.Errorf("%w: document id is longer than 512 bytes", ErrInvalid)
	case strings.TrimSpace(d.Text) == "":
		return fmt.Errorf("%w: document %q has no text", ErrInvalid, d.ID)
	case !utf8.ValidString(d.Text):
		return fmt.Errorf("%w: document %q text is not valid UTF-8", ErrInvalid, d.ID)
	case !strings.ContainsFunc(d.Text, func(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }):
		// Nothing to search; every such text would embed alike and come
		// first for any query of unknown words.
		return fmt.Errorf("%w: document %q has no words (no letters or digits)", ErrInvalid, d.ID)
	}
	if utf8.RuneCountInString(d.Title) > MaxTitle {
		return fmt.Errorf("%w: document %q has a title longer than %d characters", ErrInvalid, d.ID, MaxTitle)
	}
	if d.Title == "" {
		d.Title = DerivedTitle(d.Text)
	}
	return nil
}

// DerivedTitle returns the first non-empty line of s, trimmed, as a title: a
// line longer than MaxDerivedTitle characters (a paragraph, not a title) is
// cut at a word boundary and ends with "…". The title is indexed with every
// chunk, so an uncut line of a megabyte would cost a megabyte a chunk.
func DerivedTitle(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			return clipTitle(line)
		}
	}
	return ""
}

// clipTitle cuts a title longer than MaxDerivedTitle characters.
func clipTitle(t string) string {
	if utf8.RuneCountInString(t) <= MaxDerivedTitle {
		return t
	}
	cut, n := len(t), 0
	for i := range t {
		if n == MaxDerivedTitle {
			cut = i
			break
		}
		n++
	}
	if sp := strings.LastIndexFunc(t[:cut], unicode.IsSpace); sp > 0 && utf8.RuneCountInString(t[:sp]) > MaxDerivedTitle/2 {
		cut = sp
	}
	return strings.TrimRightFunc(t[:cut], func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}
