package local

import (
	"container/heap"
	"slices"
	"strings"
)

// scored is a chunk and its score in one ranking.
type scored struct {
	entry *chunkEntry
	score float64
}

// better reports whether a ranks before b: higher score first, then chunk ID
// so that rankings are deterministic.
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.entry.chunk.ID < b.entry.chunk.ID
}

// topK keeps the n best scored chunks seen so far.
type topK struct {
	n int
	h minHeap
}

func newTopK(n int) *topK { return &topK{n: n} }

func (t *topK) push(s scored) {
	if len(t.h) < t.n {
		heap.Push(&t.h, s)
		return
	}
	if better(s, t.h[0]) {
		t.h[0] = s
		heap.Fix(&t.h, 0)
	}
}

// admits reports whether a chunk with this score could be kept: push would
// drop it otherwise, whatever its ID.
func (t *topK) admits(score float64) bool {
	return len(t.h) < t.n || score >= t.h[0].score
}

// sorted returns the kept chunks, best first.
func (t *topK) sorted() []scored {
	out := slices.Clone([]scored(t.h))
	slices.SortFunc(out, func(a, b scored) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return strings.Compare(a.entry.chunk.ID, b.entry.chunk.ID)
	})
	return out
}

// minHeap has the worst kept chunk at its root.
type minHeap []scored

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// ordScore is a chunk's ordinal and its score in an approximate ranking.
type ordScore struct {
	score float32
	ord   uint32
}

// ordTop keeps the n best ordinals by score, the lower ordinal first among
// equal scores: the candidates of the int8 scan, which are scored exactly
// afterwards. A heap of plain values, with no chunk to reach for a tie.
type ordTop struct {
	n int
	h []ordScore // a heap with the worst kept at its root
}

// worse reports whether a ranks after b.
func (a ordScore) worse(b ordScore) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.ord > b.ord
}

// admits reports whether a score could be kept.
func (t *ordTop) admits(score float32) bool {
	return len(t.h) < t.n || score >= t.h[0].score
}

func (t *ordTop) push(x ordScore) {
	h := t.h
	if len(h) < t.n {
		h = append(h, x)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !h[i].worse(h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		t.h = h
		return
	}
	if !h[0].worse(x) {
		return
	}
	h[0] = x
	for i := 0; ; {
		l, least := 2*i+1, i
		if l < len(h) && h[l].worse(h[least]) {
			least = l
		}
		if r := l + 1; r < len(h) && h[r].worse(h[least]) {
			least = r
		}
		if least == i {
			return
		}
		h[i], h[least] = h[least], h[i]
		i = least
	}
}
