package parse_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/parse"
)

// The fuzz targets check what every parser promises whatever its input:
// no panic, valid UTF-8 text, sections that lie inside the text in order,
// and errors only where the format allows one. Files (text, Markdown,
// HTML) also have their line ends normalised and trailing space trimmed;
// JSONL keeps a record's strings as JSON gave them. make test runs each for a
// few seconds; go test runs their seeds, the files of testdata.

// addSeeds adds the files of testdata with the given extensions to f.
func addSeeds(f *testing.F, exts ...string) {
	f.Helper()
	for _, ext := range exts {
		paths, _ := filepath.Glob(filepath.Join("testdata", "*"+ext))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// checkDocument fails when a document parsed from a file breaks a
// parser's promises.
func checkDocument(t *testing.T, d retrieval.Document) {
	t.Helper()
	checkUTF8(t, d)
	if strings.ContainsRune(d.Text, '\r') {
		t.Fatalf("text keeps a carriage return: %q", d.Text)
	}
	if strings.TrimRightFunc(d.Text, unicode.IsSpace) != d.Text {
		t.Fatalf("text ends in white space: %q", d.Text)
	}
	n := utf8.RuneCountInString(d.Text)
	last := 0
	for i, s := range d.Sections {
		if s.Start < last || s.Start > s.End || s.End > n {
			t.Fatalf("section %d [%d, %d) %q outside the text of %d code points or out of order (previous start %d)", i, s.Start, s.End, s.Heading, n, last)
		}
		if strings.TrimSpace(s.Heading) == "" {
			t.Fatalf("section %d has an empty heading", i)
		}
		last = s.Start
	}
}

// checkUTF8 fails unless the document's title and text are valid UTF-8.
func checkUTF8(t *testing.T, d retrieval.Document) {
	t.Helper()
	if !utf8.ValidString(d.Text) || !utf8.ValidString(d.Title) {
		t.Fatalf("invalid UTF-8: title %q, text %q", d.Title, d.Text)
	}
}

func FuzzText(f *testing.F) {
	addSeeds(f, ".txt")
	f.Add([]byte("\uFEFFTitle\r\n\r\nBody text.\r"))
	f.Add([]byte("\xff\xfe not UTF-8 \xc3"))
	f.Fuzz(func(t *testing.T, src []byte) {
		d := parse.Text("id", string(src))
		checkDocument(t, d)
		if strings.ContainsRune(d.Title, '\n') {
			t.Fatalf("title spans lines: %q", d.Title)
		}
	})
}

func FuzzMarkdown(f *testing.F) {
	addSeeds(f, ".md")
	f.Add([]byte("---\ntitle: T\ndate: 2025-03-01\n---\n# H1\n\ntext\n\n## H2\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"))
	f.Add([]byte("# \n\n#\n- [ ] x\n> quote\n```\ncode\n```\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		checkDocument(t, parse.Markdown("id", string(src)))
	})
}

func FuzzHTML(f *testing.F) {
	addSeeds(f, ".html")
	f.Add([]byte(`<html><head><title>T</title><meta charset="latin1"></head><body><article><h1>H</h1><p>a<br>b</p><table><tr><td>1</td><td>2</td></tr></table></article></body></html>`))
	f.Add([]byte("<h2>x<h1>y</h2>z"))
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := parse.HTML("id", bytes.NewReader(src))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parse html: ") {
				t.Fatalf("error %q does not say it is the HTML parser's", err)
			}
			return
		}
		checkDocument(t, d)
	})
}

func FuzzJSONL(f *testing.F) {
	addSeeds(f, ".jsonl")
	f.Add([]byte(`{"_id": 12, "title": "T", "text": "x", "published": "2025-03-01"}` + "\n\n" + `{"id": "b", "text": "y"}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		prev := 0
		err := parse.JSONLLines(bytes.NewReader(src), func(line int, d retrieval.Document) error {
			if line <= prev {
				t.Fatalf("line %d after line %d", line, prev)
			}
			prev = line
			if d.ID == "" {
				t.Fatalf("line %d: a document without an id", line)
			}
			checkUTF8(t, d)
			return nil
		})
		if err != nil && !strings.HasPrefix(err.Error(), "read jsonl: line ") {
			t.Fatalf("error %q does not name the line", err)
		}
	})
}

// FuzzJSONLRecord writes one well-formed record and reads it back: a
// record with an id is never refused, and keeps its id.
func FuzzJSONLRecord(f *testing.F) {
	f.Add("doc-1", "A title", "Some text.", "Ann Reporter")
	f.Add("7", "", "", "")
	f.Fuzz(func(t *testing.T, id, title, text, author string) {
		if strings.TrimSpace(id) == "" || !utf8.ValidString(id) {
			return
		}
		line, _ := json.Marshal(map[string]string{"_id": id, "title": title, "text": text, "author": author})
		var got []retrieval.Document
		err := parse.JSONL(bytes.NewReader(line), func(d retrieval.Document) error {
			got = append(got, d)
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if len(got) != 1 || strings.TrimSpace(got[0].ID) != strings.TrimSpace(id) {
			t.Fatalf("%s: read %+v, want one document with id %q", line, got, id)
		}
		checkUTF8(t, got[0])
	})
}
