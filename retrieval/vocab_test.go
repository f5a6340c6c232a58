package retrieval

import (
	"slices"
	"sync"
	"testing"
)

func TestVocabularyRoundTrip(t *testing.T) {
	v := newVocabulary()
	tfs := v.count([]string{"troop", "ukrain", "troop", "peac", "troop"})
	if len(tfs) != 3 || !slices.IsSortedFunc(tfs, func(a, b termFreq) int { return int(a.id) - int(b.id) }) {
		t.Fatalf("count = %v, want three terms sorted by ID", tfs)
	}
	// Records spell terms out, in term order, as they always have.
	enc := v.encode(tfs)
	if enc != "peac 1 troop 3 ukrain 1" {
		t.Errorf("encode = %q", enc)
	}
	// Another store (a fresh vocabulary) reads the same counts back.
	w := newVocabulary()
	w.count([]string{"zelenski"}) // other IDs than v's
	got, err := w.decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if again := w.encode(got); again != enc {
		t.Errorf("decode then encode = %q, want %q", again, enc)
	}
	if id, ok := w.lookup("troop"); !ok {
		t.Error("decode did not number troop")
	} else if n, ok := (&chunkEntry{terms: got}).count(id); !ok || n != 3 {
		t.Errorf("count(troop) = %d, %v; want 3", n, ok)
	}
	if ids := w.known([]string{"troop", "missing", "troop", "peac"}); len(ids) != 2 {
		t.Errorf("known = %v, want troop and peac once each", ids)
	}

	for _, bad := range []string{"troop", "troop x", "troop 0", "troop -1", "troop 1 troop 2"} {
		if _, err := v.decode(bad); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
	if tfs, err := v.decode(""); err != nil || len(tfs) != 0 {
		t.Errorf("decode(\"\") = %v, %v; want no terms", tfs, err)
	}
}

func TestVocabularyConcurrentNumbering(t *testing.T) {
	// Loaders number terms concurrently: each term gets one ID.
	v := newVocabulary()
	words := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var wg sync.WaitGroup
	results := make([][]uint32, 8)
	for i := range results {
		wg.Go(func() {
			order := slices.Clone(words)
			slices.Reverse(order[:i])
			ids := v.intern(order)
			m := make([]uint32, len(words))
			for j, w := range order {
				m[slices.Index(words, w)] = ids[j]
			}
			results[i] = m
		})
	}
	wg.Wait()
	for i := range results {
		if !slices.Equal(results[i], results[0]) {
			t.Fatalf("goroutine %d numbered %v, goroutine 0 %v", i, results[i], results[0])
		}
	}
	if len(v.terms) != len(words) {
		t.Errorf("%d terms numbered, want %d", len(v.terms), len(words))
	}
}
