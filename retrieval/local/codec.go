package local

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"
	"unsafe"

	"github.com/ragd/ragd/retrieval"
)

// A stored document is encoded in one of two forms, both little-endian with
// unsigned varints for counts, lengths and offsets:
//
//   - in the log, self-contained: its terms spelled out as strings and its
//     chunks' vectors as float32 values, so that an entry can be read
//     without anything written before it;
//   - in a snapshot, its terms as the numbers of the snapshot's vocabulary
//     entry and, per chunk, the CRC-32C of the vector that the snapshot's
//     vector file (chromem-go's export format) holds for it.
//
// Both hold the byte and code point offsets of every chunk, so that reading
// a document back needs neither text analysis nor a pass over its text.

// castagnoli is the CRC-32C table: the checksum of every stored entry.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks an entry that does not decode although its checksum
// holds: written by a newer or broken ragd.
var errCorrupt = errors.New("entry does not decode")

// encoder appends values to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) uint(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int)      { e.uint(uint64(v)) }
func (e *encoder) str(s string)   { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) u32(v uint32)   { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) bytes(p []byte) { e.uint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *encoder) f32(v []float32) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.u32(math.Float32bits(x))
	}
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.bytes(nil)
		return
	}
	b, err := t.MarshalBinary()
	if err != nil { // a zone offset beyond what the format holds
		b, _ = t.UTC().MarshalBinary()
	}
	e.bytes(b)
}

// decoder reads what encoder wrote; the first failure sticks in err. With
// own set, b belongs to the decoder and is never written again: the
// strings and term lists it returns share its memory instead of copying.
type decoder struct {
	b   []byte
	err error
	own bool
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a count or offset, refusing one beyond the entry's size (a
// damaged entry must not make the reader allocate gigabytes).
func (d *decoder) int(limit int) int {
	v := d.uint()
	if v > uint64(limit) {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) raw() []byte {
	n := d.int(len(d.b))
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string {
	p := d.raw()
	if d.own && len(p) > 0 {
		return unsafe.String(unsafe.SliceData(p), len(p))
	}
	return string(p)
}

func (d *decoder) u32() uint32 {
	if len(d.b) < 4 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) f32() []float32 {
	n := d.int(len(d.b) / 4)
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(d.u32())
	}
	return v
}

func (d *decoder) time() time.Time {
	b := d.raw()
	var t time.Time
	if len(b) > 0 && t.UnmarshalBinary(b) != nil {
		d.fail()
	}
	return t
}

// termCodec writes a record's term lists: as strings in the log, as
// vocabulary numbers in a snapshot.
type termCodec interface {
	put(e *encoder, p packedTerms) error
	get(d *decoder) packedTerms
}

// encodeRecord appends rec to e. vectors are the chunks' vectors, written
// whole in the log form; in the snapshot form (vectors nil) crcs, by chunk,
// are written instead.
func encodeRecord(e *encoder, rec *record, tc termCodec, vectors [][]float32, crcs []uint32) error {
	d := rec.doc
	e.str(d.ID)
	e.str(rec.hash)
	e.str(d.Title)
	e.str(d.Text)
	e.str(d.Source)
	e.str(d.Author)
	e.time(d.Published)
	e.time(d.Modified)
	e.str(d.Language)
	e.str(d.SiteName)
	e.str(d.StoryID)
	e.int(len(d.Sections))
	for _, s := range d.Sections {
		e.str(s.Heading)
		e.int(s.Start)
		e.int(s.End)
	}
	if err := tc.put(e, rec.documentTerms()); err != nil {
		return fmt.Errorf("document %q: %w", d.ID, err)
	}
	e.int(len(rec.chunks))
	byteOff := 0
	for i, c := range rec.chunks {
		e.str(c.ID)
		// The chunk's text is a substring of the document's: its byte
		// offset, found once here, saves a pass over the text at opening.
		bs := byteOffset(d.Text, c.Text, byteOff)
		byteOff = bs
		e.int(bs)
		e.int(len(c.Text))
		e.int(c.Start)
		e.int(c.End)
		e.str(c.Section)
		if err := tc.put(e, rec.chunkTerms(i)); err != nil {
			return fmt.Errorf("document %q chunk %s: %w", d.ID, c.ID, err)
		}
		if vectors != nil {
			e.f32(vectors[i])
		} else {
			e.u32(crcs[i])
		}
	}
	return nil
}

// byteOffset returns where sub, a substring of text sharing its memory,
// starts in it; from is a lower bound for a substring that does not share
// memory (a decoded copy), found by search.
func byteOffset(text, sub string, from int) int {
	if len(sub) == 0 {
		return min(from, len(text))
	}
	if i := stringOffset(text, sub); i >= 0 {
		return i
	}
	for i := from; i+len(sub) <= len(text); i++ {
		if text[i:i+len(sub)] == sub {
			return i
		}
	}
	return from
}

// decodeRecord reads a record that encodeRecord wrote. withVectors tells the
// form: vectors (log) or CRCs (snapshot). With own set, b is the record's
// to keep (see decoder): its text, IDs and terms are read in place.
func decodeRecord(b []byte, tc termCodec, withVectors, own bool) (rec *record, vectors [][]float32, crcs []uint32, err error) {
	dec := &decoder{b: b, own: own}
	limit := len(b)
	doc := retrieval.Document{ID: dec.str()}
	rec = &record{}
	rec.hash = dec.str()
	doc.Title = dec.str()
	doc.Text = dec.str()
	doc.Source = dec.str()
	doc.Author = dec.str()
	doc.Published = dec.time()
	doc.Modified = dec.time()
	doc.Language = dec.str()
	doc.SiteName = dec.str()
	doc.StoryID = dec.str()
	if n := dec.int(limit); n > 0 {
		doc.Sections = make([]retrieval.Section, n)
		for i := range doc.Sections {
			doc.Sections[i] = retrieval.Section{Heading: dec.str(), Start: dec.int(limit), End: dec.int(limit)}
		}
	}
	rec.docTerms = tc.get(dec)
	n := dec.int(limit)
	rec.chunks = make([]*retrieval.Chunk, n)
	chunks := make([]retrieval.Chunk, n) // one allocation for the chunks
	rec.terms = make([]packedTerms, n)
	if withVectors {
		vectors = make([][]float32, n)
	} else {
		crcs = make([]uint32, n)
	}
	for i := range rec.chunks {
		id := dec.str()
		bs, bl := dec.int(limit), dec.int(limit)
		start, end := dec.int(limit), dec.int(limit)
		section := dec.str()
		rec.terms[i] = tc.get(dec)
		if withVectors {
			vectors[i] = dec.f32()
		} else {
			crcs[i] = dec.u32()
		}
		if dec.err != nil {
			break
		}
		if bs+bl > len(doc.Text) || end < start {
			return nil, nil, nil, fmt.Errorf("document %q chunk %s: %w: offsets outside the text", doc.ID, id, errCorrupt)
		}
		chunks[i] = retrieval.Chunk{ID: id, DocID: doc.ID, Index: i, Text: doc.Text[bs : bs+bl], Section: section, Start: start, End: end}
		rec.chunks[i] = &chunks[i]
	}
	if dec.err != nil {
		return nil, nil, nil, fmt.Errorf("document %q: %w", doc.ID, dec.err)
	}
	if len(dec.b) != 0 {
		return nil, nil, nil, fmt.Errorf("document %q: %w: %d bytes left over", doc.ID, errCorrupt, len(dec.b))
	}
	rec.doc = doc
	return rec, vectors, crcs, nil
}

// vectorCRC is the checksum of a vector as the snapshot's vector file
// holds it: of its float32 values, little-endian.
func vectorCRC(v []float32) uint32 {
	if littleEndian && len(v) > 0 {
		// The vector's memory is those bytes already.
		return crc32.Checksum(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*4), castagnoli)
	}
	var buf [512]byte
	b := buf[:0]
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return crc32.Checksum(b, castagnoli)
}

// littleEndian reports a machine whose memory order is little-endian.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// stringTerms writes terms as strings, numbering them in v when read: the
// log's form.
type stringTerms struct{ v *vocabulary }

func (c stringTerms) put(e *encoder, p packedTerms) error {
	n := 0
	for range p.all() {
		n++
	}
	e.int(n)
	for tf := range p.all() {
		t := c.v.term(tf.id)
		if t == "" {
			return fmt.Errorf("term ID %d is not numbered", tf.id)
		}
		e.str(t)
		e.uint(uint64(tf.count))
	}
	return nil
}

func (c stringTerms) get(d *decoder) packedTerms {
	n := d.int(len(d.b))
	words := make([][]byte, 0, n)
	counts := make([]uint32, 0, n)
	for range n {
		words = append(words, d.raw())
		counts = append(counts, uint32(d.int(math.MaxUint32)))
	}
	if d.err != nil {
		return nil
	}
	ids := c.v.internBytes(words)
	out := make([]termFreq, n)
	for i := range out {
		out[i] = termFreq{id: ids[i], count: counts[i]}
	}
	sortTermFreqs(out)
	return packTerms(out)
}

// idTerms writes terms as vocabulary numbers, packed as the index holds
// them (see packedTerms): the snapshot's form, read back against the same
// numbering.
type idTerms struct{ max uint32 }

func (idTerms) put(e *encoder, p packedTerms) error {
	e.bytes(p)
	return nil
}

// get checks the packed terms (each ID above the previous and numbered,
// each count a varint) and returns them, copied unless the decoder owns
// its bytes: they are held as read.
func (c idTerms) get(d *decoder) packedTerms {
	raw := d.raw()
	id := uint64(0)
	for p, first := raw, true; len(p) > 0; first = false {
		delta, n := binary.Uvarint(p)
		if n <= 0 {
			d.fail()
			return nil
		}
		count, m := binary.Uvarint(p[n:])
		if m <= 0 || count > math.MaxUint32 || (delta == 0 && !first) || id+delta >= uint64(c.max) {
			d.fail()
			return nil
		}
		p = p[n+m:]
		id += delta
	}
	if d.own {
		return packedTerms(raw[:len(raw):len(raw)])
	}
	return packedTerms(bytes.Clone(raw))
}
