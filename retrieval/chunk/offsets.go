package chunk

import "unicode/utf8"

// Chunk offsets are code points into the document's text; Go slices it in
// bytes. The two converters below each make one pass over a text when the
// offsets asked of them do not decrease, which holds for chunk starts and,
// separately, for chunk ends.

// RuneCounter converts increasing byte offsets of a string to code point offsets.
type RuneCounter struct {
	text        string
	byteAt, run int
}

// NewRuneCounter returns a counter over text.
func NewRuneCounter(text string) *RuneCounter { return &RuneCounter{text: text} }

// Runes returns the code point offset of byte offset byteOff.
func (r *RuneCounter) Runes(byteOff int) int {
	if byteOff < r.byteAt {
		r.byteAt, r.run = 0, 0
	}
	r.run += utf8.RuneCountInString(r.text[r.byteAt:byteOff])
	r.byteAt = byteOff
	return r.run
}

// RuneCursor converts code point offsets into a text to byte offsets,
// cheaply when the offsets asked for do not decrease.
type RuneCursor struct {
	text          string
	runes, offset int
}

// NewRuneCursor returns a cursor over text.
func NewRuneCursor(text string) *RuneCursor { return &RuneCursor{text: text} }

// ByteAt returns the byte offset of code point n, or len(text) past the end.
func (c *RuneCursor) ByteAt(n int) int {
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
