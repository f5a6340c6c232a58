// Package qa answers questions from retrieved passages, with numbered
// citations that quote the stored documents verbatim.
package qa

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
)

// Retriever finds passages and weighs query terms. *retrieval.Store is one.
type Retriever interface {
	Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error)
	IDF(terms []string) []float64
}

// Embedder embeds texts; the answerer uses it to compare sentences with the
// question.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Defaults and limits of answering.
const (
	// DefaultK is the number of passages retrieved for a question.
	DefaultK = 8
	// MaxK is the largest number of passages a question may ask for.
	MaxK = 50
	// MaxQuestionLen is the longest question accepted, in characters.
	MaxQuestionLen = 2000
	// DefaultAbstainThreshold is the evidence score below which the
	// extractive answerer abstains; calibrated on data (see README).
	DefaultAbstainThreshold = 0.5
	// AbstainText is the answer given when the index holds no answer.
	AbstainText = "I could not find this in the indexed articles."
)

// ErrInvalid reports a question the answerer cannot accept.
var ErrInvalid = errors.New("invalid question")

// Config configures an Answerer.
type Config struct {
	// Retriever is required.
	Retriever Retriever
	// Embedder compares sentences with the question; required.
	Embedder Embedder
	// AbstainThreshold overrides DefaultAbstainThreshold when positive.
	AbstainThreshold float64
}

// Answerer answers questions from an index.
type Answerer struct {
	cfg Config
}

// New returns an Answerer. It fails if a required field is missing.
func New(cfg Config) (*Answerer, error) {
	if cfg.Retriever == nil {
		return nil, fmt.Errorf("qa: %w: no retriever", ErrInvalid)
	}
	if cfg.Embedder == nil {
		return nil, fmt.Errorf("qa: %w: no embedder", ErrInvalid)
	}
	cfg.AbstainThreshold = cmp.Or(cfg.AbstainThreshold, DefaultAbstainThreshold)
	return &Answerer{cfg: cfg}, nil
}

// Turn is one message of a conversation.
type Turn struct {
	Role    string // "user" or "assistant"
	Content string
}

// Options shape one question.
type Options struct {
	// K is the number of passages to retrieve; zero means DefaultK.
	K int
	// Filter restricts retrieval.
	Filter retrieval.Filter
	// History holds the earlier turns of a conversation, oldest first.
	History []Turn
}

// Citation is a numbered quotation backing part of an answer.
type Citation struct {
	N       int
	DocID   string
	ChunkID string
	Title   string
	Source  string
	// Published is zero when unknown.
	Published time.Time
	// Quote is a verbatim substring of the stored document's text.
	Quote string
	// Start and End are the code point offsets of Quote in the document.
	Start, End int
	// Highlight, when not nil, is the answer span inside the quote, as
	// code point offsets in the document.
	Highlight *[2]int
	// PostHoc marks a citation attached by ragd because the answer cited
	// nothing.
	PostHoc bool
}

// Timings are the durations of the stages of answering.
type Timings struct {
	Retrieve, Answer, Total time.Duration
}

// Answer is the result of answering a question.
type Answer struct {
	// Text quotes or states the answer with inline [n] markers.
	Text      string
	Abstained bool
	Citations []Citation
	// Passages are the retrieved chunks, best first.
	Passages []retrieval.Hit
	Timings  Timings
	// Evidence is the support score that abstention compares with the threshold.
	Evidence float64
}

// Validate checks a question and options and returns the retrieval query:
// the question, preceded in a conversation by the last user turn, so that a
// follow-up such as "and the French?" keeps its subject.
func Validate(question string, opt Options) (string, error) {
	q := strings.TrimSpace(question)
	switch {
	case q == "":
		return "", fmt.Errorf("%w: question is empty", ErrInvalid)
	case utf8.RuneCountInString(q) > MaxQuestionLen:
		return "", fmt.Errorf("%w: question is longer than %d characters", ErrInvalid, MaxQuestionLen)
	case opt.K < 0 || opt.K > MaxK:
		return "", fmt.Errorf("%w: k must be between 1 and %d", ErrInvalid, MaxK)
	}
	for i := len(opt.History) - 1; i >= 0; i-- {
		if t := opt.History[i]; t.Role == "user" && strings.TrimSpace(t.Content) != "" {
			return strings.TrimSpace(t.Content) + " " + q, nil
		}
	}
	return q, nil
}

// Answer retrieves passages for question and answers extractively: it quotes
// the one to three sentences that best answer it, or abstains when the
// evidence is below the threshold.
func (a *Answerer) Answer(ctx context.Context, question string, opt Options) (Answer, error) {
	start := time.Now()
	query, err := Validate(question, opt)
	if err != nil {
		return Answer{}, err
	}
	hits, err := a.cfg.Retriever.Search(ctx, retrieval.SearchRequest{Query: query, K: cmp.Or(opt.K, DefaultK), Filter: opt.Filter})
	if err != nil {
		return Answer{}, fmt.Errorf("retrieve: %w", err)
	}
	retrieved := time.Now()
	ans, err := a.extract(ctx, query, hits)
	if err != nil {
		return Answer{}, err
	}
	ans.Passages = hits
	end := time.Now()
	ans.Timings = Timings{Retrieve: retrieved.Sub(start), Answer: end.Sub(retrieved), Total: end.Sub(start)}
	return ans, nil
}
