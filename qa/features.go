package qa

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/ragd/ragd/retrieval"
)

// sentenceFeatureNames are the inputs of the sentence model, in order.
var sentenceFeatureNames = []string{
	"coverage",                                                            // IDF-weighted share of the question's terms in the sentence
	"title_coverage",                                                      // the same, counting the passage's title
	"near_coverage",                                                       // the same, counting the title and the neighbouring sentences
	"soft",                                                                // each question word's best GloVe similarity in the sentence, IDF-weighted
	"soft_near",                                                           // the same over the sentence and its neighbours
	"dense",                                                               // cosine of the sentence and question embeddings
	"coverage_rel",                                                        // near_coverage over the best near_coverage of the question
	"soft_rel",                                                            // soft_near over the best soft_near of the question
	"entity_passages",                                                     // share of the question's names in the retrieved passages
	"entity_near",                                                         // share of the question's names in the sentence, its neighbours and title
	"kind_number", "kind_date", "kind_person", "kind_place", "kind_quote", // the kind of answer asked for
	"cue",        // the sentence holds an answer of the asked-for kind
	"cue_near",   // a neighbour an answer would quote holds one
	"novel",      // share of the sentence's terms that the question does not have
	"restates",   // every term of the sentence is in the question
	"negation",   // question and sentence both negate
	"rank",       // 1/(1+rank) of the passage
	"score_rel",  // the passage's retrieval score over the best passage's
	"position",   // 1/(1+index) of the sentence in its passage
	"length",     // log of the sentence's words
	"missing",    // the largest IDF of a question term missing from the sentence, its neighbours and title, over the largest of the question
	"bigrams",    // share of the question's pairs of adjacent terms that are adjacent in the sentence
	"specific",   // near_coverage of the question terms that the passage's title does not hold
	"typed_near", // near_coverage of the question terms outside the asked-for kind ("which TV channel")
	"type_name",  // the best GloVe similarity of the kind's head word ("channel") with a name in the sentence the question lacks ("Fox")
	"type_word",  // the same with any word of the sentence the question lacks
}

// answerableFeatureNames are the inputs of the answerability model, in
// order: what the best sentence (by the sentence model) holds, and how far
// it stands above the next.
var answerableFeatureNames = []string{
	"score", "margin", "coverage", "near_coverage", "soft_near", "dense", "entity_passages", "entity_near",
	"cue", "cue_near", "missing", "kind_number", "kind_date", "kind_person", "kind_place", "kind_quote",
	"rank", "relevance", "bigrams", "specific", "second_coverage",
	"max_bigrams", "max_specific", "max_coverage", // the best of any sentence
	"typed_near", "max_typed_near",
}

// relevanceFeatureNames are the inputs of the relevance model, in order:
// the best of each sentence signal over all retrieved sentences.
var relevanceFeatureNames = []string{
	"max_coverage", "max_near_coverage", "max_soft", "max_soft_near", "max_dense",
	"entity_passages", "question_terms",
	"max_typed_near", "typed_entity_passages", // without the words of the asked-for kind
}

// Indexes of the sentence features that the relevance model and sentence
// choice read.
const (
	fCoverage     = 0
	fNearCoverage = 2
	fSoft         = 3
	fSoftNear     = 4
	fDense        = 5
	fCoverageRel  = 6
	fSoftRel      = 7
	fEntity       = 8
	fTypedNear    = 27
	fTypeName     = 28
	fTypeWord     = 29
)

// featurize computes the features and the probabilities of every candidate
// of j, and the relevance features of the question.
func (a *Answerer) featurize(ctx context.Context, question string, hits []retrieval.Hit, j *judgement) error {
	cands := j.cands
	texts := make([]string, 0, len(cands)+1)
	texts = append(texts, question)
	for _, c := range cands {
		texts = append(texts, c.text)
	}
	vecs, err := a.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("embed sentences: %w", err)
	}
	if len(vecs) != len(texts) {
		return fmt.Errorf("embed sentences: got %d vectors for %d texts", len(vecs), len(texts))
	}
	soft, err := a.softMatcher(ctx, question, j)
	if err != nil {
		return err
	}
	qvec := vecs[0]
	negated := hasNegation(question)
	names := a.questionNames(question)
	seen := a.passageNames(hits)
	entityPassages := a.entityCoverage(names, seen)
	// The words naming the asked-for kind ("TV channel") are left out of
	// the typed features: the answer names the thing, not its kind.
	asked := answerType(question)
	typeTerms := a.termSet(strings.Join(asked, " "))
	var typedNames []string
	for _, n := range names {
		if !typeTerms[n] {
			typedNames = append(typedNames, n)
		}
	}
	typedEntity := a.entityCoverage(typedNames, seen)
	// The kind's head word ("channel" of "TV channel") is compared with
	// the sentence's words: a sentence naming a channel names something
	// close to "channel" in the word-vector space.
	head := -1
	if len(asked) > 0 {
		head = slices.Index(soft.qwords, strings.ToLower(asked[len(asked)-1]))
	}
	typedTotal := 0.0
	typedWeights := make([]float64, len(j.weights))
	for k, t := range j.qt {
		if !typeTerms[t] {
			typedWeights[k] = j.weights[k]
			typedTotal += j.weights[k]
		}
	}
	qset := a.termSet(question)
	titleTerms := map[string]map[string]bool{}
	topScore := 0.0
	if len(hits) > 0 {
		topScore = hits[0].Score
	}
	kind := j.cue.kind
	maxW := 0.0
	for _, w := range j.weights {
		maxW = math.Max(maxW, w)
	}
	qbigrams := bigrams(a.an.Terms(questionFrame.ReplaceAllString(question, " ")))
	for i, c := range cands {
		if _, ok := titleTerms[c.hit.ID]; !ok {
			titleTerms[c.hit.ID] = a.termSet(c.hit.Title)
		}
		title := titleTerms[c.hit.ID]
		near := union(union(c.terms, title), c.neighbourTerms())
		f := make([]float64, len(sentenceFeatureNames))
		f[fCoverage] = coverage(j.qt, j.weights, j.total, c.terms, nil)
		f[1] = coverage(j.qt, j.weights, j.total, c.terms, title)
		f[fNearCoverage] = coverage(j.qt, j.weights, j.total, near, nil)
		f[fSoft] = soft.score(c.words, c.terms)
		f[fSoftNear] = soft.score(c.nearWords(), near)
		f[fDense] = math.Max(0, cosine(qvec, vecs[i+1]))
		if len(names) == 0 {
			f[fEntity], f[9] = 1, 1
		} else {
			f[fEntity] = entityPassages
			found := 0
			for _, n := range names {
				if near[n] || near[a.alias[n]] {
					found++
				}
			}
			f[9] = float64(found) / float64(len(names))
		}
		if kind != cueNone {
			f[10+int(kind)-1] = 1
			c.cue = j.cue.score(c.text, question)
			f[15] = c.cue
			if c.cue < 1 && nearestWithCue(c, j.cue, question) != nil {
				f[16] = 1
			}
		}
		novel := 0
		for t := range c.terms {
			if !qset[t] {
				novel++
			}
		}
		if len(c.terms) > 0 {
			f[17] = float64(novel) / float64(len(c.terms))
		}
		if novel == 0 {
			f[18] = 1
		}
		if negated && hasNegation(c.text) {
			f[19] = 1
		}
		f[20] = 1 / float64(1+c.rank)
		if topScore > 0 {
			f[21] = c.hit.Score / topScore
		}
		f[22] = 1 / float64(1+c.pos)
		f[23] = math.Log1p(float64(len(strings.Fields(c.text))))
		if maxW > 0 {
			missing := 0.0
			for k, t := range j.qt {
				if !near[t] {
					missing = math.Max(missing, j.weights[k])
				}
			}
			f[24] = missing / maxW
		}
		f[25] = bigramShare(qbigrams, a.an.Terms(c.text))
		spec, specTotal := 0.0, 0.0
		for k, t := range j.qt {
			if !title[t] {
				specTotal += j.weights[k]
				if near[t] {
					spec += j.weights[k]
				}
			}
		}
		f[26] = 1
		if specTotal > 0 {
			f[26] = spec / specTotal
		}
		f[fTypedNear] = 1 // no term outside the kind: nothing missing, as for specific
		if typedTotal > 0 {
			f[fTypedNear] = coverage(j.qt, typedWeights, typedTotal, near, nil)
		}
		if head >= 0 {
			f[fTypeName] = soft.best(head, capitalised(c.text))
			f[fTypeWord] = soft.best(head, c.words)
		}
		c.features = f
	}
	bestCov, bestSoft := 0.0, 0.0
	rel := make([]float64, len(relevanceFeatureNames))
	for _, c := range cands {
		bestCov = math.Max(bestCov, c.features[fNearCoverage])
		bestSoft = math.Max(bestSoft, c.features[fSoftNear])
		rel[0] = math.Max(rel[0], c.features[fCoverage])
		rel[1] = math.Max(rel[1], c.features[fNearCoverage])
		rel[2] = math.Max(rel[2], c.features[fSoft])
		rel[3] = math.Max(rel[3], c.features[fSoftNear])
		rel[4] = math.Max(rel[4], c.features[fDense])
	}
	rel[5] = cands[0].features[fEntity]
	rel[6] = math.Log1p(float64(len(j.qt)))
	for _, c := range cands {
		rel[7] = math.Max(rel[7], c.features[fTypedNear])
	}
	rel[8] = typedEntity
	j.relevance = rel
	j.relevanceProb = a.cfg.Models.Relevance.Prob(rel)
	feats := make([][]float64, len(cands))
	for i, c := range cands {
		if bestCov > 0 {
			c.features[fCoverageRel] = c.features[fNearCoverage] / bestCov
		}
		if bestSoft > 0 {
			c.features[fSoftRel] = c.features[fSoftNear] / bestSoft
		}
		c.score = a.cfg.Models.Sentence.Logit(c.features)
		feats[i] = c.features
	}
	j.answerable, _ = a.cfg.Models.answerableVector(rel, feats)
	j.evidence = a.cfg.Models.Answerable.Prob(j.answerable)
	return nil
}

// AnswerableFeatures returns the answerability model's features for a
// question whose relevance features are rel and whose candidates have the
// sentence features cands, with the sentence and relevance models of m;
// best is the index of the best candidate. Answering and training compute
// them here alike.
func (m *Models) AnswerableFeatures(rel []float64, cands [][]float64) (x []float64, best int) {
	return m.answerableVector(rel, cands)
}

func (m *Models) answerableVector(rel []float64, cands [][]float64) ([]float64, int) {
	x := make([]float64, len(answerableFeatureNames))
	if len(cands) == 0 {
		return x, -1
	}
	best, second := -1, -1
	scores := make([]float64, len(cands))
	for i, f := range cands {
		scores[i] = m.Sentence.Logit(f)
		switch {
		case best < 0 || scores[i] > scores[best]:
			best, second = i, best
		case second < 0 || scores[i] > scores[second]:
			second = i
		}
	}
	f := cands[best]
	x[0] = scores[best]
	x[1] = 10
	if second >= 0 {
		x[1] = math.Min(10, scores[best]-scores[second])
	}
	x[2], x[3], x[4], x[5] = f[fCoverage], f[fNearCoverage], f[fSoftNear], f[fDense]
	x[6], x[7] = f[fEntity], f[9]
	x[8], x[9], x[10] = f[15], f[16], f[24]
	copy(x[11:16], f[10:15])
	x[16] = f[20]
	x[17] = m.Relevance.Logit(rel)
	x[18], x[19] = f[25], f[26]
	if second >= 0 {
		x[20] = cands[second][fNearCoverage]
	}
	x[24] = f[fTypedNear]
	for _, c := range cands {
		x[21] = math.Max(x[21], c[25])
		x[22] = math.Max(x[22], c[26])
		x[23] = math.Max(x[23], c[fCoverage])
		x[25] = math.Max(x[25], c[fTypedNear])
	}
	return x, best
}

// bigrams are the pairs of adjacent terms of a term sequence.
func bigrams(terms []string) map[[2]string]bool {
	out := map[[2]string]bool{}
	for i := 1; i < len(terms); i++ {
		out[[2]string{terms[i-1], terms[i]}] = true
	}
	return out
}

// bigramShare is the share of the pairs of q that are adjacent in terms.
func bigramShare(q map[[2]string]bool, terms []string) float64 {
	if len(q) == 0 {
		return 0
	}
	found := map[[2]string]bool{}
	for i := 1; i < len(terms); i++ {
		if p := [2]string{terms[i-1], terms[i]}; q[p] {
			found[p] = true
		}
	}
	return float64(len(found)) / float64(len(q))
}

// nearWords are the words of the candidate and of the neighbours whose
// terms neighbourTerms counts.
func (c *candidate) nearWords() []string {
	out := append([]string(nil), c.words...)
	for _, n := range []*candidate{c.prev, c.next, prevOf(c.prev), c.antecedent()} {
		if n != nil {
			out = append(out, n.words...)
		}
	}
	return out
}

// softMatch scores sentences by how close their words come to the
// question's words in the word-vector space.
type softMatch struct {
	qwords  []string  // the question's content words, lowercased
	qterms  []string  // the analysed term of each question word
	weights []float64 // its IDF
	total   float64
	// sims holds, for each word of the candidates, its cosine with each
	// question word; nil without word vectors.
	sims map[string][]float64
	// novel holds the words of sims whose term the question lacks.
	novel map[string]bool
}

// softMatcher embeds the question's words and the words of every
// candidate, one batch, with the configured word embedder. Without one,
// soft matching is exact matching.
func (a *Answerer) softMatcher(ctx context.Context, question string, j *judgement) (*softMatch, error) {
	m := &softMatch{}
	var qwords []string
	for _, w := range a.contentWords(questionFrame.ReplaceAllString(question, " "), nil) {
		t := a.an.Terms(w)
		if len(t) == 0 || containsString(qwords, w) {
			continue
		}
		qwords = append(qwords, w)
		m.qterms = append(m.qterms, t[0])
	}
	m.qwords = qwords
	m.weights = a.cfg.Retriever.IDF(m.qterms)
	for _, w := range m.weights {
		m.total += w
	}
	words := map[string]string{} // each candidate word's term
	for _, c := range j.cands {
		c.words = a.contentWords(c.text, words)
	}
	if a.cfg.Words == nil || len(qwords) == 0 {
		return m, nil
	}
	list := make([]string, 0, len(words)+len(qwords))
	list = append(list, qwords...)
	for w := range words {
		list = append(list, w)
	}
	vecs, err := a.cfg.Words.Embed(ctx, list)
	if err != nil {
		return nil, fmt.Errorf("embed words: %w", err)
	}
	if len(vecs) != len(list) {
		return nil, fmt.Errorf("embed words: got %d vectors for %d words", len(vecs), len(list))
	}
	m.sims = make(map[string][]float64, len(words))
	m.novel = make(map[string]bool, len(words))
	asked := a.termSet(question)
	for i, w := range list[len(qwords):] {
		if !asked[words[w]] {
			m.novel[w] = true
		}
		v := vecs[len(qwords)+i]
		row := make([]float64, len(qwords))
		for k := range qwords {
			row[k] = math.Max(0, cosine(vecs[k], v))
		}
		m.sims[w] = row
	}
	return m, nil
}

// score is the IDF-weighted mean, over the question's words, of the best
// similarity of each in words: 1 for a word whose term is in terms.
func (m *softMatch) score(words []string, terms map[string]bool) float64 {
	if m.total == 0 {
		return 0
	}
	got := 0.0
	for k, t := range m.qterms {
		best := 0.0
		if terms[t] {
			best = 1
		} else {
			for _, w := range words {
				if row, ok := m.sims[w]; ok && row[k] > best {
					best = row[k]
				}
			}
		}
		got += m.weights[k] * best
	}
	return got / m.total
}

// best is the highest similarity of the question's word k with one of
// words whose term the question lacks; 0 without word vectors.
func (m *softMatch) best(k int, words []string) float64 {
	best := 0.0
	for _, w := range words {
		if row, ok := m.sims[w]; ok && m.novel[w] && row[k] > best {
			best = row[k]
		}
	}
	return best
}

// capitalised are the distinct lowercased words of a sentence, after its
// first, that start with a capital letter: the names it holds.
func capitalised(text string) []string {
	var out []string
	for i, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if i == 0 || len(w) < 2 || !unicode.IsUpper([]rune(w)[0]) {
			continue
		}
		if lw := strings.ToLower(w); !containsString(out, lw) {
			out = append(out, lw)
		}
	}
	return out
}

// contentWords are the distinct lowercased words of text that have index
// terms (stop words have none); termOf, when not nil, gets each one's
// first term.
func (a *Answerer) contentWords(text string, termOf map[string]string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) < 2 || containsString(out, w) {
			continue
		}
		if t := a.an.Terms(w); len(t) > 0 {
			out = append(out, w)
			if termOf != nil {
				termOf[w] = t[0]
			}
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
