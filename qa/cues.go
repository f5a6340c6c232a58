package qa

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval/analysis"
)

// cueKind is the kind of answer a question asks for.
type cueKind int

const (
	cueNone cueKind = iota
	cueNumber
	cueDate
	cuePerson
	cuePlace
	cueQuote
)

// answerCue finds the asked-for kind of answer in sentences.
type answerCue struct {
	kind cueKind
	// focus is the analysed term a number answer counts ("troops" in "how
	// many troops"), or "" when the question names none.
	focus string
	// label marks a quotation question that asks for a word or a short
	// phrase ("what word did she use", "how did he describe it"): a quoted
	// clause is a weaker answer to it than a quoted label.
	label bool
	an    *analysis.Analyzer
}

// maxLabelWords is the most words a quoted label has; a longer quotation
// is a statement, not a name for something.
const maxLabelWords = 5

var howManyFocus = regexp.MustCompile(`(?i)\bhow many\s+(?:more\s+|extra\s+|additional\s+)?([\pL-]+)`)

var (
	numberQuestion = regexp.MustCompile(`(?i)\b(how (many|much|long|far|big|large|old|often)|what (number|percentage|proportion|share|amount|sum|size|figure|price|cost)|what per ?cent)\b`)
	dateQuestion   = regexp.MustCompile(`(?i)(^|\b)(when|what (year|date|day|month|time)|which (year|day|month|date)|on what (day|date))\b`)
	personQuestion = regexp.MustCompile(`(?i)(^|\b)(who|whom|whose|(which|what)\s+(?:[\pL-]+\s+){0,3}(person|man|woman|leader|minister|president|official|politician|secretary|chancellor|general|adviser|advisor|spokesman|spokeswoman|diplomat|envoy|analyst|expert))\b`)
	quoteQuestion  = regexp.MustCompile(`(?i)\b(what (word|words|term|phrase|expression)|how did .+ (describe|characteri[sz]e|call|label|brand|refer to)|what did .+ (call|label|describe|say|admit|warn|claim|insist|argue|suggest|tell|promise|predict))\b`)
	labelQuestion  = regexp.MustCompile(`(?i)\b((what|which) (word|words|term|phrase|expression)|how did .+ (describe|characteri[sz]e|call|label|brand|refer to)|what did .+ (call|label|describe))\b`)
	quoteSpan      = regexp.MustCompile(`[“"‘][^“”"‘’]{2,400}(?:[”"’]|$)`)
	placeQuestion  = regexp.MustCompile(`(?i)(^|\b)(where|which (country|city|town|place|capital|state|region|continent))\b`)

	numberSpan = regexp.MustCompile(`(?i)(?:[£$€]\s?)?\b\d[\d,]*(?:\.\d+)?(?:\s?(?:%|per cent|percent|bn|billion|m\b|million|thousand|trillion|k\b))?(?:\s+(?:[a-z]+)){0,1}|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|dozens?|hundreds|thousands|millions)\b(?:\s+(?:[a-z]+)){0,1}`)
	dateSpan   = regexp.MustCompile(`(?i)\b(?:(?:\d{1,2}\s+)?(?:January|February|March|April|May|June|July|August|September|October|November|December)(?:\s+\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s+\d{4})?|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|(?:19|20)\d\d|yesterday|today|tomorrow|last (?:week|month|year)|next (?:week|month|year))\b`)
	nameSpan   = regexp.MustCompile(`\b(?:(?:Sir|Mr|Mrs|Ms|Dr|President|Prime Minister|Chancellor)\s+)?[A-Z][a-zà-ÿ'’]+(?:[ -](?:[A-Z][a-zà-ÿ'’]+|de|von|van|al))*\b`)
)

// detectCue reads the kind of answer a question asks for.
func (a *Answerer) detectCue(q string) answerCue {
	switch {
	case quoteQuestion.MatchString(q):
		return answerCue{kind: cueQuote, label: labelQuestion.MatchString(q), an: a.an}
	case numberQuestion.MatchString(q):
		c := answerCue{kind: cueNumber, an: a.an}
		if m := howManyFocus.FindStringSubmatch(q); m != nil {
			if ts := a.an.Terms(m[1]); len(ts) > 0 {
				c.focus = ts[0]
			}
		}
		return c
	case dateQuestion.MatchString(q):
		return answerCue{kind: cueDate, an: a.an}
	case personQuestion.MatchString(q):
		return answerCue{kind: cuePerson, an: a.an}
	case placeQuestion.MatchString(q):
		return answerCue{kind: cuePlace, an: a.an}
	}
	return answerCue{kind: cueNone, an: a.an}
}

// stopNames are capitalised words that start sentences or name months and
// days rather than people or places.
var stopNames = map[string]bool{
	"The": true, "A": true, "An": true, "He": true, "She": true, "It": true, "They": true, "We": true, "I": true,
	"But": true, "And": true, "In": true, "On": true, "At": true, "This": true, "That": true, "There": true,
	"His": true, "Her": true, "You": true, "Our": true, "My": true, "Your": true, "These": true, "Those": true, "Their": true, "Its": true, "If": true, "As": true, "However": true, "While": true,
	"Speaking": true, "According": true, "After": true, "Before": true, "When": true, "What": true, "Who": true,
}

// spans returns the byte spans in text of things of the cue's kind that the
// question does not already contain.
func (c answerCue) spans(text, question string) [][]int {
	var re *regexp.Regexp
	switch c.kind {
	case cueNumber:
		re = numberSpan
	case cueDate:
		re = dateSpan
	case cuePerson, cuePlace:
		re = nameSpan
	case cueQuote:
		re = quoteSpan
	default:
		return nil
	}
	lq := strings.ToLower(question)
	var out [][]int
	for _, m := range re.FindAllStringIndex(text, -1) {
		s := strings.TrimSpace(text[m[0]:m[1]])
		if s == "" {
			continue
		}
		if c.kind == cuePerson || c.kind == cuePlace {
			// "Trump’s stance": the name is "Trump".
			for _, poss := range []string{"’s", "'s"} {
				if t, ok := strings.CutSuffix(s, poss); ok && t != "" {
					m = []int{m[0], m[0] + len(t)} // a name starts the match
					s = t
					break
				}
			}
			first, _, _ := strings.Cut(s, " ")
			single := !strings.Contains(s, " ")
			if stopNames[first] && single {
				continue
			}
			// A single capitalised word opening a sentence is usually not
			// a name.
			if single && strings.TrimLeft(text[:m[0]], " \"'“‘(") == "" {
				continue
			}
		}
		if strings.Contains(lq, strings.ToLower(s)) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// score is 1 when text holds an answer of the asked-for kind, else 0. A
// number question with a focus ("how many troops") scores 1 only for a
// number of that thing, and 0.5 for any other number; a label question
// scores 1 only for a quoted label, and 0.5 for a longer quotation.
func (c answerCue) score(text, question string) float64 {
	spans := c.spans(text, question)
	if len(spans) == 0 {
		return 0
	}
	switch {
	case c.kind == cueNumber && c.focus != "":
		if c.focusSpan(text, spans) != nil {
			return 1
		}
		return 0.5
	case c.label:
		if c.labelSpan(text, spans) != nil {
			return 1
		}
		return 0.5
	}
	return 1
}

// labelSpan returns the first quoted span of at most maxLabelWords words.
func (c answerCue) labelSpan(text string, spans [][]int) []int {
	for _, m := range spans {
		if len(strings.Fields(text[m[0]:m[1]])) <= maxLabelWords {
			return m
		}
	}
	return nil
}

// focusSpan returns the first number span followed by the focus term.
func (c answerCue) focusSpan(text string, spans [][]int) []int {
	for _, m := range spans {
		rest := text[m[0]:min(len(text), m[1]+24)]
		for _, t := range c.an.Terms(rest) {
			if t == c.focus {
				return m
			}
		}
	}
	return nil
}

// highlight returns the document offsets of the first answer span inside a
// cited sentence, or nil when none is found.
func (c answerCue) highlight(cand *candidate, question string) *[2]int {
	spans := c.spans(cand.text, question)
	if len(spans) == 0 {
		return nil
	}
	m := spans[0]
	if c.kind == cueNumber && c.focus != "" {
		if f := c.focusSpan(cand.text, spans); f != nil {
			m = f
		}
	}
	if c.label {
		if f := c.labelSpan(cand.text, spans); f != nil {
			m = f
		}
	}
	// A number's trailing word is kept only when it is a unit of the answer,
	// not a verb: trim it when the question does not contain it either.
	text := strings.TrimRight(cand.text[m[0]:m[1]], " ")
	start := cand.start + utf8.RuneCountInString(cand.text[:m[0]])
	end := start + utf8.RuneCountInString(text)
	return &[2]int{start, end}
}
