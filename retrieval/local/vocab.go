package local

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// vocabulary numbers the analysed terms of a store, so that the term lists
// of chunks and documents and the lexicons' postings hold 4-byte IDs
// instead of strings: each term string is kept once. When the last document
// containing a term goes, the store forgets the term and its ID is given to
// a later new term; the generation counts those forgettings, so that a
// term list numbered before one is numbered again (see Store.apply). It is
// safe for concurrent use.
type vocabulary struct {
	mu    sync.RWMutex
	ids   map[string]uint32
	terms []string // by ID; "" for a free ID
	// freedAt is, by ID, the generation in which the ID was last freed
	// (0: never).
	freedAt []uint64
	free    []uint32
	gen     uint64
}

func newVocabulary() *vocabulary {
	return &vocabulary{ids: make(map[string]uint32)}
}

// termFreq is one term of a chunk or document and its count.
type termFreq struct {
	id    uint32
	count uint32
}

// count turns a term sequence into term frequencies sorted by ID, numbering
// new terms.
func (v *vocabulary) count(terms []string) []termFreq {
	counts := make(map[string]uint32, len(terms))
	for _, t := range terms {
		counts[t]++
	}
	words := make([]string, 0, len(counts))
	for t := range counts {
		words = append(words, t)
	}
	ids := v.intern(words)
	out := make([]termFreq, len(words))
	for i, t := range words {
		out[i] = termFreq{id: ids[i], count: counts[t]}
	}
	slices.SortFunc(out, func(a, b termFreq) int { return cmp.Compare(a.id, b.id) })
	return out
}

// intern returns the IDs of terms, numbering new ones: one read lock for
// the known, one write lock for the new, whatever the number of terms.
func (v *vocabulary) intern(terms []string) []uint32 {
	ids := make([]uint32, len(terms))
	var missing []int
	v.mu.RLock()
	for i, t := range terms {
		id, ok := v.ids[t]
		if !ok {
			missing = append(missing, i)
		}
		ids[i] = id
	}
	v.mu.RUnlock()
	if len(missing) == 0 {
		return ids
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, i := range missing {
		t := terms[i]
		id, ok := v.ids[t]
		if !ok {
			// A copy: t may be a substring of a whole record's text.
			t = strings.Clone(t)
			if n := len(v.free); n > 0 {
				id = v.free[n-1]
				v.free = v.free[:n-1]
				v.terms[id] = t
			} else {
				id = uint32(len(v.terms))
				v.terms = append(v.terms, t)
				v.freedAt = append(v.freedAt, 0)
			}
			v.ids[t] = id
		}
		ids[i] = id
	}
	return ids
}

// known returns the IDs of the terms that have one, without repeats, in
// first-seen order; a term no document has ever contained matches nothing.
func (v *vocabulary) known(terms []string) []uint32 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []uint32
	for _, t := range terms {
		if id, ok := v.ids[t]; ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// forget frees the IDs of terms no document contains any more, in a new
// generation if it frees any.
func (v *vocabulary) forget(ids []uint32) {
	if len(ids) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	gen := v.gen + 1
	for _, id := range ids {
		if t := v.terms[id]; t != "" {
			delete(v.ids, t)
			v.terms[id] = ""
			v.freedAt[id] = gen
			v.free = append(v.free, id)
			v.gen = gen
		}
	}
}

// generation returns the number of forget calls that freed IDs.
func (v *vocabulary) generation() uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.gen
}

// freedSince reports whether an ID of the lists was freed after generation
// gen: lists numbered then may hold it, free or another term's now.
func (v *vocabulary) freedSince(gen uint64, lists ...packedTerms) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.gen == gen {
		return false
	}
	for _, tfs := range lists {
		for tf := range tfs.all() {
			if v.freedAt[tf.id] > gen {
				return true
			}
		}
	}
	return false
}

// size returns the number of terms that have an ID.
func (v *vocabulary) size() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.ids)
}

// lookup returns the ID of a term, if it has one.
func (v *vocabulary) lookup(t string) (uint32, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	id, ok := v.ids[t]
	return id, ok
}

// encode writes term frequencies as space-separated "term count" pairs, in
// term order, the form records store. An ID that is not numbered (a bug:
// a list numbered in an older generation) is an error, never a record
// that cannot be read back.
func (v *vocabulary) encode(tfs []termFreq) (string, error) {
	v.mu.RLock()
	pairs := make([]struct {
		term  string
		count uint32
	}, len(tfs))
	for i, tf := range tfs {
		if int(tf.id) >= len(v.terms) || v.terms[tf.id] == "" {
			v.mu.RUnlock()
			return "", fmt.Errorf("term ID %d is not numbered", tf.id)
		}
		pairs[i].term, pairs[i].count = v.terms[tf.id], tf.count
	}
	v.mu.RUnlock()
	slices.SortFunc(pairs, func(a, b struct {
		term  string
		count uint32
	}) int {
		return strings.Compare(a.term, b.term)
	})
	var b strings.Builder
	for j, p := range pairs {
		if j > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.term)
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(uint64(p.count), 10))
	}
	return b.String(), nil
}

// decode reads what encode wrote, numbering new terms.
func (v *vocabulary) decode(s string) ([]termFreq, error) {
	fields := strings.Fields(s)
	if len(fields)%2 != 0 {
		return nil, errors.New("malformed terms")
	}
	words := make([]string, 0, len(fields)/2)
	counts := make([]uint32, 0, len(fields)/2)
	for j := 0; j < len(fields); j += 2 {
		n, err := strconv.ParseUint(fields[j+1], 10, 32)
		if err != nil || n == 0 {
			return nil, errors.New("malformed terms: bad count " + strconv.Quote(fields[j+1]))
		}
		words = append(words, fields[j])
		counts = append(counts, uint32(n))
	}
	ids := v.intern(words)
	out := make([]termFreq, len(words))
	for i := range words {
		out[i] = termFreq{id: ids[i], count: counts[i]}
	}
	slices.SortFunc(out, func(a, b termFreq) int { return cmp.Compare(a.id, b.id) })
	// A term listed twice would count twice in BM25 and break the
	// binary searches over the list.
	for i := 1; i < len(out); i++ {
		if out[i].id == out[i-1].id {
			return nil, errors.New("malformed terms: a term is listed twice")
		}
	}
	return out, nil
}

// internBytes is intern for terms read from a stored entry: a known term
// is looked up without a copy, a new one copied once.
func (v *vocabulary) internBytes(terms [][]byte) []uint32 {
	ids := make([]uint32, len(terms))
	var missing []string
	var at []int
	v.mu.RLock()
	for i, t := range terms {
		id, ok := v.ids[string(t)]
		if !ok {
			missing = append(missing, string(t))
			at = append(at, i)
		}
		ids[i] = id
	}
	v.mu.RUnlock()
	if len(missing) == 0 {
		return ids
	}
	for j, id := range v.intern(missing) {
		ids[at[j]] = id
	}
	return ids
}

// term returns the term of an ID, "" for a free one.
func (v *vocabulary) term(id uint32) string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if int(id) < len(v.terms) {
		return v.terms[id]
	}
	return ""
}

// snapshot returns the terms by ID, "" for free IDs.
func (v *vocabulary) snapshot() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return slices.Clone(v.terms)
}

// restore numbers terms as a snapshot listed them, into an empty
// vocabulary; an empty term is a free ID.
func (v *vocabulary) restore(terms []string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.terms) != 0 {
		return errors.New("restore into a vocabulary in use")
	}
	v.terms = terms
	v.freedAt = make([]uint64, len(terms))
	v.ids = make(map[string]uint32, len(terms))
	for i, t := range terms {
		if t == "" {
			v.free = append(v.free, uint32(i))
			continue
		}
		if _, dup := v.ids[t]; dup {
			return fmt.Errorf("term %q numbered twice", t)
		}
		v.ids[t] = uint32(i)
	}
	return nil
}

// sortTermFreqs sorts term frequencies by term ID.
func sortTermFreqs(tfs []termFreq) {
	slices.SortFunc(tfs, func(a, b termFreq) int { return cmp.Compare(a.id, b.id) })
}

// len returns the number of IDs, free ones included.
func (v *vocabulary) len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.terms)
}
