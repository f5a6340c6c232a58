package local_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/parse"
)

// trickyRunes are characters the analysis treats specially: apostrophes
// (one of them, "ʼ", is also a letter), hyphens and dashes, currency and
// percent signs, number punctuation, combining marks, Greek letters.
var trickyRunes = []string{"ʼ", "’", "‘", "'", "-", "‐", "‑", "–", "£", "$", "%", ".", ",", "\u0301", "α", "µ", "ß", "\u200b", "\x00", "\ufffd", "\xff"}

// analyseAll runs every text function of the package on s.
func analyseAll(s string) {
	analysis.Terms(s)
	analysis.ParseQuery(s)
	analysis.NormalizePhrase(s)
	chunk.Sentences(s)
	chunk.Split(s, chunk.Options{})
	parse.Text("x", s)
	parse.Markdown("x", s)
}

// TestAnalysisTerminates runs the text functions on every tricky character
// alone and around letters and digits: each must return promptly. A lone
// "ʼ" once made the analyser loop for ever (and with it ingest, search and
// the server).
func TestAnalysisTerminates(t *testing.T) {
	var texts []string
	for _, r := range trickyRunes {
		for _, pattern := range []string{"%s", "a%s", "%sa", "a%sb", "%s%s", "1%s", "%s1", "word %sword %s", "A.%s", "%s-%s", "2.%s5"} {
			texts = append(texts, strings.ReplaceAll(pattern, "%s", r))
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, s := range texts {
			analyseAll(s)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("text analysis did not return within 30 s: a character makes it loop")
	}
}

// FuzzAnalysis checks that no text makes the text functions panic or loop
// (the fuzzer reports a run that hangs).
func FuzzAnalysis(f *testing.F) {
	for _, r := range trickyRunes {
		f.Add("Starmer" + r + "s 2.5% £10bn " + r)
	}
	f.Add("U.S. TNF-α RNAs co-operation – 30,000 troops’ \"peace deal\"")
	f.Fuzz(func(t *testing.T, s string) {
		analyseAll(s)
	})
}
