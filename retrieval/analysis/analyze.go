// Package analysis turns English text into index terms: tokens, folded,
// normalised and stemmed, without stop words, and parses queries.
package analysis

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// Version changes whenever Terms would analyse a text differently; a store
// whose terms an older version produced analyses its documents again.
//
//	1: Snowball English with ragd's tokenizer
//	2: irregular forms and British spellings normalised before stemming
//	3: Greek letters spelled out ("TNF-α" as "TNF-alpha")
//	4: acronym plurals lose their "s" ("DCs" as "DC")
const Version = 4

// Query is a search query after English analysis.
type Query struct {
	// Terms are the analysed terms of the whole query, quoted parts
	// included, in order and with repeats.
	Terms []string
	// Phrases are the texts between double quotes, as typed, trimmed.
	Phrases []string
}

// Terms returns the index-time terms of text, in order, for term frequencies.
//
// Tokens are runs of Unicode letters, digits and combining marks. A token is
// lower-cased, Latin letters lose their diacritics ("é" -> "e", "ß" -> "ss"),
// and curly apostrophes become straight ones. Words lose a possessive "'s"
// ("Trump’s" -> "trump"), English stop words (the Snowball list) are dropped
// and the rest are stemmed with Snowball English (Porter2).
//
// Numbers are kept whole and never stemmed: "2.5" is one term, and thousands
// commas are removed, so "30,000" and "30000" are both "30000". A number
// with a percent sign or a currency symbol is indexed twice, as written and
// bare: "2.5%" gives "2.5%" then "2.5", "£10bn" gives "£10bn" then "10bn"
// (ParseQuery keeps only the form as written, so a query "2.5%" finds only
// percentages while a query "2.5" finds both). Dotted acronyms lose their
// periods ("U.S." -> "us", like "US"), and acronym plurals their "s"
// ("DCs" -> "dc", like "DC"; see acronymPlural).
//
// A hyphenated word gives its parts then the parts joined: "peace-keeping"
// gives "peac", "keep", then "peacekeep", which is also the term of
// "peacekeeping", so either spelling finds the other. Dashes (– and —) are
// not hyphens. Since those extra terms follow the term they derive from,
// positions are only approximate; phrase checks use NormalizePhrase instead.
func Terms(text string) []string {
	return analyze(text, false, nil)
}

// ParseQuery analyses the query q like Terms, keeping only the written form
// of numbers with a percent sign or a currency symbol, and collects the
// phrases between double quotes (straight or curly). A quote left open at
// the end of the query starts no phrase; its words are still terms. Only
// double quotes delimit phrases, since ’ is also an apostrophe.
func ParseQuery(q string) Query {
	return parseQuery(q, nil)
}

// maxCachedStems bounds the stems an Analyzer remembers; past it, new words
// are stemmed each time they are met.
const maxCachedStems = 1 << 17

// Analyzer analyses text exactly like Terms and ParseQuery but remembers the
// Snowball stems it computes, which are the bulk of the cost: one Analyzer
// shared by all the documents of an index analyses them several times faster
// than Terms. It remembers at most about 130,000 words. The zero value is
// ready to use, and an Analyzer is safe for concurrent use.
type Analyzer struct {
	mu    sync.RWMutex
	stems map[string]string
}

// Terms returns the index-time terms of text, as the package's Terms does.
func (an *Analyzer) Terms(text string) []string {
	return analyze(text, false, an)
}

// ParseQuery parses the query q, as the package's ParseQuery does.
func (an *Analyzer) ParseQuery(q string) Query {
	return parseQuery(q, an)
}

// stem returns the remembered stem of word, if any.
func (an *Analyzer) stem(word []byte) (string, bool) {
	an.mu.RLock()
	stem, ok := an.stems[string(word)]
	an.mu.RUnlock()
	return stem, ok
}

// remember records the stem of word, unless the Analyzer is full.
func (an *Analyzer) remember(word, stem string) {
	an.mu.Lock()
	defer an.mu.Unlock()
	if an.stems == nil {
		an.stems = make(map[string]string, 1024)
	}
	if len(an.stems) < maxCachedStems {
		an.stems[word] = stem
	}
}

// parseQuery implements ParseQuery, with the stems of shared if it is not nil.
func parseQuery(q string, shared *Analyzer) Query {
	query := Query{Terms: analyze(q, true, shared)}
	open := -1
	for i, r := range q {
		if !isDoubleQuote(r) {
			continue
		}
		if open < 0 {
			open = i + utf8.RuneLen(r)
			continue
		}
		if p := strings.TrimSpace(q[open:i]); p != "" {
			query.Phrases = append(query.Phrases, p)
		}
		open = -1
	}
	return query
}

// NormalizePhrase returns s lower-cased, with curly quotes, apostrophes and
// dashes folded to their ASCII forms, "…" to "...", and every run of white
// space collapsed to one space, trimmed. A chunk contains a phrase when
// NormalizePhrase(chunk) contains NormalizePhrase(phrase).
func NormalizePhrase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		switch r {
		case '‘', '’', '‚', '‛', '′', 'ʼ':
			b.WriteByte('\'')
		case '“', '”', '„', '‟', '″':
			b.WriteByte('"')
		case '‐', '‑', '‒', '–', '—', '―', '−':
			b.WriteByte('-')
		case '…':
			b.WriteString("...")
		default:
			if r < utf8.RuneSelf {
				if 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
				b.WriteByte(byte(r))
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		}
	}
	return b.String()
}

// isDoubleQuote reports whether r opens or closes a quoted phrase.
func isDoubleQuote(r rune) bool {
	switch r {
	case '"', '“', '”', '„', '‟', '«', '»':
		return true
	}
	return false
}

// tokenPart is one hyphen-separated part of a token, as a range of the
// analyzer's buffer.
type tokenPart struct {
	start, end int
	// prefix is the byte length of a leading currency symbol.
	prefix int
	// percent reports a trailing "%".
	percent bool
	digit   bool
}

// acronymPlural reports whether raw, a token part as written, is the plural
// of an acronym: two or more capitals and a final lower-case "s" after a
// capital ("RNAs", "miRNAs", "MSCs", "MPs", "PhDs"). Snowball cannot take
// that "s" off when no vowel precedes the last letter ("dcs", "rnas"), so
// "DCs" would never meet "DC".
func acronymPlural(raw string) bool {
	n := len(raw)
	if n < 3 || raw[n-1] != 's' || raw[n-2] < 'A' || raw[n-2] > 'Z' {
		return false
	}
	capitals := 0
	for i := 0; i < n-1; i++ {
		if 'A' <= raw[i] && raw[i] <= 'Z' {
			capitals++
		}
	}
	return capitals >= 2
}

// analyzer holds the scratch space of one analysis.
type analyzer struct {
	buf   []byte
	parts []tokenPart
	terms []string
	query bool
	// stems caches the stems of the words seen so far when shared is nil:
	// Snowball stemming costs far more than a map look-up, and words repeat.
	stems map[string]string
	// shared, if not nil, remembers stems across analyses instead.
	shared *Analyzer
}

// analyze returns the terms of text; query selects query-time analysis, and
// shared, if not nil, remembers stems across calls.
func analyze(text string, query bool, shared *Analyzer) []string {
	a := analyzer{
		buf:    make([]byte, 0, 64),
		parts:  make([]tokenPart, 0, 4),
		terms:  make([]string, 0, len(text)/8+1),
		query:  query,
		shared: shared,
	}
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if isWordRune(r) || (unicode.Is(unicode.Sc, r) && i+size < len(text) && isDigit(text[i+size])) {
			next := a.token(text, i)
			if next <= i {
				// A word rune no token takes, such as an apostrophe
				// letter ("ʼ") outside a word: skip it.
				next = i + size
			}
			i = next
			continue
		}
		i += size
	}
	return a.terms
}

// token reads the token starting at text[i], emits its terms and returns the
// offset after it.
func (a *analyzer) token(text string, i int) int {
	a.buf = a.buf[:0]
	a.parts = a.parts[:0]
	for {
		i = a.part(text, i)
		// A hyphen joins two parts of one word.
		r, size := utf8.DecodeRuneInString(text[i:])
		if r != '-' && r != '‐' && r != '‑' {
			break
		}
		next, _ := utf8.DecodeRuneInString(text[i+size:])
		if !isWordRune(next) {
			break
		}
		i += size
	}
	a.emit()
	return i
}

// part reads one hyphen-free part of a token into the buffer.
func (a *analyzer) part(text string, i int) int {
	p := tokenPart{start: len(a.buf)}
	raw := i
	if r, size := utf8.DecodeRuneInString(text[i:]); unicode.Is(unicode.Sc, r) {
		a.buf = append(a.buf, text[i:i+size]...)
		p.prefix = size
		i += size
	}
	run := 0 // letters since the token start or the last acronym period
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z':
				a.buf = append(a.buf, c)
				run++
			case 'A' <= c && c <= 'Z':
				a.buf = append(a.buf, c+'a'-'A')
				run++
			case '0' <= c && c <= '9':
				a.buf = append(a.buf, c)
				p.digit = true
				run = 2
			case (c == '.' || c == ',') && a.lastIsDigit(p) && i+1 < len(text) && isDigit(text[i+1]):
				if c == '.' {
					a.buf = append(a.buf, '.')
				} else if !thousands(text, i+1) {
					return a.endPart(p, text, raw, i)
				}
			case c == '.' && run == 1 && acronymNext(text, i+1):
				run = 0
			case c == '\'' && a.lastIsLetter(p) && letterAt(text, i+1):
				a.buf = append(a.buf, '\'')
			default:
				return a.endPart(p, text, raw, i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '’' || r == 'ʼ' || r == '‘':
			if !a.lastIsLetter(p) || !letterAt(text, i+size) {
				return a.endPart(p, text, raw, i)
			}
			a.buf = append(a.buf, '\'')
		case unicode.IsLetter(r):
			a.buf = appendFolded(a.buf, r)
			run++
		case unicode.IsDigit(r):
			a.buf = utf8.AppendRune(a.buf, r)
			p.digit = true
			run = 2
		case unicode.IsMark(r):
			if r < 0x300 || r > 0x36f { // combining diacritics are folded away
				a.buf = utf8.AppendRune(a.buf, r)
			}
		default:
			return a.endPart(p, text, raw, i)
		}
		i += size
	}
	return a.endPart(p, text, raw, i)
}

// endPart records the part p, read from text[raw:i], taking a "%" that
// follows a number, and returns the offset after it. An acronym's plural
// "s" is dropped.
func (a *analyzer) endPart(p tokenPart, text string, raw, i int) int {
	if acronymPlural(text[raw:i]) {
		a.buf = a.buf[:len(a.buf)-1]
	}
	if i < len(text) && text[i] == '%' && a.lastIsDigit(p) {
		a.buf = append(a.buf, '%')
		p.percent = true
		i++
	}
	p.end = len(a.buf)
	if p.end > p.start {
		a.parts = append(a.parts, p)
	}
	return i
}

// lastIsDigit reports whether the part p being read ends in an ASCII digit.
func (a *analyzer) lastIsDigit(p tokenPart) bool {
	return len(a.buf) > p.start+p.prefix && isDigit(a.buf[len(a.buf)-1])
}

// lastIsLetter reports whether the part p being read ends in a letter.
func (a *analyzer) lastIsLetter(p tokenPart) bool {
	if len(a.buf) <= p.start {
		return false
	}
	r, _ := utf8.DecodeLastRune(a.buf[p.start:])
	return unicode.IsLetter(r)
}

// emit appends the terms of the token in the buffer.
func (a *analyzer) emit() {
	letters := false
	for _, p := range a.parts {
		w := a.buf[p.start:p.end]
		switch {
		case p.prefix > 0 || p.percent:
			a.terms = append(a.terms, string(w))
			if !a.query {
				bare := w[p.prefix:]
				if p.percent {
					bare = bare[:len(bare)-1]
				}
				a.terms = append(a.terms, string(bare))
			}
		case p.digit:
			a.terms = append(a.terms, string(w))
			letters = letters || hasLetter(w)
		default:
			a.addWord(w)
			letters = true
		}
	}
	if len(a.parts) < 2 || !letters {
		return
	}
	// The joined form of a hyphenated word, from the parts' bare forms.
	joined := make([]byte, 0, len(a.buf))
	digit := false
	for _, p := range a.parts {
		w := a.buf[p.start+p.prefix : p.end]
		if p.percent {
			w = w[:len(w)-1]
		}
		joined = append(joined, w...)
		digit = digit || p.digit
	}
	if digit {
		a.terms = append(a.terms, string(joined))
		return
	}
	a.addWord(joined)
}

// addWord appends the term of the word w, if it is not a stop word.
func (a *analyzer) addWord(w []byte) {
	if n := len(w); n > 2 && w[n-2] == '\'' && w[n-1] == 's' {
		w = w[:n-2]
	}
	if len(w) == 0 || IsStopWord(string(w)) {
		return
	}
	for _, c := range w {
		if c >= utf8.RuneSelf {
			a.terms = append(a.terms, string(w))
			return
		}
	}
	if a.shared != nil {
		stem, ok := a.shared.stem(w)
		if !ok {
			word := string(w)
			stem = english.Stem(normalizeWord(word), true)
			a.shared.remember(word, stem)
		}
		a.terms = append(a.terms, stem)
		return
	}
	if stem, ok := a.stems[string(w)]; ok {
		a.terms = append(a.terms, stem)
		return
	}
	if a.stems == nil {
		a.stems = make(map[string]string)
	}
	word := string(w)
	stem := english.Stem(normalizeWord(word), true)
	a.stems[word] = stem
	a.terms = append(a.terms, stem)
}

// thousands reports whether text[i:] starts with exactly three digits, the
// group after a thousands comma.
func thousands(text string, i int) bool {
	return i+3 <= len(text) && isDigit(text[i]) && isDigit(text[i+1]) && isDigit(text[i+2]) &&
		(i+3 == len(text) || !isDigit(text[i+3]))
}

// acronymNext reports whether text[i:] is a single letter followed by a
// period, the rest of a dotted acronym such as "U.S.".
func acronymNext(text string, i int) bool {
	r, size := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r) && i+size < len(text) && text[i+size] == '.'
}

// letterAt reports whether text[i:] starts with a letter.
func letterAt(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r)
}

// hasLetter reports whether w holds a letter.
func hasLetter(w []byte) bool {
	for len(w) > 0 {
		r, size := utf8.DecodeRune(w)
		if unicode.IsLetter(r) {
			return true
		}
		w = w[size:]
	}
	return false
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool {
	return '0' <= c && c <= '9'
}

// isWordRune reports whether r can be part of a token.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// appendFolded appends the letter r lower-cased, without diacritics when it
// is a Latin letter from Latin-1 or Latin Extended-A, and spelled out when
// it is a Greek letter (see greekNames).
func appendFolded(buf []byte, r rune) []byte {
	r = unicode.ToLower(r)
	if r >= 0xc0 && r < 0x180 {
		if f := latinFold[r-0xc0]; f != "" {
			return append(buf, f...)
		}
	}
	if r >= 'α' && r <= 'ω' {
		if f := greekNames[r-'α']; f != "" {
			return append(buf, f...)
		}
	}
	return utf8.AppendRune(buf, r)
}

// greekNames spells out the lower-case Greek letters, as science writes
// them either way: "TNF-α" and "TNF-alpha", "β-cells" and "beta cells",
// "NF-κB" and "NF-kappaB" are the same terms. Mu is left alone: "μg" is a
// unit, not "mug".
var greekNames = ['ω' - 'α' + 1]string{
	"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
	"lambda", "", "nu", "xi", "omicron", "pi", "rho", "sigma", "sigma", "tau", "upsilon",
	"phi", "chi", "psi", "omega",
}

// latinFold maps the lower-case letters U+00C0 to U+017F to ASCII; "" keeps
// the letter as it is.
var latinFold = [0x180 - 0xc0]string{
	// U+00C0 to U+00FF (upper case entries unused after ToLower).
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
	// U+0100 to U+017F.
	"a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
	"d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
	"g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
	"i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
	"l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
	"o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
	"s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
	"u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
}

// IsStopWord reports whether w is an English stop word: the Snowball list,
// plus "s" (left by "’s" after a dotted acronym).
func IsStopWord(w string) bool {
	switch w {
	case "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you",
		"your", "yours", "yourself", "yourselves", "he", "him", "his",
		"himself", "she", "her", "hers", "herself", "it", "its", "itself",
		"they", "them", "their", "theirs", "themselves", "what", "which",
		"who", "whom", "this", "that", "these", "those", "am", "is", "are",
		"was", "were", "be", "been", "being", "have", "has", "had", "having",
		"do", "does", "did", "doing", "would", "should", "could", "ought",
		"i'm", "you're", "he's", "she's", "it's", "we're", "they're", "i've",
		"you've", "we've", "they've", "i'd", "you'd", "he'd", "she'd", "we'd",
		"they'd", "i'll", "you'll", "he'll", "she'll", "we'll", "they'll",
		"isn't", "aren't", "wasn't", "weren't", "hasn't", "haven't", "hadn't",
		"doesn't", "don't", "didn't", "won't", "wouldn't", "shan't",
		"shouldn't", "can't", "cannot", "couldn't", "mustn't", "let's",
		"that's", "who's", "what's", "here's", "there's", "when's", "where's",
		"why's", "how's", "a", "an", "the", "and", "but", "if", "or",
		"because", "as", "until", "while", "of", "at", "by", "for", "with",
		"about", "against", "between", "into", "through", "during", "before",
		"after", "above", "below", "to", "from", "up", "down", "in", "out",
		"on", "off", "over", "under", "again", "further", "then", "once",
		"here", "there", "when", "where", "why", "how", "all", "any", "both",
		"each", "few", "more", "most", "other", "some", "such", "no", "nor",
		"not", "only", "own", "same", "so", "than", "too", "very", "s":
		return true
	}
	return false
}
