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

func TestKeep(t *testing.T) {
	body := "The council voted on Tuesday to build a new bridge, which will open in 2027."
	for _, tc := range []struct {
		name  string
		lines []string
		drop  []string // the lines removed, in order
	}{
		{"share prompts", []string{"Share this article", body, "Share on X", "Copy link"}, []string{"Share this article", "Share on X", "Copy link"}},
		{"share prices are news", []string{"Share prices rose sharply on Monday", body}, nil},
		{"newsletter prompts", []string{body, "Sign up for our morning briefing newsletter", "Join Our Newsletter"}, []string{"Sign up for our morning briefing newsletter", "Join Our Newsletter"}},
		{"a sentence about a newsletter is news", []string{body, "The paper's newsletter was read by two million people last year, its editor said."}, nil},
		{"video and ad residue", []string{body, "Advertisement", "Video unavailable", "2:31", "WatchUsOn", body}, []string{"Advertisement", "Video unavailable", "2:31", "WatchUsOn"}},
		{"captions and credits", []string{body, "Crowds outside the town hall in Kendal", "Crowds gathered outside the town hall in Kendal (Photo: Jo Smith/Getty)", "Getty Images", body},
			[]string{"Crowds outside the town hall in Kendal", "Crowds gathered outside the town hall in Kendal (Photo: Jo Smith/Getty)", "Getty Images"}},
		{"a subheading above a picture stays", []string{body, "What happens next", "The bridge site in March (Picture: Council/PA)", body}, []string{"The bridge site in March (Picture: Council/PA)"}},
		{"label above the headline", []string{"Politics", "Council approves new bridge over the river Kent", body}, []string{"Politics"}},
		{"a one-word title without a headline stays", []string{"Minutes", "Present: the chair and six members."}, nil},
		{"trailer cuts the link lists", []string{"Council approves new bridge over the river Kent", body, body, "Related topics", "Kendal", "Transport"}, []string{"Related topics", "Kendal", "Transport"}},
		{"a trailer word early is kept", []string{"Trending", body, body, body}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keep := clean.Keep(tc.lines)
			var dropped []string
			for i, k := range keep {
				if !k {
					dropped = append(dropped, tc.lines[i])
				}
			}
			if strings.Join(dropped, "|") != strings.Join(tc.drop, "|") {
				t.Errorf("dropped %q, want %q", dropped, tc.drop)
			}
		})
	}
}

func TestDocumentMovesSections(t *testing.T) {
	text := "UK\nBridge approved for the river Kent crossing\nShare this article\nThe council voted.\nCosts\nIt will cost two million pounds."
	runes := []rune(text)
	at := func(s string) int { return len([]rune(text[:strings.Index(text, s)])) }
	d := clean.Document(retrieval.Document{ID: "x", Text: text, Sections: []retrieval.Section{
		{Heading: "Bridge approved for the river Kent crossing", Start: at("Bridge"), End: at("Costs")},
		{Heading: "Costs", Start: at("Costs"), End: len(runes)},
	}})
	want := "Bridge approved for the river Kent crossing\nThe council voted.\nCosts\nIt will cost two million pounds."
	if d.Text != want || d.Title != "Bridge approved for the river Kent crossing" {
		t.Fatalf("got %q titled %q", d.Text, d.Title)
	}
	got := []rune(d.Text)
	for i, wantText := range []string{"Bridge approved for the river Kent crossing\nThe council voted.\n", "Costs\nIt will cost two million pounds."} {
		s := d.Sections[i]
		if string(got[s.Start:s.End]) != wantText {
			t.Errorf("section %d spans %q, want %q", i, string(got[s.Start:s.End]), wantText)
		}
	}
}
