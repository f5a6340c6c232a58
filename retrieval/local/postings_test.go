package local

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ragd/ragd/retrieval"
)

func TestPostingList(t *testing.T) {
	// Appends, inserts of reused ordinals, removals that empty blocks and
	// splits of full ones: the list always reads back as a sorted
	// reference, and a cursor seeks to the first posting at or after any
	// ordinal.
	rng := rand.New(rand.NewPCG(11, 12))
	var l postingList
	want := map[uint32]uint32{}
	next := uint32(0)
	for step := range 20000 {
		switch r := rng.IntN(10); {
		case r < 6: // a new chunk, past the last ordinal
			next += 1 + uint32(rng.ExpFloat64()*float64(1+rng.IntN(3000)))
			c := 1 + uint32(rng.IntN(300))
			l.add(next, c)
			want[next] = c
		case r < 8 && next > 0: // a reused ordinal
			ord := uint32(rng.IntN(int(next)))
			if _, ok := want[ord]; !ok {
				c := 1 + uint32(rng.IntN(5))
				l.add(ord, c)
				want[ord] = c
			}
		default: // a removal, of a posting or of nothing
			ord := uint32(rng.IntN(int(next) + 1))
			l.remove(ord)
			delete(want, ord)
		}
		if step%500 != 0 && step != 19999 {
			continue
		}
		var ords []uint32
		for o := range want {
			ords = append(ords, o)
		}
		slices.Sort(ords)
		var got []posting
		for c := newCursor(&l); c.ord != math.MaxUint32; c.next() {
			got = append(got, posting{ord: c.ord, tf: c.tf})
		}
		if len(got) != len(ords) {
			t.Fatalf("step %d: %d postings, want %d", step, len(got), len(ords))
		}
		for i, o := range ords {
			if got[i] != (posting{ord: o, tf: want[o]}) {
				t.Fatalf("step %d, posting %d: %v, want {%d %d}", step, i, got[i], o, want[o])
			}
		}
		for _, b := range l.blocks {
			if b.n == 0 || b.n > blockSize {
				t.Fatalf("step %d: a block of %d postings", step, b.n)
			}
		}
		c := newCursor(&l)
		for range 200 {
			target := c.ord + uint32(rng.IntN(5000))
			if c.ord == math.MaxUint32 {
				break
			}
			i, _ := slices.BinarySearch(ords, target)
			wantOrd := uint32(math.MaxUint32)
			if i < len(ords) {
				wantOrd = ords[i]
			}
			if got := c.seek(target); got != wantOrd {
				t.Fatalf("step %d: seek(%d) = %d, want %d", step, target, got, wantOrd)
			}
		}
	}
	for o := range want {
		l.remove(o)
	}
	if !l.empty() || l.data != nil {
		t.Errorf("emptied list keeps %d blocks, %d bytes", len(l.blocks), len(l.data))
	}
}

func TestBuildPostingsMatchesAdd(t *testing.T) {
	// A bulk load builds, in parts and exactly sized, the lists that
	// adding the chunks one by one builds, and the same bounds; in one
	// part, the same bytes.
	for _, parts := range []int{1, 2, 3} {
		rng := rand.New(rand.NewPCG(13, 14))
		one, bulk := newLexicon(), newLexicon()
		for i := range 5000 {
			var tfs []termFreq
			for id := uint32(0); id < 40; id++ {
				if rng.IntN(int(id)+2) == 0 {
					tfs = append(tfs, termFreq{id: id, count: uint32(1 + rng.IntN(300))})
				}
			}
			c := &retrieval.Chunk{ID: fmt.Sprint(i)}
			one.add(c, nil, packTerms(tfs))
			bulk.addEntry(c, nil, packTerms(tfs))
		}
		bulk.buildPostingsIn(parts)
		if !slices.Equal(one.bounds, bulk.bounds) {
			t.Errorf("%d parts: bounds differ: %v, one by one %v", parts, bulk.bounds, one.bounds)
		}
		read := func(l *postingList) []posting {
			var ps []posting
			for c := newCursor(l); c.ord != math.MaxUint32; c.next() {
				ps = append(ps, posting{c.ord, c.tf})
			}
			return ps
		}
		for id := range one.postings {
			a, b := &one.postings[id], &bulk.postings[id]
			if !slices.Equal(read(a), read(b)) {
				t.Fatalf("%d parts, term %d: postings differ", parts, id)
			}
			if parts == 1 && (!slices.Equal(a.data, b.data) || !slices.Equal(a.blocks, b.blocks)) {
				t.Fatalf("term %d: the encoding differs", id)
			}
			if cap(b.data) != len(b.data) || cap(b.blocks) != len(b.blocks) {
				t.Errorf("%d parts, term %d: %d bytes in %d, %d blocks in %d", parts, id, len(b.data), cap(b.data), len(b.blocks), cap(b.blocks))
			}
			for _, blk := range b.blocks {
				if blk.n == 0 || blk.n > blockSize {
					t.Fatalf("%d parts, term %d: a block of %d", parts, id, blk.n)
				}
			}
		}
		// A change to one list after the bulk load stays in it, and a
		// removal and a reused ordinal read back.
		before := slices.Clone(bulk.postings[1].data)
		e := bulk.add(&retrieval.Chunk{ID: "new"}, nil, packTerms([]termFreq{{id: 0, count: 9}}))
		if !slices.Equal(bulk.postings[1].data, before) {
			t.Error("an append to one list changed the next")
		}
		f := one.add(&retrieval.Chunk{ID: "new"}, nil, packTerms([]termFreq{{id: 0, count: 9}}))
		for _, l := range []*lexicon{one, bulk} {
			l.remove(l.chunks[2500], nil)
		}
		bulk.remove(e, nil)
		one.remove(f, nil)
		for _, l := range []*lexicon{one, bulk} {
			l.add(&retrieval.Chunk{ID: "reused"}, nil, packTerms([]termFreq{{id: 0, count: 2}, {id: 3, count: 1}}))
		}
		for id := range one.postings {
			if !slices.Equal(read(&one.postings[id]), read(&bulk.postings[id])) {
				t.Fatalf("%d parts, term %d: postings differ after changes", parts, id)
			}
		}
	}
}

func TestHoldingAll(t *testing.T) {
	// The chunks holding every term of a set, from the postings, are those
	// whose own terms hold them, with chunks removed along the way.
	l, entries := randomLexicon(15, 3000, 30, func(rng *rand.Rand, id uint32) uint32 {
		if rng.IntN(int(id)/3+2) == 0 {
			return 1
		}
		return 0
	})
	for i := 0; i < len(entries); i += 7 {
		l.remove(entries[i], nil)
	}
	for _, set := range [][]uint32{{0}, {3, 7}, {29, 1, 1}, {5, 12, 20}, {2, 31}} {
		holds := l.holdingAll(set)
		for ord, e := range l.chunks {
			want := e != nil
			for _, id := range set {
				if _, ok := e.countOrNil(id); !ok {
					want = false
				}
			}
			if got := holds[ord/64]&(1<<(ord%64)) != 0; got != want {
				t.Fatalf("terms %v, chunk %d: holds %v, want %v", set, ord, got, want)
			}
		}
	}
}

// countOrNil is count for an entry that may be nil (a free ordinal).
func (e *chunkEntry) countOrNil(id uint32) (uint32, bool) {
	if e == nil {
		return 0, false
	}
	return e.count(id)
}

func TestScoreEntryMatchesTermByTerm(t *testing.T) {
	// One pass over an entry's terms scores as looking each query term up
	// in turn, to the bit, repeated and absent terms included.
	l, entries := randomLexicon(17, 200, 50, func(rng *rand.Rand, _ uint32) uint32 {
		if rng.IntN(3) == 0 {
			return uint32(1 + rng.IntN(5))
		}
		return 0
	})
	rng := rand.New(rand.NewPCG(18, 19))
	p := BM25{}.withDefaults()
	for _, e := range entries {
		q := []uint32{uint32(rng.IntN(60)), uint32(rng.IntN(60)), 7, 7, uint32(rng.IntN(60)), 55}
		want := 0.0
		for _, id := range q {
			if tf, ok := e.count(id); ok {
				want += p.term(l.idf(id), float64(tf), e.length, l.avgLen())
			}
		}
		if got := l.scoreEntry(e, q, p); got != want {
			t.Fatalf("chunk %s, terms %v: %v, term by term %v", e.chunk.ID, q, got, want)
		}
	}
}

// randomLexicon adds n chunks to a new lexicon, each holding term IDs
// below terms as often as count says (0: not at all).
func randomLexicon(seed uint64, n int, terms uint32, count func(*rand.Rand, uint32) uint32) (*lexicon, []*chunkEntry) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	l := newLexicon()
	var entries []*chunkEntry
	for i := range n {
		var tfs []termFreq
		for id := range terms {
			if c := count(rng, id); c > 0 {
				tfs = append(tfs, termFreq{id: id, count: c})
			}
		}
		entries = append(entries, l.add(&retrieval.Chunk{ID: fmt.Sprint(i)}, nil, packTerms(tfs)))
	}
	return l, entries
}

// TestOrdTop keeps the best ordinals of random scores, many equal, as a
// sort of them all would.
func TestOrdTop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 100} {
		top := &ordTop{n: n}
		var all []ordScore
		for i := range 5000 {
			x := ordScore{score: float32(rng.IntN(300)), ord: uint32(i)}
			all = append(all, x)
			if top.admits(x.score) {
				top.push(x)
			}
		}
		slices.SortFunc(all, func(a, b ordScore) int {
			if b.worse(a) {
				return -1
			}
			return 1
		})
		got := slices.Clone(top.h)
		slices.SortFunc(got, func(a, b ordScore) int {
			if b.worse(a) {
				return -1
			}
			return 1
		})
		if !slices.Equal(got, all[:n]) {
			t.Errorf("n=%d: kept %v, want %v", n, got[:min(5, n)], all[:min(5, n)])
		}
	}
}
