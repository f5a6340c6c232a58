package chunk_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/internal/articles"
	"github.com/ragd/ragd/retrieval/parse"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"blank", " \n\n\t\n", nil},
		{"trimmed", "  One sentence.  Two sentences!  ", []string{"One sentence.", "Two sentences!"}},
		{"titles without periods", "Sir Keir met Mr Trump and Mrs Clinton. Dr Smith agreed.",
			[]string{"Sir Keir met Mr Trump and Mrs Clinton.", "Dr Smith agreed."}},
		{"titles with periods", "Mr. Macron met Mrs. May and Dr. Fauci. Prof. Jones left.",
			[]string{"Mr. Macron met Mrs. May and Dr. Fauci.", "Prof. Jones left."}},
		{"dotted acronym mid sentence", "The U.S. President and U.K. ministers met. They agreed.",
			[]string{"The U.S. President and U.K. ministers met.", "They agreed."}},
		{"dotted acronym ends sentence", "Troops came from the U.S. The U.K. sent more.",
			[]string{"Troops came from the U.S.", "The U.K. sent more."}},
		{"st", "They prayed at St. Paul’s Cathedral. It was full.",
			[]string{"They prayed at St. Paul’s Cathedral.", "It was full."}},
		{"st as street", "He lives on Baker St. The house is old.",
			[]string{"He lives on Baker St.", "The house is old."}},
		{"e.g. and i.e.", "Some allies, e.g. France, agree. Others, i.e. Italy and Poland, do not.",
			[]string{"Some allies, e.g. France, agree.", "Others, i.e. Italy and Poland, do not."}},
		{"e.g. before capital", "Take allies, e.g. France. Others wait.",
			[]string{"Take allies, e.g. France.", "Others wait."}},
		{"initials", "J. K. Rowling wrote it. George W. Bush read it.",
			[]string{"J. K. Rowling wrote it.", "George W. Bush read it."}},
		{"numbers", "Spending rises from 2.3% to 2.5% of GDP. It saves £10bn over 1,800 miles. No. 10 agreed.",
			[]string{"Spending rises from 2.3% to 2.5% of GDP.", "It saves £10bn over 1,800 miles.", "No. 10 agreed."}},
		{"no as a word", "He said no. Then he left.", []string{"He said no.", "Then he left."}},
		{"straight quote", `He said "it is over." Then he left.`, []string{`He said "it is over."`, "Then he left."}},
		{"curly quotes", "“Well, there is a backstop,” he told reporters. “First, you have Europe.” Then he left.",
			[]string{"“Well, there is a backstop,” he told reporters.", "“First, you have Europe.”", "Then he left."}},
		{"question in single quotes", "‘Is it over?’ she asked. ‘No?’ He shrugged.",
			[]string{"‘Is it over?’ she asked.", "‘No?’", "He shrugged."}},
		{"exclamation and question", "Stop! Who goes there? Nobody?! Fine.",
			[]string{"Stop!", "Who goes there?", "Nobody?!", "Fine."}},
		{"ellipsis", "Well... I don't know. He paused… and then… Nothing.",
			[]string{"Well...", "I don't know.", "He paused… and then…", "Nothing."}},
		{"bullets", "Plans:\n- send troops\n* fund arms\n• Keep talking.\n1. First point\n2) Second point.",
			[]string{"Plans:", "- send troops", "* fund arms", "• Keep talking.", "1. First point", "2) Second point."}},
		{"headings", "Trump’s position raises concerns\nDonald Trump’s stance has caused unease. Leaders worry.\n\nNext steps\nTalks go on.",
			[]string{"Trump’s position raises concerns", "Donald Trump’s stance has caused unease.", "Leaders worry.", "Next steps", "Talks go on."}},
		{"glued heading", "it was “the least likely” of various options.Denmark\nDanish leaders agreed.",
			[]string{"it was “the least likely” of various options.", "Denmark", "Danish leaders agreed."}},
		{"no split inside tokens", "Visit example.com or U.S.A. Today. Version 2.0 shipped.",
			[]string{"Visit example.com or U.S.A. Today.", "Version 2.0 shipped."}},
		{"lower case after period", "He arrived at 5 p.m. and left.", []string{"He arrived at 5 p.m. and left."}},
		{"crlf", "First line.\r\nSecond line. Third.\r\n", []string{"First line.", "Second line.", "Third."}},
		{"parenthesis", "He left (finally.) Then rain. (It poured.) Done.",
			[]string{"He left (finally.)", "Then rain.", "(It poured.)", "Done."}},
		{"non-breaking space", "It ended.\u00a0Then it began.", []string{"It ended.", "Then it began."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range chunk.Sentences(tt.text) {
				got = append(got, tt.text[s.Start:s.End])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestSplitChunks(t *testing.T) {
	tests := []struct {
		name string
		text string
		opt  chunk.Options
		want []string
	}{
		{"empty", "", chunk.Options{}, nil},
		{"short text is one chunk", "  One. Two.\nThree.  ", chunk.Options{}, []string{"One. Two.\nThree."}},
		{
			"whole sentences with overlap",
			"Aa bb cc. Dd ee ff. Gg hh ii. Jj kk ll.",
			chunk.Options{TargetTokens: 6, OverlapTokens: 3},
			[]string{"Aa bb cc. Dd ee ff.", "Dd ee ff. Gg hh ii.", "Gg hh ii. Jj kk ll."},
		},
		{
			"no overlap",
			"Aa bb cc. Dd ee ff. Gg hh ii. Jj kk ll.",
			chunk.Options{TargetTokens: 6, OverlapTokens: -1},
			[]string{"Aa bb cc. Dd ee ff.", "Gg hh ii. Jj kk ll."},
		},
		{
			"overlap too large for the next sentence is dropped",
			"Aa bb. Cc dd ee ff.",
			chunk.Options{TargetTokens: 4, OverlapTokens: 2},
			[]string{"Aa bb.", "Cc dd ee ff."},
		},
		{
			"long sentence split at words",
			"one two three four five six seven.",
			chunk.Options{TargetTokens: 3, OverlapTokens: 1},
			[]string{"one two three", "four five", "six seven."},
		},
		{
			"ends at paragraph end near target",
			"Aa bb cc dd. Ee ff gg hh.\nIi jj. Kk ll mm nn.",
			chunk.Options{TargetTokens: 10, OverlapTokens: -1},
			[]string{"Aa bb cc dd. Ee ff gg hh.", "Ii jj. Kk ll mm nn."},
		},
		{
			"fills when the paragraph end is far from target",
			"Aa bb.\nCc dd ee ff. Gg hh ii jj. Kk ll.",
			chunk.Options{TargetTokens: 10, OverlapTokens: -1},
			[]string{"Aa bb.\nCc dd ee ff. Gg hh ii jj.", "Kk ll."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range chunk.Split(tt.text, tt.opt) {
				got = append(got, tt.text[s.Start:s.End])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SplitChunks(%q, %+v)\n got %q\nwant %q", tt.text, tt.opt, got, tt.want)
			}
		})
	}
}

func TestSplitChunksArticles(t *testing.T) {
	docs := articles.Load(t)
	options := []chunk.Options{
		{},
		{TargetTokens: 100, OverlapTokens: 20},
		{TargetTokens: 50, OverlapTokens: 10},
		{TargetTokens: 20, OverlapTokens: -1},
		{TargetTokens: 8, OverlapTokens: 4},
	}
	for name, text := range docs {
		for _, opt := range options {
			t.Run(fmt.Sprintf("%s/%d_%d", name, opt.TargetTokens, opt.OverlapTokens), func(t *testing.T) {
				checkChunks(t, text, opt)
			})
		}
	}
}

// checkChunks checks the invariants of SplitChunks on text.
func checkChunks(tb testing.TB, text string, opt chunk.Options) {
	tb.Helper()
	target, overlap := opt.TargetTokens, opt.OverlapTokens
	if target == 0 {
		target = chunk.DefaultTokens
	}
	if overlap == 0 {
		overlap = chunk.DefaultOverlap
	}
	overlap = max(overlap, 0)

	sentences := chunk.Sentences(text)
	chunks := chunk.Split(text, opt)
	if len(chunks) == 0 {
		tb.Fatalf("got no chunks, want some")
	}
	if got, want := chunks[0].Start, sentences[0].Start; got != want {
		tb.Errorf("first chunk starts at %d, want %d", got, want)
	}
	if got, want := chunks[len(chunks)-1].End, sentences[len(sentences)-1].End; got != want {
		tb.Errorf("last chunk ends at %d, want %d", got, want)
	}
	starts := map[int]bool{}
	for _, s := range sentences {
		starts[s.Start] = true
	}
	for i, c := range chunks {
		chunk := text[c.Start:c.End]
		if got := len(strings.Fields(chunk)); got > target {
			tb.Errorf("chunk %d has %d words, want at most %d: %q", i, got, target, chunk)
		}
		first, _ := utf8.DecodeRuneInString(chunk)
		last, _ := utf8.DecodeLastRuneInString(chunk)
		if chunk == "" || unicode.IsSpace(first) || unicode.IsSpace(last) {
			tb.Errorf("chunk %d is not trimmed: %q", i, chunk)
		}
		if i == 0 {
			continue
		}
		prev := chunks[i-1]
		if c.Start <= prev.Start || c.End <= prev.End {
			tb.Errorf("chunk %d %v does not follow chunk %d %v", i, c, i-1, prev)
			continue
		}
		if c.Start >= prev.End {
			if gap := text[prev.End:c.Start]; strings.TrimSpace(gap) != "" {
				tb.Errorf("text between chunks %d and %d is not covered: %q", i-1, i, gap)
			}
			continue
		}
		if got := len(strings.Fields(text[c.Start:prev.End])); got > overlap {
			tb.Errorf("chunks %d and %d overlap by %d words, want at most %d", i-1, i, got, overlap)
		}
		if !starts[c.Start] {
			tb.Errorf("overlapping chunk %d starts inside a sentence: %q", i, chunk)
		}
	}
	// A sentence no longer than the target lies within one chunk.
	for _, s := range sentences {
		if len(strings.Fields(text[s.Start:s.End])) > target {
			continue
		}
		inside := slices.ContainsFunc(chunks, func(c chunk.Span) bool {
			return c.Start <= s.Start && s.End <= c.End
		})
		if !inside {
			tb.Errorf("sentence %q is split across chunks", text[s.Start:s.End])
		}
	}
}

func BenchmarkSplitChunks(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10, 1 << 20} {
		text := articles.Corpus(b, size)
		b.Run(fmt.Sprintf("%dKiB", len(text)>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			b.ResetTimer()
			for b.Loop() {
				chunk.Split(text, chunk.Options{})
			}
		})
	}
}

func BenchmarkSentences(b *testing.B) {
	text := articles.Corpus(b, 64<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		chunk.Sentences(text)
	}
}

func TestSplitChunksSciFact(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "bench", "scifact", "corpus.jsonl")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s not present", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	err = parse.JSONL(f, func(d retrieval.Document) error {
		if n++; n > 300 {
			return nil
		}
		t.Run(d.ID, func(t *testing.T) {
			checkChunks(t, d.Text, chunk.Options{TargetTokens: 60, OverlapTokens: 15})
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
