package dedup_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/clean"
	"github.com/ragd/ragd/retrieval/dedup"
)

const corpusPath = "../../../shared/bench/realtimeqa/ragd/corpus.jsonl"

type article struct{ id, text string }

func readCorpus(tb testing.TB) []article {
	tb.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		tb.Skipf("RealTime QA corpus not found beside the repository: %v", err)
	}
	defer f.Close()
	var out []article
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var d struct {
			ID   string `json:"_id"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			tb.Fatal(err)
		}
		out = append(out, article{d.ID, d.Text})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// furnitures are the page furniture of different sites, which copies of a
// story carry around the same article.
var furnitures = [][2]string{
	{"World\nShare this article\n", "\nRelated topics\nUS politics\nEconomy\nJoin Our Newsletter\nWatchUsOn\nMost shared stories this week"},
	{"Skip to content\nBusiness\n", "\nAdvertisement\nSign up for our daily briefing newsletter\nRead more\nMarkets rally as rates hold\nThe week in pictures"},
	{"Home\nNews\nFollow us on Twitter\n", "\nYou may also like\nTen things we learned this week\nCopyright 2025 Example Media. All rights reserved."},
}

// edit returns a copy of text with light edits: a word in 40 changed or
// dropped, one paragraph dropped from a long text, a new caption, and
// another site's furniture around it.
func edit(r *rand.Rand, text string) string {
	paras := strings.Split(text, "\n")
	if len(paras) > 8 {
		i := 1 + r.IntN(len(paras)-2)
		paras = append(paras[:i], paras[i+1:]...)
	}
	for i, p := range paras {
		words := strings.Fields(p)
		var b []string
		for _, w := range words {
			switch r.IntN(80) {
			case 0:
				continue // dropped
			case 1:
				b = append(b, "reportedly")
			}
			b = append(b, w)
		}
		paras[i] = strings.Join(b, " ")
	}
	caption := "A view of the scene on Monday\nA view of the scene on Monday (Picture: Staff/Reuters)\n"
	f := furnitures[r.IntN(len(furnitures))]
	at := min(2, len(paras))
	body := strings.Join(paras[:at], "\n") + "\n" + caption + strings.Join(paras[at:], "\n")
	return f[0] + body + f[1]
}

// TestPrecisionRecall builds a set from the RealTime QA corpus, every
// article (the first 800 under the race detector) plus one to three
// edited, re-furnished copies of 300 of them (60),
// cleans each as ingest does, assigns stories in a shuffled order and
// measures precision and recall over pairs of same-story documents.
func TestPrecisionRecall(t *testing.T) {
	corpus := readCorpus(t)
	copies := 300
	if raceEnabled {
		corpus, copies = corpus[:800], 60
	}
	r := rand.New(rand.NewPCG(17, 42))
	type item struct {
		id, text, truth string
	}
	// The corpus has copies of its own: articles repeated word for word
	// (one per week that asked about them), one wire story under two
	// mastheads, a live blog and its "lite" version. Its articles that
	// share half the sentences of the shorter one verbatim are one story
	// from the start: a truth drawn from whole sentences, not shingles.
	var items []item
	truth := sentenceStories(corpus)
	for _, a := range corpus {
		items = append(items, item{a.id, a.text, truth[a.id]})
	}
	copied := 0
	for _, i := range r.Perm(len(corpus)) {
		a := corpus[i]
		if len(strings.Fields(a.text)) < 150 {
			continue
		}
		for c := range 1 + r.IntN(3) {
			items = append(items, item{fmt.Sprintf("%s-copy%d", a.id, c), edit(r, a.text), truth[a.id]})
		}
		if copied++; copied == copies {
			break
		}
	}
	r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })

	ix := dedup.NewIndex(0)
	story := make(map[string]string, len(items))
	for _, it := range items {
		d := clean.Document(retrieval.Document{ID: it.id, Text: it.text})
		story[it.id], _ = ix.Assign(it.id, d.Text)
	}
	byStory := make(map[string][]item)
	byTruth := make(map[string][]item)
	for _, it := range items {
		byStory[story[it.id]] = append(byStory[story[it.id]], it)
		byTruth[it.truth] = append(byTruth[it.truth], it)
	}
	var tp, fp, fn int
	for _, g := range byStory {
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				if g[i].truth == g[j].truth {
					tp++
				} else {
					fp++
					if fp <= 10 {
						t.Logf("false pair: %s and %s", g[i].id, g[j].id)
					}
				}
			}
		}
	}
	for _, g := range byTruth {
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				if story[g[i].id] != story[g[j].id] {
					fn++
				}
			}
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("%d documents (%d copies of %d articles): %d true pairs found, %d false, %d missed: precision %.3f, recall %.3f",
		len(items), len(items)-len(corpus), copied, tp, fp, fn, precision, recall)
	if precision < 0.98 || recall < 0.98 {
		t.Errorf("precision %.3f, recall %.3f; want at least 0.98 each", precision, recall)
	}
}

// sentenceStories groups articles repeated word for word, and articles that
// share at least half of the sentences of the longer one, word for word
// whatever the punctuation (sentences of eight words or more), and returns
// each article's group.
func sentenceStories(corpus []article) map[string]string {
	parent := make(map[string]string)
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			parent[x] = find(p)
			return parent[x]
		}
		return x
	}
	// Articles repeated word for word are one story; one of each goes on.
	exact := make(map[string]string)
	var reps []article
	for _, a := range corpus {
		key := strings.Join(strings.Fields(a.text), " ")
		if first, ok := exact[key]; ok {
			parent[a.id] = first
			continue
		}
		exact[key] = a.id
		reps = append(reps, a)
	}
	sentences := make(map[string][]string) // sentence -> articles
	count := make(map[string]int)
	for _, a := range reps {
		seen := make(map[string]bool)
		for _, s := range strings.FieldsFunc(a.text, func(r rune) bool { return r == '.' || r == '\n' || r == '?' || r == '!' }) {
			s = strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }), " ")
			if strings.Count(s, " ") < 7 || seen[s] {
				continue
			}
			seen[s] = true
			sentences[s] = append(sentences[s], a.id)
		}
		count[a.id] = len(seen)
	}
	shared := make(map[[2]string]int)
	for _, ids := range sentences {
		if len(ids) > 20 {
			continue // boilerplate every article of a site carries
		}
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				shared[[2]string{ids[i], ids[j]}]++
			}
		}
	}
	for pair, n := range shared {
		if 2*n >= max(count[pair[0]], count[pair[1]]) {
			a, b := find(pair[0]), find(pair[1])
			if a != b {
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	out := make(map[string]string, len(corpus))
	for _, a := range corpus {
		out[a.id] = find(a.id)
	}
	return out
}

func TestSignature(t *testing.T) {
	a := "The central bank held interest rates at five per cent on Thursday, saying inflation was falling faster than it had expected in the spring."
	for _, tc := range []struct {
		name   string
		b      string
		lo, hi float64
	}{
		{"same text", a, 1, 1},
		{"case and punctuation", strings.ToUpper(strings.ReplaceAll(a, ",", " ;")), 1, 1},
		{"one word changed", strings.Replace(a, "Thursday", "Wednesday", 1), 0.6, 0.95},
		{"another story", "Heavy snow closed schools across the north of the country, and the rail operator cancelled most of its morning trains.", 0, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sa, _ := dedup.Sign(a)
			sb, ok := dedup.Sign(tc.b)
			if !ok {
				t.Fatal("no signature")
			}
			if got := sa.Similarity(&sb); got < tc.lo || got > tc.hi {
				t.Errorf("similarity = %.3f, want within [%g, %g]", got, tc.lo, tc.hi)
			}
		})
	}
	if _, ok := dedup.Sign("too short"); ok {
		t.Error("a two-word text got a signature")
	}
}

type memStore struct{ docs map[string]retrieval.Document }

func (m *memStore) Ingest(_ context.Context, docs []retrieval.Document) ([]retrieval.IngestResult, error) {
	for _, d := range docs {
		m.docs[d.ID] = d
	}
	return nil, nil
}

func (m *memStore) Delete(_ context.Context, id string) error {
	delete(m.docs, id)
	return nil
}

func TestWriter(t *testing.T) {
	text := strings.Repeat("Flood defences along the river held overnight as water levels peaked below the record set two winters ago. ", 5)
	st := &memStore{docs: map[string]retrieval.Document{}}
	w := dedup.Writer{Index: dedup.NewIndex(0), Next: st}
	ctx := context.Background()
	docs := []retrieval.Document{
		{ID: "wire", Text: text},
		{ID: "syndicated", Text: "Share this article\n" + text + "\nRelated topics"},
		{ID: "other", Text: strings.Repeat("The orchestra announced a new principal conductor, who takes up the post next season after ten years in Vienna. ", 5)},
	}
	if _, err := w.Ingest(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if got, want := st.docs["syndicated"].StoryID, st.docs["wire"].StoryID; got != want || got != dedup.StoryID("wire") {
		t.Errorf("syndicated copy's story = %q, want the wire story's %q", got, want)
	}
	if st.docs["other"].StoryID == st.docs["wire"].StoryID {
		t.Error("another story joined the wire story")
	}
	if err := w.Delete(ctx, "wire"); err != nil {
		t.Fatal(err)
	}
	if got := w.Index.Len(); got != 2 {
		t.Errorf("index holds %d documents after a delete, want 2", got)
	}
}

func TestIndexRemoveAndReuse(t *testing.T) {
	// Removed documents are never matched again, whatever the order of
	// removals along a chain of shared bands, and their slots serve new
	// documents.
	ix := dedup.NewIndex(0)
	base := strings.Repeat("The council approved the budget for the new bridge after a long debate about tolls and traffic. ", 4)
	for i := range 6 {
		story, _ := ix.Assign(fmt.Sprint("copy", i), base+fmt.Sprint(" Edition ", i))
		if want := dedup.StoryID("copy0"); story != want {
			t.Fatalf("copy %d: story %s, want %s", i, story, want)
		}
	}
	for _, i := range []int{2, 0, 5} {
		ix.Remove(fmt.Sprint("copy", i))
	}
	if _, like := ix.Assign("late", base); like != "copy1" && like != "copy3" && like != "copy4" {
		t.Errorf("a copy matched %q, want a remaining copy", like)
	}
	for _, i := range []int{1, 3, 4} {
		ix.Remove(fmt.Sprint("copy", i))
	}
	ix.Remove("late")
	if ix.Len() != 0 {
		t.Fatalf("Len = %d after removing everything", ix.Len())
	}
	if story, like := ix.Assign("again", base); like != "" || story != dedup.StoryID("again") {
		t.Errorf("after removing every copy: story %s like %q, want a new story", story, like)
	}
}

// TestGrow checks that an index grown ahead of a load assigns the same
// stories as one that grows as it goes.
func TestGrow(t *testing.T) {
	base := "The harbour authority said on Thursday that the strike by dock workers would end after the union accepted a new offer on pay and hours."
	texts := []string{base, strings.Replace(base, "Thursday", "Friday", 1), "Heavy snow closed schools across the north, and the rail operator cancelled most of its morning trains on Monday.", base + " More talks follow next week."}
	plain, grown := dedup.NewIndex(0), dedup.NewIndex(0)
	grown.Grow(len(texts))
	grown.Grow(0)
	for i, text := range texts {
		id := fmt.Sprintf("doc-%d", i)
		s1, l1 := plain.Assign(id, text)
		s2, l2 := grown.Assign(id, text)
		if s1 != s2 || l1 != l2 {
			t.Errorf("%s: grown index says story %s like %q, plain one %s like %q", id, s2, l2, s1, l1)
		}
	}
	if grown.Len() != len(texts) || plain.Len() != len(texts) {
		t.Errorf("Len: grown %d, plain %d; want %d", grown.Len(), plain.Len(), len(texts))
	}
}
