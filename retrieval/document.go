// Package retrieval holds ragd's domain types (documents, chunks, search
// requests, hits, filters and errors) and the Backend interface that every
// store implements. The concepts live in packages below it: analysis (text
// to terms), chunk (sentences and chunks), parse (input formats), rank
// (ranking signals over hits, for any backend) and local (the embedded
// engine).
package retrieval

import "time"

// Document is an article as ragd stores it: cleaned text plus metadata.
// Offsets into Text elsewhere in this package are in Unicode code points.
type Document struct {
	ID        string
	Title     string
	Text      string
	Source    string
	Author    string
	Published time.Time
	// Modified is when the article was last corrected, if known.
	Modified time.Time
	// Language is the article's language tag (such as "en-GB"), if known.
	Language string
	// SiteName is the publication the article comes from, if known.
	SiteName string
	// StoryID groups copies of one story: syndicated and lightly edited
	// versions of an article share it (see package dedup).
	StoryID string
	// Sections lists headings found in the original markup, in order.
	Sections []Section
}

// Section is a heading of a document and the span of text it governs.
type Section struct {
	Heading string
	// Start and End are code point offsets into Document.Text.
	Start, End int
}

// SectionAt returns the heading of the section containing the code point
// offset pos, or "" when pos lies in no section.
func (d Document) SectionAt(pos int) string {
	heading := ""
	for _, s := range d.Sections {
		if pos >= s.Start && pos < s.End {
			heading = s.Heading
		}
	}
	return heading
}
