package eval

import (
	"strings"
	"unicode"
)

// asciiPunct is Python's string.punctuation, which the SQuAD evaluation
// removes; it includes ASCII symbols such as $ and + that Unicode does not
// class as punctuation.
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// Normalize normalises an answer as the SQuAD v1.1 evaluation script does:
// it lowercases, removes punctuation, removes the articles a, an and the,
// and collapses white space. Punctuation is the ASCII set of the script
// plus every Unicode punctuation character, so curly quotes, apostrophes
// and dashes go too. Removing a character joins its neighbours, as in the
// script: "30,000" becomes "30000" and "Trump’s" becomes "trumps".
func Normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || (r < unicode.MaxASCII && strings.ContainsRune(asciiPunct, r)) {
			return -1
		}
		return r
	}, strings.ToLower(s))
	words := strings.Fields(s)
	out := words[:0]
	for _, w := range words {
		if w != "a" && w != "an" && w != "the" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// AnswerMatches reports whether text contains one of the gold answers after
// both are normalised with Normalize. Containment is on the normalised
// strings, not on whole words, so a short numeric answer can match inside
// a longer number: gold answers should be specific. Answers that normalise
// to nothing never match.
func AnswerMatches(text string, answers []string) bool {
	norm := Normalize(text)
	for _, a := range answers {
		if na := Normalize(a); na != "" && strings.Contains(norm, na) {
			return true
		}
	}
	return false
}
