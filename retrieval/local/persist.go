package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/chunk"

	chromem "github.com/philippgille/chromem-go"
)

// recordFile is the on-disk form of a record: one JSON file per document in
// the docs directory, written atomically. Its existence is the commit point
// of an ingest; vectors without a record are removed when the store opens.
type recordFile struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Text      string        `json:"text"`
	Source    string        `json:"source,omitempty"`
	Author    string        `json:"author,omitempty"`
	Published *time.Time    `json:"published,omitempty"`
	Modified  *time.Time    `json:"modified,omitempty"`
	Language  string        `json:"language,omitempty"`
	SiteName  string        `json:"site_name,omitempty"`
	StoryID   string        `json:"story_id,omitempty"`
	Sections  []sectionFile `json:"sections,omitempty"`
	Hash      string        `json:"hash"`
	// Terms are the whole document's term counts, encoded as a chunk's
	// are, and present even when empty (a text of stop words); records
	// written before document scoring lack them, and opening the store
	// then analyses the text instead.
	Terms  *string     `json:"terms,omitempty"`
	Chunks []chunkFile `json:"chunks"`
}

type sectionFile struct {
	Heading    string `json:"heading"`
	Start, End int
}

// chunkFile stores a chunk's offsets and its lexical postings as
// space-separated "term count" pairs, so that opening the store needs no
// text analysis.
type chunkFile struct {
	ID      string `json:"id"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
	Section string `json:"section,omitempty"`
	Terms   string `json:"terms"`
}

func (s *Store) recordPath(id string) string {
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(s.dir, docsDir, hex.EncodeToString(sum[:16])+".json")
}

// writeRecord writes rec to path atomically, its terms spelled out from v.
func writeRecord(path string, rec *record, v *vocabulary) error {
	f := recordFile{
		ID: rec.doc.ID, Title: rec.doc.Title, Text: rec.doc.Text, Source: rec.doc.Source,
		Author: rec.doc.Author, Hash: rec.hash, Chunks: make([]chunkFile, len(rec.chunks)),
		Language: rec.doc.Language, SiteName: rec.doc.SiteName, StoryID: rec.doc.StoryID,
	}
	if !rec.doc.Published.IsZero() {
		t := rec.doc.Published
		f.Published = &t
	}
	if !rec.doc.Modified.IsZero() {
		t := rec.doc.Modified
		f.Modified = &t
	}
	for _, sec := range rec.doc.Sections {
		f.Sections = append(f.Sections, sectionFile{Heading: sec.Heading, Start: sec.Start, End: sec.End})
	}
	for i, c := range rec.chunks {
		terms, err := v.encode(rec.terms[i])
		if err != nil {
			return fmt.Errorf("encode record %q: chunk %s: %w", rec.doc.ID, c.ID, err)
		}
		f.Chunks[i] = chunkFile{ID: c.ID, Start: c.Start, End: c.End, Section: c.Section, Terms: terms}
	}
	terms, err := v.encode(rec.docTerms)
	if err != nil {
		return fmt.Errorf("encode record %q: %w", rec.doc.ID, err)
	}
	f.Terms = &terms
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	return writeFileAtomic(path, data)
}

// readRecord reads the record in path, numbering its terms in v; without
// withTerms it leaves the term lists out, for a record analysed again.
func readRecord(path string, v *vocabulary, withTerms bool) (*record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f recordFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	d := retrieval.Document{ID: f.ID, Title: f.Title, Text: f.Text, Source: f.Source, Author: f.Author,
		Language: f.Language, SiteName: f.SiteName, StoryID: f.StoryID}
	if f.Published != nil {
		d.Published = *f.Published
	}
	if f.Modified != nil {
		d.Modified = *f.Modified
	}
	for _, sec := range f.Sections {
		d.Sections = append(d.Sections, retrieval.Section{Heading: sec.Heading, Start: sec.Start, End: sec.End})
	}
	rec := &record{doc: d, hash: f.Hash, chunks: make([]*retrieval.Chunk, len(f.Chunks)), terms: make([][]termFreq, len(f.Chunks))}
	// Chunk starts increase, and so do chunk ends, so one cursor for each
	// converts code points to bytes in a pass over the text (a single
	// cursor would rewind at every overlap).
	starts, ends := chunk.NewRuneCursor(d.Text), chunk.NewRuneCursor(d.Text)
	for i, cf := range f.Chunks {
		bs := starts.ByteAt(cf.Start)
		be := ends.ByteAt(cf.End)
		if cf.End < cf.Start || be > len(d.Text) {
			return nil, fmt.Errorf("decode %s: chunk %s has bad offsets", path, cf.ID)
		}
		rec.chunks[i] = &retrieval.Chunk{ID: cf.ID, DocID: d.ID, Index: i, Text: d.Text[bs:be], Section: cf.Section, Start: cf.Start, End: cf.End}
		if !withTerms {
			continue
		}
		if rec.terms[i], err = v.decode(cf.Terms); err != nil {
			return nil, fmt.Errorf("decode %s: chunk %s: %w", path, cf.ID, err)
		}
	}
	if withTerms && f.Terms != nil {
		if rec.docTerms, err = v.decode(*f.Terms); err != nil {
			return nil, fmt.Errorf("decode %s: document terms: %w", path, err)
		}
	}
	return rec, nil
}

// loadRecords reads every record, checks it against the vectors, drops what
// a crash left half-written and builds the lexicon.
// storedRecords are the records read from the data directory, before they
// are checked against the vectors.
type storedRecords struct {
	recs []*record
	// stale reports that they were analysed again for a newer analysis;
	// rewriteErr is the first failure to rewrite one.
	stale      bool
	rewriteErr error
}

// readRecords reads every record, analysing again and rewriting those of an
// older analysis. It needs no vectors, so Open runs it while chromem-go
// loads them.
func (s *Store) readRecords() (storedRecords, error) {
	dir := filepath.Join(s.dir, docsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return storedRecords{}, fmt.Errorf("open store: %w", err)
	}
	var paths []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			_ = os.Remove(filepath.Join(dir, name)) // an interrupted atomic write
			continue
		}
		if !e.IsDir() && strings.HasSuffix(name, ".json") {
			paths = append(paths, filepath.Join(dir, name))
		}
	}
	// Records analysed by an older version of Terms are analysed again and
	// rewritten, so that documents and queries share one analysis.
	stale := s.meta.Analysis != analysis.Version
	if stale && len(paths) > 0 {
		s.cfg.Logger.Info("analysing stored documents again for a newer text analysis (once)", "documents", len(paths), "from", s.meta.Analysis, "to", analysis.Version)
	}
	recs := make([]*record, len(paths))
	errs := make([]error, len(paths))
	// rewriteErr keeps the first failure to rewrite a record (a read-only
	// data directory): the analysis then lives in memory only, and the
	// next opening does it again.
	var rewriteErr error
	var rewriteOnce sync.Once
	var wg sync.WaitGroup
	next := make(chan int)
	for range parallelism() {
		wg.Go(func() {
			for i := range next {
				// Terms of an older analysis are not numbered: they would
				// stay in the vocabulary, held by nothing.
				recs[i], errs[i] = readRecord(paths[i], s.vocab, !stale)
				if errs[i] != nil || (!stale && recs[i].docTerms != nil) {
					continue
				}
				s.analyse(recs[i])
				if err := writeRecord(paths[i], recs[i], s.vocab); err != nil {
					rewriteOnce.Do(func() { rewriteErr = err })
				}
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return storedRecords{}, fmt.Errorf("open store: %w", err)
	}
	return storedRecords{recs: recs, stale: stale, rewriteErr: rewriteErr}, nil
}

// loadRecords checks the records read against the vectors, drops what a
// crash left half-written, computes lost vectors again and builds the
// lexicon.
func (s *Store) loadRecords(ctx context.Context, stored storedRecords) error {
	recs, stale, rewriteErr := stored.recs, stored.stale, stored.rewriteErr
	live := make(map[string]bool)
	var restoredDocs, restoredChunks int
	for _, rec := range recs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("open store: %w", err)
		}
		vectors := make([][]float32, len(rec.chunks))
		var missing []int
		for i, c := range rec.chunks {
			d, err := s.coll.GetByID(ctx, c.ID)
			if err != nil || !vectorHolds(d, c) || (s.meta.Dim != 0 && len(d.Embedding) != s.meta.Dim) {
				// Lost, overwritten by an update that never committed, or
				// cut short.
				missing = append(missing, i)
				continue
			}
			vectors[i] = d.Embedding
		}
		if len(missing) > 0 {
			// The record is the commit point, so its vectors were written
			// and then lost; its text is still here to compute them from.
			if err := s.restoreVectors(ctx, rec, missing, vectors); err != nil {
				return fmt.Errorf("open store: document %q lost the vectors of %d chunks and computing them again failed (nothing was removed; open the store again once the embedder works): %w", rec.doc.ID, len(missing), err)
			}
			s.cfg.Logger.Debug("computed lost vectors again", "doc_id", rec.doc.ID, "chunks", len(missing))
			restoredDocs++
			restoredChunks += len(missing)
		}
		for _, c := range rec.chunks {
			live[c.ID] = true
			s.fileIDs[fileHash(c.ID)] = c.ID
		}
		s.index(rec, vectors)
	}
	if restoredDocs > 0 {
		s.cfg.Logger.Warn("computed lost vectors again (a crash, or a store written by another version of ragd)", "documents", restoredDocs, "chunks", restoredChunks)
	}
	if s.coll.Count() != len(live) {
		if err := s.removeOrphans(ctx, live); err != nil {
			return err
		}
	}
	switch {
	case rewriteErr != nil:
		s.cfg.Logger.Warn("could not rewrite the records with the newer analysis; it is redone at each opening until they can be", "err", rewriteErr)
	case stale:
		// Every record now holds the current analysis: say so, after them,
		// so that a crash in between only repeats the work.
		s.meta.Analysis = analysis.Version
		if err := s.saveMeta(); err != nil {
			s.cfg.Logger.Warn("could not record the newer analysis; it is redone at the next opening", "err", err)
		}
	}
	return nil
}

// removeOrphans deletes vectors that belong to no record.
func (s *Store) removeOrphans(ctx context.Context, live map[string]bool) error {
	n := s.coll.Count()
	if n == 0 {
		return nil
	}
	probe := make([]float32, max(s.meta.Dim, 1))
	probe[0] = 1
	all, err := s.coll.QueryEmbedding(ctx, probe, n, nil, nil)
	if err != nil {
		return fmt.Errorf("open store: list vectors: %w", err)
	}
	var orphans []string
	for _, r := range all {
		if !live[r.ID] {
			orphans = append(orphans, r.ID)
		}
	}
	if len(orphans) == 0 {
		return nil
	}
	s.cfg.Logger.Warn("removing vectors of documents that were not fully written", "chunks", len(orphans))
	if err := s.coll.Delete(ctx, nil, nil, orphans...); err != nil {
		return fmt.Errorf("open store: remove orphan vectors: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file and renames it over path,
// so that readers and a crash see either the old or the new content.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// restoreVectors embeds again the chunks of rec at the indexes missing,
// whose vectors were lost (a crash while chromem-go wrote or deleted them),
// stores them and fills them into vectors.
func (s *Store) restoreVectors(ctx context.Context, rec *record, missing []int, vectors [][]float32) error {
	texts := make([]string, len(missing))
	for j, i := range missing {
		texts[j] = s.indexText(rec.doc, rec.chunks[i])
	}
	vs, err := s.embed(ctx, texts)
	if err != nil {
		return err
	}
	docs := make([]chromem.Document, len(missing))
	for j, i := range missing {
		if s.meta.Dim != 0 && len(vs[j]) != s.meta.Dim {
			return fmt.Errorf("%w: %d dimensions, the index holds %d", retrieval.ErrEmbedderMismatch, len(vs[j]), s.meta.Dim)
		}
		c := rec.chunks[i]
		docs[j] = vectorDocument(rec.doc, c, vs[j])
	}
	if err := s.coll.AddDocuments(ctx, docs, 4); err != nil {
		return fmt.Errorf("add vectors: %w", err)
	}
	for j, i := range missing {
		vectors[i] = vs[j]
	}
	return nil
}

// removeUnreadableVectors deletes the chunk files under dir (chromem-go's
// persistence directory) that do not decode, writes again a collection
// metadata file that does not, and returns how many files it repaired.
// chromem-go writes a file in place, so a crash mid-write leaves a
// truncated one, which makes chromem-go refuse to open the whole
// collection; the chunks they held are embedded again from the records.
func removeUnreadableVectors(dir string) (int, error) {
	collections, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, c := range collections {
		if !c.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, c.Name()))
		if err != nil {
			return removed, err
		}
		for _, f := range files {
			name := f.Name()
			if f.IsDir() || !strings.HasSuffix(name, ".gob") {
				continue
			}
			path := filepath.Join(dir, c.Name(), name)
			if name == chromemMetadataFile {
				// Written once, when the collection is created: a crash
				// then leaves it cut short; write it again.
				if !readableMetadata(path) {
					if err := writeCollectionMetadata(path); err != nil {
						return removed, err
					}
					removed++
				}
				continue
			}
			if readable(path) {
				continue
			}
			if err := os.Remove(path); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

// chromemMetadataFile is the file in which chromem-go keeps a collection's
// name and metadata, beside one file per chunk.
const chromemMetadataFile = "00000000.gob"

// collectionMetadata is what chromem-go stores in chromemMetadataFile;
// gob matches it to chromem-go's own type by field names.
type collectionMetadata struct {
	Name     string
	Metadata map[string]string
}

// readableMetadata reports whether path holds whole collection metadata.
func readableMetadata(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var m collectionMetadata
	return gob.NewDecoder(bufio.NewReader(f)).Decode(&m) == nil && m.Name != ""
}

// writeCollectionMetadata writes the metadata of ragd's collection to path,
// atomically.
func writeCollectionMetadata(path string) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(collectionMetadata{Name: collectionName}); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

// readable reports whether path holds a whole gob-encoded chromem-go
// document.
func readable(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var d chromem.Document
	return gob.NewDecoder(bufio.NewReader(f)).Decode(&d) == nil && d.ID != ""
}
