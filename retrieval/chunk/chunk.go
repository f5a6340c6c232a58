// Package chunk splits text into sentences and into chunks of whole
// sentences, the passages ragd embeds and ranks.
package chunk

import (
	"unicode"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval/analysis"
)

// Chunking defaults, applied when a Options field is zero.
const (
	// DefaultTokens is the default chunk size in whitespace-separated words.
	DefaultTokens = 200
	// DefaultOverlap is the default number of words a chunk may repeat
	// from the end of the chunk before it.
	DefaultOverlap = 40
)

// Options configures Split. A token is a whitespace-separated word.
// Zero fields take the defaults; a negative TargetTokens also takes the
// default, a negative OverlapTokens disables overlap, and an overlap of the
// target or more is cut to one word less than the target.
type Options struct {
	// TargetTokens is the largest number of words a chunk may hold.
	TargetTokens int
	// OverlapTokens is the largest number of words a chunk repeats from the
	// previous chunk, always as whole trailing sentences.
	OverlapTokens int
}

// Span is a half-open range of byte offsets, text[Start:End].
type Span struct {
	Start, End int
}

// paragraphFill is the fraction of the target, as num/den, that a chunk must
// hold before it prefers to end at a paragraph end rather than fill up.
const (
	paragraphFillNum = 2
	paragraphFillDen = 3
)

// Sentences returns the spans of the sentences of text, in order, each
// trimmed of surrounding white space.
//
// Every line break ends a sentence: a line is a paragraph in the news text
// ragd ingests, and a line without final punctuation (a heading, a caption,
// a bullet) is a sentence of its own. Within a line, a sentence ends at ".",
// "!", "?" or an ellipsis, together with any closing quotes or brackets, when
// white space and then a character that is not a lower-case letter follow.
// A period does not end a sentence after a title such as "Mr." or "Dr.",
// after "e.g." or "i.e.", after "No." before a number, or after an initial,
// an abbreviation such as "St." or a dotted acronym such as "U.S." unless the
// next word is a capitalised function word ("The", "It", ...). A terminator
// glued to the next capitalised word ("options.Denmark", common in scraped
// pages) ends a sentence too. Bullet markers ("-", "*", "•", "1.") at the start
// of a line are part of the bullet's sentence.
func Sentences(text string) []Span {
	var out []Span
	scanSentences(text, func(s Span, _ bool) {
		out = append(out, s)
	})
	return out
}

// Split splits text into chunks of at most opt.TargetTokens words and
// returns their spans, in order. Chunks are made of whole sentences (see
// Sentences); only a sentence longer than the target is split, at word
// boundaries, into near-equal pieces. A chunk that has reached two thirds of
// the target ends at the last paragraph end it holds rather than in the
// middle of a paragraph. Each chunk after the first starts with the whole
// trailing sentences of the previous chunk that fit in opt.OverlapTokens
// words (never the whole previous chunk, and never so many that the chunk
// would exceed the target). Spans start and end on non-space characters.
func Split(text string, opt Options) []Span {
	target, overlap := opt.TargetTokens, opt.OverlapTokens
	if target <= 0 {
		target = DefaultTokens
	}
	switch {
	case overlap == 0:
		overlap = DefaultOverlap
	case overlap < 0:
		overlap = 0
	}
	if overlap >= target {
		overlap = target - 1
	}

	units := make([]chunkUnit, 0, len(text)/100+1)
	scanSentences(text, func(s Span, paraEnd bool) {
		units = appendUnits(units, text, s, paraEnd, target)
	})
	if len(units) == 0 {
		return nil
	}

	near := target * paragraphFillNum / paragraphFillDen
	chunks := make([]Span, 0, len(units)/4+1)
	prevFirst := -1
	for i := 0; i < len(units); {
		// Overlap: whole sentences from the end of the previous chunk,
		// leaving room for at least the first new unit.
		first, words := i, 0
		budget := min(overlap, target-units[i].words)
		for j := i - 1; j > prevFirst && prevFirst >= 0; j-- {
			if !units[j].whole || words+units[j].words > budget {
				break
			}
			words += units[j].words
			first = j
		}

		end := i
		for end < len(units) && words+units[end].words <= target {
			words += units[end].words
			end++
		}
		if end == i { // unreachable: units never exceed the target
			end = i + 1
		}

		if end < len(units) && !units[end-1].paraEnd {
			cum, best := words, -1
			for k := end - 1; k > i; k-- {
				cum -= units[k].words
				if units[k-1].paraEnd && cum >= near {
					best = k
					break
				}
			}
			if best > 0 {
				end = best
			}
		}

		chunks = append(chunks, Span{units[first].start, units[end-1].end})
		prevFirst = first
		i = end
	}
	return chunks
}

// chunkUnit is a sentence, or a piece of a sentence longer than the target.
type chunkUnit struct {
	start, end int
	words      int
	// paraEnd reports whether the unit ends a paragraph.
	paraEnd bool
	// whole reports whether the unit is a whole sentence.
	whole bool
}

// appendUnits appends the sentence s as one unit, or as near-equal pieces
// split at word boundaries when it holds more than target words.
func appendUnits(units []chunkUnit, text string, s Span, paraEnd bool, target int) []chunkUnit {
	n := countWords(text[s.Start:s.End])
	if n <= target {
		return append(units, chunkUnit{s.Start, s.End, n, paraEnd, true})
	}
	pieces := (n + target - 1) / target
	next := 1                        // the piece that starts at word index cut
	cut := (n + pieces - 1) / pieces // word index at which piece next starts
	word, first := 0, 0              // index of the next word, first word of the piece
	start, inWord := s.Start, false
	for i := s.Start; i < s.End; {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if isSpace(r) {
			inWord = false
		} else if !inWord {
			if word == cut && next < pieces {
				units = append(units, chunkUnit{start, trimRight(text, start, i), word - first, false, false})
				start, first = i, word
				next++
				cut = (n*next + pieces - 1) / pieces
			}
			word++
			inWord = true
		}
		i += size
	}
	return append(units, chunkUnit{start, s.End, word - first, paraEnd, false})
}

// countWords counts the whitespace-separated words of s, as strings.Fields
// would, without allocating.
func countWords(s string) int {
	n, inWord := 0, false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if asciiSpace[c] {
				inWord = false
			} else if !inWord {
				inWord = true
				n++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if unicode.IsSpace(r) {
			inWord = false
		} else if !inWord {
			inWord = true
			n++
		}
	}
	return n
}

// asciiSpace marks the ASCII bytes unicode.IsSpace accepts.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// isSpace reports whether r is white space.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiSpace[r]
	}
	return unicode.IsSpace(r)
}

// trimRight returns the end of text[start:end] with trailing white space removed.
func trimRight(text string, start, end int) int {
	for end > start {
		r, size := utf8.DecodeLastRuneInString(text[start:end])
		if !isSpace(r) {
			break
		}
		end -= size
	}
	return end
}

// skipSpace returns the first offset at or after i, and before end, that is
// not white space.
func skipSpace(text string, i, end int) int {
	for i < end {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:end])
		}
		if !isSpace(r) {
			break
		}
		i += size
	}
	return i
}

// scanSentences calls emit with each sentence of text and whether it is the
// last sentence of its line (a paragraph end).
func scanSentences(text string, emit func(s Span, paraEnd bool)) {
	for lineStart := 0; lineStart < len(text); {
		lineEnd := lineStart
		for lineEnd < len(text) && text[lineEnd] != '\n' {
			lineEnd++
		}
		scanLine(text, lineStart, lineEnd, emit)
		lineStart = lineEnd + 1
	}
}

// scanLine emits the sentences of the line text[ls:le].
func scanLine(text string, ls, le int, emit func(Span, bool)) {
	start := skipSpace(text, ls, le)
	if start == le {
		return
	}
	i := skipBullet(text, start, le)
	for i < le {
		c := text[i]
		size := 1
		term := false
		switch {
		case c == '.' || c == '!' || c == '?':
			term = true
		case c >= utf8.RuneSelf:
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:le])
			term = r == '…'
		}
		if !term {
			i += size
			continue
		}
		// Take the whole run of terminators and closing punctuation.
		j := i + size
		single := c == '.'
		for j < le {
			r, n := rune(text[j]), 1
			if r >= utf8.RuneSelf {
				r, n = utf8.DecodeRuneInString(text[j:le])
			}
			if isTerminator(r) {
				single = false
			} else if !isCloser(r) {
				break
			}
			j += n
		}
		if j == le {
			break
		}
		k := skipSpace(text, j, le)
		if k == le {
			break
		}
		glued := k == j
		if glued && !gluedBoundary(text, start, i, j, le) {
			i = j
			continue
		}
		if !glued && !boundary(text, start, i, k, le, single && c == '.') {
			i = j
			continue
		}
		emit(Span{start, j}, false)
		start, i = k, k
	}
	if end := trimRight(text, start, le); end > start {
		emit(Span{start, end}, true)
	}
}

// skipBullet returns the offset just after a bullet or list marker
// ("- ", "* ", "• ", "1. ", "12) ") at i, or i when there is none.
func skipBullet(text string, i, le int) int {
	j := i
	switch {
	case text[i] == '-' || text[i] == '*' || text[i] == '+':
		j++
	case len(text[i:le]) >= len("•") && text[i:i+len("•")] == "•":
		j += len("•")
	default:
		for j < le && j-i < 3 && text[j] >= '0' && text[j] <= '9' {
			j++
		}
		if j == i || j == le || (text[j] != '.' && text[j] != ')') {
			return i
		}
		j++
	}
	if j < le && (text[j] == ' ' || text[j] == '\t') {
		return j
	}
	return i
}

// isTerminator reports whether r ends a sentence.
func isTerminator(r rune) bool {
	return r == '.' || r == '!' || r == '?' || r == '…'
}

// isCloser reports whether r is closing punctuation that stays with the
// sentence it follows.
func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '”', '’', '»', '›':
		return true
	}
	return false
}

// isOpener reports whether r is opening punctuation that may start a sentence.
func isOpener(r rune) bool {
	switch r {
	case '"', '\'', '(', '[', '{', '“', '‘', '«', '‹', '„', '¿', '¡':
		return true
	}
	return false
}

// boundary decides whether the terminator at text[i] (the sentence began at
// start) ends a sentence when the next sentence would begin at k. period
// reports a lone period.
func boundary(text string, start, i, k, le int, period bool) bool {
	// Find the first letter or digit of what follows.
	next, nextAt := rune(0), k
	for nextAt < le {
		r, n := utf8.DecodeRuneInString(text[nextAt:le])
		if !isOpener(r) {
			next = r
			break
		}
		nextAt += n
	}
	if unicode.IsLower(next) {
		return false
	}
	if !period {
		return true
	}
	word := wordBefore(text, start, i)
	if word == "" {
		return true
	}
	switch abbreviationKind(word) {
	case abbrevTitle:
		return false
	case abbrevNumber:
		return !unicode.IsDigit(next)
	case abbrevOther:
		return sentenceStarter(text, nextAt, le)
	}
	if isInitialOrAcronym(word) {
		return sentenceStarter(text, nextAt, le)
	}
	return true
}

// gluedBoundary decides whether a terminator run text[i:j] with no space
// before the next character ends a sentence, as in "options.Denmark": the
// terminator follows a lower-case word or closing punctuation, and a
// capitalised word follows.
func gluedBoundary(text string, start, i, j, le int) bool {
	if i == start {
		return false
	}
	before, _ := utf8.DecodeLastRuneInString(text[start:i])
	if !unicode.IsLower(before) && !isCloser(before) {
		return false
	}
	r1, n1 := utf8.DecodeRuneInString(text[j:le])
	if !unicode.IsUpper(r1) || j+n1 >= le {
		return false
	}
	r2, _ := utf8.DecodeRuneInString(text[j+n1 : le])
	if !unicode.IsLower(r2) {
		return false
	}
	word := wordBefore(text, start, i)
	return len(word) > 1 && abbreviationKind(word) == abbrevNone
}

// wordBefore returns the word that ends at text[i], without leading opening
// punctuation.
func wordBefore(text string, start, i int) string {
	w := i
	for w > start {
		r, n := utf8.DecodeLastRuneInString(text[start:w])
		if isSpace(r) {
			break
		}
		w -= n
	}
	for w < i {
		r, n := utf8.DecodeRuneInString(text[w:i])
		if !isOpener(r) {
			break
		}
		w += n
	}
	return text[w:i]
}

// sentenceStarter reports whether the word at text[k:] is a capitalised
// function word, the kind that starts sentences rather than continues names.
func sentenceStarter(text string, k, le int) bool {
	r, _ := utf8.DecodeRuneInString(text[k:le])
	if !unicode.IsUpper(r) {
		return false
	}
	e := k
	for e < le {
		r, n := utf8.DecodeRuneInString(text[e:le])
		if !unicode.IsLetter(r) && r != '\'' && r != '’' {
			break
		}
		e += n
	}
	var buf [16]byte
	w := buf[:0]
	for _, r := range text[k:e] {
		if r >= utf8.RuneSelf || len(w) == len(buf) {
			return false
		}
		if r == '’' {
			r = '\''
		}
		w = append(w, byte(unicode.ToLower(r)))
	}
	word := string(w)
	return analysis.IsStopWord(word) || word == "however" || word == "meanwhile"
}

// isInitialOrAcronym reports whether word (without its final period) is a
// single letter, as in "J.", or letters separated by periods, as in "U.S".
func isInitialOrAcronym(word string) bool {
	letters := 0
	prevDot := true
	for _, r := range word {
		switch {
		case r == '.':
			if prevDot {
				return false
			}
			prevDot = true
		case unicode.IsLetter(r):
			if !prevDot {
				return false
			}
			prevDot = false
			letters++
		default:
			return false
		}
	}
	return letters > 0 && !prevDot
}

// abbreviation kinds, by how a following period behaves.
const (
	abbrevNone   = iota
	abbrevTitle  // never ends a sentence: "Mr.", "Dr.", "e.g."
	abbrevNumber // does not end a sentence before a number: "No. 10"
	abbrevOther  // ends a sentence only before a function word: "St.", "Inc."
)

// abbreviationKind classifies word, the text before a period.
func abbreviationKind(word string) int {
	if len(word) > 8 {
		return abbrevNone
	}
	var buf [8]byte
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c >= utf8.RuneSelf {
			return abbrevNone
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(word)]) {
	case "mr", "mrs", "ms", "messrs", "mme", "mlle", "dr", "prof", "rev",
		"hon", "sen", "gen", "gov", "rep", "col", "lt", "capt", "sgt", "cpl",
		"maj", "brig", "adm", "cmdr", "cdr", "fr", "pres", "supt", "insp",
		"det", "e.g", "i.e", "cf", "vs", "viz", "approx", "ca", "incl":
		return abbrevTitle
	case "no", "nos", "nr", "pp", "vol", "art", "fig", "ch", "sec",
		"para", "op", "tel", "ext":
		return abbrevNumber
	case "st", "jr", "sr", "inc", "ltd", "co", "corp", "plc", "bros", "mt",
		"ave", "rd", "blvd", "est", "dept", "univ", "jan", "feb", "mar",
		"apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
		"etc", "al":
		return abbrevOther
	}
	return abbrevNone
}
