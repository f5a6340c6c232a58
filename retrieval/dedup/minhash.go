// Package dedup recognises syndicated and lightly edited copies of one
// story by the MinHash of their word shingles, and groups them under a
// story ID.
package dedup

import (
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// Signature parameters.
const (
	// NumHashes is the length of a signature.
	NumHashes = 128
	// ShingleWords is how many consecutive words make a shingle.
	ShingleWords = 4
	// bandRows is how many hashes make one locality-sensitive band: 42
	// bands of three find a pair of similarity 0.5 as candidates with
	// probability 0.996 (0.9 at 0.35), one of 0.1 with 0.04; Similarity
	// then checks the candidates on the whole signature.
	bandRows = 3
	numBands = NumHashes / bandRows
)

// Signature is the MinHash signature of a text: for each of NumHashes hash
// functions, the least hash of the text's shingles. The share of equal
// positions in two signatures estimates the Jaccard similarity of the two
// texts' shingle sets.
//
// Each position keeps the high 32 bits of its hash function's value: an
// accidental tie of two different minima has probability 2^-32, and a
// signature takes 512 bytes.
type Signature [NumHashes]uint32

// seeds are the multipliers and offsets of the hash functions, from a
// fixed splitmix64 sequence so that signatures are stable across runs.
var seeds = func() (s [NumHashes][2]uint64) {
	x := uint64(0x9E3779B97F4A7C15)
	next := func() uint64 {
		x += 0x9E3779B97F4A7C15
		z := x
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		return z ^ (z >> 31)
	}
	for i := range s {
		s[i] = [2]uint64{next() | 1, next()}
	}
	return s
}()

// Sign returns the signature of text, and false when text has fewer than
// ShingleWords words (too short to compare). Words are runs of letters
// and digits, lowercased; punctuation, spacing and case do not matter.
//
// Sign reads text once and keeps only its last ShingleWords words: opening
// a store signs every stored text, and a copy of each would be garbage the
// size of the corpus.
func Sign(text string) (Signature, bool) {
	var sig Signature
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	// The last ShingleWords words, lowercased, word n at n%ShingleWords.
	var (
		window [ShingleWords][]byte
		space  [ShingleWords][32]byte
	)
	for i := range window {
		window[i] = space[i][:0]
	}
	n := 0 // words seen
	inWord := false
	for _, r := range text {
		r = unicode.ToLower(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if !inWord {
				window[n%ShingleWords] = window[n%ShingleWords][:0]
				inWord = true
			}
			w := &window[n%ShingleWords]
			*w = utf8.AppendRune(*w, r)
			continue
		}
		if inWord {
			inWord = false
			if n++; n >= ShingleWords {
				sig.add(&window, n)
			}
		}
	}
	if inWord {
		if n++; n >= ShingleWords {
			sig.add(&window, n)
		}
	}
	if n < ShingleWords {
		return Signature{}, false
	}
	return sig, true
}

// add takes into the signature the shingle of the last ShingleWords of
// the n words seen, held in window at their index modulo ShingleWords.
func (s *Signature) add(window *[ShingleWords][]byte, n int) {
	// FNV-1a over the words, each followed by a zero byte.
	h := uint64(fnvOffset)
	for k := n - ShingleWords; k < n; k++ {
		for _, c := range window[k%ShingleWords] {
			h = (h ^ uint64(c)) * fnvPrime
		}
		h *= fnvPrime // the zero byte
	}
	base := mix(h)
	for j := range s {
		if v := uint32((base*seeds[j][0] + seeds[j][1]) >> 32); v < s[j] {
			s[j] = v
		}
	}
}

// The 64-bit FNV-1a parameters (hash/fnv's).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix spreads the bits of an FNV hash, whose low bits are weak.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 33)) * 0xFF51AFD7ED558CCD
	z = (z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53
	return bits.RotateLeft64(z^(z>>33), 17)
}

// Similarity estimates the Jaccard similarity of the texts behind s and o.
func (s *Signature) Similarity(o *Signature) float64 {
	same := 0
	for i := range s {
		if s[i] == o[i] {
			same++
		}
	}
	return float64(same) / NumHashes
}

// bands returns the keys of the signature's locality-sensitive bands.
func (s *Signature) bands() [numBands]uint64 {
	var out [numBands]uint64
	for b := range out {
		k := uint64(b) * 0x9E3779B97F4A7C15
		for _, v := range s[b*bandRows : (b+1)*bandRows] {
			k = mix(k ^ uint64(v))
		}
		out[b] = k
	}
	return out
}
