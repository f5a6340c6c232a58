package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/ragd/ragd/retrieval"
)

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

// JSONLLines reads documents as JSONL does, passing fn each one's
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
