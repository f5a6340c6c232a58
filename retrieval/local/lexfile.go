package local

import (
	"bytes"
	"fmt"
	"slices"
)

// After its documents, a snapshot holds the lexicon as it stood when the
// snapshot was written, in frames of kind kindLexicon:
//
//   - one head: the number of ordinals and the term statistics of chunks
//     and of whole documents, then, for every document in the snapshot's
//     order, its document length and each chunk's ordinal and length;
//   - postings frames, each a run of term IDs: per term its bound and
//     block table, then the terms' posting bytes exactly as the index holds
//     them (see postingList).
//
// Opening adopts them instead of building every posting list again from
// every chunk's terms, which is most of the work of opening a large store.
// The snapshot's documents keep the ordinals they had; those the log
// replaced or removed since, or whose vectors are damaged, are taken out
// of the adopted lists, and those the log added are indexed one by one.
// The frames only save work: a snapshot without them, or with one that
// does not read back, opens by building the lexicon from the documents.

const (
	lexiconHead     = "head"
	lexiconPostings = "postings"
	// lexiconFrameBytes is about the most posting bytes a frame holds, so
	// that the frames decode on every core.
	lexiconFrameBytes = 8 << 20
)

// lexDump is a snapshot's lexicon, decoded.
type lexDump struct {
	ords              int // ordinals, free ones included
	chunkN, docN      int
	chunkLen, docLen  int64
	docDF             []uint32 // by term ID
	docs              []dumpedDoc
	chunkOrds, chunkL []uint32 // by chunk, in the snapshot's order
	terms             int
	postings          []postingList
	bounds            []termBound
}

// dumpedDoc is what the head says of one of the snapshot's documents: its
// length, and where its chunks start in chunkOrds and chunkL.
type dumpedDoc struct {
	length, first, chunks uint32
}

// writeLexicon writes the frames of the lexicon with write, given the
// snapshot's documents in order.
func (s *Store) writeLexicon(recs []*record, write func([]byte) error) error {
	l := s.lex
	var e encoder
	e.int(len(l.chunks))
	e.int(l.n)
	e.uint(uint64(l.totalLen))
	e.int(s.docStats.n)
	e.uint(uint64(s.docStats.totalLen))
	e.int(len(s.docStats.df))
	for _, df := range s.docStats.df {
		e.uint(uint64(df))
	}
	e.int(len(recs))
	for _, rec := range recs {
		e.int(len(rec.entries))
		docLen := 0
		if rec.docEntry != nil {
			docLen = rec.docEntry.length
		}
		e.int(docLen)
		for _, ce := range rec.entries {
			e.uint(uint64(ce.ord))
			e.int(ce.length)
		}
	}
	e.int(len(l.postings))
	buf := appendFrame(nil, kindLexicon, lexiconHead, e.b)
	if err := write(buf); err != nil {
		return err
	}
	for first := 0; first < len(l.postings); {
		last, size := first, 0
		for last < len(l.postings) && (last == first || size < lexiconFrameBytes) {
			size += len(l.postings[last].data)
			last++
		}
		e.b = e.b[:0]
		e.int(first)
		e.int(last - first)
		for t := first; t < last; t++ {
			pl := &l.postings[t]
			e.uint(uint64(l.bounds[t].maxTF))
			e.uint(uint64(l.bounds[t].minLen))
			e.int(len(pl.blocks))
			e.int(len(pl.data))
			for _, b := range pl.blocks {
				e.uint(uint64(b.last))
				e.uint(uint64(b.off))
				e.uint(uint64(b.n))
			}
		}
		for t := first; t < last; t++ {
			e.b = append(e.b, l.postings[t].data...)
		}
		buf = appendFrame(buf[:0], kindLexicon, lexiconPostings, e.b)
		if err := write(buf); err != nil {
			return err
		}
		first = last
	}
	return nil
}

// decodeLexicon decodes a snapshot's lexicon frames, checking that they
// fit together: every chunk an ordinal of its own, every term's blocks in
// order and within its bytes, every term in one frame.
func decodeLexicon(frames []frame) (*lexDump, error) {
	if len(frames) == 0 || frames[0].id != lexiconHead {
		return nil, fmt.Errorf("%w: no head", errCorrupt)
	}
	x := &lexDump{}
	d := &decoder{b: frames[0].body}
	limit := len(d.b)
	x.ords = d.int(1 << 32)
	x.chunkN = d.int(x.ords)
	x.chunkLen = int64(d.uint())
	x.docN = d.int(limit)
	x.docLen = int64(d.uint())
	x.docDF = make([]uint32, d.int(limit))
	for i := range x.docDF {
		x.docDF[i] = uint32(d.int(x.docN))
	}
	x.docs = make([]dumpedDoc, d.int(limit))
	x.chunkOrds = make([]uint32, 0, x.chunkN)
	x.chunkL = make([]uint32, 0, x.chunkN)
	taken := make([]uint64, (x.ords+63)/64)
	total := int64(0)
	for i := range x.docs {
		n := d.int(limit)
		x.docs[i] = dumpedDoc{length: uint32(d.int(1 << 32)), first: uint32(len(x.chunkOrds)), chunks: uint32(n)}
		for range n {
			ord, length := d.int(x.ords-1), d.int(1<<32)
			if d.err != nil || x.ords == 0 || taken[ord/64]&(1<<(ord%64)) != 0 {
				return nil, fmt.Errorf("%w: chunk ordinals", errCorrupt)
			}
			taken[ord/64] |= 1 << (ord % 64)
			x.chunkOrds = append(x.chunkOrds, uint32(ord))
			x.chunkL = append(x.chunkL, uint32(length))
			total += int64(length)
		}
	}
	x.terms = d.int(1 << 32)
	if d.err != nil || len(d.b) != 0 || len(x.chunkOrds) != x.chunkN || total != x.chunkLen {
		return nil, fmt.Errorf("%w: head", errCorrupt)
	}
	// The postings frames must tile [0, terms) in order before they
	// decode, each on a core.
	next := 0
	for _, f := range frames[1:] {
		pd := &decoder{b: f.body}
		first, n := pd.int(x.terms), pd.int(x.terms)
		if pd.err != nil || f.id != lexiconPostings || first != next {
			return nil, fmt.Errorf("%w: postings do not cover every term once", errCorrupt)
		}
		next = first + n
	}
	if next != x.terms {
		return nil, fmt.Errorf("%w: postings do not cover every term once", errCorrupt)
	}
	x.postings = make([]postingList, x.terms)
	x.bounds = make([]termBound, x.terms)
	errs := make([]error, len(frames)-1)
	parallel(len(frames)-1, func(i int) {
		errs[i] = x.decodePostings(frames[i+1])
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return x, nil
}

// decodePostings decodes one postings frame into x.
func (x *lexDump) decodePostings(f frame) error {
	d := &decoder{b: f.body}
	limit := len(d.b)
	first := d.int(x.terms)
	n := d.int(x.terms - first)
	type meta struct {
		bound           termBound
		blocks, dataLen int
	}
	metas := make([]meta, n)
	var blocks []postingBlock
	for t := range metas {
		m := &metas[t]
		m.bound = termBound{maxTF: uint32(d.int(1 << 32)), minLen: uint32(d.int(1 << 32))}
		m.blocks, m.dataLen = d.int(limit), d.int(limit)
		prevLast, prevOff := int64(-1), int64(-1)
		if m.blocks > 0 && x.ords == 0 {
			d.fail()
		}
		for range m.blocks {
			b := postingBlock{last: uint32(d.int(x.ords - 1)), off: uint32(d.int(m.dataLen - 1)), n: uint32(d.int(blockSize))}
			if int64(b.last) <= prevLast || int64(b.off) <= prevOff || b.n == 0 || (prevOff < 0 && b.off != 0) {
				d.fail()
			}
			prevLast, prevOff = int64(b.last), int64(b.off)
			blocks = append(blocks, b)
		}
		if d.err != nil || (m.blocks == 0) != (m.dataLen == 0) {
			return fmt.Errorf("%w: postings of term %d", errCorrupt, first+t)
		}
	}
	data := bytes.Clone(d.b)
	used := 0
	for _, m := range metas {
		used += m.dataLen
	}
	if used != len(data) {
		return fmt.Errorf("%w: postings bytes", errCorrupt)
	}
	off, blk := 0, 0
	for t, m := range metas {
		if m.blocks > 0 {
			x.postings[first+t] = postingList{data: data[off : off+m.dataLen : off+m.dataLen], blocks: blocks[blk : blk+m.blocks : blk+m.blocks]}
			x.bounds[first+t] = m.bound
		}
		off += m.dataLen
		blk += m.blocks
	}
	return nil
}

// adoptLexicon indexes the loaded documents into the lexicon the snapshot
// stored (snap are its documents in order), and reports whether it did;
// when the lexicon does not fit the documents it changes nothing. The
// documents the log added are indexed with their postings; their vectors,
// and those of the snapshot's documents, are left to the caller.
func (s *Store) adoptLexicon(x *lexDump, snap []*loaded, docs map[string]*loaded, ids []string) bool {
	if len(snap) != len(x.docs) {
		return false
	}
	for i, l := range snap {
		if l.rec == nil || int(x.docs[i].chunks) != len(l.rec.chunks) {
			return false
		}
	}
	l := s.lex
	terms := max(x.terms, len(l.df))
	l.postings = slices.Grow(x.postings, terms-x.terms)[:terms]
	l.bounds = slices.Grow(x.bounds, terms-x.terms)[:terms]
	l.df = make([]uint32, terms)
	for t := range x.postings {
		for _, b := range l.postings[t].blocks {
			l.df[t] += b.n
		}
	}
	l.n, l.totalLen = x.chunkN, x.chunkLen
	l.chunks = make([]*chunkEntry, x.ords)
	l.lengths = make([]uint32, x.ords)
	docTerms := max(len(x.docDF), len(s.docStats.df))
	s.docStats.df = slices.Grow(x.docDF, docTerms-len(x.docDF))[:docTerms]
	s.docStats.n, s.docStats.totalLen = x.docN, x.docLen

	fromSnapshot := make(map[*loaded]bool, len(snap))
	for i, ld := range snap {
		dd := x.docs[i]
		rec := ld.rec
		live := docs[rec.doc.ID] == ld && ld.damage == nil
		entries := make([]*chunkEntry, len(rec.chunks))
		for k, c := range rec.chunks {
			j := dd.first + uint32(k)
			e := &chunkEntry{ord: x.chunkOrds[j], chunk: c, doc: rec, length: int(x.chunkL[j]), terms: rec.terms[k]}
			l.chunks[e.ord], l.lengths[e.ord] = e, x.chunkL[j]
			entries[k] = e
		}
		if live {
			fromSnapshot[ld] = true
			rec.entries = entries
			for _, e := range entries {
				s.byChunk[e.chunk.ID] = e
			}
			s.finishIndex(rec, int(dd.length))
			continue
		}
		// Replaced or removed by the log, or damaged: out of the lists.
		for _, e := range entries {
			s.emptied = l.remove(e, s.emptied)
		}
		if len(rec.chunks) > 0 {
			s.emptied = s.docStats.remove(&chunkEntry{terms: rec.docTerms, length: int(dd.length)}, s.emptied)
		}
	}
	l.free = l.free[:0]
	for ord := len(l.chunks) - 1; ord >= 0; ord-- {
		if l.chunks[ord] == nil {
			l.free = append(l.free, uint32(ord))
		}
	}
	for _, id := range ids {
		ld := docs[id]
		switch {
		case ld.damage != nil:
			s.quarantine(*ld.damage, ld.rec)
		case !fromSnapshot[ld]:
			rec := ld.rec
			rec.entries = make([]*chunkEntry, len(rec.chunks))
			for i, c := range rec.chunks {
				e := l.add(c, rec, rec.terms[i])
				rec.entries[i] = e
				s.byChunk[c.ID] = e
			}
			docLen := 0
			if len(rec.chunks) > 0 {
				docLen = s.docStats.add(rec.docTerms)
			}
			s.finishIndex(rec, docLen)
		}
	}
	return true
}
