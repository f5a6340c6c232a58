package local

import (
	"cmp"
	"context"
	"encoding/binary"
	"iter"
	"math"
	"slices"
	"sync"

	"github.com/ragd/ragd/retrieval"
)

// ctxEvery is how many postings or vectors a scan goes through between
// checks of its context: a cancelled search stops within a few
// milliseconds however large the index.
const ctxEvery = 1 << 14

// Default BM25 parameters: Lucene's and Anserini's values for short documents.
const (
	DefaultBM25K1 = 0.9
	DefaultBM25B  = 0.6
)

// BM25 holds the parameters of Okapi BM25 scoring. Zero fields take the defaults.
type BM25 struct {
	K1, B float64
}

// term is the BM25 contribution of a term with this idf occurring tf times
// in an entry of the given length, avg being the mean length.
func (p BM25) term(idf, tf float64, length int, avg float64) float64 {
	norm := p.K1 * (1 - p.B + p.B*float64(length)/avg)
	return idf * tf * (p.K1 + 1) / (tf + norm)
}

func (p BM25) withDefaults() BM25 {
	if p.K1 == 0 {
		p.K1 = DefaultBM25K1
	}
	if p.B == 0 {
		p.B = DefaultBM25B
	}
	return p
}

// posting is one chunk's occurrence count of a term.
type posting struct {
	ord uint32
	tf  uint32
}

// lexicon is an in-memory inverted index over chunks. Chunks are addressed by
// ordinals, reused after deletion. It is not safe for concurrent mutation;
// the Store serialises writers and lets readers share it.
type lexicon struct {
	termStats
	// postings are by term ID (see vocabulary), and bounds the largest
	// count and shortest chunk of each term's postings so far, from which
	// an upper bound of its BM25 scores follows (a removal leaves them;
	// they only loosen).
	postings []postingList
	bounds   []termBound
	chunks   []*chunkEntry // by ordinal; nil when free
	lengths  []uint32      // by ordinal, the chunk's length in terms
	free     []uint32
}

// termBound is what bounds a term's BM25 contribution to any chunk: the
// score grows with the count and falls with the chunk's length.
type termBound struct {
	maxTF, minLen uint32
}

// widen makes b bound what o bounds too; a fresh b becomes o.
func (b *termBound) widen(o termBound, fresh bool) {
	if fresh {
		*b = o
		return
	}
	b.maxTF, b.minLen = max(b.maxTF, o.maxTF), min(b.minLen, o.minLen)
}

// termStats are what BM25 needs to know of a collection of entries besides
// the entry scored: their number, their total length and each term's
// document frequency. The document-level signal needs no more than this, so
// documents have no postings.
type termStats struct {
	df       []uint32 // by term ID
	n        int      // live entries
	totalLen int64    // sum of live entry lengths in terms
}

// add counts an entry with these terms and returns its length.
func (t *termStats) add(terms packedTerms) int {
	length := 0
	for tf := range terms.all() {
		length += int(tf.count)
		if n := int(tf.id) + 1; n > len(t.df) {
			t.df = slices.Grow(t.df, n-len(t.df))[:n]
		}
		t.df[tf.id]++
	}
	t.n++
	t.totalLen += int64(length)
	return length
}

// addBulk counts entries with these terms, as add does one at a time, on
// every core, and returns their lengths.
func (t *termStats) addBulk(terms []packedTerms) []int {
	lengths := make([]int, len(terms))
	workers := min(parallelism(), max(1, len(terms)/4096))
	span := (len(terms) + workers - 1) / workers
	dfs := make([][]uint32, workers)
	totals := make([]int64, workers)
	parallel(workers, func(w int) {
		df := make([]uint32, len(t.df))
		for i := w * span; i < min(len(terms), (w+1)*span); i++ {
			length := 0
			for tf := range terms[i].all() {
				length += int(tf.count)
				if int(tf.id) >= len(df) {
					df = slices.Grow(df, int(tf.id)+1-len(df))[:tf.id+1]
				}
				df[tf.id]++
			}
			lengths[i] = length
			totals[w] += int64(length)
		}
		dfs[w] = df
	})
	for w, df := range dfs {
		if len(df) > len(t.df) {
			t.df = slices.Grow(t.df, len(df)-len(t.df))[:len(df)]
		}
		for id, n := range df {
			t.df[id] += n
		}
		t.totalLen += totals[w]
	}
	t.n += len(terms)
	return lengths
}

// remove uncounts an entry. It appends to emptied the term IDs no entry
// holds any more, and returns it.
func (t *termStats) remove(e *chunkEntry, emptied []uint32) []uint32 {
	for tf := range e.terms.all() {
		if t.df[tf.id]--; t.df[tf.id] == 0 {
			emptied = append(emptied, tf.id)
		}
	}
	t.n--
	t.totalLen -= int64(e.length)
	return emptied
}

// has reports whether any entry holds the term ID.
func (t *termStats) has(id uint32) bool {
	return int(id) < len(t.df) && t.df[id] > 0
}

// reserve sizes the document frequencies for n term IDs.
func (t *termStats) reserve(n int) {
	if n > len(t.df) {
		t.df = slices.Grow(t.df, n-len(t.df))[:n]
	}
}

// chunkEntry is what the lexicon and the searcher know about a live chunk.
type chunkEntry struct {
	ord    uint32
	chunk  *retrieval.Chunk
	doc    *record
	length int
	terms  packedTerms
}

// packedTerms are term frequencies sorted by term ID, packed as varints of
// the ID's difference from the previous one and of the count: some 2.5
// bytes a term instead of 8, read in order by the few operations that need
// them (removal, a chunk's own score, phrase checks, compaction).
type packedTerms []byte

func packTerms(tfs []termFreq) packedTerms {
	b := make([]byte, 0, len(tfs)*3)
	prev := uint32(0)
	for _, tf := range tfs {
		b = binary.AppendUvarint(b, uint64(tf.id-prev))
		b = binary.AppendUvarint(b, uint64(tf.count))
		prev = tf.id
	}
	return slices.Clip(b)
}

// all yields the terms in ID order.
func (p packedTerms) all() iter.Seq[termFreq] {
	return func(yield func(termFreq) bool) {
		id := uint64(0)
		for len(p) > 0 {
			d, n := binary.Uvarint(p)
			c, m := binary.Uvarint(p[n:])
			if n <= 0 || m <= 0 {
				return
			}
			p = p[n+m:]
			id += d
			if !yield(termFreq{id: uint32(id), count: uint32(c)}) {
				return
			}
		}
	}
}

// unpack returns the term frequencies.
func (p packedTerms) unpack() []termFreq {
	var out []termFreq
	for tf := range p.all() {
		out = append(out, tf)
	}
	return out
}

func newLexicon() *lexicon {
	return &lexicon{}
}

// add indexes a chunk and returns its entry.
func (l *lexicon) add(c *retrieval.Chunk, doc *record, terms packedTerms) *chunkEntry {
	e := l.addEntry(c, doc, terms)
	for tf := range terms.all() {
		l.post(tf.id, e.ord, tf.count, uint32(e.length))
	}
	return e
}

// addEntry is add without the postings, which a bulk load leaves to
// buildPostings.
func (l *lexicon) addEntry(c *retrieval.Chunk, doc *record, terms packedTerms) *chunkEntry {
	return l.addCounted(c, doc, terms, l.termStats.add(terms))
}

// addCounted is addEntry for an entry of this length that the term
// statistics count already (see termStats.addBulk).
func (l *lexicon) addCounted(c *retrieval.Chunk, doc *record, terms packedTerms, length int) *chunkEntry {
	var ord uint32
	if n := len(l.free); n > 0 {
		ord = l.free[n-1]
		l.free = l.free[:n-1]
		l.lengths[ord] = uint32(length)
	} else {
		ord = uint32(len(l.chunks))
		l.chunks = append(l.chunks, nil)
		l.lengths = append(l.lengths, uint32(length))
	}
	if n := len(l.df); n > len(l.postings) {
		l.postings = slices.Grow(l.postings, n-len(l.postings))[:n]
		l.bounds = slices.Grow(l.bounds, n-len(l.bounds))[:n]
	}
	e := &chunkEntry{ord: ord, chunk: c, doc: doc, length: length, terms: terms}
	l.chunks[ord] = e
	return e
}

// post adds a posting of term id and keeps the term's bound.
func (l *lexicon) post(id, ord, count, length uint32) {
	pl := &l.postings[id]
	l.bounds[id].widen(termBound{maxTF: count, minLen: length}, pl.empty())
	pl.add(ord, count)
}

// buildPostings builds the postings of every entry from its packed terms,
// after a bulk load by addEntry into a lexicon without postings. The cores
// share the ordinals, each reading its range's terms twice: once to size
// its part of every list, once to write it in place; the lists are exactly
// sized, in one array of bytes and one of blocks. A core's part starts a
// block, so a list's blocks may hold fewer than blockSize postings where
// the parts meet.
func (l *lexicon) buildPostings() {
	l.buildPostingsIn(min(parallelism(), max(1, len(l.chunks)/4096)))
}

// buildPostingsIn is buildPostings in this many parts.
func (l *lexicon) buildPostingsIn(workers int) {
	terms, n := len(l.postings), len(l.chunks)
	span := (n + workers - 1) / workers
	// What a part knows of a term, in one place so that a posting costs
	// one random access besides its bytes: in the first pass, the term's
	// bytes, postings, last ordinal and bound in the part; in the second,
	// where it writes next, its current block, the postings written and
	// the last ordinal, and where the term's list starts.
	type sizing struct {
		bytes, count, last uint32
		bound              termBound
	}
	type cursor struct {
		pos, blk, written, last, base uint32
	}
	sizes := make([][]sizing, workers)
	each := func(w int, fn func(ord uint32, e *chunkEntry)) {
		for ord := w * span; ord < min(n, (w+1)*span); ord++ {
			if e := l.chunks[ord]; e != nil {
				fn(uint32(ord), e)
			}
		}
	}
	parallel(workers, func(w int) {
		p := make([]sizing, terms)
		each(w, func(ord uint32, e *chunkEntry) {
			length := uint32(e.length)
			for tf := range e.terms.all() {
				z := &p[tf.id]
				d := ord
				if z.count%blockSize != 0 {
					d -= z.last
				}
				z.bound.widen(termBound{maxTF: tf.count, minLen: length}, z.count == 0)
				z.bytes += uint32(uvarintLen(d) + uvarintLen(tf.count))
				z.count++
				z.last = ord
			}
		})
		sizes[w] = p
	})
	// Lay the lists out term by term, each term's parts in ordinal order.
	cursors := make([][]cursor, workers)
	for w := range cursors {
		cursors[w] = make([]cursor, terms)
	}
	totalBytes, totalBlocks := 0, 0
	starts := make([][2]int, terms+1) // where each term starts: byte, block
	for t := range terms {
		starts[t] = [2]int{totalBytes, totalBlocks}
		for w := range sizes {
			z := &sizes[w][t]
			if z.count > 0 {
				l.bounds[t].widen(z.bound, totalBlocks == starts[t][1])
			}
			cursors[w][t] = cursor{pos: uint32(totalBytes), blk: uint32(totalBlocks), base: uint32(starts[t][0])}
			totalBytes += int(z.bytes)
			totalBlocks += int((z.count + blockSize - 1) / blockSize)
		}
	}
	starts[terms] = [2]int{totalBytes, totalBlocks}
	sizes = nil
	data := make([]byte, totalBytes)
	blocks := make([]postingBlock, totalBlocks)
	parallel(workers, func(w int) {
		cur := cursors[w]
		each(w, func(ord uint32, e *chunkEntry) {
			for tf := range e.terms.all() {
				c := &cur[tf.id]
				d := ord
				if c.written%blockSize == 0 {
					if c.written > 0 {
						blocks[c.blk].last, blocks[c.blk].n = c.last, blockSize
						c.blk++
					}
					blocks[c.blk].off = c.pos - c.base
				} else {
					d -= c.last
				}
				c.pos += uint32(binary.PutUvarint(data[c.pos:], uint64(d)))
				c.pos += uint32(binary.PutUvarint(data[c.pos:], uint64(tf.count)))
				c.last = ord
				c.written++
			}
		})
		// Close each term's last block of the part.
		for t := range cur {
			if c := &cur[t]; c.written > 0 {
				n := c.written % blockSize
				if n == 0 {
					n = blockSize
				}
				blocks[c.blk].last, blocks[c.blk].n = c.last, n
			}
		}
	})
	for t := range terms {
		b0, b1 := starts[t][0], starts[t+1][0]
		k0, k1 := starts[t][1], starts[t+1][1]
		if k1 > k0 {
			l.postings[t] = postingList{data: data[b0:b1:b1], blocks: blocks[k0:k1:k1]}
		}
	}
}

// holdingAll returns the chunks that hold every one of the term IDs, as a
// bitset by ordinal covering every ordinal: the postings of the rarest
// term, each looked up in the others' lists, which are read forward once.
func (l *lexicon) holdingAll(ids []uint32) []uint64 {
	holds := make([]uint64, (len(l.chunks)+63)/64)
	for _, id := range ids {
		if int(id) >= len(l.postings) || int(id) >= len(l.df) || l.postings[id].empty() {
			return holds // a term no chunk holds
		}
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	slices.SortFunc(ids, func(a, b uint32) int { return cmp.Compare(l.df[a], l.df[b]) })
	rest := make([]postingCursor, len(ids)-1)
	for i, id := range ids[1:] {
		rest[i] = newCursor(&l.postings[id])
	}
	for c := newCursor(&l.postings[ids[0]]); c.ord != math.MaxUint32; c.next() {
		all := true
		for i := range rest {
			if rest[i].seek(c.ord) != c.ord {
				all = false
				break
			}
		}
		if all {
			holds[c.ord/64] |= 1 << (c.ord % 64)
		}
	}
	return holds
}

// uvarintLen is the length of x as a varint.
func uvarintLen(x uint32) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// comparePosting orders a posting against an ordinal.
func comparePosting(p posting, ord uint32) int {
	return cmp.Compare(p.ord, ord)
}

// remove drops a chunk's postings and frees its ordinal. It appends to
// emptied the term IDs left without postings, and returns it.
func (l *lexicon) remove(e *chunkEntry, emptied []uint32) []uint32 {
	for tf := range e.terms.all() {
		l.postings[tf.id].remove(e.ord)
	}
	l.chunks[e.ord] = nil
	l.free = append(l.free, e.ord)
	return l.termStats.remove(e, emptied)
}

// scoreBufs and touchedBufs keep a query's per-chunk score buffer and list
// of touched ordinals for the next query.
var (
	scoreBufs   = sync.Pool{New: func() any { return new([]float32) }}
	touchedBufs = sync.Pool{New: func() any { return new([]uint32) }}
)

// maxScoreTerms is the most query terms ranked with MaxScore; longer
// queries are ranked term at a time, which then costs less than the
// document-at-a-time merge of so many lists.
const maxScoreTerms = 32

// score ranks live chunks by BM25 against the query terms, given as
// distinct term IDs. Only chunks for which keep returns true are considered
// (keep may be nil). It returns at most n entries, best first.
func (l *lexicon) score(ctx context.Context, terms []uint32, p BM25, n int, keep func(*chunkEntry) bool) ([]scored, error) {
	if l.n == 0 || n <= 0 {
		return nil, nil
	}
	p = p.withDefaults()
	if len(terms) <= maxScoreTerms {
		return l.maxScore(ctx, terms, p, n, keep)
	}
	return l.scoreAll(ctx, terms, p, n, keep)
}

// scoreAll is score term at a time: every posting of every term adds to
// its chunk's score.
func (l *lexicon) scoreAll(ctx context.Context, terms []uint32, p BM25, n int, keep func(*chunkEntry) bool) ([]scored, error) {
	avg := l.avgLen()
	bufp := scoreBufs.Get().(*[]float32)
	defer scoreBufs.Put(bufp)
	acc := *bufp
	if cap(acc) < len(l.chunks) {
		acc = make([]float32, len(l.chunks))
	}
	acc = acc[:len(l.chunks)]
	clear(acc)
	*bufp = acc

	touchedp := touchedBufs.Get().(*[]uint32)
	defer touchedBufs.Put(touchedp)
	touched := (*touchedp)[:0]
	defer func() { *touchedp = touched[:0] }()
	for _, t := range terms {
		pl := l.postingsOf(t)
		if pl == nil {
			continue
		}
		idf := l.idf(t)
		for c, i := newCursor(pl), 0; c.ord != math.MaxUint32; c.next() {
			if i++; i%ctxEvery == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			if acc[c.ord] == 0 {
				touched = append(touched, c.ord)
			}
			acc[c.ord] += float32(p.term(idf, float64(c.tf), int(l.lengths[c.ord]), avg))
		}
	}
	top := newTopK(n)
	for _, ord := range touched {
		// The filter follows pointers: ask it only about chunks good
		// enough to be kept.
		if !top.admits(float64(acc[ord])) {
			continue
		}
		e := l.chunks[ord]
		if keep != nil && !keep(e) {
			continue
		}
		top.push(scored{entry: e, score: float64(acc[ord])})
	}
	return top.sorted(), nil
}

// cursor walks one query term's postings for maxScore.
type cursor struct {
	postingCursor
	idf, ub float64 // ub bounds the term's score in any chunk
}

// maxScore is score document at a time with MaxScore pruning (Turtle and
// Fries, 1995): the terms are ordered by the most they can add to a chunk,
// and once the n-th best score so far exceeds the sum of the smallest such
// bounds, chunks holding only those terms cannot rank and are never
// visited: their postings are skipped by seeking, not read. The ranking is
// the one scoreAll gives.
func (l *lexicon) maxScore(ctx context.Context, terms []uint32, p BM25, n int, keep func(*chunkEntry) bool) ([]scored, error) {
	avg := l.avgLen()
	cs := make([]cursor, 0, len(terms))
	for _, t := range terms {
		pl := l.postingsOf(t)
		if pl == nil {
			continue
		}
		idf := l.idf(t)
		b := l.bounds[t]
		// A hair above the bound, so that rounding never prunes a chunk
		// that ties it.
		ub := p.term(idf, float64(b.maxTF), int(b.minLen), avg) * (1 + 1e-9)
		cs = append(cs, cursor{postingCursor: newCursor(pl), idf: idf, ub: ub})
	}
	slices.SortFunc(cs, func(a, b cursor) int { return cmp.Compare(a.ub, b.ub) })
	// below[i] is the most the terms before i can add together.
	below := make([]float64, len(cs)+1)
	for i, c := range cs {
		below[i+1] = below[i] + c.ub
	}
	top := newTopK(n)
	// cs[essential:] are the terms a chunk must hold to rank.
	essential := 0
	for steps := 0; essential < len(cs); steps++ {
		if steps%ctxEvery == ctxEvery-1 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		ord := uint32(math.MaxUint32)
		for i := essential; i < len(cs); i++ {
			ord = min(ord, cs[i].ord)
		}
		if ord == math.MaxUint32 {
			break
		}
		length := int(l.lengths[ord])
		score := 0.0
		for i := essential; i < len(cs); i++ {
			c := &cs[i]
			if c.ord == ord {
				score += p.term(c.idf, float64(c.tf), length, avg)
				c.next()
			}
		}
		for i := essential - 1; i >= 0; i-- {
			if !top.admits(score + below[i+1]) {
				break
			}
			c := &cs[i]
			if c.seek(ord) == ord {
				score += p.term(c.idf, float64(c.tf), length, avg)
				c.next()
			}
		}
		if !top.admits(score) {
			continue
		}
		e := l.chunks[ord]
		if keep != nil && !keep(e) {
			continue
		}
		top.push(scored{entry: e, score: score})
		if len(top.h) == n {
			for essential < len(cs) && below[essential+1] < top.h[0].score {
				essential++
			}
		}
	}
	return top.sorted(), nil
}

// postingsOf returns the postings of a term ID, none for an ID the
// lexicon has not seen.
func (l *lexicon) postingsOf(id uint32) *postingList {
	if int(id) < len(l.postings) && !l.postings[id].empty() {
		return &l.postings[id]
	}
	return nil
}

// idf returns the inverse document frequency of a term over the entries.
func (t *termStats) idf(id uint32) float64 {
	df := 0
	if int(id) < len(t.df) {
		df = int(t.df[id])
	}
	return t.idfOf(df)
}

// idfOf is the BM25 inverse document frequency of a term in df entries;
// idfOf(0) is that of a term no entry contains.
func (t *termStats) idfOf(df int) float64 {
	return math.Log(1 + (float64(t.n)-float64(df)+0.5)/(float64(df)+0.5))
}

// avgLen is the mean entry length, 1 for a collection of empty entries.
func (t *termStats) avgLen() float64 {
	if avg := float64(t.totalLen) / float64(t.n); avg > 0 {
		return avg
	}
	return 1
}

// scoreEntry returns one entry's BM25 score against the query terms, given
// as distinct term IDs; for a chunk, the same as lexicon.score gives it,
// without ranking the whole index.
func (t *termStats) scoreEntry(e *chunkEntry, terms []uint32, p BM25) float64 {
	if t.n == 0 {
		return 0
	}
	p = p.withDefaults()
	avg := t.avgLen()
	// One pass over the entry's terms, sorted by ID, against the query's
	// in ID order; the contributions then add up in the query's order.
	var orderBuf [16]int
	var countBuf [16]uint32
	order, counts := orderBuf[:0], countBuf[:0]
	if len(terms) > len(orderBuf) {
		order, counts = make([]int, 0, len(terms)), make([]uint32, 0, len(terms))
	}
	for i := range terms {
		order = append(order, i)
	}
	counts = counts[:len(terms)]
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(terms[a], terms[b]) })
	// The packed terms are read in place, most of their varints one
	// byte long (see packedTerms.all), up to the query's last term.
	k, id, p0 := 0, uint64(0), []byte(e.terms)
	for len(p0) > 0 && k < len(order) {
		d, n := uint64(p0[0]), 1
		if d >= 0x80 {
			d, n = binary.Uvarint(p0)
		}
		if n <= 0 || n >= len(p0) {
			break
		}
		c, m := uint64(p0[n]), 1
		if c >= 0x80 {
			c, m = binary.Uvarint(p0[n:])
			if m <= 0 {
				break
			}
		}
		p0 = p0[n+m:]
		id += d
		for k < len(order) && uint64(terms[order[k]]) < id {
			k++
		}
		for j := k; j < len(order) && uint64(terms[order[j]]) == id; j++ {
			counts[order[j]] = uint32(c)
		}
	}
	total := 0.0
	for i, id := range terms {
		if counts[i] > 0 {
			total += p.term(t.idf(id), float64(counts[i]), e.length, avg)
		}
	}
	return total
}

// count returns how often the term ID occurs in the entry.
func (e *chunkEntry) count(id uint32) (uint32, bool) {
	for tf := range e.terms.all() {
		if tf.id >= id {
			return tf.count, tf.id == id
		}
	}
	return 0, false
}

// reserve sizes the lexicon for n term IDs before a bulk load.
func (l *lexicon) reserve(n int) {
	l.termStats.reserve(n)
	if n > len(l.postings) {
		l.postings = slices.Grow(l.postings, n-len(l.postings))[:n]
		l.bounds = slices.Grow(l.bounds, n-len(l.bounds))[:n]
	}
}
