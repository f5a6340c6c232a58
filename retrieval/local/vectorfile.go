package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	chromem "github.com/philippgille/chromem-go"
)

// A vector file holds the chunks' vectors as a sequence of chromem-go
// exports, parts, each a collection of the chunks whose IDs hash to it:
//
//	magic "ragdvec1", part count (uint32 LE),
//	then per part: its length (uint64 LE) and chromem-go's export.
//
// Parts keep each export a gob message of tens of megabytes, which
// chromem-go decodes on its own core, where one export of a million
// vectors is one message the decoder reads by repeated growth. A file
// without the magic is one export (stores written before parts).
const vectorMagic = "ragdvec1"

// vectorPartSize is about how many vectors a part holds (a variable for
// tests); maxVectorParts bounds the parts of a file.
var vectorPartSize = 1 << 16

const maxVectorParts = 256

// vectorParts are a vector file read back: a part's collection is nil when
// the part does not read back, and errs says why.
type vectorParts struct {
	colls []*chromem.Collection
	errs  []error
}

// partOf returns the part of n that holds chunk id.
func partOf(id string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// get returns chunk id's vector, or nil when its part did not read back or
// lacks it.
func (v *vectorParts) get(ctx context.Context, id string) []float32 {
	if v == nil || len(v.colls) == 0 {
		return nil
	}
	c := v.colls[partOf(id, len(v.colls))]
	if c == nil {
		return nil
	}
	d, err := c.GetByID(ctx, id)
	if err != nil {
		return nil
	}
	return d.Embedding
}

// err is the first part's error, with how many parts failed.
func (v *vectorParts) err() error {
	var first error
	failed := 0
	for _, err := range v.errs {
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if failed == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d parts do not read back: %w", failed, len(v.errs), first)
}

// readVectorFile reads a vector file's parts with chromem-go, on every
// core. A missing file (a store never compacted) is nil parts; a file
// whose layout does not read is an error.
func readVectorFile(path string) (*vectorParts, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	var head [len(vectorMagic) + 4]byte
	n, _ := io.ReadFull(f, head[:])
	if n < len(head) || string(head[:len(vectorMagic)]) != vectorMagic {
		// One export.
		v := &vectorParts{colls: make([]*chromem.Collection, 1), errs: make([]error, 1)}
		v.colls[0], v.errs[0] = importPart(io.NewSectionReader(f, 0, size))
		return v, nil
	}
	parts := int(binary.LittleEndian.Uint32(head[len(vectorMagic):]))
	if parts < 1 || parts > maxVectorParts {
		return nil, fmt.Errorf("%s: %d parts: the file is damaged", filepath.Base(path), parts)
	}
	type section struct{ off, n int64 }
	sections := make([]section, parts)
	v := &vectorParts{colls: make([]*chromem.Collection, parts), errs: make([]error, parts)}
	off := int64(len(head))
	for i := range sections {
		var l [8]byte
		_, err := f.ReadAt(l[:], off)
		n := int64(binary.LittleEndian.Uint64(l[:]))
		if err != nil || n < 0 || off+8+n > size {
			// The parts from here on are lost; those before read.
			for j := i; j < parts; j++ {
				v.errs[j] = fmt.Errorf("part %d: the file ends before it", j)
			}
			sections = sections[:i]
			break
		}
		sections[i] = section{off + 8, n}
		off += 8 + n
	}
	parallel(len(sections), func(i int) {
		c, err := importPart(io.NewSectionReader(f, sections[i].off, sections[i].n))
		if err != nil {
			err = fmt.Errorf("part %d: %w", i, err)
		}
		v.colls[i], v.errs[i] = c, err
	})
	return v, nil
}

// importPart reads one chromem-go export.
func importPart(r io.ReadSeeker) (*chromem.Collection, error) {
	db := chromem.NewDB()
	if err := db.ImportFromReader(r, "", collectionName); err != nil {
		return nil, err
	}
	coll := db.GetCollection(collectionName, nil)
	if coll == nil {
		return nil, fmt.Errorf("no collection %q", collectionName)
	}
	return coll, nil
}

// writeVectorFile exports every chunk's vector with chromem-go,
// atomically, in parts of about vectorPartSize vectors, exported on every
// core.
func (s *Store) writeVectorFile(path string) error {
	parts := min(max(1, (len(s.byChunk)+vectorPartSize-1)/vectorPartSize), maxVectorParts)
	byPart := make([][]*chunkEntry, parts)
	for _, e := range s.byChunk {
		p := partOf(e.chunk.ID, parts)
		byPart[p] = append(byPart[p], e)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var head [len(vectorMagic) + 4]byte
	copy(head[:], vectorMagic)
	binary.LittleEndian.PutUint32(head[len(vectorMagic):], uint32(parts))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	// The cores export parts ahead of the writer, a few at a time.
	type out struct {
		b   []byte
		err error
	}
	results := make([]chan out, parts)
	for i := range results {
		results[i] = make(chan out, 1)
	}
	sem := make(chan struct{}, parallelism())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range parts {
			sem <- struct{}{}
			go func() {
				b, err := s.exportPart(byPart[i])
				results[i] <- out{b, err}
			}()
		}
	})
	var werr error
	for i := range parts {
		r := <-results[i]
		<-sem
		if werr != nil {
			continue
		}
		if r.err != nil {
			werr = r.err
			continue
		}
		var l [8]byte
		binary.LittleEndian.PutUint64(l[:], uint64(len(r.b)))
		if _, err := w.Write(l[:]); err != nil {
			werr = err
			continue
		}
		if _, err := w.Write(r.b); err != nil {
			werr = err
		}
	}
	wg.Wait()
	if werr != nil {
		return werr
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// exportPart is chromem-go's export of a collection of these chunks.
func (s *Store) exportPart(entries []*chunkEntry) ([]byte, error) {
	db := chromem.NewDB()
	coll, err := db.CreateCollection(collectionName, map[string]string{"dim": strconv.Itoa(s.vecs.dim)}, refuseEmbedding)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		// The slab's rows are unit vectors already, which chromem-go
		// stores as they are.
		doc := chromem.Document{ID: e.chunk.ID, Embedding: s.vecs.row(e.ord)[:s.vecs.dim:s.vecs.dim]}
		if err := coll.AddDocument(context.Background(), doc); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := db.ExportToWriter(&buf, false, "", collectionName); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
