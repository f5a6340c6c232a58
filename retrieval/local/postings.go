package local

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"
)

// blockSize is the most postings a block of a posting list holds.
const blockSize = 128

// postingList is one term's postings, sorted by chunk ordinal and
// compressed: blocks of up to blockSize postings, each posting two
// varints, its ordinal's difference from the previous posting's in the
// block (the ordinal itself for a block's first) and its count. A common
// term's postings take two or three bytes each instead of eight. The
// blocks' ends let a cursor seek to an ordinal without decoding what lies
// before it, and let a change re-encode one block.
type postingList struct {
	data   []byte
	blocks []postingBlock
}

// postingBlock locates a block of a posting list.
type postingBlock struct {
	last uint32 // the ordinal of its last posting
	off  uint32 // where it starts in data
	n    uint32 // its postings
}

// end is where block i of l ends in data.
func (l *postingList) end(i int) int {
	if i+1 < len(l.blocks) {
		return int(l.blocks[i+1].off)
	}
	return len(l.data)
}

// empty reports whether the list holds no postings.
func (l *postingList) empty() bool { return len(l.blocks) == 0 }

// add records that chunk ord holds the term count times; ord must not be
// in the list already. An ordinal past the last is appended; a reused one
// is inserted where it sorts.
func (l *postingList) add(ord, count uint32) {
	k := len(l.blocks)
	if k == 0 || ord > l.blocks[k-1].last {
		if k == 0 || l.blocks[k-1].n == blockSize {
			l.blocks = append(l.blocks, postingBlock{off: uint32(len(l.data))})
			k++
		}
		b := &l.blocks[k-1]
		d := ord
		if b.n > 0 {
			d = ord - b.last
		}
		l.data = binary.AppendUvarint(l.data, uint64(d))
		l.data = binary.AppendUvarint(l.data, uint64(count))
		b.last = ord
		b.n++
		return
	}
	i := l.find(ord)
	ps := l.decode(i, nil)
	j, _ := slices.BinarySearchFunc(ps, ord, comparePosting)
	ps = slices.Insert(ps, j, posting{ord: ord, tf: count})
	l.replace(i, ps)
}

// remove drops chunk ord's posting, if there is one.
func (l *postingList) remove(ord uint32) {
	if len(l.blocks) == 0 {
		return
	}
	i := l.find(ord)
	if i == len(l.blocks) {
		return
	}
	ps := l.decode(i, nil)
	j, found := slices.BinarySearchFunc(ps, ord, comparePosting)
	if !found {
		return
	}
	l.replace(i, slices.Delete(ps, j, j+1))
}

// find returns the first block whose last ordinal is at or after ord.
func (l *postingList) find(ord uint32) int {
	return sort.Search(len(l.blocks), func(i int) bool { return l.blocks[i].last >= ord })
}

// decode appends the postings of block i to dst.
func (l *postingList) decode(i int, dst []posting) []posting {
	b := l.blocks[i]
	p := l.data[b.off:l.end(i)]
	ord := uint32(0)
	for k := range b.n {
		d, n := binary.Uvarint(p)
		c, m := binary.Uvarint(p[n:])
		p = p[n+m:]
		if k == 0 {
			ord = uint32(d)
		} else {
			ord += uint32(d)
		}
		dst = append(dst, posting{ord: ord, tf: uint32(c)})
	}
	return dst
}

// replace re-encodes block i with the postings ps (none drops the block,
// more than blockSize split it in two).
func (l *postingList) replace(i int, ps []posting) {
	var enc []byte
	var blocks []postingBlock
	for len(ps) > 0 {
		n := min(len(ps), blockSize)
		if len(ps) > blockSize {
			n = len(ps) / 2
		}
		blocks = append(blocks, postingBlock{off: uint32(len(enc)), n: uint32(n), last: ps[n-1].ord})
		prev := uint32(0)
		for k, p := range ps[:n] {
			d := p.ord
			if k > 0 {
				d -= prev
			}
			enc = binary.AppendUvarint(enc, uint64(d))
			enc = binary.AppendUvarint(enc, uint64(p.tf))
			prev = p.ord
		}
		ps = ps[n:]
	}
	start, end := int(l.blocks[i].off), l.end(i)
	shift := len(enc) - (end - start)
	l.data = slices.Replace(l.data, start, end, enc...)
	for k := range blocks {
		blocks[k].off += uint32(start)
	}
	l.blocks = slices.Replace(l.blocks, i, i+1, blocks...)
	for k := i + len(blocks); k < len(l.blocks); k++ {
		l.blocks[k].off = uint32(int(l.blocks[k].off) + shift)
	}
	if len(l.blocks) == 0 {
		*l = postingList{} // the arrays are freed; the term may come back
	}
}

// postingCursor reads a posting list in order.
type postingCursor struct {
	l     *postingList
	block int    // the block being read
	p     []byte // what is left of it
	left  uint32 // postings left in it
	// ord and tf are the current posting's; ord is math.MaxUint32 once
	// the list is read.
	ord, tf uint32
}

// newCursor returns a cursor at the first posting of l.
func newCursor(l *postingList) postingCursor {
	c := postingCursor{l: l, block: -1}
	c.load(0)
	c.next()
	return c
}

// load starts reading block i.
func (c *postingCursor) load(i int) {
	c.block = i
	if i >= len(c.l.blocks) {
		c.p, c.left = nil, 0
		return
	}
	b := c.l.blocks[i]
	c.p, c.left = c.l.data[b.off:c.l.end(i)], b.n
}

// next moves to the following posting.
func (c *postingCursor) next() {
	if c.left == 0 {
		if c.block+1 >= len(c.l.blocks) {
			c.block, c.ord, c.tf = len(c.l.blocks), math.MaxUint32, 0
			return
		}
		c.load(c.block + 1)
	}
	first := c.left == c.l.blocks[c.block].n
	d, n := binary.Uvarint(c.p)
	t, m := binary.Uvarint(c.p[n:])
	c.p = c.p[n+m:]
	c.left--
	if first {
		c.ord = uint32(d)
	} else {
		c.ord += uint32(d)
	}
	c.tf = uint32(t)
}

// seek moves to the first posting at or after ord, skipping the blocks
// that end before it, and returns its ordinal.
func (c *postingCursor) seek(ord uint32) uint32 {
	if c.ord >= ord {
		return c.ord
	}
	if bl := c.l.blocks; bl[c.block].last < ord {
		i := c.block + 1 + sort.Search(len(bl)-c.block-1, func(k int) bool { return bl[c.block+1+k].last >= ord })
		if i >= len(bl) {
			c.block, c.ord, c.tf, c.left = len(bl), math.MaxUint32, 0, 0
			return c.ord
		}
		c.load(i)
		c.next()
	}
	for c.ord < ord {
		c.next()
	}
	return c.ord
}
