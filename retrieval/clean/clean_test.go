package clean_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/clean"
)

// seedTitles are the headlines of the seed articles as their pages print
// them; 004's page has none, so its lead sentence
// stands in.
var seedTitles = map[string]string{
	"000_b23e37521d96755f": "UK and France call for US ‘backstop’ in Ukraine peacekeeping efforts",
	"001_4e0e17ab994ec6fb": "Trump dashes hopes of US backstop for UK and European peacekeepers in Ukraine",
	"002_ad0790ffa20be1de": "US must provide ‘backstop’ to deter Russia, PM says after talks on Ukraine",
	"003_fd5a07de505a063c": "UK on collision course with Russia over peacekeeping troops in Ukraine",
	"004_1d232bd1e832b10d": "UK Prime Minister Sir Keir Starmer is urging US President Donald Trump to provide a security “backstop” to deter Russian President Vladimir Putin from launching another invasion of Ukraine after any future peace deal.",
}

// furnitureOfSeeds are strings of the seed pages' furniture, none of which
// may survive cleaning.
var furnitureOfSeeds = []string{
	"Related topics", "Join Our Newsletter", "WatchUsOn", "mule school", "CSOC:", "Medal parade",
	"(Picture:", "Zuma", "(Benjamin Cremel/PA)", "A Ukrainian mortar crew fires during training",
	"Sir Keir Starmer met US President Donald Trump in Washington on Thursday",
	"Source: The i Paper", "The original article", "belongs to",
}

func TestSeedArticles(t *testing.T) {
	files, err := filepath.Glob("../../testdata/articles/*.txt")
	if err != nil || len(files) != len(seedTitles) {
		t.Fatalf("seed articles: %v, %d files", err, len(files))
	}
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(id, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			before := retrieval.Document{ID: id, Text: string(b)}
			got := clean.Document(before)
			if got.Title != seedTitles[id] {
				t.Errorf("title = %q, want %q", got.Title, seedTitles[id])
			}
			for _, s := range furnitureOfSeeds {
				if strings.Contains(got.Text, s) {
					t.Errorf("text still holds furniture %q", s)
				}
			}
			// Cleaning removes furniture, not article: at least 75% stays.
			if r := float64(len(got.Text)) / float64(len(before.Text)); r < 0.75 {
				t.Errorf("cleaning kept %.0f%% of the text", 100*r)
			}
			if !strings.Contains(got.Text, got.Title[:20]) {
				t.Errorf("headline %q is not in the text", got.Title)
			}
		})
	}
}
