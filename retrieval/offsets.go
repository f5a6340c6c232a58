package retrieval

import "unicode/utf8"

// Chunk offsets are code points into the document's text; Go slices it in
// bytes. The two converters below each make one pass over a text when the
// offsets asked of them do not decrease, which holds for chunk starts and,
// separately, for chunk ends.

// runeCounter converts increasing byte offsets of a string to code point offsets.
type runeCounter struct {
	text        string
	byteAt, run int
}

func newRuneCounter(text string) *runeCounter { return &runeCounter{text: text} }

func (r *runeCounter) runes(byteOff int) int {
	if byteOff < r.byteAt {
		r.byteAt, r.run = 0, 0
	}
	r.run += utf8.RuneCountInString(r.text[r.byteAt:byteOff])
	r.byteAt = byteOff
	return r.run
}

// runeCursor converts code point offsets into a text to byte offsets,
// cheaply when the offsets asked for do not decrease.
type runeCursor struct {
	text          string
	runes, offset int
}

// byteAt returns the byte offset of code point n, or len(text) past the end.
func (c *runeCursor) byteAt(n int) int {
	if n < c.runes {
		c.runes, c.offset = 0, 0
	}
	for c.runes < n && c.offset < len(c.text) {
		_, size := utf8.DecodeRuneInString(c.text[c.offset:])
		c.offset += size
		c.runes++
	}
	return c.offset
}
