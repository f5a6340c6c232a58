// Package backendtest is the contract every retrieval.Backend passes: the
// embedded store and the Weaviate backend run the same tests, so that ragd
// behaves alike on either.
package backendtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
)

// Open returns a new, empty backend, closed when the test ends. Each call
// must give one that shares nothing with the others.
type Open func(tb testing.TB) retrieval.Backend

// Run runs the contract as subtests of t.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, retrieval.Backend)
	}{
		{"IngestGet", testIngestGet},
		{"ReingestUnchanged", testReingestUnchanged},
		{"Replace", testReplace},
		{"Delete", testDelete},
		{"List", testList},
		{"Scan", testScan},
		{"SearchModes", testSearchModes},
		{"SearchFilters", testSearchFilters},
		{"SearchPhrase", testSearchPhrase},
		{"Invalid", testInvalid},
		{"Empty", testEmpty},
		{"IDF", testIDF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Corpus is a small news corpus: each document has words no other has, so
// that a query's expected documents are known.
func Corpus() []retrieval.Document {
	return []retrieval.Document{
		{ID: "harbour", Title: "Harbour cranes idle", Source: "Gazette", Author: "Ada Byrne", Published: day("2024-03-01"),
			Text: "Harbour cranes stood idle on Monday as dockworkers walked out over pay.\n\nThe port authority said container ships were diverted to neighbouring terminals while talks continued."},
		{ID: "orchard", Title: "Orchard frost", Source: "Courier", Author: "Ben Ochoa", Published: day("2024-04-15"),
			Text: "A late frost damaged apple blossom across the valley orchards.\n\nGrowers lit smudge pots overnight, but many expect the cider harvest to fall by a third."},
		{ID: "tram", Title: "New tram line opens", Source: "Gazette", Author: "Ben Ochoa", Published: day("2024-05-20"),
			Modified: day("2024-05-21"), Language: "en", SiteName: "The Gazette", StoryID: "story-city",
			Text: "The city's new tram line opened to passengers after six years of construction.\n\nCommuters praised the quiet carriages; shopkeepers along the route reported more customers."},
		{ID: "undated", Title: "Library volunteers", Source: "Courier", Author: "Ada Byrne", StoryID: "story-city",
			Text: "Volunteers catalogued donated books at the library, where the reading room reopens next month after repairs to its leaking roof."},
		{ID: "observatory", Title: "Observatory telescope", Source: "Herald", Author: "Cy Dunn", Published: day("2023-11-02"),
			Text:     "Astronomers at the hilltop observatory installed a refurbished telescope mirror, and the first images of the comet were sharper than expected.",
			Sections: []retrieval.Section{{Heading: "Science", Start: 0, End: 40}}},
	}
}

func ingest(tb testing.TB, b retrieval.Backend, docs ...retrieval.Document) []retrieval.IngestResult {
	tb.Helper()
	res, err := b.Ingest(context.Background(), slices.Clone(docs))
	if err != nil {
		tb.Fatalf("Ingest: %v", err)
	}
	if len(res) != len(docs) {
		tb.Fatalf("Ingest returned %d results for %d documents", len(res), len(docs))
	}
	return res
}

func search(tb testing.TB, b retrieval.Backend, req retrieval.SearchRequest) []retrieval.Hit {
	tb.Helper()
	if req.K == 0 {
		req.K = 10
	}
	hits, err := b.Search(context.Background(), req)
	if err != nil {
		tb.Fatalf("Search(%q): %v", req.Query, err)
	}
	return hits
}

func docIDs(hits []retrieval.Hit) []string {
	var ids []string
	for _, h := range hits {
		if !slices.Contains(ids, h.DocID) {
			ids = append(ids, h.DocID)
		}
	}
	return ids
}

func testIngestGet(t *testing.T, b retrieval.Backend) {
	docs := Corpus()
	res := ingest(t, b, docs...)
	for i, r := range res {
		if r.ID != docs[i].ID || r.Status != retrieval.Added || r.Chunks < 1 {
			t.Errorf("result %d: got %+v, want ID %q added with chunks", i, r, docs[i].ID)
		}
	}
	for _, d := range docs {
		got, err := b.Get(context.Background(), d.ID)
		if err != nil {
			t.Fatalf("Get(%q): %v", d.ID, err)
		}
		if got.ID != d.ID || got.Title != d.Title || got.Text != d.Text || got.Source != d.Source || got.Author != d.Author || !got.Published.Equal(d.Published) {
			t.Errorf("Get(%q): got %+v, want %+v", d.ID, got.Document, d)
		}
		if !got.Modified.Equal(d.Modified) || got.Language != d.Language || got.SiteName != d.SiteName || got.StoryID != d.StoryID {
			t.Errorf("Get(%q) news fields: got modified %v language %q site %q story %q, want %v %q %q %q", d.ID,
				got.Modified, got.Language, got.SiteName, got.StoryID, d.Modified, d.Language, d.SiteName, d.StoryID)
		}
		if !slices.Equal(got.Sections, d.Sections) {
			t.Errorf("Get(%q) sections: got %v, want %v", d.ID, got.Sections, d.Sections)
		}
		if len(got.Chunks) == 0 {
			t.Fatalf("Get(%q): no chunks", d.ID)
		}
		runes := []rune(d.Text)
		for i, c := range got.Chunks {
			if c.Index != i || c.DocID != d.ID || c.ID == "" {
				t.Errorf("Get(%q) chunk %d: got index %d doc %q id %q", d.ID, i, c.Index, c.DocID, c.ID)
			}
			if c.Start < 0 || c.End > len(runes) || c.Start >= c.End || string(runes[c.Start:c.End]) != c.Text {
				t.Errorf("Get(%q) chunk %d: offsets %d..%d do not give its text %q", d.ID, i, c.Start, c.End, c.Text)
			}
		}
	}
	if _, err := b.Get(context.Background(), "absent"); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("Get(absent): got %v, want ErrNotFound", err)
	}
	st, err := b.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	chunks := 0
	for _, r := range res {
		chunks += r.Chunks
	}
	if st.Documents != len(docs) || st.Chunks != chunks || st.Embedder == "" {
		t.Errorf("Stats: got %+v, want %d documents, %d chunks and an embedder", st, len(docs), chunks)
	}
}

func testReingestUnchanged(t *testing.T, b retrieval.Backend) {
	docs := Corpus()
	first := ingest(t, b, docs...)
	again := ingest(t, b, docs...)
	for i := range docs {
		if again[i].Status != retrieval.Unchanged || again[i].Chunks != first[i].Chunks {
			t.Errorf("re-ingest %q: got %+v, want unchanged with %d chunks", docs[i].ID, again[i], first[i].Chunks)
		}
	}
	st, err := b.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.Documents != len(docs) {
		t.Errorf("Stats after re-ingest: got %d documents, want %d", st.Documents, len(docs))
	}
}

// longText is a text of several chunks.
func longText(word string, paragraphs int) string {
	var sb strings.Builder
	for i := range paragraphs {
		fmt.Fprintf(&sb, "Paragraph %d tells of the %s and of the people who keep it running through every season of the year, with numbers, names and places that differ from one report to the next. ", i, word)
		sb.WriteString(strings.Repeat("Officials met again to review the figures and publish a short statement for residents. ", 6))
		sb.WriteString("\n\n")
	}
	return sb.String()
}

func testReplace(t *testing.T, b retrieval.Backend) {
	long := retrieval.Document{ID: "report", Title: "Annual report", Source: "Gazette", Text: longText("zeppelin hangar", 12)}
	first := ingest(t, b, long)
	if first[0].Chunks < 3 {
		t.Fatalf("long document: got %d chunks, want several", first[0].Chunks)
	}
	short := retrieval.Document{ID: "report", Title: "Annual report", Source: "Courier", Text: "The glasshouse reopened with a single short paragraph about orchids."}
	res := ingest(t, b, short)
	if res[0].Status != retrieval.Updated || res[0].Chunks != 1 {
		t.Fatalf("replace: got %+v, want updated with 1 chunk", res[0])
	}
	got, err := b.Get(context.Background(), "report")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Text != short.Text || got.Source != "Courier" || len(got.Chunks) != 1 {
		t.Errorf("Get after replace: got text %q source %q and %d chunks", got.Text, got.Source, len(got.Chunks))
	}
	if hits := search(t, b, retrieval.SearchRequest{Query: "zeppelin hangar", Mode: retrieval.Lexical}); len(hits) != 0 {
		t.Errorf("search for the replaced text: got %d hits (%v), want none", len(hits), hits[0].ID)
	}
	if hits := search(t, b, retrieval.SearchRequest{Query: "glasshouse orchids", Mode: retrieval.Lexical}); len(hits) != 1 || hits[0].Source != "Courier" {
		t.Errorf("search for the new text: got %v, want the one new chunk from Courier", hits)
	}
	st, err := b.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.Documents != 1 || st.Chunks != 1 {
		t.Errorf("Stats after replace: got %+v, want 1 document and 1 chunk", st)
	}
}

func testDelete(t *testing.T, b retrieval.Backend) {
	docs := Corpus()
	ingest(t, b, docs...)
	if err := b.Delete(context.Background(), "orchard"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.Get(context.Background(), "orchard"); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("Get after Delete: got %v, want ErrNotFound", err)
	}
	if err := b.Delete(context.Background(), "orchard"); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("second Delete: got %v, want ErrNotFound", err)
	}
	for _, mode := range []retrieval.Mode{retrieval.Lexical, retrieval.Dense, retrieval.Hybrid} {
		if ids := docIDs(search(t, b, retrieval.SearchRequest{Query: "frost apple blossom orchards", Mode: mode, K: 100})); slices.Contains(ids, "orchard") {
			t.Errorf("%s search after Delete: got %v, which holds the deleted document", mode, ids)
		}
	}
	st, err := b.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.Documents != len(docs)-1 {
		t.Errorf("Stats after Delete: got %d documents, want %d", st.Documents, len(docs)-1)
	}
	// A re-ingest after a delete adds the document again.
	if res := ingest(t, b, docs[1]); res[0].Status != retrieval.Added {
		t.Errorf("ingest after Delete: got %s, want added", res[0].Status)
	}
}

func testList(t *testing.T, b retrieval.Backend) {
	docs := Corpus()
	ingest(t, b, docs...)
	var want []string
	for _, d := range docs {
		want = append(want, d.ID)
	}
	slices.Sort(want)
	all, total, err := b.List(context.Background(), 0, 100)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if total != len(docs) {
		t.Errorf("List total: got %d, want %d", total, len(docs))
	}
	var got []string
	for _, d := range all {
		got = append(got, d.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("List: got %v, want %v", got, want)
	}
	for _, info := range all {
		i := slices.IndexFunc(docs, func(d retrieval.Document) bool { return d.ID == info.ID })
		d := docs[i]
		if info.Title != d.Title || info.Source != d.Source || info.Author != d.Author || !info.Published.Equal(d.Published) ||
			info.Chars != utf8.RuneCountInString(d.Text) || info.Chunks < 1 {
			t.Errorf("List %q: got %+v", info.ID, info)
		}
	}
	page, total, err := b.List(context.Background(), 1, 2)
	if err != nil {
		t.Fatalf("List(1, 2): %v", err)
	}
	if total != len(docs) || len(page) != 2 || page[0].ID != want[1] || page[1].ID != want[2] {
		t.Errorf("List(1, 2): got %v of %d, want %v", page, total, want[1:3])
	}
	if page, _, err := b.List(context.Background(), 10, 5); err != nil || len(page) != 0 {
		t.Errorf("List past the end: got %v, %v, want nothing", page, err)
	}
}

func testScan(t *testing.T, b retrieval.Backend) {
	ctx := context.Background()
	calls := 0
	if err := b.Scan(ctx, 2, func([]retrieval.Document) error { calls++; return nil }); err != nil || calls != 0 {
		t.Errorf("Scan of an empty backend: %d calls, %v; want none", calls, err)
	}
	docs := Corpus()
	ingest(t, b, docs...)
	seen := map[string]retrieval.Document{}
	err := b.Scan(ctx, 2, func(page []retrieval.Document) error {
		if len(page) == 0 || len(page) > 2 {
			t.Errorf("Scan page of %d documents, want 1..2", len(page))
		}
		for _, d := range page {
			if _, dup := seen[d.ID]; dup {
				t.Errorf("Scan: %q seen twice", d.ID)
			}
			seen[d.ID] = d
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(seen) != len(docs) {
		t.Errorf("Scan saw %d documents, want %d", len(seen), len(docs))
	}
	for _, want := range docs {
		got, ok := seen[want.ID]
		if !ok || got.Text != want.Text || got.Title != want.Title || got.StoryID != want.StoryID || !got.Published.Equal(want.Published) {
			t.Errorf("Scan %q: got %+v, want %+v", want.ID, got, want)
		}
	}
	stop := errors.New("stop")
	calls = 0
	if err := b.Scan(ctx, 2, func([]retrieval.Document) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Scan with fn failing: %d calls, %v; want 1 call and its error", calls, err)
	}
	if err := b.Delete(ctx, docs[0].ID); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := b.Scan(ctx, 0, func(page []retrieval.Document) error {
		for _, d := range page {
			n++
			if d.ID == docs[0].ID {
				t.Errorf("Scan after Delete: %q still seen", d.ID)
			}
		}
		return nil
	}); err != nil || n != len(docs)-1 {
		t.Errorf("Scan after Delete: %d documents, %v; want %d", n, err, len(docs)-1)
	}
}

func testSearchModes(t *testing.T, b retrieval.Backend) {
	ingest(t, b, Corpus()...)
	for _, mode := range []retrieval.Mode{retrieval.Lexical, retrieval.Dense, retrieval.Hybrid} {
		for _, fusion := range []retrieval.Fusion{retrieval.FusionConvex, retrieval.FusionRRF} {
			hits := search(t, b, retrieval.SearchRequest{Query: "telescope mirror at the observatory", Mode: mode, Fusion: fusion, K: 3})
			if len(hits) == 0 || hits[0].DocID != "observatory" {
				t.Errorf("%s/%s: got %v, want observatory first", mode, fusion, docIDs(hits))
				continue
			}
			h := hits[0]
			if h.Title != "Observatory telescope" || h.Source != "Herald" || h.Author != "Cy Dunn" || !h.Published.Equal(day("2023-11-02")) {
				t.Errorf("%s/%s: hit metadata %+v", mode, fusion, h)
			}
			if mode != retrieval.Dense && h.LexicalRank != 1 {
				t.Errorf("%s/%s: lexical rank %d, want 1", mode, fusion, h.LexicalRank)
			}
			if mode != retrieval.Lexical && h.DenseRank == 0 {
				t.Errorf("%s/%s: no dense rank", mode, fusion)
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Score > hits[i-1].Score {
					t.Errorf("%s/%s: hits not in score order: %v", mode, fusion, hits)
				}
			}
		}
	}
	if hits := search(t, b, retrieval.SearchRequest{Query: "anything", K: 2, Mode: retrieval.Dense}); len(hits) != 2 {
		t.Errorf("K=2: got %d hits", len(hits))
	}
}

func testSearchFilters(t *testing.T, b retrieval.Backend) {
	ingest(t, b, Corpus()...)
	const q = "city port library harbour tram orchards telescope"
	tests := []struct {
		name   string
		filter retrieval.Filter
		want   []string
	}{
		{"doc ids", retrieval.Filter{DocIDs: []string{"tram", "undated"}}, []string{"tram", "undated"}},
		{"source", retrieval.Filter{Source: "Gazette"}, []string{"harbour", "tram"}},
		{"author", retrieval.Filter{Author: "Ada Byrne"}, []string{"harbour", "undated"}},
		{"from", retrieval.Filter{From: day("2024-04-01")}, []string{"orchard", "tram"}},
		{"to", retrieval.Filter{To: day("2024-03-31")}, []string{"harbour", "observatory"}},
		{"range", retrieval.Filter{From: day("2024-03-01"), To: day("2024-04-15")}, []string{"harbour", "orchard"}},
		{"source and author", retrieval.Filter{Source: "Gazette", Author: "Ben Ochoa"}, []string{"tram"}},
		{"exclude", retrieval.Filter{ExcludeDocIDs: []string{"harbour", "tram"}}, []string{"observatory", "orchard", "undated"}},
		{"doc ids and exclude", retrieval.Filter{DocIDs: []string{"tram", "undated"}, ExcludeDocIDs: []string{"tram"}}, []string{"undated"}},
		{"story", retrieval.Filter{StoryID: "story-city"}, []string{"tram", "undated"}},
		{"no match", retrieval.Filter{Source: "Nowhere"}, nil},
	}
	stories := map[string]string{}
	for _, d := range Corpus() {
		stories[d.ID] = d.StoryID
	}
	for _, tc := range tests {
		for _, mode := range []retrieval.Mode{retrieval.Lexical, retrieval.Dense, retrieval.Hybrid} {
			t.Run(tc.name+"/"+string(mode), func(t *testing.T) {
				hits := search(t, b, retrieval.SearchRequest{Query: q, Mode: mode, Filter: tc.filter, K: 50, RecencyWeight: -1})
				for _, h := range hits {
					if h.StoryID != stories[h.DocID] {
						t.Errorf("hit %s: story %q, want %q", h.ID, h.StoryID, stories[h.DocID])
					}
				}
				got := docIDs(hits)
				slices.Sort(got)
				if mode == retrieval.Lexical {
					// Every document has a query term.
					if !slices.Equal(got, tc.want) {
						t.Errorf("got %v, want %v", got, tc.want)
					}
					return
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func testSearchPhrase(t *testing.T, b retrieval.Backend) {
	ingest(t, b, Corpus()...)
	hits := search(t, b, retrieval.SearchRequest{Query: `"new tram line" passengers`})
	if ids := docIDs(hits); !slices.Equal(ids, []string{"tram"}) {
		t.Errorf("phrase: got %v, want [tram]", ids)
	}
	if hits := search(t, b, retrieval.SearchRequest{Query: `"tram harbour"`}); len(hits) != 0 {
		t.Errorf("phrase that no text holds: got %v, want none", docIDs(hits))
	}
}

func testInvalid(t *testing.T, b retrieval.Backend) {
	ctx := context.Background()
	for _, req := range []retrieval.SearchRequest{
		{Query: "tram", K: 0},
		{Query: "tram", K: retrieval.MaxK + 1},
		{Query: "   ", K: 5},
		{Query: "tram", K: 5, Filter: retrieval.Filter{From: day("2024-05-01"), To: day("2024-01-01")}},
		{Query: strings.Repeat("tram harbour ", retrieval.MaxQueryTerms/2+1), K: 5},
	} {
		if _, err := b.Search(ctx, req); !errors.Is(err, retrieval.ErrInvalid) {
			t.Errorf("Search(%+v): got %v, want ErrInvalid", req, err)
		}
	}
	good := Corpus()[0]
	for _, bad := range [][]retrieval.Document{
		{good, {ID: "", Text: "no id"}},
		{good, {ID: "empty", Text: "   "}},
		{good, good},
	} {
		if _, err := b.Ingest(ctx, bad); !errors.Is(err, retrieval.ErrInvalid) {
			t.Errorf("Ingest(%d docs with a bad one): got %v, want ErrInvalid", len(bad), err)
		}
	}
	if _, err := b.Get(ctx, good.ID); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("a refused batch stored its good document: Get got %v", err)
	}
}

func testEmpty(t *testing.T, b retrieval.Backend) {
	hits, err := b.Search(context.Background(), retrieval.SearchRequest{Query: "tram", K: 5})
	if err != nil || len(hits) != 0 {
		t.Errorf("Search of an empty backend: got %v, %v, want no hits and no error", hits, err)
	}
	list, total, err := b.List(context.Background(), 0, 10)
	if err != nil || total != 0 || len(list) != 0 {
		t.Errorf("List of an empty backend: got %v, %d, %v", list, total, err)
	}
	if err := b.Delete(context.Background(), "x"); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("Delete in an empty backend: got %v, want ErrNotFound", err)
	}
}

func testIDF(t *testing.T, b retrieval.Backend) {
	ingest(t, b, Corpus()...)
	// "harbour" is in one document's chunk, "ben" in none (authors are
	// not indexed), "the" is a stop word never indexed; terms are
	// analysed forms.
	idf := b.IDF([]string{"telescop", "citi", "absentterm"})
	if len(idf) != 3 {
		t.Fatalf("IDF: got %d values for 3 terms", len(idf))
	}
	if !(idf[0] > 0 && idf[0] < idf[2]) {
		t.Errorf("IDF: a present term weighs %v, an absent one %v: want 0 < present < absent", idf[0], idf[2])
	}
	st, err := b.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := float64(st.Chunks)
	// telescop is in exactly one chunk.
	want := logIDF(n, 1)
	if d := idf[0] - want; d > 1e-9 || d < -1e-9 {
		t.Errorf("IDF(telescop): got %v, want %v (one of %v chunks)", idf[0], want, n)
	}
}

func logIDF(n, df float64) float64 {
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}
