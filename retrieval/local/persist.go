package local

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/internal/vecmath"
)

// The data directory holds, besides ragd.json and LOCK, one generation of
// three files:
//
//   - snapshot-N.ragd: every document as of the generation's start, with
//     its chunks and terms (numbered by the vocabulary entry it starts
//     with), one checksummed frame each (see frame.go), then the lexicon
//     of their postings (see lexfile.go);
//   - vectors-N.chromem: the chunks' vectors, in parts of chromem-go's
//     export format, which chromem-go writes and reads back (see
//     vectorfile.go);
//   - log-N.ragd: every change since, appended and synced before it is
//     acknowledged: a document added or replaced (whole, vectors
//     included) or removed.
//
// ragd.json names the generation. Compaction writes generation N+1 beside N,
// syncs it, then switches ragd.json to it (an atomic rename: the commit
// point) and removes generation N; a crash on the way leaves N whole and
// the next opening removes what N+1 left.

const (
	snapshotPrefix = "snapshot-"
	vectorsPrefix  = "vectors-"
	logPrefix      = "log-"
	snapshotExt    = ".ragd"
	vectorsExt     = ".chromem"
)

// Compaction starts when the log outgrows both compactMinLog and
// compactRatio times the snapshot, so that opening replays little and the
// bytes compactions rewrite stay proportional to what is stored.
const (
	compactMinLog = 64 << 20
	compactRatio  = 0.5
)

func (s *Store) genPath(prefix, ext string, gen uint64) string {
	return filepath.Join(s.dir, prefix+strconv.FormatUint(gen, 10)+ext)
}

// Damage is an entry of the data directory that does not hold what its
// checksum says: its document is quarantined (neither searched nor
// served) until Repair re-embeds or drops it, or it is ingested or deleted
// again.
type Damage struct {
	// DocID is the document, "" when the damage reaches its name.
	DocID string `json:"doc_id"`
	// File and Offset locate the damaged entry.
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	// Reason says what is wrong; Repair what Repair does about it.
	Reason string `json:"reason"`
	Repair string `json:"repair"`
}

// Repairs.
const (
	RepairReembed = "re-embed" // the text is whole: its vectors are computed again
	RepairDrop    = "drop"     // the document is lost: ingest it again
)

// loaded is a document read back, before it is indexed.
type loaded struct {
	rec     *record
	vectors [][]float32 // from the log
	crcs    []uint32    // from the snapshot, checked against the vector file
	damage  *Damage
}

// load reads the data directory's generation into memory.
func (s *Store) load(ctx context.Context) error {
	gen := s.meta.Generation
	stored := s.meta.Analysis
	if err := s.removeOtherGenerations(gen); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	// chromem-go decodes the vector file while the snapshot is read.
	type vecResult struct {
		parts *vectorParts
		err   error
	}
	vch := make(chan vecResult, 1)
	go func() {
		v, err := readVectorFile(s.genPath(vectorsPrefix, vectorsExt, gen))
		vch <- vecResult{v, err}
	}()
	docs := make(map[string]*loaded)
	snap, snapErr := s.readSnapshot(ctx, gen, docs)
	vr := <-vch
	if snapErr != nil {
		return snapErr
	}
	if err := s.replayLog(ctx, gen, docs); err != nil {
		return err
	}
	if vr.err == nil && vr.parts != nil {
		vr.err = vr.parts.err()
	}
	if vr.err != nil {
		s.cfg.Logger.Warn("the vector file does not read back whole; the documents of the snapshot whose vectors are lost are quarantined until ragd check --repair embeds them again", "file", filepath.Base(s.genPath(vectorsPrefix, vectorsExt, gen)), "err", vr.err)
	}
	ids := make([]string, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	slices.Sort(ids) // ordinals follow IDs, whatever the map's order
	// Terms of an older analysis are computed again, so that documents and
	// queries share one analysis; a compaction then stores them.
	stale := s.meta.Analysis != analysis.Version
	if stale && len(ids) > 0 {
		s.cfg.Logger.Info("analysing stored documents again for a newer text analysis (once)", "documents", len(ids), "from", s.meta.Analysis, "to", analysis.Version)
		parallel(len(ids), func(i int) {
			if l := docs[ids[i]]; l.rec != nil {
				s.analyse(l.rec)
			}
		})
	}
	s.reserve(docs)
	// Each chunk's vector is taken from chromem-go and checked against
	// its checksum, on every core.
	vectorFile := filepath.Base(s.genPath(vectorsPrefix, vectorsExt, gen))
	parallel(len(ids), func(k int) {
		id := ids[k]
		l := docs[id]
		if l.damage == nil && l.crcs != nil {
			l.vectors = make([][]float32, len(l.rec.chunks))
			for i, c := range l.rec.chunks {
				v := vr.parts.get(ctx, c.ID)
				if len(v) != s.meta.Dim || vectorCRC(v) != l.crcs[i] {
					l.damage = &Damage{DocID: id, File: vectorFile, Reason: fmt.Sprintf("the vector of chunk %s is missing or does not match its checksum", c.ID), Repair: RepairReembed}
					break
				}
				l.vectors[i] = v
			}
		}
	})
	// The snapshot's lexicon is adopted when it fits; otherwise the term
	// statistics of every chunk and document are counted on every core,
	// the entries numbered in ID order, and the postings built at the end.
	adopted := snap.lexicon != nil && !stale && s.adoptLexicon(snap.lexicon, snap.docs, docs, ids)
	snap = snapshotRead{}
	if !adopted {
		s.countAndNumber(ids, docs)
	}
	if s.vecs.axesDue(s.lex.n, s.meta.Dim) {
		s.vecs.fitAxes(s.sampleLoaded(ids, docs), s.meta.Dim)
	}
	s.vecs.size(len(s.lex.chunks), s.meta.Dim)
	parallel(len(ids), func(k int) {
		l := docs[ids[k]]
		if l.damage != nil {
			return
		}
		for i, e := range l.rec.entries {
			if l.crcs != nil {
				s.vecs.setUnit(e.ord, l.vectors[i])
			} else {
				s.vecs.set(e.ord, l.vectors[i])
			}
		}
		l.vectors = nil
	})
	if !adopted {
		s.lex.buildPostings()
	}
	// Terms only superseded or damaged entries held have no postings.
	s.forgetUnused()
	s.emptied = s.emptied[:0]
	if stale && len(ids) > 0 {
		s.meta.Analysis = analysis.Version
		s.wmu.Lock()
		err := s.compactLocked(ctx)
		s.wmu.Unlock()
		if err != nil {
			s.meta.Analysis = stored
			s.cfg.Logger.Warn("could not store the newer analysis; it is redone at each opening until it can be", "err", err)
		}
	} else if stale {
		s.meta.Analysis = analysis.Version
	}
	for _, d := range s.damage {
		s.cfg.Logger.Warn("quarantined a damaged document; ragd check lists the damage and ragd check --repair repairs it", "doc_id", d.DocID, "file", d.File, "offset", d.Offset, "reason", d.Reason, "repair", d.Repair)
	}
	return nil
}

// countAndNumber counts the term statistics of the loaded documents' chunks
// and whole documents on every core, then numbers their entries in ID
// order, leaving the postings to buildPostings; it quarantines the damaged.
func (s *Store) countAndNumber(ids []string, docs map[string]*loaded) {
	var chunkTerms, docTerms []packedTerms
	for _, id := range ids {
		if l := docs[id]; l.damage == nil {
			chunkTerms = append(chunkTerms, l.rec.terms...)
			if len(l.rec.chunks) > 0 {
				docTerms = append(docTerms, l.rec.docTerms)
			}
		}
	}
	chunkLens, docLens := s.lex.addBulk(chunkTerms), s.docStats.addBulk(docTerms)
	chunkTerms, docTerms = nil, nil
	for _, id := range ids {
		l := docs[id]
		if l.damage != nil {
			s.quarantine(*l.damage, l.rec)
			continue
		}
		n, docLen := len(l.rec.chunks), 0
		if n > 0 {
			docLen, docLens = docLens[0], docLens[1:]
		}
		s.indexCounted(l.rec, chunkLens[:n:n], docLen)
		chunkLens = chunkLens[n:]
	}
}

// sampleLoaded returns up to axesSample of the loaded chunks' vectors,
// evenly spaced, at unit length and padded like the slab's rows.
func (s *Store) sampleLoaded(ids []string, docs map[string]*loaded) []float32 {
	stride := strideFor(s.meta.Dim)
	step := max(1, s.lex.n/axesSample)
	out := make([]float32, 0, min(s.lex.n, axesSample)*stride)
	i := 0
	for _, id := range ids {
		l := docs[id]
		if l.damage != nil {
			continue
		}
		for _, v := range l.vectors {
			if i%step == 0 && len(out) < axesSample*stride {
				out = append(out, vecmath.Unit(v)...)
				out = append(out, make([]float32, stride-len(v))...)
			}
			i++
		}
	}
	return out
}

// reserve sizes the lexicon and the vector slab for the documents about
// to be indexed, so that a large store holds no append slack.
func (s *Store) reserve(docs map[string]*loaded) {
	chunks := 0
	for _, l := range docs {
		if l.rec != nil {
			chunks += len(l.rec.chunks)
		}
	}
	if len(s.docs) == 0 {
		s.docs = make(map[string]*record, len(docs))
		s.byChunk = make(map[string]*chunkEntry, chunks)
	}
	s.lex.reserve(s.vocab.len())
	s.docStats.reserve(s.vocab.len())
	s.vecs.reserve(chunks, s.meta.Dim)
}

// quarantine records damage; rec is the document's record when its text is
// whole.
func (s *Store) quarantine(d Damage, rec *record) {
	s.damage = append(s.damage, d)
	if d.DocID != "" && rec != nil && d.Repair == RepairReembed {
		s.broken[d.DocID] = rec
	}
}

// snapshotRead is what readSnapshot found besides the documents: the
// documents in the snapshot's order and its lexicon, nil when the
// snapshot has none that fits them (see lexfile.go).
type snapshotRead struct {
	docs    []*loaded
	lexicon *lexDump
}

// readSnapshot decodes the generation's snapshot into docs.
func (s *Store) readSnapshot(ctx context.Context, gen uint64, docs map[string]*loaded) (snapshotRead, error) {
	path := s.genPath(snapshotPrefix, snapshotExt, gen)
	data, release, err := mapFile(path)
	var sr snapshotRead
	if errors.Is(err, fs.ErrNotExist) {
		return sr, nil // no compaction yet
	}
	if err != nil {
		return sr, fmt.Errorf("open store: %w", err)
	}
	defer release()
	s.snapSize = int64(len(data))
	var frames, lexFrames []frame
	res, _ := scanFrames(data, 0, false, func(f frame) error {
		if f.kind == kindLexicon {
			lexFrames = append(lexFrames, f)
		} else {
			frames = append(frames, f)
		}
		return nil
	})
	name := filepath.Base(path)
	if len(frames) == 0 || frames[0].kind != kindVocab || frames[0].off != 0 {
		return sr, fmt.Errorf("open store: %s does not start with its vocabulary: the snapshot is damaged; restore the data directory from a backup or ingest again into a new one", name)
	}
	terms, err := decodeVocab(frames[0].body)
	if err != nil {
		return sr, fmt.Errorf("open store: %s: vocabulary: %w", name, err)
	}
	if err := s.vocab.restore(terms); err != nil {
		return sr, fmt.Errorf("open store: %s: vocabulary: %w", name, err)
	}
	frames = frames[1:]
	tc := idTerms{max: uint32(len(terms))}
	out := make([]*loaded, len(frames))
	parallel(len(frames), func(i int) {
		f := frames[i]
		// One copy of the entry holds the document's text, IDs and
		// terms, read in place.
		rec, _, crcs, err := decodeRecord(bytes.Clone(f.body), tc, false, true)
		if err != nil || f.kind != kindDocument || rec.doc.ID != f.id {
			out[i] = &loaded{damage: &Damage{DocID: f.id, File: name, Offset: f.off, Reason: fmt.Sprintf("the entry does not decode (%v)", err), Repair: RepairDrop}}
			return
		}
		out[i] = &loaded{rec: rec, crcs: crcs}
	})
	if err := ctx.Err(); err != nil {
		return sr, fmt.Errorf("open store: %w", err)
	}
	for i, l := range out {
		docs[frames[i].id] = l
	}
	whole := len(res.damaged) == 0
	for _, l := range out {
		whole = whole && l.rec != nil
	}
	if len(lexFrames) > 0 {
		// The lexicon is of use only beside every document it counts.
		if x, err := decodeLexicon(lexFrames); err != nil {
			s.cfg.Logger.Warn("the snapshot's lexicon does not read back; it is built from the documents instead", "file", name, "err", err)
		} else if whole {
			sr.lexicon = x
		}
	}
	sr.docs = out
	for _, r := range res.damaged {
		if r.kind == kindLexicon && r.id != "" {
			s.cfg.Logger.Warn("the snapshot's lexicon does not match its checksum; it is built from the documents instead", "file", name, "offset", r.off)
			sr.lexicon = nil
			continue
		}
		d := &Damage{DocID: r.id, File: name, Offset: r.off, Reason: "the entry does not match its checksum", Repair: RepairDrop}
		if r.id == "" {
			d.Reason = fmt.Sprintf("%d bytes do not match their checksums; the documents they held are unknown", r.end-r.off)
			s.damage = append(s.damage, *d)
			continue
		}
		docs[r.id] = &loaded{damage: d}
	}
	return sr, nil
}

// replayLog applies the generation's log to docs, opens it for appending
// and cuts off a write a crash left incomplete.
func (s *Store) replayLog(ctx context.Context, gen uint64, docs map[string]*loaded) error {
	path := s.genPath(logPrefix, snapshotExt, gen)
	name := filepath.Base(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil && (errors.Is(err, fs.ErrPermission) || isReadOnlyFS(err)) {
		// A read-only data directory: searched, never written.
		f, err = os.Open(path)
		s.readOnly = true
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	data, release, err := mapFile(path)
	if err != nil {
		f.Close()
		return fmt.Errorf("open store: %w", err)
	}
	defer release()
	var frames []frame
	res, _ := scanFrames(data, 0, true, func(fr frame) error {
		frames = append(frames, fr)
		return nil
	})
	out := make([]*loaded, len(frames))
	tc := stringTerms{v: s.vocab}
	parallel(len(frames), func(i int) {
		fr := frames[i]
		if fr.kind != kindPut {
			return
		}
		rec, vectors, _, err := decodeRecord(fr.body, tc, true, false)
		if err != nil || rec.doc.ID != fr.id {
			out[i] = &loaded{damage: &Damage{DocID: fr.id, File: name, Offset: fr.off, Reason: fmt.Sprintf("the entry does not decode (%v)", err), Repair: RepairDrop}}
			return
		}
		out[i] = &loaded{rec: rec, vectors: vectors}
	})
	if err := ctx.Err(); err != nil {
		f.Close()
		return fmt.Errorf("open store: %w", err)
	}
	// Damage and frames in file order: a later entry supersedes.
	type event struct {
		off int64
		fn  func()
	}
	var events []event
	for i, fr := range frames {
		switch fr.kind {
		case kindPut:
			l := out[i]
			events = append(events, event{fr.off, func() { docs[fr.id] = l }})
		case kindDelete:
			events = append(events, event{fr.off, func() { delete(docs, fr.id) }})
		}
	}
	for _, r := range res.damaged {
		d := &Damage{DocID: r.id, File: name, Offset: r.off, Reason: "the entry does not match its checksum", Repair: RepairDrop}
		if r.id == "" {
			d.Reason = fmt.Sprintf("%d bytes do not match their checksums; the documents they held are unknown", r.end-r.off)
			events = append(events, event{r.off, func() { s.damage = append(s.damage, *d) }})
			continue
		}
		if r.kind == kindDelete {
			// A removal that does not read back: the document stays
			// removed only if the removal is trusted; it is not served.
			d.Reason = "a removal of the document does not match its checksum"
		}
		events = append(events, event{r.off, func() { docs[r.id] = &loaded{damage: d} }})
	}
	slices.SortFunc(events, func(a, b event) int { return cmp.Compare(a.off, b.off) })
	for _, e := range events {
		e.fn()
	}
	if res.good < len(data) {
		msg := "removed the end of the log, a write cut short by a crash before it was acknowledged"
		if s.readOnly {
			msg = "ignored the end of the log, a write cut short by a crash before it was acknowledged (the data directory is read-only)"
		} else if err := f.Truncate(int64(res.good)); err != nil {
			f.Close()
			return fmt.Errorf("open store: cut the end of %s: %w", name, err)
		} else if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("open store: %w", err)
		}
		s.cfg.Logger.Warn(msg, "file", name, "bytes", len(data)-res.good, "doc_id", res.tail)
	}
	if _, err := f.Seek(int64(res.good), io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("open store: %w", err)
	}
	s.log, s.logSize = f, int64(res.good)
	return nil
}

// decodeVocab reads the snapshot's vocabulary entry.
func decodeVocab(b []byte) ([]string, error) {
	d := &decoder{b: b}
	n := d.int(len(b))
	terms := make([]string, n)
	for i := range terms {
		terms[i] = d.str()
	}
	if d.err != nil {
		return nil, d.err
	}
	return terms, nil
}

// parallel calls fn for 0..n-1 on every core.
func parallel(n int, fn func(int)) {
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range min(parallelism(), max(n, 1)) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// removeOtherGenerations removes files of generations other than gen and
// temporary files: what an interrupted compaction left.
func (s *Store) removeOtherGenerations(gen uint64) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	keep := map[string]bool{
		filepath.Base(s.genPath(snapshotPrefix, snapshotExt, gen)): true,
		filepath.Base(s.genPath(vectorsPrefix, vectorsExt, gen)):   true,
		filepath.Base(s.genPath(logPrefix, snapshotExt, gen)):      true,
	}
	for _, e := range entries {
		name := e.Name()
		ours := strings.HasPrefix(name, snapshotPrefix) || strings.HasPrefix(name, vectorsPrefix) || strings.HasPrefix(name, logPrefix)
		if e.IsDir() || keep[name] || !(ours || strings.HasSuffix(name, ".tmp")) {
			continue
		}
		if s.readOnly {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) && !isReadOnlyFS(err) {
			return err
		}
	}
	return nil
}

// appendLog appends frames to the log and syncs it: the commit point of a
// write. On failure the log is cut back to where it was, so that nothing
// unacknowledged stays in it.
func (s *Store) appendLog(frames []byte) error {
	if s.readOnly {
		return fmt.Errorf("write: the data directory %s is read-only: %w", s.dir, syscall.EROFS)
	}
	if _, err := s.log.Write(frames); err != nil {
		s.rewindLog()
		return fmt.Errorf("write log: %w", err)
	}
	if err := s.log.Sync(); err != nil {
		s.rewindLog()
		return fmt.Errorf("sync log: %w", err)
	}
	s.logSize += int64(len(frames))
	return nil
}

func (s *Store) rewindLog() {
	_ = s.log.Truncate(s.logSize)
	_, _ = s.log.Seek(s.logSize, io.SeekStart)
}

// putFrame is a document's log entry.
func (s *Store) putFrame(b []byte, rec *record, vectors [][]float32) ([]byte, error) {
	var e encoder
	if err := encodeRecord(&e, rec, stringTerms{v: s.vocab}, vectors, nil); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return appendFrame(b, kindPut, rec.doc.ID, e.b), nil
}

// shouldCompact reports whether the log has grown enough to be folded into
// a new snapshot. The caller holds s.mu.
func (s *Store) shouldCompact() bool {
	return s.dir != "" && !s.readOnly && len(s.damage) == 0 &&
		s.logSize >= compactMinLog && float64(s.logSize) >= compactRatio*float64(s.snapSize)
}

// Compact folds the log into a new snapshot and vector file, so that the
// store opens from them quickly, and removes the old generation. Searches go
// on meanwhile; writes wait. It refuses while documents are quarantined
// (see Damaged): their damaged entries would be lost.
func (s *Store) Compact(ctx context.Context) error {
	return s.compactIf(ctx, func() bool { return true })
}

// MaybeCompact compacts when the log holds at least share times the
// snapshot's bytes (and a megabyte): bulk loaders call it at the end, so
// that the next opening reads a snapshot rather than replaying a log.
func (s *Store) MaybeCompact(ctx context.Context, share float64) error {
	return s.compactIf(ctx, func() bool {
		return !s.readOnly && len(s.damage) == 0 && s.logSize >= 1<<20 && float64(s.logSize) >= share*float64(s.snapSize)
	})
}

// compactIf compacts when due reports so, deciding and compacting with
// writers held off and searches going on.
func (s *Store) compactIf(ctx context.Context, due func() bool) error {
	if s.dir == "" {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !due() {
		return nil
	}
	return s.compactLocked(ctx)
}

// compactLocked compacts; the caller holds s.wmu and s.mu (read or write).
func (s *Store) compactLocked(ctx context.Context) error {
	if s.readOnly {
		return fmt.Errorf("compact: the data directory %s is read-only: %w", s.dir, syscall.EROFS)
	}
	if n := len(s.damage); n > 0 {
		return fmt.Errorf("compact: %d damaged entries are quarantined: run ragd check --repair first", n)
	}
	gen := s.meta.Generation + 1
	snapPath := s.genPath(snapshotPrefix, snapshotExt, gen)
	vecPath := s.genPath(vectorsPrefix, vectorsExt, gen)
	logPath := s.genPath(logPrefix, snapshotExt, gen)
	fail := func(err error) error {
		for _, p := range []string{snapPath, vecPath, logPath, snapPath + ".tmp", vecPath + ".tmp"} {
			_ = os.Remove(p)
		}
		return fmt.Errorf("compact: %w", err)
	}
	snapSize, err := s.writeSnapshot(ctx, snapPath)
	if err != nil {
		return fail(err)
	}
	if err := s.writeVectorFile(vecPath); err != nil {
		return fail(err)
	}
	logFile, err := os.OpenFile(logPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fail(err)
	}
	if err := syncDir(s.dir); err != nil {
		logFile.Close()
		return fail(err)
	}
	old := s.meta.Generation
	s.meta.Generation = gen
	if err := s.saveMeta(); err != nil {
		s.meta.Generation = old
		logFile.Close()
		return fail(err)
	}
	// Committed: generation gen is the store.
	s.log.Close()
	s.log, s.logSize, s.snapSize = logFile, 0, snapSize
	for _, p := range []string{s.genPath(snapshotPrefix, snapshotExt, old), s.genPath(vectorsPrefix, vectorsExt, old), s.genPath(logPrefix, snapshotExt, old)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.cfg.Logger.Warn("could not remove a file of the previous generation; the next opening removes it", "file", p, "err", err)
		}
	}
	return syncDir(s.dir)
}

// writeSnapshot writes every live document to path, atomically, and
// returns its size.
func (s *Store) writeSnapshot(ctx context.Context, path string) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	terms := s.vocab.snapshot()
	var e encoder
	e.int(len(terms))
	for _, t := range terms {
		e.str(t)
	}
	buf := appendFrame(nil, kindVocab, "", e.b)
	size := int64(0)
	write := func(b []byte) error {
		size += int64(len(b))
		_, err := w.Write(b)
		return err
	}
	if err := write(buf); err != nil {
		return 0, err
	}
	ids := make([]string, 0, len(s.docs))
	for id := range s.docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	tc := idTerms{max: uint32(len(terms))}
	recs := make([]*record, len(ids))
	for i, id := range ids {
		recs[i] = s.docs[id]
	}
	// The entries are encoded on every core, a group at a time, and
	// written in order.
	const group = 1024
	bodies := make([][]byte, group)
	frames := make([][]byte, group)
	errs := make([]error, group)
	for g := 0; g < len(recs); g += group {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		part := recs[g:min(g+group, len(recs))]
		parallel(len(part), func(i int) {
			rec := part[i]
			crcs := make([]uint32, len(rec.chunks))
			for j, e := range rec.entries {
				crcs[j] = vectorCRC(s.vecs.row(e.ord)[:s.vecs.dim])
			}
			e := encoder{b: bodies[i][:0]}
			if errs[i] = encodeRecord(&e, rec, tc, nil, crcs); errs[i] == nil {
				bodies[i] = e.b
				frames[i] = appendFrame(frames[i][:0], kindDocument, rec.doc.ID, e.b)
			}
		})
		for i := range part {
			if errs[i] != nil {
				return 0, errs[i]
			}
			if err := write(frames[i]); err != nil {
				return 0, err
			}
		}
	}
	if err := s.writeLexicon(recs, write); err != nil {
		return 0, err
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return size, os.Rename(tmp, path)
}

// Damaged lists the quarantined entries found when the store opened.
func (s *Store) Damaged() []Damage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.damage)
}

// RepairResult says what Repair did.
type RepairResult struct {
	Reembedded []string `json:"reembedded"`
	Dropped    []string `json:"dropped"`
	// Unknown counts damaged stretches whose documents are unknown, removed
	// by the compaction.
	Unknown int `json:"unknown"`
}

// Repair re-embeds the quarantined documents whose text is whole, drops
// the others (recording their removal), and compacts the store, which
// leaves the damaged bytes behind.
func (s *Store) Repair(ctx context.Context) (RepairResult, error) {
	var res RepairResult
	s.mu.RLock()
	damage := slices.Clone(s.damage)
	broken := maps.Clone(s.broken)
	s.mu.RUnlock()
	if len(damage) == 0 {
		return res, nil
	}
	var docs []retrieval.Document
	drop := map[string]bool{}
	for _, d := range damage {
		switch {
		case d.DocID == "":
			res.Unknown++
		case broken[d.DocID] != nil:
			docs = append(docs, broken[d.DocID].doc)
			res.Reembedded = append(res.Reembedded, d.DocID)
		default:
			drop[d.DocID] = true
		}
	}
	for _, d := range docs {
		delete(drop, d.ID)
	}
	if len(docs) > 0 {
		if _, err := s.Ingest(ctx, docs); err != nil {
			return res, fmt.Errorf("repair: %w", err)
		}
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var frames []byte
	for id := range drop {
		frames = appendFrame(frames, kindDelete, id, nil)
		res.Dropped = append(res.Dropped, id)
	}
	slices.Sort(res.Dropped)
	if len(frames) > 0 {
		if err := s.appendLog(frames); err != nil {
			return res, fmt.Errorf("repair: %w", err)
		}
	}
	s.damage = nil
	clear(s.broken)
	if err := s.compactLocked(ctx); err != nil {
		return res, fmt.Errorf("repair: %w", err)
	}
	return res, nil
}

// forgetUnused forgets the terms that no indexed chunk or document holds.
// The caller holds s.mu for writing.
func (s *Store) forgetUnused() {
	n := s.vocab.len()
	var dead []uint32
	for id := range uint32(n) {
		if s.vocab.term(id) != "" && !s.lex.has(id) && !s.docStats.has(id) {
			dead = append(dead, id)
		}
	}
	s.vocab.forget(dead)
}
