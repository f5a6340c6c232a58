package qa

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
)

// Weights of the sentence score. Lexical coverage dominates because a
// sentence that answers a question nearly always repeats its rare words; the
// embedding similarity rewards paraphrase; the cue rewards a sentence holding
// the kind of thing asked for; the rank prior prefers better passages. The
// lexical and dense weights were chosen on RealTime QA (0.45/0.35 answers
// 120 of 206, 0.55/0.25 117, 0.35/0.45 119).
const (
	weightLexical = 0.45
	weightDense   = 0.35
	weightCue     = 0.12
	weightRank    = 0.08
	// cueEvidence is the share of the evidence a number, date or name
	// question loses when the answer would quote nothing of that kind.
	cueEvidence = 0.4
	// maxSentences is the most sentences an extractive answer quotes.
	maxSentences = 3
	// minGain is the share of the question's weight a further sentence must
	// newly cover to be added.
	minGain = 0.15
)

// candidate is a sentence of a retrieved passage.
type candidate struct {
	hit        *retrieval.Hit
	rank       int
	text       string
	start, end int // code points in the document
	terms      map[string]bool
	prev, next *candidate // neighbouring sentences in the same passage
	coverage   float64    // IDF-weighted share of question terms in the sentence
	context    float64    // the same, counting the passage's title too
	dense      float64
	cue        float64
	score      float64
}

// extract picks the sentences that answer question among the hits.
func (a *Answerer) extract(ctx context.Context, question string, hits []retrieval.Hit) (Answer, error) {
	if len(hits) == 0 {
		return abstain(0), nil
	}
	qt := questionTerms(questionFrame.ReplaceAllString(question, " "))
	weights := a.cfg.Retriever.IDF(qt)
	total := 0.0
	for _, w := range weights {
		total += w
	}
	cue := detectCue(question)
	negated := hasNegation(question)

	cands := sentences(hits)
	if len(cands) == 0 {
		return abstain(0), nil
	}
	texts := make([]string, 0, len(cands)+1)
	texts = append(texts, question)
	for _, c := range cands {
		texts = append(texts, c.text)
	}
	vecs, err := a.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return Answer{}, fmt.Errorf("embed sentences: %w", err)
	}
	if len(vecs) != len(texts) {
		return Answer{}, fmt.Errorf("embed sentences: got %d vectors for %d texts", len(vecs), len(texts))
	}
	qvec := vecs[0]
	titleTerms := map[string]map[string]bool{}
	for i, c := range cands {
		if _, ok := titleTerms[c.hit.ID]; !ok {
			titleTerms[c.hit.ID] = termSet(c.hit.Title)
		}
		c.coverage = coverage(qt, weights, total, c.terms, nil)
		own := coverage(qt, weights, total, c.terms, titleTerms[c.hit.ID])
		// Terms of the neighbouring sentences count 0.7: a quotation's
		// speaker or a pronoun's referent is often one sentence away.
		near := coverage(qt, weights, total, union(c.terms, titleTerms[c.hit.ID]), c.neighbourTerms())
		c.context = own + 0.7*(near-own)
		c.dense = math.Max(0, cosine(qvec, vecs[i+1]))
		c.cue = cue.score(c.text, question)
		if negated && hasNegation(c.text) {
			c.cue += 0.5
		}
		c.score = weightLexical*c.context + weightDense*c.dense + weightCue*c.cue + weightRank/float64(1+c.rank)
	}
	slices.SortStableFunc(cands, func(x, y *candidate) int {
		switch {
		case x.score > y.score:
			return -1
		case x.score < y.score:
			return 1
		}
		return 0
	})
	best := cands[0]
	evidence := evidenceOf(best) * (0.4 + 0.6*entityCoverage(question, hits))
	if cue.kind != cueNone && cue.kind != cueQuote {
		// A question asking for a number, date or name is less supported
		// when neither the best sentence nor the neighbour an answer would
		// quote with it holds one. (Quoted words are a form an answer may
		// take, not a kind it must have.)
		found := best.cue
		if found < 1 && nearestWithCue(best, cue, question) != nil {
			found = 1
		}
		evidence *= 1 - cueEvidence + cueEvidence*found
	}
	if evidence < a.cfg.AbstainThreshold {
		return abstain(evidence), nil
	}
	chosen := a.choose(cands, qt, weights, total, cue, question)
	// When a "who" answer quotes the sentence naming the person the best
	// sentence calls "he" or "the president", a name in the best sentence
	// is someone else: only the naming sentence is highlighted.
	var anaphor *candidate
	if ant := best.antecedent(); ant != nil && cue.kind == cuePerson && slices.Contains(chosen, ant) {
		anaphor = best
	}
	ans := Answer{Evidence: evidence}
	var b strings.Builder
	for i, c := range chosen {
		n := i + 1
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(neutralizeMarkers(c.text))
		b.WriteString(" [")
		b.WriteString(strconv.Itoa(n))
		b.WriteString("]")
		cit := Citation{
			N: n, DocID: c.hit.DocID, ChunkID: c.hit.ID, Title: c.hit.Title, Source: c.hit.Source,
			Published: c.hit.Published, Quote: c.text, Start: c.start, End: c.end,
		}
		if c != anaphor {
			cit.Highlight = cue.highlight(c, question)
		}
		ans.Citations = append(ans.Citations, cit)
	}
	ans.Text = b.String()
	return ans, nil
}

// entityCoverage is the share of the names in a question (capitalised words
// after the first) that occur in the retrieved passages or their titles; 1
// when the question names nothing. A question about a name the passages never
// mention is rarely answered by them.
func entityCoverage(question string, hits []retrieval.Hit) float64 {
	var names []string
	for i, w := range strings.Fields(question) {
		w = strings.Trim(w, `"'“”‘’?!.,;:()`)
		if i == 0 || w == "" || !unicode.IsUpper([]rune(w)[0]) {
			continue
		}
		names = append(names, analyzer.Terms(w)...)
	}
	if len(names) == 0 {
		return 1
	}
	seen := map[string]bool{}
	for i := range hits {
		text := hits[i].Title + "\n" + hits[i].Text
		for _, t := range analyzer.Terms(text) {
			seen[t] = true
		}
		// An acronym in the question ("UN") names what the passage may
		// spell out ("United Nations").
		for _, m := range spelledOut.FindAllString(text, -1) {
			var initials strings.Builder
			for _, w := range strings.Fields(m) {
				if r := []rune(w)[0]; unicode.IsUpper(r) {
					initials.WriteRune(unicode.ToLower(r))
				}
			}
			seen[initials.String()] = true
		}
	}
	found := 0
	for _, n := range names {
		if seen[n] {
			found++
		}
	}
	return float64(found) / float64(len(names))
}

// spelledOut matches runs of two or more capitalised words, which may
// include "of", "and" or "for": the spelled-out form of an acronym.
var spelledOut = regexp.MustCompile(`\p{Lu}\pL+(?:\s+(?:(?:of|and|for|the)\s+)?\p{Lu}\pL+)+`)

// evidenceOf is the support a sentence gives: mostly how much of the
// question's weight it (with its title) covers, partly its similarity.
func evidenceOf(c *candidate) float64 {
	return 0.8*c.context + 0.2*c.dense
}

// choose returns the best sentence and up to two more that cover question
// terms the earlier ones miss, or that supply the asked-for kind of answer.
func (a *Answerer) choose(cands []*candidate, qt []string, weights []float64, total float64, cue answerCue, question string) []*candidate {
	chosen := []*candidate{cands[0]}
	covered := maps(cands[0].terms)
	if a := cands[0].antecedent(); a != nil && cue.kind == cuePerson {
		// Asked who, the answer names the person the best sentence
		// calls "he" or "the president".
		chosen = append(chosen, a)
		for t := range a.terms {
			covered[t] = true
		}
	}
	hasCue := cue.score(cands[0].text, question) == 1
	if cue.kind != cueNone && !hasCue {
		// The answer may sit next to the best sentence: the speaker of a
		// quotation or the subject of a pronoun a few sentences before, the
		// words quoted just after.
		if n := nearestWithCue(cands[0], cue, question); n != nil {
			chosen = append(chosen, n)
			hasCue = true
		}
	}
	if len(chosen) == 1 && restates(cands[0], question) {
		// A best sentence that only restates the question ("the most
		// transmissible variant yet has arrived") cannot hold the answer,
		// which is something the question does not say, and no neighbour
		// holds the asked-for kind of answer: the next statement usually
		// says it.
		next := cands[0].next
		for next != nil && isQuestion(next.text) {
			next = next.next
		}
		if next != nil {
			chosen = append(chosen, next)
			for t := range next.terms {
				covered[t] = true
			}
			hasCue = hasCue || cue.score(next.text, question) == 1
		}
	}
	for _, c := range cands[1:] {
		if len(chosen) == maxSentences {
			break
		}
		if c.score < 0.6*cands[0].score || overlaps(chosen, c) {
			continue
		}
		gain := coverage(qt, weights, total, c.terms, nil) - coverage(qt, weights, total, intersect(c.terms, covered), nil)
		addsCue := cue.kind != cueNone && !hasCue && cue.score(c.text, question) == 1
		if gain < minGain && !addsCue {
			continue
		}
		chosen = append(chosen, c)
		for t := range c.terms {
			covered[t] = true
		}
		hasCue = hasCue || cue.score(c.text, question) == 1
	}
	// Read in document order, keeping the best sentence's document first.
	docOrder := map[string]int{}
	for _, c := range chosen {
		if _, ok := docOrder[c.hit.DocID]; !ok {
			docOrder[c.hit.DocID] = len(docOrder)
		}
	}
	slices.SortStableFunc(chosen, func(x, y *candidate) int {
		if d := docOrder[x.hit.DocID] - docOrder[y.hit.DocID]; d != 0 {
			return d
		}
		return x.start - y.start
	})
	return chosen
}

// restates reports whether every term of c is also a term of the question.
func restates(c *candidate, question string) bool {
	if len(c.terms) == 0 {
		return false
	}
	q := termSet(question)
	for t := range c.terms {
		if !q[t] {
			return false
		}
	}
	return true
}

func abstain(evidence float64) Answer {
	return Answer{Text: AbstainText, Abstained: true, Evidence: evidence, Citations: []Citation{}}
}

// sentences splits every hit into candidate sentences, once per document
// position (overlapping chunks repeat sentences), leaving out questions.
func sentences(hits []retrieval.Hit) []*candidate {
	type key struct {
		doc   string
		start int
	}
	seen := map[key]bool{}
	var out []*candidate
	for i := range hits {
		h := &hits[i]
		var prev *candidate
		for _, ps := range passageSentences(h) {
			c := &candidate{hit: h, rank: i, text: ps.text, start: ps.start, end: ps.end, terms: ps.terms, prev: prev}
			if prev != nil {
				prev.next = c
			}
			prev = c
			k := key{h.DocID, c.start}
			if seen[k] || isQuestion(c.text) {
				// Scored once; a question asks rather than answers, but
				// both stay linked as neighbours.
				continue
			}
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

// isQuestion reports whether a sentence is a question: it ends with a
// question mark, perhaps inside closing quotes or brackets.
func isQuestion(sentence string) bool {
	return strings.HasSuffix(strings.TrimRight(sentence, " \"'”’)]"), "?")
}

// questionFrame matches the words of a question that name the kind of
// answer asked for ("what year", "how many", "which word") or its source
// ("according to"): an answering sentence states the answer instead, so
// they are not counted when sentences are matched with the question.
var questionFrame = regexp.MustCompile(`(?i)\b(?:(?:what|which|how)\s+(?:word|words|term|phrase|expression|number|percentage|proportion|share|amount|sum|size|figure|level|year|date|day|month|time|long|many|much|far|big|large|old|often|soon)|according\s+to)\b`)

// analyzer analyses questions and passages exactly as analysis.Terms does,
// remembering Snowball stems across answers: stemming the same words at
// every answer was a quarter of the time of an extractive ask.
var analyzer analysis.Analyzer

// questionTerms are the distinct analysed terms of a question.
func questionTerms(q string) []string {
	var out []string
	for _, t := range analyzer.Terms(q) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func termSet(text string) map[string]bool {
	m := map[string]bool{}
	for _, t := range analyzer.Terms(text) {
		m[t] = true
	}
	return m
}

// coverage is the IDF-weighted share of the question terms found in terms or
// extra.
func coverage(qt []string, weights []float64, total float64, terms, extra map[string]bool) float64 {
	if total == 0 {
		return 0
	}
	got := 0.0
	for i, t := range qt {
		if terms[t] || extra[t] {
			got += weights[i]
		}
	}
	return got / total
}

// neighbourTerms are the terms of the two sentences before and the one
// after the candidate in its passage, and of the sentence naming the person
// its subject refers to.
func (c *candidate) neighbourTerms() map[string]bool {
	out := map[string]bool{}
	for _, n := range []*candidate{c.prev, c.next, prevOf(c.prev), c.antecedent()} {
		if n != nil {
			for t := range n.terms {
				out[t] = true
			}
		}
	}
	return out
}

// anaphoricSubject matches a sentence whose subject refers to a person
// named earlier: a pronoun ("He also noted...") or a role ("The US
// president has...").
var anaphoricSubject = regexp.MustCompile(`^[“"‘]?(?:(?:He|She|His|Her)\b|The\s+(?:[\pL.-]+\s+){0,3}?(?:president|prime minister|minister|chancellor|secretary|leader|official|spokesman|spokeswoman|envoy|diplomat|general|adviser|advisor)\b)`)

// maxAntecedentDistance is how many sentences back the name a subject
// refers to is looked for.
const maxAntecedentDistance = 5

// antecedent returns the nearest of the sentences before c in its passage
// that names a person, when c's subject refers to one; nil otherwise.
func (c *candidate) antecedent() *candidate {
	if !anaphoricSubject.MatchString(c.text) {
		return nil
	}
	p := c.prev
	for range maxAntecedentDistance {
		if p == nil {
			return nil
		}
		if namesPerson(p.text) {
			return p
		}
		p = p.prev
	}
	return nil
}

// personName matches a name with a title ("Mr Johnson") or of two or more
// capitalised words ("Donald Trump").
var personName = regexp.MustCompile(`\b(?:(?:Sir|Mr|Mrs|Ms|Dr|Lord|Lady|President|Chancellor)\s+\p{Lu}\pL+|\p{Lu}\pL+(?:\s+\p{Lu}\pL+)+)`)

// namesPerson reports whether a sentence names a person outside
// quotation marks, where the person speaking or acted on is named.
func namesPerson(text string) bool {
	return personName.MatchString(quoteSpan.ReplaceAllString(text, " "))
}

// nearestWithCue returns the closest sentence, up to five before or two
// after c in its passage, that holds the asked-for kind of answer. At equal
// distance a quotation is looked for after c, where the words of the person
// c reports usually follow, and anything else before it, where the speaker
// or the subject of a pronoun usually is.
func nearestWithCue(c *candidate, cue answerCue, question string) *candidate {
	prev, next := c.prev, c.next
	for step := 0; step < 5 && (prev != nil || next != nil); step++ {
		if next != nil && step < 2 && cue.kind == cueQuote {
			if cue.score(next.text, question) == 1 {
				return next
			}
		}
		if prev != nil {
			if cue.score(prev.text, question) == 1 {
				return prev
			}
			prev = prev.prev
		}
		if next != nil && step < 2 {
			if cue.kind != cueQuote && cue.score(next.text, question) == 1 {
				return next
			}
			next = next.next
		}
	}
	return nil
}

func prevOf(c *candidate) *candidate {
	if c == nil {
		return nil
	}
	return c.prev
}

func union(a, b map[string]bool) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

var negation = regexp.MustCompile(`(?i)\b(not|never|no|nor|without|refused?|rejected?)\b|n[’']t\b`)

// hasNegation reports whether text contains a negation.
func hasNegation(text string) bool { return negation.MatchString(text) }

func maps(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func intersect(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if b[k] {
			out[k] = true
		}
	}
	return out
}

func overlaps(chosen []*candidate, c *candidate) bool {
	for _, o := range chosen {
		if o.hit.DocID == c.hit.DocID && c.start < o.end && o.start < c.end {
			return true
		}
		if o.text == c.text {
			return true
		}
	}
	return false
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
