package chunk

import (
	"strconv"
	"strings"

	"github.com/ragd/ragd/retrieval"
)

// Document splits a normalised document (see retrieval.NormalizeDocument)
// into its chunks, numbered from 0, with IDs "<doc id>#<index>", code point
// offsets and the heading of the section each starts in. Every backend
// chunks with it, so that they index the same passages.
func Document(d retrieval.Document, opt Options) []*retrieval.Chunk {
	spans := Split(d.Text, opt)
	out := make([]*retrieval.Chunk, 0, len(spans))
	// Starts increase and ends increase; one counter each keeps the
	// conversion a single pass despite the overlap between chunks.
	starts, ends := NewRuneCounter(d.Text), NewRuneCounter(d.Text)
	for i, sp := range spans {
		start, end := starts.Runes(sp.Start), ends.Runes(sp.End)
		out = append(out, &retrieval.Chunk{
			ID:      d.ID + "#" + strconv.Itoa(i),
			DocID:   d.ID,
			Index:   i,
			Text:    d.Text[sp.Start:sp.End],
			Start:   start,
			End:     end,
			Section: d.SectionAt(start),
		})
	}
	return out
}

// IndexText is what is embedded and indexed for chunk c of d: the document
// title and the section heading, unless the chunk starts with them, then
// the chunk text.
func IndexText(d retrieval.Document, c *retrieval.Chunk) string {
	var b strings.Builder
	b.Grow(len(d.Title) + len(c.Section) + len(c.Text) + 2)
	if d.Title != "" && !strings.HasPrefix(c.Text, d.Title) {
		b.WriteString(d.Title)
		b.WriteByte('\n')
	}
	if c.Section != "" && !strings.HasPrefix(c.Text, c.Section) {
		b.WriteString(c.Section)
		b.WriteByte('\n')
	}
	b.WriteString(c.Text)
	return b.String()
}
