package chunk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval/chunk"
)

// seedArticles adds the seed articles of the repository to f.
func seedArticles(f *testing.F) {
	f.Helper()
	paths, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "articles", "*.txt"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("Mr. Smith went to Washington. He said: \"No.\" Then… nothing!\n\n- a bullet\n1. item")
	f.Add("U.S. officials met at 9 a.m. The talks ended.options.Denmark")
}

// checkSpan fails unless s is a non-empty span of text that starts and ends
// on non-space characters and cuts no character in two.
func checkSpan(t *testing.T, text string, s chunk.Span, what string) {
	t.Helper()
	if s.Start < 0 || s.Start >= s.End || s.End > len(text) {
		t.Fatalf("%s [%d, %d) outside a text of %d bytes", what, s.Start, s.End, len(text))
	}
	part := text[s.Start:s.End]
	if !utf8.ValidString(part) && utf8.ValidString(text) {
		t.Fatalf("%s [%d, %d) cuts a character: %q", what, s.Start, s.End, part)
	}
	if strings.TrimFunc(part, unicode.IsSpace) != part {
		t.Fatalf("%s %q starts or ends with white space", what, part)
	}
}

// FuzzSentences checks that sentences are in order, do not overlap, and
// together hold every word of the text.
func FuzzSentences(f *testing.F) {
	seedArticles(f)
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		covered := make([]bool, len(text))
		end := 0
		for i, s := range chunk.Sentences(text) {
			checkSpan(t, text, s, "sentence")
			if s.Start < end {
				t.Fatalf("sentence %d [%d, %d) overlaps the one before, which ends at %d", i, s.Start, s.End, end)
			}
			end = s.End
			for j := s.Start; j < s.End; j++ {
				covered[j] = true
			}
		}
		for i, r := range text {
			if !unicode.IsSpace(r) && !covered[i] {
				t.Fatalf("%q at byte %d is in no sentence", r, i)
			}
		}
	})
}

// FuzzSplit checks that chunks are in order, hold every word of the text,
// and keep to the target size unless a piece of one sentence cannot.
func FuzzSplit(f *testing.F) {
	seedArticles(f)
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		for _, opt := range []chunk.Options{{}, {TargetTokens: 16, OverlapTokens: 4}, {TargetTokens: 5, OverlapTokens: -1}} {
			target := opt.TargetTokens
			if target == 0 {
				target = chunk.DefaultTokens
			}
			covered := make([]bool, len(text))
			prev := chunk.Span{Start: -1, End: -1}
			for i, c := range chunk.Split(text, opt) {
				checkSpan(t, text, c, "chunk")
				if c.Start < prev.Start || c.End <= prev.End {
					t.Fatalf("%+v: chunk %d [%d, %d) does not follow [%d, %d)", opt, i, c.Start, c.End, prev.Start, prev.End)
				}
				if opt.OverlapTokens < 0 && c.Start < prev.End {
					t.Fatalf("%+v: chunk %d overlaps the one before with overlap off", opt, i)
				}
				if words := len(strings.Fields(text[c.Start:c.End])); words > target {
					t.Fatalf("%+v: chunk %d holds %d words, over the target %d", opt, i, words, target)
				}
				prev = c
				for j := c.Start; j < c.End; j++ {
					covered[j] = true
				}
			}
			for i, r := range text {
				if !unicode.IsSpace(r) && !covered[i] {
					t.Fatalf("%+v: %q at byte %d is in no chunk", opt, r, i)
				}
			}
		}
	})
}
