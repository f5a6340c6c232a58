package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/chunk"

	chromem "github.com/philippgille/chromem-go"
)

// Format 1 of the data directory, which ragd 0.1 wrote: one JSON record per
// document in docs/ and chromem-go's persistent database in vectors/ (a gob
// file per chunk). Open migrates such a directory once, in place: it reads
// both, embeds again the chunks whose vectors were lost, writes the first
// generation of format 2 and only then removes docs/ and vectors/. A crash
// on the way leaves format 1 whole, and the next opening starts over.

const (
	legacyFormat = 1
	docsDir      = "docs"
	vectorsDir   = "vectors"
)

// isLegacy reports whether the data directory holds format 1.
func (s *Store) isLegacy() bool {
	if s.meta.Format == legacyFormat {
		return true
	}
	_, noMeta := os.Stat(s.metaPath)
	_, docs := os.Stat(filepath.Join(s.dir, docsDir))
	return noMeta != nil && docs == nil
}

// migrate converts a format 1 data directory.
func (s *Store) migrate(ctx context.Context) error {
	if s.readOnly {
		return fmt.Errorf("open store: %s holds format 1 and is read-only: it must be writable once to be migrated", s.dir)
	}
	dir := filepath.Join(s.dir, docsDir)
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("migrate: %w", err)
	}
	var paths []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	s.cfg.Logger.Info("migrating the data directory to format 2 (once)", "dir", s.dir, "documents", len(paths))
	var coll *chromem.Collection
	if vdir := filepath.Join(s.dir, vectorsDir); len(paths) > 0 {
		db, err := openLegacyVectors(vdir, s.cfg)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if coll = db.GetCollection(collectionName, nil); coll == nil {
			coll, _ = db.GetOrCreateCollection(collectionName, nil, refuseEmbedding)
		}
	}
	// The records' terms are analysed again when they were written by an
	// older analysis.
	stale := s.meta.Analysis != analysis.Version
	s.meta.Analysis = analysis.Version
	recomputed := 0
	for i, path := range paths {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		rec, err := readRecord(path, s.vocab, !stale)
		if err != nil {
			return fmt.Errorf("migrate: %w (the data directory is unchanged)", err)
		}
		if stale || rec.docTerms == nil {
			s.analyse(rec)
		}
		vectors := make([][]float32, len(rec.chunks))
		var missing []int
		for j, c := range rec.chunks {
			d, err := coll.GetByID(ctx, c.ID)
			if err != nil || !vectorHolds(d, c) || (s.meta.Dim != 0 && len(d.Embedding) != s.meta.Dim) {
				missing = append(missing, j)
				continue
			}
			vectors[j] = d.Embedding
		}
		if len(missing) > 0 {
			texts := make([]string, len(missing))
			for k, j := range missing {
				texts[k] = s.indexText(rec.doc, rec.chunks[j])
			}
			vs, err := s.embed(ctx, texts)
			if err != nil {
				return fmt.Errorf("migrate: document %q lost the vectors of %d chunks and computing them again failed (the data directory is unchanged): %w", rec.doc.ID, len(missing), err)
			}
			for k, j := range missing {
				vectors[j] = vs[k]
			}
			recomputed += len(missing)
		}
		for _, v := range vectors {
			if s.meta.Dim == 0 {
				s.meta.Dim = len(v)
			}
			if len(v) != s.meta.Dim {
				return fmt.Errorf("migrate: document %q: %w: %d dimensions, the index holds %d", rec.doc.ID, retrieval.ErrEmbedderMismatch, len(v), s.meta.Dim)
			}
		}
		s.index(rec, vectors, false)
		if s.cfg.Progress != nil {
			s.cfg.Progress(i+1, len(paths))
		}
	}
	if recomputed > 0 {
		s.cfg.Logger.Warn("computed lost vectors again while migrating", "chunks", recomputed)
	}
	s.meta.Format = formatVersion
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.compactLocked(ctx); err != nil {
		s.meta.Format = legacyFormat
		return fmt.Errorf("migrate: %w (the data directory is unchanged)", err)
	}
	for _, d := range []string{docsDir, vectorsDir} {
		if err := os.RemoveAll(filepath.Join(s.dir, d)); err != nil {
			s.cfg.Logger.Warn("migrated; could not remove the format 1 files", "dir", d, "err", err)
		}
	}
	s.cfg.Logger.Info("migrated the data directory to format 2", "documents", len(paths))
	return nil
}

// openLegacyVectors opens chromem-go's persistent database of format 1. A
// chunk file cut short by a crash makes chromem-go refuse the whole
// database: such files are removed (the records hold the text their
// vectors are computed from) and the database opened again.
func openLegacyVectors(vdir string, cfg Config) (*chromem.DB, error) {
	db, err := chromem.NewPersistentDB(vdir, false)
	if err == nil {
		return db, nil
	}
	n, rerr := removeUnreadableVectors(vdir)
	if rerr != nil || n == 0 {
		return nil, fmt.Errorf("open vectors: %w", err)
	}
	cfg.Logger.Warn("removed unreadable vector files; their chunks are embedded again", "files", n)
	if db, err = chromem.NewPersistentDB(vdir, false); err != nil {
		return nil, fmt.Errorf("open vectors: %w", err)
	}
	return db, nil
}

// writeFileAtomic writes data to a temporary file, syncs it and renames it
// over path, so that readers and a crash see either the old or the new
// content.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

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
	rec := &record{doc: d, hash: f.Hash, chunks: make([]*retrieval.Chunk, len(f.Chunks)), terms: make([]packedTerms, len(f.Chunks))}
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
		tfs, err := v.decode(cf.Terms)
		if err != nil {
			return nil, fmt.Errorf("decode %s: chunk %s: %w", path, cf.ID, err)
		}
		rec.terms[i] = packTerms(tfs)
	}
	if withTerms && f.Terms != nil {
		tfs, err := v.decode(*f.Terms)
		if err != nil {
			return nil, fmt.Errorf("decode %s: document terms: %w", path, err)
		}
		rec.docTerms = packTerms(tfs)
	}
	return rec, nil
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
