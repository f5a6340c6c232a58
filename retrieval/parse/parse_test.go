package parse_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/parse"
)

func TestText(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		wantTitle string
		wantText  string
	}{
		{"empty", "", "", ""},
		{"plain", "Title\nBody.", "Title", "Title\nBody."},
		{"crlf and trailing space", "Title \r\nBody. \r\n\r\n", "Title", "Title \nBody."},
		{"leading blank lines", "\n \n  Title  \nBody.", "Title", "\n \n  Title  \nBody."},
		{"byte order mark", "\uFEFFTitle\nBody.", "Title", "Title\nBody."},
		{"lone carriage return", "Title\rBody.", "Title", "Title\nBody."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parse.Text("id", tt.text)
			want := retrieval.Document{ID: "id", Title: tt.wantTitle, Text: tt.wantText}
			if !equalDocuments(got, want) {
				t.Errorf("Text(%q)\n got %+v\nwant %+v", tt.text, got, want)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want retrieval.Document
	}{
		{
			"title from first heading",
			"Intro line\n\n# The *title*\n\nText with [a link](http://x) and ![an image](i.png).\n",
			retrieval.Document{ID: "id", Title: "The title", Text: "Intro line\n\nThe title\n\nText with a link and .",
				Sections: []retrieval.Section{{Heading: "The title", Start: 12, End: 45}}},
		},
		{
			"title from first line",
			"Plain first line\nand a soft break.\n\n## Sub\n\nMore.",
			retrieval.Document{ID: "id", Title: "Plain first line and a soft break.", Text: "Plain first line and a soft break.\n\nSub\n\nMore.",
				Sections: []retrieval.Section{{Heading: "Sub", Start: 36, End: 46}}},
		},
		{
			"section offsets in code points",
			"# Café ‘one’\n\nÉté.\n\n# Two\n\nZwei.",
			retrieval.Document{ID: "id", Title: "Café ‘one’", Text: "Café ‘one’\n\nÉté.\n\nTwo\n\nZwei.",
				Sections: []retrieval.Section{{Heading: "Café ‘one’", Start: 0, End: 18}, {Heading: "Two", Start: 18, End: 28}}},
		},
		{
			"front matter",
			"---\ntitle: 'Given title'\nauthor: \"Jane Doe\"\npublished: 2025/02/24\nurl: https://example.com/x\nother: ignored\n---\n# Heading\n\nBody.",
			retrieval.Document{ID: "id", Title: "Given title", Text: "Heading\n\nBody.", Author: "Jane Doe", Source: "https://example.com/x",
				Published: time.Date(2025, 2, 24, 0, 0, 0, 0, time.UTC),
				Sections:  []retrieval.Section{{Heading: "Heading", Start: 0, End: 14}}},
		},
		{
			"unclosed front matter is text",
			"---\ntitle: x\n\nBody.",
			retrieval.Document{ID: "id", Title: "title: x", Text: "title: x\n\nBody."},
		},
		{
			"code and escapes",
			"Use `a*b` and \\*stars\\* &amp; &#169;.\n\n    indented code\n    second line\n",
			retrieval.Document{ID: "id", Title: "Use a*b and *stars* & ©.", Text: "Use a*b and *stars* & ©.\n\nindented code\nsecond line"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parse.Markdown("id", tt.src)
			if !equalDocuments(got, tt.want) {
				t.Errorf("Markdown(%q)\n got %+v\nwant %+v", tt.src, got, tt.want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	tests := []struct {
		file string
		want []retrieval.Document
	}{
		{"backstop.txt", []retrieval.Document{{
			ID:    "backstop",
			Title: "UK and France call for US backstop",
			Text:  "\n  UK and France call for US backstop  \nThe United States must work with Europe.\nSir Keir Starmer’s visit follows.",
		}}},
		{"peacekeeping.md", []retrieval.Document{{
			ID:        "peacekeeping",
			Title:     "Peacekeeping plans",
			Source:    "https://example.com/peacekeeping",
			Author:    "Jane Doe",
			Published: time.Date(2025, 2, 24, 0, 0, 0, 0, time.UTC),
			Text: "Europe weighs a peacekeeping force\n\n" +
				"Sir Keir Starmer said a US backstop was needed, according to the BBC & others*.\n\n" +
				"Who would send troops\n\n" +
				"- The UK and France\n- Possibly Sweden and Finland\n\n" +
				"1. First option\n2. Second option\n\n" +
				"Costs\n\n" +
				"Country | Spending\nUK | 2.5%\n\n" +
				"fmt.Println(\"hello\")\n\n" +
				"Quoted text with code span.\n\n" +
				"Raw HTML block\n\n" +
				"Reactions\n\n" +
				"Moscow rejected the idea.\nVisit https://example.com.",
			Sections: []retrieval.Section{
				{Heading: "Europe weighs a peacekeeping force", Start: 0, End: 392},
				{Heading: "Who would send troops", Start: 117, End: 329},
				{Heading: "Costs", Start: 225, End: 329},
				{Heading: "Reactions", Start: 329, End: 392},
			},
		}}},
		{"ukraine.html", []retrieval.Document{{
			ID:        "ukraine",
			Title:     "US must provide ‘backstop’ | The Paper",
			Source:    "https://example.com/news/backstop",
			Author:    "Jane Doe",
			Published: time.Date(2025, 2, 17, 18, 30, 0, 0, time.UTC),
			Text: "US must provide ‘backstop’ to deter Russia\n\n" +
				"By Jane Doe\n\n" +
				"A US security guarantee is the only way to prevent Russia from attacking Ukraine again, Sir Keir Starmer said.\n\n" +
				"The Prime Minister in Paris\n\n" +
				"What was agreed\n\n" +
				"- More defence spending\n- A coalition of the willing\n\n" +
				"1. Talks\n2. Deal\n\n" +
				"Country | Troops\nUK | 10,000\n\n" +
				"line one\n  line two\n\n" +
				"First line\nsecond line\n\n" +
				"Next steps\n\n" +
				"Talks continue in Washington.",
			Sections: []retrieval.Section{
				{Heading: "US must provide ‘backstop’ to deter Russia", Start: 0, End: 403},
				{Heading: "What was agreed", Start: 198, End: 403},
				{Heading: "Next steps", Start: 362, End: 403},
			},
		}}},
		{"latin1.html", []retrieval.Document{{ID: "latin1", Title: "Café débat", Text: "Le café est crème brûlée."}}},
		{"plain.html", []retrieval.Document{{
			ID: "plain", Title: "Only a heading", Text: "Only a heading\n\nBody text.\n\nMore text",
			Sections: []retrieval.Section{{Heading: "Only a heading", Start: 0, End: 37}},
		}}},
		{"corpus.jsonl", []retrieval.Document{
			{ID: "4983", Title: "Microstructural development.", Text: "Microstructural development.\nAlterations of the architecture ’s brain."},
			{ID: "a-2", Text: "No title here.", Source: "https://example.com/a2", Author: "Jane Doe",
				Published: time.Date(2025, 2, 24, 0, 0, 0, 0, time.UTC)},
			{ID: "17", Title: "Numbered", Text: "Numbered\nNumeric id.", Published: time.Date(2025, 2, 25, 0, 0, 0, 0, time.UTC)},
			{ID: "t4", Title: "Same start", Text: "Same start of the text.",
				Published: time.Date(2025, 2, 26, 9, 0, 0, 0, time.UTC)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parse.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatalf("ReadFile(%s): %v", tt.file, err)
			}
			if !slices.EqualFunc(got, tt.want, equalDocuments) {
				t.Errorf("ReadFile(%s)\n got %+v\nwant %+v", tt.file, got, tt.want)
			}
			for _, d := range got {
				checkSections(t, d)
			}
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "report.docx")
	if err := os.WriteFile(doc, []byte("PK\x03\x04"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want error
	}{
		{"unsupported extension", doc, parse.ErrUnsupported},
		{"missing pdf file", filepath.Join(dir, "missing.pdf"), fs.ErrNotExist},
		{"no extension", filepath.Join(dir, "README"), parse.ErrUnsupported},
		{"missing text file", filepath.Join(dir, "missing.txt"), fs.ErrNotExist},
		{"missing html file", filepath.Join(dir, "missing.html"), fs.ErrNotExist},
		{"missing jsonl file", filepath.Join(dir, "missing.jsonl"), fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse.ReadFile(tt.path)
			if !errors.Is(err, tt.want) {
				t.Errorf("ReadFile(%s) error = %v, want %v", tt.path, err, tt.want)
			}
		})
	}
}

func TestReadFileExtensionCase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Notes.MD")
	if err := os.WriteFile(path, []byte("# Notes\n\nBody."), 0o644); err != nil {
		t.Fatal(err)
	}
	docs, err := parse.ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if got, want := docs[0].ID, "Notes"; got != want {
		t.Errorf("ID = %q, want %q", got, want)
	}
	if got, want := docs[0].Text, "Notes\n\nBody."; got != want {
		t.Errorf("Text = %q, want %q (parsed as Markdown)", got, want)
	}
}

func TestReadJSONLErrors(t *testing.T) {
	tests := []struct {
		file     string
		want     string
		wantDocs int // documents delivered before the error
	}{
		{"bad.jsonl", "line 3", 2},
		{"noid.jsonl", "line 2: missing _id", 1},
		{"baddate.jsonl", "line 1: parse date", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			n := 0
			err = parse.JSONL(f, func(retrieval.Document) error { n++; return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("JSONL(%s) error = %v, want one containing %q", tt.file, err, tt.want)
			}
			if n != tt.wantDocs {
				t.Errorf("JSONL(%s) delivered %d documents before the error, want %d", tt.file, n, tt.wantDocs)
			}
		})
	}
}

func TestReadJSONLCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := parse.JSONL(strings.NewReader("{\"_id\":\"1\"}\n{\"_id\":\"2\"}\n"), func(retrieval.Document) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("JSONL error = %v, want %v", err, stop)
	}
	if n != 1 {
		t.Errorf("callback ran %d times, want 1", n)
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	long := strings.Repeat("word ", 1<<18) // 1.25 MiB, past bufio's default sizes
	src := `{"_id":"long","title":"T","text":"` + long + `"}` + "\n" + `{"_id":"next","text":"x"}`
	var got []string
	err := parse.JSONL(strings.NewReader(src), func(d retrieval.Document) error {
		got = append(got, d.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("JSONL: %v", err)
	}
	if want := []string{"long", "next"}; !slices.Equal(got, want) {
		t.Errorf("IDs = %q, want %q", got, want)
	}
}

func TestReadJSONLSciFact(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "bench", "scifact", "corpus.jsonl")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s not present", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids := map[string]bool{}
	var first retrieval.Document
	err = parse.JSONL(f, func(d retrieval.Document) error {
		if len(ids) == 0 {
			first = d
		}
		if ids[d.ID] {
			t.Errorf("duplicate ID %q", d.ID)
		}
		ids[d.ID] = true
		if d.Text == "" {
			t.Errorf("document %q has no text", d.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("JSONL(%s): %v", path, err)
	}
	if got, want := len(ids), 5183; got != want {
		t.Errorf("got %d documents, want %d", got, want)
	}
	if got, want := first.ID, "4983"; got != want {
		t.Errorf("first ID = %q, want %q", got, want)
	}
	if !strings.HasPrefix(first.Text, first.Title+"\nAlterations of the architecture") {
		t.Errorf("first Text = %.80q, want the title, a line break and the abstract", first.Text)
	}
}

func BenchmarkReadJSONLSciFact(b *testing.B) {
	path := filepath.Join("..", "..", "shared", "bench", "scifact", "corpus.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("%s: %v", path, err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		err := parse.JSONL(strings.NewReader(string(data)), func(retrieval.Document) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseHTML(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "ukraine.html"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := parse.HTML("ukraine", strings.NewReader(string(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMarkdown(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "peacekeeping.md"))
	if err != nil {
		b.Fatal(err)
	}
	src := string(data)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for b.Loop() {
		parse.Markdown("peacekeeping", src)
	}
}

// equalDocuments reports whether two documents are the same, comparing
// publication times as instants.
func equalDocuments(a, b retrieval.Document) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Text == b.Text && a.Source == b.Source &&
		a.Author == b.Author && a.Published.Equal(b.Published) && slices.Equal(a.Sections, b.Sections)
}

// checkSections checks that each section starts at its heading, in code
// points, and ends within the text.
func checkSections(tb testing.TB, d retrieval.Document) {
	tb.Helper()
	runes := []rune(d.Text)
	for _, s := range d.Sections {
		if s.Start < 0 || s.End > len(runes) || s.Start >= s.End {
			tb.Errorf("%s: section %q spans [%d, %d) of %d code points", d.ID, s.Heading, s.Start, s.End, len(runes))
			continue
		}
		if got := string(runes[s.Start:s.End]); !strings.HasPrefix(got, s.Heading) {
			tb.Errorf("%s: section %q starts with %.40q", d.ID, s.Heading, got)
		}
		if got := d.SectionAt(s.Start); got != s.Heading {
			tb.Errorf("%s: SectionAt(%d) = %q, want %q", d.ID, s.Start, got, s.Heading)
		}
	}
}

// TestLongFirstLineIsCutAsATitle: a text whose first line is a paragraph
// gets that paragraph's start as its title, not the whole line, which is
// indexed again with every chunk.
func TestLongFirstLineIsCutAsATitle(t *testing.T) {
	line := strings.Repeat("hello world ", 20000)
	cyrillic := strings.Repeat("привет мир ", 20000)
	for _, d := range []retrieval.Document{
		parse.Text("long", line+"\nsecond line"),
		parse.Markdown("long", line+"\n\nsecond paragraph"),
		parse.Text("cyrillic", cyrillic+"\nвторая строка"),
	} {
		n := utf8.RuneCountInString(d.Title)
		if n > retrieval.MaxDerivedTitle+1 || n < retrieval.MaxDerivedTitle*3/4 || !strings.HasSuffix(d.Title, "world…") && !strings.HasSuffix(d.Title, "мир…") {
			t.Errorf("title of %d characters %q…, want the line cut at a word near %d characters, with …", n, d.Title[:min(len(d.Title), 40)], retrieval.MaxDerivedTitle)
		}
		if !strings.HasPrefix(d.Text, strings.TrimSpace(line)) && !strings.HasPrefix(d.Text, strings.TrimSpace(cyrillic)) {
			t.Errorf("the text lost its first line")
		}
	}
	short := parse.Text("short", "A headline\nbody")
	if short.Title != "A headline" {
		t.Errorf("title %q, want the first line whole", short.Title)
	}
}
