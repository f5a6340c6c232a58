package qa_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the golden file testdata/prompt/name, rewriting
// it instead with -update.
func golden(tb testing.TB, name, got string) {
	tb.Helper()
	path := filepath.Join("testdata", "prompt", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		tb.Errorf("%s differs from the golden file (run go test -update if the change is intended):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// promptHits are three passages with and without metadata.
func promptHits() []retrieval.Hit {
	hit := func(id, title, source, text string, published time.Time) retrieval.Hit {
		return retrieval.Hit{Chunk: retrieval.Chunk{ID: id + "#0", DocID: id, Text: text, End: len([]rune(text))},
			Title: title, Source: source, Published: published}
	}
	return []retrieval.Hit{
		hit("kiwi", "Kiwi harvest", "https://news.example/kiwi",
			"The kiwi harvest in Otago reached 4,200 tonnes.\nGrowers were pleased with the   quality.", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)),
		hit("rain", "Rain in Otago", "", "Heavy rain fell in Otago in February. Some orchards flooded, but most crops survived.", time.Time{}),
		hit("ports", "Port strike", "ports.txt", strings.Repeat("Dock workers at Port Chalmers stopped work for a day over pay. ", 8), time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC)),
	}
}

func TestAnswerPrompt(t *testing.T) {
	tests := []struct {
		name          string
		maxTokens     int
		golden        string
		wantSent      int
		wantTruncated int
	}{
		{"all passages fit", 0, "answer.golden", 3, 0},
		{"last passage cut short", 330, "answer_cut.golden", 3, 1},
		{"lowest passage left out", 220, "answer_dropped.golden", 2, 1},
		{"tiny budget keeps one passage", 10, "answer_tiny.golden", 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := qa.AnswerPrompt("How large was the kiwi\nharvest?", promptHits(), tt.maxTokens)
			if err != nil {
				t.Fatal(err)
			}
			if p.Context.PassagesSent != tt.wantSent || p.Context.PassagesTruncated != tt.wantTruncated {
				t.Errorf("sent %d, truncated %d; want %d, %d", p.Context.PassagesSent, p.Context.PassagesTruncated, tt.wantSent, tt.wantTruncated)
			}
			if got := qa.EstimateTokens(p.Text); p.Context.TokensEstimate != got {
				t.Errorf("tokens estimate %d, want %d", p.Context.TokensEstimate, got)
			}
			if tt.maxTokens > 100 && p.Context.TokensEstimate > tt.maxTokens {
				t.Errorf("prompt of %d tokens exceeds the budget of %d", p.Context.TokensEstimate, tt.maxTokens)
			}
			if !strings.Contains(p.Text, qa.NoAnswerText) {
				t.Errorf("prompt lacks the no-answer sentence")
			}
			golden(t, tt.golden, p.Text)
		})
	}
}

func TestRewritePrompt(t *testing.T) {
	history := []qa.Turn{
		{Role: "user", Content: "How large was the kiwi harvest in Otago?"},
		{Role: "assistant", Content: "It reached 4,200 tonnes [1].\n\nGrowers were pleased."},
		{Role: "user", Content: "   "},
	}
	got, err := qa.RewritePrompt("And the year before?", history)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "rewrite.golden", got)
}

func TestEstimateTokens(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"one", 2},
		{"one two three four five six seven eight nine ten", 13},
		{strings.Repeat("x", 400), 100},
	}
	for _, tt := range tests {
		if got := qa.EstimateTokens(tt.in); got != tt.want {
			t.Errorf("EstimateTokens(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
