package embed

import (
	"unicode"
	"unicode/utf8"
)

// A word, for GloVe, is a run of letters and digits, lowercased, in which
// single apostrophes or hyphens between two letters or digits are kept
// ("don't", "well-known"). Latin letters with diacritics fold to their ASCII
// base ("café" -> "cafe", "Straße" -> "strasse") because the vocabulary is
// ASCII; combining marks are dropped; other scripts are kept lowercased.

// latinFold maps U+00C0..U+017F, lowercased, to an ASCII letter; '_' marks the
// few that need more than one letter (see foldRune) or are not letters.
const latinFold = "" +
	"aaaaaa_ceeeeiiiidnooooo_ouuuuy__" + // U+00C0
	"aaaaaa_ceeeeiiiidnooooo_ouuuuy_y" + // U+00E0
	"aaaaaaccccccccddddeeeeeeeeeegggg" + // U+0100
	"gggghhhhiiiiiiiiii__jjkkklllllll" + // U+0120
	"lllnnnnnnnnnoooooo__rrrrrrssssss" + // U+0140
	"ssttttttuuuuuuuuuuuuwwyyyzzzzzzs" //   U+0160

// appendFolded appends the lowercased, ASCII-folded form of the letter or
// digit r to dst.
func appendFolded(dst []byte, r rune) []byte {
	r = unicode.ToLower(r)
	if r >= 0xC0 && r < 0xC0+rune(len(latinFold)) {
		if c := latinFold[r-0xC0]; c != '_' {
			return append(dst, c)
		}
		switch r {
		case 'æ':
			return append(dst, "ae"...)
		case 'ß':
			return append(dst, "ss"...)
		case 'þ':
			return append(dst, "th"...)
		case 'ĳ':
			return append(dst, "ij"...)
		case 'œ':
			return append(dst, "oe"...)
		}
	}
	return utf8.AppendRune(dst, r)
}

// rune classes for the tokenizer.
const (
	classOther = iota
	classWord
	classMark // combining mark: part of a word, dropped
	classApostrophe
	classHyphen
)

func classify(r rune) int {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return classWord
		case r == '\'':
			return classApostrophe
		case r == '-':
			return classHyphen
		}
		return classOther
	case r == '\u2019' || r == '\u02BC': // right single quotation mark, modifier letter apostrophe
		return classApostrophe
	case r == '\u2010' || r == '\u2011': // hyphen, non-breaking hyphen
		return classHyphen
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return classWord
	case unicode.In(r, unicode.Mn):
		return classMark
	}
	return classOther
}

// tokenizer splits text into words and hands each to a callback, reusing its
// buffers between words so that scanning does not allocate.
type tokenizer struct {
	word []byte
	// joins holds the offsets in word of its apostrophes and hyphens.
	joins []int
}

// scan calls fn for each word of text. The word's bytes and join offsets are
// only valid during the call.
func (t *tokenizer) scan(text string, fn func(word []byte, joins []int)) {
	t.word, t.joins = t.word[:0], t.joins[:0]
	var pending byte // a joiner seen after a word character, kept only if another follows
	flush := func() {
		if len(t.word) > 0 {
			fn(t.word, t.joins)
		}
		t.word, t.joins, pending = t.word[:0], t.joins[:0], 0
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			// ASCII fast path.
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case c == '\'' || c == '-':
				if len(t.word) > 0 && pending == 0 {
					pending = c
				} else {
					flush()
				}
				continue
			default:
				flush()
				continue
			}
			if pending != 0 {
				t.joins = append(t.joins, len(t.word))
				t.word = append(t.word, pending)
				pending = 0
			}
			t.word = append(t.word, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch classify(r) {
		case classWord:
			if pending != 0 {
				t.joins = append(t.joins, len(t.word))
				t.word = append(t.word, pending)
				pending = 0
			}
			t.word = appendFolded(t.word, r)
		case classMark:
			if len(t.word) == 0 || pending != 0 {
				flush()
			}
		case classApostrophe, classHyphen:
			j := byte('\'')
			if classify(r) == classHyphen {
				j = '-'
			}
			if len(t.word) > 0 && pending == 0 {
				pending = j
			} else {
				flush()
			}
		default:
			flush()
		}
	}
	flush()
}
