package qa

import (
	"cmp"
	"context"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
)

// Limits of sentence choice. companionMargin and minGain were chosen on
// the choosing splits (400 questions of SQuAD articles 1-24 drawn with seed
// 3; RealTime QA weeks 1-11) by answer accuracy: margins 1, 2 and 3 gave
// 0.818, 0.835, 0.835 and 0.612, 0.621, 0.621; at margin 2, gains 0.05,
// 0.15 and 0.3 gave 0.853, 0.835, 0.805 and 0.670, 0.621, 0.563.
const (
	// maxSentences is the most sentences an extractive answer quotes.
	maxSentences = 3
	// minGain is the share of the question's weight a further sentence must
	// newly cover to be added.
	minGain = 0.05
	// companionMargin is how far below the best sentence's score (a
	// log-odds) a further sentence may be to be quoted with it: e^-2, about
	// a seventh as likely to be the answer.
	companionMargin = 2.0
)

// candidate is a sentence of a retrieved passage.
type candidate struct {
	hit        *retrieval.Hit
	rank       int
	pos        int // index of the sentence in its passage
	text       string
	start, end int // code points in the document
	terms      map[string]bool
	words      []string   // lowercased words with index terms, for soft matching
	prev, next *candidate // neighbouring sentences in the same passage
	cue        float64
	features   []float64
	score      float64 // the sentence model's score
}

// Candidate is a sentence of the retrieved passages as the answer model
// sees it; `ragd train` labels candidates to fit the model.
type Candidate struct {
	DocID    string
	Rank     int
	Text     string
	Features []float64
	// Score is the sentence model's score: the higher, the likelier the
	// sentence answers, among the sentences of one question.
	Score float64
}

// Judgement is what the answer models make of the passages retrieved for a
// question.
type Judgement struct {
	// Relevance holds the relevance model's features; RelevanceProb its
	// probability that the passages are about the question.
	Relevance     []float64
	RelevanceProb float64
	// Answerable holds the answerability model's features; Evidence its
	// probability that the best sentence answers.
	Answerable []float64
	Evidence   float64
	// Candidates are the sentences, best first.
	Candidates []Candidate
}

// Judge computes the features and probabilities of both answer models for
// question over hits, as answering does.
func (a *Answerer) Judge(ctx context.Context, question string, hits []retrieval.Hit) (Judgement, error) {
	j, err := a.judge(ctx, question, hits)
	if err != nil {
		return Judgement{}, err
	}
	out := Judgement{Relevance: j.relevance, RelevanceProb: j.relevanceProb, Answerable: j.answerable, Evidence: j.evidence}
	for _, c := range j.cands {
		out.Candidates = append(out.Candidates, Candidate{DocID: c.hit.DocID, Rank: c.rank, Text: c.text, Features: c.features, Score: c.score})
	}
	return out, nil
}

// judgement is the scored candidates of one question.
type judgement struct {
	qt            []string
	weights       []float64
	total         float64
	cue           answerCue
	cands         []*candidate // best first
	relevance     []float64
	relevanceProb float64
	answerable    []float64
	evidence      float64 // the answerability model's probability
}

// relevant reports whether the relevance gate lets the question through.
func (a *Answerer) relevant(j *judgement) bool {
	return len(j.cands) > 0 && j.relevanceProb >= a.cfg.Models.Relevance.Threshold
}

// judge scores every sentence of hits as an answer to question.
func (a *Answerer) judge(ctx context.Context, question string, hits []retrieval.Hit) (*judgement, error) {
	j := &judgement{}
	j.qt = a.questionTerms(questionFrame.ReplaceAllString(question, " "))
	j.weights = a.cfg.Retriever.IDF(j.qt)
	for _, w := range j.weights {
		j.total += w
	}
	j.cue = a.detectCue(question)
	j.cands = a.sentences(hits)
	if len(j.cands) == 0 {
		j.relevance = make([]float64, len(relevanceFeatureNames))
		return j, nil
	}
	if err := a.featurize(ctx, question, hits, j); err != nil {
		return nil, err
	}
	slices.SortStableFunc(j.cands, func(x, y *candidate) int { return cmp.Compare(y.score, x.score) })
	return j, nil
}

// extract picks the sentences that answer question among the hits, or
// abstains when the passages are not about the question or no sentence
// answers it.
func (a *Answerer) extract(ctx context.Context, question string, hits []retrieval.Hit) (Answer, *judgement, error) {
	j, err := a.judge(ctx, question, hits)
	if err != nil {
		return Answer{}, nil, err
	}
	if len(j.cands) == 0 {
		return abstain(0), j, nil
	}
	evidence := j.evidence
	if !a.relevant(j) || evidence < a.cfg.AbstainThreshold {
		return abstain(evidence), j, nil
	}
	return a.quote(j, question, evidence), j, nil
}

// quote writes the extractive answer: the best sentence and the ones
// chosen with it, each cited.
func (a *Answerer) quote(j *judgement, question string, evidence float64) Answer {
	cands, cue := j.cands, j.cue
	best := cands[0]
	chosen := a.choose(cands, j.qt, j.weights, j.total, cue, question)
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
		b.WriteString(neutralizeMarkers(balanceQuotes(c.text)))
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
	return ans
}

// balanceQuotes closes a quotation that a sentence opens and leaves open
// (the quotation goes on in the next sentence), and opens one that it
// closes without opening, so that the quoted sentence reads as a whole.
func balanceQuotes(s string) string {
	open, closed := strings.Count(s, "“"), strings.Count(s, "”")
	switch {
	case open > closed:
		return s + strings.Repeat("”", open-closed)
	case closed > open:
		return strings.Repeat("“", closed-open) + s
	}
	if n := strings.Count(s, `"`); n%2 == 1 {
		if strings.HasPrefix(strings.TrimSpace(s), `"`) {
			return s + `"`
		}
		return `"` + s
	}
	return s
}

// passageNames are the terms of the retrieved passages and their titles,
// with the initials of their spelled-out names ("United Nations" gives
// "un"): what a name of the question is looked for in.
func (a *Answerer) passageNames(hits []retrieval.Hit) map[string]bool {
	seen := map[string]bool{}
	for i := range hits {
		text := hits[i].Title + "\n" + hits[i].Text
		for _, t := range a.an.Terms(text) {
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
	return seen
}

// entityCoverage is the share of the names in a question (capitalised words
// after the first) that occur in seen, the passages' names (passageNames); 1
// when the question names nothing. A question about a name the passages never
// mention is rarely answered by them.
func (a *Answerer) entityCoverage(names []string, seen map[string]bool) float64 {
	if len(names) == 0 {
		return 1
	}
	found := 0
	for _, n := range names {
		if seen[n] || seen[a.alias[n]] {
			found++
		}
	}
	return float64(found) / float64(len(names))
}

// questionNames are the analysed terms of the capitalised words of a
// question after its first word; a hyphenated word gives its parts.
func (a *Answerer) questionNames(question string) []string {
	var names []string
	for i, w := range strings.Fields(question) {
		w = strings.Trim(w, `"'“”‘’?!.,;:()`)
		if i == 0 || w == "" || !unicode.IsUpper([]rune(w)[0]) {
			continue
		}
		terms := a.an.Terms(w)
		if strings.Contains(w, "-") && len(terms) > 1 {
			// "French-British" names France and Britain; the analyser's
			// joined term "frenchbritish", which it adds last, names
			// nothing a passage holds.
			joined := a.an.Terms(strings.ReplaceAll(w, "-", ""))
			if last := len(terms) - 1; len(joined) == 1 && terms[last] == joined[0] {
				terms = terms[:last]
			}
		}
		names = append(names, terms...)
	}
	return names
}

// spelledOut matches runs of two or more capitalised words, which may
// include "of", "and" or "for": the spelled-out form of an acronym.
var spelledOut = regexp.MustCompile(`\p{Lu}\pL+(?:\s+(?:(?:of|and|for|the)\s+)?\p{Lu}\pL+)+`)

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
	} else if sp := cands[0].speaker(); sp != nil && cue.kind == cuePerson {
		// Asked who said a quotation, the answer names the speaker the
		// article gives it, not someone named inside the quotation.
		chosen = append(chosen, sp)
		for t := range sp.terms {
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
	// A sentence that only restates the question ("the most
	// transmissible variant yet has arrived") cannot hold the answer,
	// which is something the question does not say: the next statement
	// usually says it, and is quoted with it.
	followRestatement := func(c *candidate) {
		if len(chosen) == maxSentences || !a.restates(c, question) {
			return
		}
		next := c.next
		for next != nil && isQuestion(next.text) {
			next = next.next
		}
		if next != nil && !overlaps(chosen, next) {
			chosen = append(chosen, next)
			for t := range next.terms {
				covered[t] = true
			}
			hasCue = hasCue || cue.score(next.text, question) == 1
		}
	}
	if len(chosen) == 1 {
		followRestatement(cands[0])
	}
	for _, c := range cands[1:] {
		if len(chosen) == maxSentences {
			break
		}
		if c.score < cands[0].score-companionMargin || overlaps(chosen, c) {
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
		followRestatement(c)
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
func (a *Answerer) restates(c *candidate, question string) bool {
	if len(c.terms) == 0 {
		return false
	}
	q := a.termSet(question)
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
func (a *Answerer) sentences(hits []retrieval.Hit) []*candidate {
	type key struct {
		doc   string
		start int
	}
	seen := map[key]bool{}
	var out []*candidate
	for i := range hits {
		h := &hits[i]
		var prev *candidate
		for pos, ps := range a.passageSentences(h) {
			c := &candidate{hit: h, rank: i, pos: pos, text: ps.text, start: ps.start, end: ps.end, terms: ps.terms, prev: prev}
			if prev != nil {
				prev.next = c
			}
			prev = c
			k := key{h.DocID, c.start}
			if seen[k] || isQuestion(c.text) || isHeading(c.text) {
				// Scored once; a question asks rather than answers, and
				// a heading labels what follows, but all stay linked as
				// neighbours.
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

// isHeading reports whether a sentence is a section label or heading
// ("Italy", "What happens next"): a few words without a closing
// punctuation mark.
func isHeading(sentence string) bool {
	t := strings.TrimRight(strings.TrimSpace(sentence), "\"'”’)]")
	if t == "" {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(t)
	return !strings.ContainsRune(".!?:;…", r) && len(strings.Fields(t)) <= 6
}

// questionFrame matches the words of a question that name the kind of
// answer asked for ("what year", "how many", "which word") or its source
// ("according to"): an answering sentence states the answer instead, so
// they are not counted when sentences are matched with the question.
var questionFrame = regexp.MustCompile(`(?i)\b(?:(?:what|which|how)\s+(?:word|words|term|phrase|expression|number|percentage|proportion|share|amount|sum|size|figure|level|year|date|day|month|time|long|many|much|far|big|large|old|often|soon)|according\s+to)\b`)

// answerType returns the words of a "which/what X" question that name
// the kind of thing it asks for ("Which TV channel did...", "What new
// treat did..."): up to three words after "which" or "what", ending before
// an auxiliary, a preposition, an article, a pronoun or a word that looks
// like a verb or an adverb. An answering sentence names the thing ("Fox
// News") and often not its kind, so the kind's words are weak evidence.
func answerType(question string) []string {
	words := strings.Fields(question)
	for i, w := range words {
		lw := strings.ToLower(strings.Trim(w, `"'“”‘’?!.,;:()`))
		if lw != "which" && lw != "what" {
			continue
		}
		var out []string
		for _, x := range words[i+1:] {
			bare := strings.Trim(x, `"'“”‘’?!.,;:()`)
			lx := strings.ToLower(bare)
			if len(out) == 0 && strings.HasSuffix(lx, "ly") && !typeStops[lx] {
				continue // "which wildly popular show"
			}
			if bare == "" || len(out) == 3 || typeStops[lx] || strings.HasSuffix(lx, "ed") || strings.HasSuffix(lx, "ly") {
				break
			}
			out = append(out, bare)
			if bare != x { // punctuation ends the phrase
				break
			}
		}
		return out
	}
	return nil
}

// typeStops end the answer-type phrase of answerType.
var typeStops = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`did does do is are was were be been has have had will would can could should may might must
		of in on at to for from with by about into over under after before during between against as than
		the a an this that these those his her its their our your my
		he she it they we you i who whom whose which what where when why how
		not also just still now then there here
		won made took gave became began bought sold said told led left lost met paid ran saw sent set spent stood held built
		caught chose drew drove fell felt found fought got grew hit kept knew put rose shot spoke struck taught threw wore wrote
		says makes owns plans wants hopes needs leads runs holds faces`) {
		m[w] = true
	}
	return m
}()

// questionTerms are the distinct analysed terms of a question.
func (a *Answerer) questionTerms(q string) []string {
	var out []string
	for _, t := range a.an.Terms(q) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func (a *Answerer) termSet(text string) map[string]bool {
	m := map[string]bool{}
	for _, t := range a.an.Terms(text) {
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

// speaker returns, for a sentence that is all quotation and names no one
// outside it, the sentence naming the person the article gives the words
// to: the next sentence or one of the five before it that attributes words
// ("said", "replied") to a named person, or to "he" or "she" named in an
// earlier sentence. It is nil otherwise.
func (c *candidate) speaker() *candidate {
	if !isQuotation(c.text) || namesPerson(c.text) {
		return nil
	}
	attributes := func(n *candidate) bool {
		return n != nil && attribution.MatchString(quoteSpan.ReplaceAllString(n.text, " "))
	}
	named := func(n *candidate) *candidate {
		if namesPerson(n.text) {
			return n
		}
		if !pronounSpeaker.MatchString(quoteSpan.ReplaceAllString(n.text, " ")) {
			return nil
		}
		for p, i := n.prev, 0; p != nil && i < maxAntecedentDistance; p, i = p.prev, i+1 {
			if namesPerson(p.text) {
				return p
			}
		}
		return nil
	}
	if attributes(c.next) && !isQuotation(c.next.text) {
		if n := named(c.next); n != nil {
			return n
		}
	}
	for p, i := c.prev, 0; p != nil && i < maxAntecedentDistance; p, i = p.prev, i+1 {
		if attributes(p) {
			return named(p)
		}
	}
	return nil
}

// pronounSpeaker matches "he said", "she replied" and the like.
var pronounSpeaker = regexp.MustCompile(`(?i)\b(?:he|she)\s+(?:said|says|told|added|asked|wrote|warned|insisted|argued|claimed|declared|stated|explained|replied)\b`)

// attribution matches the verbs that attribute words to a speaker.
var attribution = regexp.MustCompile(`(?i)\b(?:said|says|told|added|asked|wrote|warned|insisted|argued|claimed|declared|stated|explained|replied|according to)\b`)

// isQuotation reports whether a sentence opens with a quotation mark: it
// reports someone's words.
func isQuotation(text string) bool {
	return strings.HasPrefix(strings.TrimSpace(text), "“") || strings.HasPrefix(strings.TrimSpace(text), `"`)
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
