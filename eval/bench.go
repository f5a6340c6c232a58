package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Span is an inclusive range of 1-based positions, such as SQuAD articles
// 25-48 or RealTime QA weeks 1-11.
type Span struct{ From, To int }

// ParseSpan reads "A-B" or "A" (1-based, inclusive).
func ParseSpan(s string) (Span, error) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "-")
	from, err1 := strconv.Atoi(strings.TrimSpace(a))
	to, err2 := from, error(nil)
	if found {
		to, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil || from < 1 || to < from {
		return Span{}, fmt.Errorf("%w: range %q is not N or N-M with 1 <= N <= M", ErrInvalid, s)
	}
	return Span{from, to}, nil
}

// Contains reports whether the 1-based position i is in the span.
func (s Span) Contains(i int) bool { return i >= s.From && i <= s.To }

func (s Span) String() string { return fmt.Sprintf("%d-%d", s.From, s.To) }

// ReadSQuAD reads the questions of the SQuAD v1.1 JSON file (the official
// layout: data, paragraphs, qas) whose article, counted from 1 in file
// order, is in articles. A question's source is its paragraph, with the ID
// the BEIR layout gives it: the article title, "_", the paragraph's index.
func ReadSQuAD(r io.Reader, articles Span) ([]Question, error) {
	var file struct {
		Data []struct {
			Title      string `json:"title"`
			Paragraphs []struct {
				QAs []struct {
					ID       string `json:"id"`
					Question string `json:"question"`
					Answers  []struct {
						Text string `json:"text"`
					} `json:"answers"`
				} `json:"qas"`
			} `json:"paragraphs"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r).Decode(&file); err != nil {
		return nil, fmt.Errorf("%w: read SQuAD: %v", ErrInvalid, err)
	}
	if len(file.Data) == 0 {
		return nil, fmt.Errorf("%w: read SQuAD: no articles under \"data\"", ErrInvalid)
	}
	var out []Question
	for ai, art := range file.Data {
		if !articles.Contains(ai + 1) {
			continue
		}
		for pi, p := range art.Paragraphs {
			src := art.Title + "_" + strconv.Itoa(pi)
			for _, qa := range p.QAs {
				q := Question{ID: qa.ID, Text: strings.TrimSpace(qa.Question), Sources: []string{src}}
				for _, a := range qa.Answers {
					if t := strings.TrimSpace(a.Text); Normalize(t) != "" && !slices.Contains(q.Answers, t) {
						q.Answers = append(q.Answers, t)
					}
				}
				if q.Text != "" && len(q.Answers) > 0 {
					out = append(out, q)
				}
			}
		}
	}
	return out, nil
}

// IsSQuAD reports whether data starts like a SQuAD JSON file rather than a
// JSONL question set.
func IsSQuAD(data []byte) bool {
	var probe struct {
		Data    json.RawMessage `json:"data"`
		Version string          `json:"version"`
	}
	return json.Unmarshal(data, &probe) == nil && len(probe.Data) > 0
}

// Weeks keeps the questions whose week, counted from 1 in date order over
// the whole set, is in weeks. A question's week is the prefix of its ID
// before "_" (RealTime QA's IDs are "20220617_0").
func Weeks(questions []Question, weeks Span) ([]Question, error) {
	var names []string
	for _, q := range questions {
		w, _, ok := strings.Cut(q.ID, "_")
		if !ok {
			return nil, fmt.Errorf("%w: question %q: no week prefix (WEEK_N) in its id", ErrInvalid, q.ID)
		}
		if !slices.Contains(names, w) {
			names = append(names, w)
		}
	}
	slices.Sort(names)
	var out []Question
	for _, q := range questions {
		w, _, _ := strings.Cut(q.ID, "_")
		if weeks.Contains(slices.Index(names, w) + 1) {
			out = append(out, q)
		}
	}
	return out, nil
}

// Sample returns n questions drawn without replacement with the given seed,
// in their original order; all of them when n is zero or at least their
// number.
func Sample(questions []Question, n int, seed uint64) []Question {
	if n <= 0 || n >= len(questions) {
		return questions
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	idx := rng.Perm(len(questions))[:n]
	slices.Sort(idx)
	out := make([]Question, n)
	for i, k := range idx {
		out[i] = questions[k]
	}
	return out
}
