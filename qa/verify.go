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
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/chunk"
)

// Weights and threshold of sentence support. The lexical part is the
// IDF-weighted share of the sentence's terms found in the passage, so a
// sentence naming things the passage does not mention scores low; the dense
// part credits paraphrase.
const (
	supportLexical = 0.7
	supportDense   = 0.3
	// DefaultSupportThreshold is the support score from which a generated
	// sentence counts as supported by the passages it cites.
	DefaultSupportThreshold = 0.5
	// maxMarkerLen bounds the text between the brackets of a citation
	// marker such as "[1, 2]".
	maxMarkerLen = 24
)

// Sentence is a sentence of a generated answer, checked against the
// passages it cites.
type Sentence struct {
	// Text is the sentence as it appears in the answer, markers included.
	Text string
	// Citations are the passage numbers the sentence is checked against: the
	// ones it cites, or the post-hoc citation when the answer cites nothing.
	Citations []int
	// Supported reports whether Score reaches the support threshold.
	Supported bool
	// Score is the support of the best cited passage, from 0 to 1.
	Score float64
}

// markerPattern matches a citation marker: "[3]" or "[1, 2]".
var markerPattern = regexp.MustCompile(`\[(\d+(?:\s*,\s*\d+)*)\]`)

// neutralizeMarkers rewrites what would read as a citation marker in a
// document's own text, "[3]" or "[2, 5]", as "(3)" or "(2, 5)", so that
// only ragd's own markers cite. It is applied where passages enter an
// answer: quoted into an extractive answer or shown to the model.
func neutralizeMarkers(s string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	return markerPattern.ReplaceAllString(s, "($1)")
}

// cannotAnswer matches the no-answer sentence and its usual variants.
var cannotAnswer = regexp.MustCompile(`(?i)\b(?:passages?|context|sources?|documents?|articles?|texts?|information)\b[^.!?]{0,40}?\b(?:do|does|did)(?:\s+not|n['’]t)\s+(?:contain|include|mention|provide|say|state|specify|answer|cover)|\b(?:cannot|can['’]t|can not|unable to|not able to)\s+(?:answer|find|determine|tell)|\bno (?:relevant )?information\b|\bnot (?:enough|sufficient) information\b`)

// markerFilter removes citation markers of passages that were not sent from
// text that arrives in pieces, as a model streams it. Its output does not
// depend on how the text is split: filtering the pieces one by one gives the
// same text as filtering their concatenation.
type markerFilter struct {
	sent    int             // markers may cite 1..sent
	space   strings.Builder // white space not yet written
	marker  strings.Builder // an opened "[" not yet closed
	dropped bool            // the last thing read was a dropped marker
}

// write filters the next piece of text and returns what can be passed on.
func (f *markerFilter) write(s string) string {
	var out strings.Builder
	for _, r := range s {
		switch {
		case f.marker.Len() > 0:
			f.marker.WriteRune(r)
			switch {
			case r == ']':
				f.closeMarker(&out)
			case (r >= '0' && r <= '9') || r == ',' || r == ' ':
				if f.marker.Len() > maxMarkerLen {
					f.release(&out)
				}
			default:
				f.release(&out)
			}
		case r == '[':
			f.marker.WriteRune(r)
		case unicode.IsSpace(r):
			if !f.dropped || f.space.Len() == 0 {
				f.space.WriteRune(r)
			}
		default:
			if f.dropped && strings.ContainsRune(".,;:!?)", r) {
				f.space.Reset()
			}
			out.WriteString(f.space.String())
			f.space.Reset()
			out.WriteRune(r)
			f.dropped = false
		}
	}
	return out.String()
}

// flush returns what write held back, at the end of the text.
func (f *markerFilter) flush() string {
	var out strings.Builder
	out.WriteString(f.space.String())
	out.WriteString(f.marker.String())
	f.space.Reset()
	f.marker.Reset()
	return out.String()
}

// closeMarker ends a marker: it keeps the cited numbers that were sent,
// writing the marker unchanged when all were, and drops it when none was.
func (f *markerFilter) closeMarker(out *strings.Builder) {
	m := f.marker.String()
	f.marker.Reset()
	inner := m[1 : len(m)-1]
	if !markerPattern.MatchString(m) {
		f.flushText(out, m)
		return
	}
	var keep []string
	for _, p := range strings.Split(inner, ",") {
		p = strings.TrimSpace(p)
		if n, err := strconv.Atoi(p); err == nil && n >= 1 && n <= f.sent {
			keep = append(keep, strconv.Itoa(n))
		}
	}
	switch {
	case len(keep) == 0:
		f.dropped = true
	case len(keep) == len(strings.Split(inner, ",")):
		f.flushText(out, m)
	default:
		f.flushText(out, "["+strings.Join(keep, ", ")+"]")
	}
}

// release writes a held-back "[..." that turned out not to be a marker.
func (f *markerFilter) release(out *strings.Builder) {
	m := f.marker.String()
	f.marker.Reset()
	f.flushText(out, m)
}

func (f *markerFilter) flushText(out *strings.Builder, s string) {
	out.WriteString(f.space.String())
	f.space.Reset()
	out.WriteString(s)
	f.dropped = false
}

// cleanMarkers removes the markers of passages that were not sent from a
// whole text.
func cleanMarkers(text string, sent int) string {
	f := markerFilter{sent: sent}
	return strings.TrimSpace(f.write(text) + f.flush())
}

// answerSentence is a sentence of a generated answer while it is checked.
type answerSentence struct {
	start, end int // bytes in the answer
	cites      []int
	terms      []string // distinct analysed terms, markers excluded
	weights    []float64
	vec        []float32
}

// splitAnswer splits a cleaned answer into sentences and assigns each marker
// to a sentence, keeping the numbers 1..sent. A marker that opens a sentence ("Claim. [1] Next claim.")
// belongs to the sentence before it, and a sentence of markers only joins
// the previous one.
func splitAnswer(text string, sent int) []*answerSentence {
	markers := markerPattern.FindAllStringSubmatchIndex(text, -1)
	var out []*answerSentence
	for _, sp := range chunk.Sentences(text) {
		s := &answerSentence{start: sp.Start, end: sp.End}
		if len(out) > 0 {
			prev := out[len(out)-1]
			for _, m := range markers {
				if m[0] == s.start {
					prev.end = m[1]
					s.start = skipSpaces(text, m[1])
				}
			}
			if s.start >= s.end {
				prev.end = max(prev.end, sp.End)
				continue
			}
		}
		out = append(out, s)
	}
	for _, m := range markers {
		for _, s := range out {
			if m[0] >= s.start && m[1] <= s.end {
				for _, p := range strings.Split(text[m[2]:m[3]], ",") {
					n, err := strconv.Atoi(strings.TrimSpace(p))
					if err == nil && n >= 1 && n <= sent && !slices.Contains(s.cites, n) {
						s.cites = append(s.cites, n)
					}
				}
			}
		}
	}
	for _, s := range out {
		slices.Sort(s.cites)
	}
	return out
}

func skipSpaces(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

// isNoAnswer reports whether a generated answer says the passages do not
// contain the answer: its first sentence, markers aside, says only that
// (a statement opening the sentence, with no "but" after it), and no later
// sentence cites a passage. "Starmer said he cannot tell whether..." and
// "No information on numbers, but Macron said..." are answers.
func isNoAnswer(text string, sentences []*answerSentence) bool {
	if len(sentences) == 0 {
		return false
	}
	for _, s := range sentences[1:] {
		if len(s.cites) > 0 {
			return false
		}
	}
	first := strings.TrimSpace(markerPattern.ReplaceAllString(text[sentences[0].start:sentences[0].end], ""))
	if strings.Contains(strings.ToLower(first), strings.ToLower(strings.TrimSuffix(NoAnswerText, "."))) {
		return true
	}
	m := cannotAnswer.FindStringIndex(first)
	if m == nil || butClause.MatchString(first[m[1]:]) {
		return false
	}
	for _, w := range strings.Fields(first[:m[0]]) {
		if !noAnswerPreamble[strings.ToLower(strings.Trim(w, ",;:!—–-"))] {
			return false // the statement is someone's in the answer
		}
	}
	return true
}

// noAnswerPreamble are the words that may open a no-answer statement ("I'm
// sorry, but the provided passages do not...").
var noAnswerPreamble = map[string]bool{
	"i": true, "i'm": true, "i’m": true, "im": true, "am": true, "afraid": true, "sorry": true,
	"unfortunately": true, "regrettably": true, "but": true, "however": true, "so": true,
	"the": true, "these": true, "this": true, "provided": true, "given": true, "above": true,
	"retrieved": true, "available": true, "based": true, "on": true, "there": true, "is": true, "was": true,
}

// butClause finds a contrast that goes on to answer after a no-answer
// statement.
var butClause = regexp.MustCompile(`(?i)\b(?:but|however|although|though|yet)\b`)

// passageSentence is a sentence of a retrieved passage with its offsets in
// the document; both the extractive answerer and verification use them.
type passageSentence struct {
	text       string
	start, end int // code points in the document
	terms      map[string]bool
	vec        []float32
	score      float64 // support of the answer sentence last scored
}

// verify checks a cleaned generated answer against the passages sent and
// returns its sentences and citations. When the answer cites nothing, the
// passage that best supports it is cited after the fact.
func (a *Answerer) verify(ctx context.Context, text string, sent []retrieval.Hit) ([]Sentence, []Citation, error) {
	sentences := splitAnswer(text, len(sent))
	passages := make([][]*passageSentence, len(sent))
	var texts []string
	for _, s := range sentences {
		plain := markerPattern.ReplaceAllString(text[s.start:s.end], "")
		s.terms = a.questionTerms(plain)
		s.weights = a.cfg.Retriever.IDF(s.terms)
		texts = append(texts, plain)
	}
	for i := range sent {
		passages[i] = a.passageSentences(&sent[i])
		for _, p := range passages[i] {
			texts = append(texts, p.text)
		}
	}
	if len(texts) > 0 {
		vecs, err := a.cfg.Embedder.Embed(ctx, texts)
		if err != nil {
			return nil, nil, fmt.Errorf("embed answer: %w", err)
		}
		if len(vecs) != len(texts) {
			return nil, nil, fmt.Errorf("embed answer: got %d vectors for %d texts", len(vecs), len(texts))
		}
		for _, s := range sentences {
			s.vec, vecs = vecs[0], vecs[1:]
		}
		for _, ps := range passages {
			for _, p := range ps {
				p.vec, vecs = vecs[0], vecs[1:]
			}
		}
	}
	postHoc := 0
	if !cites(sentences) && len(sent) > 0 {
		postHoc = bestPassage(sentences, passages)
		for _, s := range sentences {
			s.cites = []int{postHoc}
		}
	}

	out := make([]Sentence, len(sentences))
	quotes := map[int]*passageSentence{} // the best quote of each cited passage
	for i, s := range sentences {
		out[i] = Sentence{Text: text[s.start:s.end], Citations: s.cites}
		for _, n := range s.cites {
			score, q := support(s, passages[n-1])
			out[i].Score = max(out[i].Score, score)
			if cur, ok := quotes[n]; !ok || (q != nil && (cur == nil || q.score > cur.score)) {
				quotes[n] = q.copy()
			}
		}
		out[i].Supported = out[i].Score >= a.cfg.SupportThreshold
	}
	citations := make([]Citation, 0, len(quotes))
	for n, q := range quotes {
		h := &sent[n-1]
		c := Citation{N: n, DocID: h.DocID, ChunkID: h.ID, Title: h.Title, Source: h.Source, Published: h.Published,
			Quote: h.Text, Start: h.Start, End: h.End, PostHoc: n == postHoc}
		if q != nil {
			c.Quote, c.Start, c.End = q.text, q.start, q.end
		}
		citations = append(citations, c)
	}
	slices.SortFunc(citations, func(x, y Citation) int { return x.N - y.N })
	return out, citations, nil
}

// copy returns a copy of p, so that its score survives later scoring; nil
// stays nil.
func (p *passageSentence) copy() *passageSentence {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func cites(sentences []*answerSentence) bool {
	for _, s := range sentences {
		if len(s.cites) > 0 {
			return true
		}
	}
	return false
}

// support scores how well a passage, given as its sentences, supports an
// answer sentence, from 0 to 1, and returns the passage sentence that
// supports it best (nil when the passage has no sentence with terms).
func support(s *answerSentence, passage []*passageSentence) (float64, *passageSentence) {
	total := 0.0
	for _, w := range s.weights {
		total += w
	}
	all := map[string]bool{}
	var best *passageSentence
	dense := 0.0
	for _, p := range passage {
		for t := range p.terms {
			all[t] = true
		}
		d := math.Max(0, cosine(s.vec, p.vec))
		dense = max(dense, d)
		p.score = supportLexical*coverage(s.terms, s.weights, total, p.terms, nil) + supportDense*d
		if best == nil || p.score > best.score {
			best = p
		}
	}
	return supportLexical*coverage(s.terms, s.weights, total, all, nil) + supportDense*dense, best
}

// bestPassage returns the number of the passage that best supports the
// answer as a whole: the highest total support over its sentences.
func bestPassage(sentences []*answerSentence, passages [][]*passageSentence) int {
	best, bestScore := 1, -1.0
	for i, p := range passages {
		sum := 0.0
		for _, s := range sentences {
			score, _ := support(s, p)
			sum += score
		}
		if sum > bestScore {
			best, bestScore = i+1, sum
		}
	}
	return best
}

// passageSentences splits a passage into sentences with their code point
// offsets in the document, skipping sentences without terms.
func (a *Answerer) passageSentences(h *retrieval.Hit) []*passageSentence {
	var out []*passageSentence
	pos, bytePos := h.Start, 0
	for _, sp := range chunk.Sentences(h.Text) {
		pos += utf8.RuneCountInString(h.Text[bytePos:sp.Start])
		bytePos = sp.Start
		text := h.Text[sp.Start:sp.End]
		terms := a.termSet(text)
		if len(terms) == 0 {
			continue
		}
		for t := range terms {
			// A country's name matches its demonym, and the other way round.
			if al, ok := a.alias[t]; ok {
				terms[al] = true
			}
		}
		out = append(out, &passageSentence{text: text, start: pos, end: pos + utf8.RuneCountInString(text), terms: terms})
	}
	return out
}
