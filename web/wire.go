package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ragd/ragd/retrieval"
)

// HitJSON is a search hit on the wire: the same shape in the HTTP API and
// in `ragd search --json`.
type HitJSON struct {
	DocID     string  `json:"doc_id"`
	ChunkID   string  `json:"chunk_id"`
	Title     string  `json:"title"`
	Text      string  `json:"text"`
	Score     float64 `json:"score"`
	Source    string  `json:"source"`
	Published *string `json:"published"`
	Author    string  `json:"author,omitempty"`
	Section   string  `json:"section,omitempty"`
	StoryID   string  `json:"story_id,omitempty"`
	// Start and End are code point offsets of Text in the document.
	Start int `json:"start"`
	End   int `json:"end"`
}

// SearchResponse is the body of a search response.
type SearchResponse struct {
	Hits []HitJSON `json:"hits"`
}

// HitsJSON converts hits to their wire form.
func HitsJSON(hits []retrieval.Hit) []HitJSON {
	out := make([]HitJSON, len(hits))
	for i, h := range hits {
		out[i] = HitJSON{
			DocID: h.DocID, ChunkID: h.ID, Title: h.Title, Text: h.Text, Score: round(h.Score),
			Source: h.Source, Published: formatDate(h.Published), Author: h.Author, Section: h.Section,
			StoryID: h.StoryID, Start: h.Start, End: h.End,
		}
	}
	return out
}

func round(f float64) float64 {
	const scale = 1e6
	if f >= 0 {
		return float64(int64(f*scale+0.5)) / scale
	}
	return -float64(int64(-f*scale+0.5)) / scale
}

// formatDate writes a date as YYYY-MM-DD when it has no time of day, as
// RFC 3339 otherwise, and as null when unknown.
func formatDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	var s string
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		s = t.Format(time.DateOnly)
	} else {
		s = t.Format(time.RFC3339)
	}
	return &s
}

// ParseDate reads a date given as YYYY-MM-DD, YYYY/MM/DD or RFC 3339.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly, "2006/01/02", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.IsZero() {
				// The zero time means "no date" throughout ragd.
				return time.Time{}, fmt.Errorf("date %q is not a real date: leave it out instead", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD or RFC 3339", s)
}

// stringList accepts a JSON string or an array of strings; it is the type
// of the doc_id filter, which its error message names.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error { return unmarshalIDs(b, (*[]string)(l), "doc_id") }

// excludeList is stringList for the exclude_doc_id filter.
type excludeList []string

func (l *excludeList) UnmarshalJSON(b []byte) error {
	return unmarshalIDs(b, (*[]string)(l), "exclude_doc_id")
}

// unmarshalIDs decodes a string or an array of strings into l; name is the
// field its error names.
func unmarshalIDs(b []byte, l *[]string, name string) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		if one != "" {
			*l = []string{one}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New(name + " must be a string or an array of strings")
	}
	*l = many
	return nil
}

// FiltersJSON restricts a search on the wire.
type FiltersJSON struct {
	DocID         stringList  `json:"doc_id,omitempty"`
	ExcludeDocID  excludeList `json:"exclude_doc_id,omitempty"`
	Source        string      `json:"source,omitempty"`
	Author        string      `json:"author,omitempty"`
	PublishedFrom string      `json:"published_from,omitempty"`
	PublishedTo   string      `json:"published_to,omitempty"`
	StoryID       string      `json:"story_id,omitempty"`
}

// Filter converts wire filters to a retrieval filter. A date bound without
// a time of day covers the whole day.
func (f *FiltersJSON) Filter() (retrieval.Filter, error) {
	if f == nil {
		return retrieval.Filter{}, nil
	}
	out := retrieval.Filter{DocIDs: f.DocID, ExcludeDocIDs: f.ExcludeDocID, Source: f.Source, Author: f.Author, StoryID: f.StoryID}
	if f.PublishedFrom != "" {
		t, err := ParseDate(f.PublishedFrom)
		if err != nil {
			return out, fmt.Errorf("published_from: %w", err)
		}
		out.From = t
	}
	if f.PublishedTo != "" {
		t, err := ParseDate(f.PublishedTo)
		if err != nil {
			return out, fmt.Errorf("published_to: %w", err)
		}
		if len(strings.TrimSpace(f.PublishedTo)) == len(time.DateOnly) {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		out.To = t
	}
	return out, nil
}

// searchRequest is the body of POST /api/search.
type searchRequest struct {
	Query   string       `json:"query"`
	K       *int         `json:"k"`
	Filters *FiltersJSON `json:"filters"`
	Mode    string       `json:"mode"`
	Fusion  string       `json:"fusion"`
	// SentenceWeight, when present, replaces the server's
	// --sentence-weight for this query; 0 turns re-ranking off.
	SentenceWeight *float64 `json:"sentence_weight"`
	// CollapseDuplicates false returns every copy of a story.
	CollapseDuplicates *bool `json:"collapse_duplicates"`
}

// documentRequest is the body of POST /api/documents.
type documentRequest struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	Source    string `json:"source"`
	Published string `json:"published"`
	Author    string `json:"author"`
	// URL, instead of the fields above, has the article fetched.
	URL string `json:"url"`
}

// documentCreated answers POST /api/documents.
type documentCreated struct {
	ID     string `json:"id"`
	Chunks int    `json:"chunks"`
	Status string `json:"status"`
}

// documentInfoJSON summarises a document in listings.
type documentInfoJSON struct {
	ID        string  `json:"id"`
	Title     string  `json:"title"`
	Source    string  `json:"source"`
	Author    string  `json:"author"`
	Published *string `json:"published"`
	Chunks    int     `json:"chunks"`
	Chars     int     `json:"chars"`
}

type documentList struct {
	Documents []documentInfoJSON `json:"documents"`
	Total     int                `json:"total"`
	Offset    int                `json:"offset"`
	Limit     int                `json:"limit"`
}

type sectionJSON struct {
	Heading string `json:"heading"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
}

type chunkJSON struct {
	ChunkID string `json:"chunk_id"`
	Index   int    `json:"index"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
	Section string `json:"section,omitempty"`
	Text    string `json:"text"`
}

// documentJSON is a whole stored document.
type documentJSON struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Text      string        `json:"text"`
	Source    string        `json:"source"`
	Author    string        `json:"author"`
	Published *string       `json:"published"`
	Modified  *string       `json:"modified"`
	Language  string        `json:"language"`
	SiteName  string        `json:"site_name"`
	StoryID   string        `json:"story_id"`
	Sections  []sectionJSON `json:"sections"`
	Chunks    []chunkJSON   `json:"chunks"`
}

func documentToJSON(d retrieval.StoredDocument) documentJSON {
	out := documentJSON{
		ID: d.ID, Title: d.Title, Text: d.Text, Source: d.Source, Author: d.Author,
		Published: formatDate(d.Published), Modified: formatDate(d.Modified), Language: d.Language, SiteName: d.SiteName,
		StoryID: d.StoryID, Sections: []sectionJSON{}, Chunks: make([]chunkJSON, len(d.Chunks)),
	}
	for _, s := range d.Sections {
		out.Sections = append(out.Sections, sectionJSON{Heading: s.Heading, Start: s.Start, End: s.End})
	}
	for i, c := range d.Chunks {
		out.Chunks[i] = chunkJSON{ChunkID: c.ID, Index: c.Index, Start: c.Start, End: c.End, Section: c.Section, Text: c.Text}
	}
	return out
}

func infoToJSON(d retrieval.DocumentInfo) documentInfoJSON {
	return documentInfoJSON{
		ID: d.ID, Title: d.Title, Source: d.Source, Author: d.Author,
		Published: formatDate(d.Published), Chunks: d.Chunks, Chars: d.Chars,
	}
}
