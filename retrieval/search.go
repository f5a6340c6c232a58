package retrieval

import (
	"fmt"
	"strings"
	"time"
)

// Fusion names a way of combining the dense and lexical rankings.
type Fusion string

// The fusion methods.
const (
	// FusionRRF is reciprocal rank fusion: the sum of 1/(RRFK + rank).
	FusionRRF Fusion = "rrf"
	// FusionConvex is a convex combination of min-max normalised scores.
	FusionConvex Fusion = "convex"
)

// Mode selects which rankings a search uses.
type Mode string

// The search modes.
const (
	Hybrid  Mode = "hybrid"
	Lexical Mode = "lexical"
	Dense   Mode = "dense"
)

// Search defaults and limits.
const (
	// DefaultFusion is the fusion used when neither the request nor the
	// store's Config names one; chosen by measurement (see README).
	DefaultFusion = FusionConvex
	// DefaultDenseWeight is the weight of the dense score in convex fusion.
	DefaultDenseWeight = 0.1
	// RRFK is the rank offset of reciprocal rank fusion.
	RRFK = 60
	// MaxK is the largest number of hits a search may ask for.
	MaxK = 100
	// MaxQueryTerms is the largest number of analysed terms a query may
	// have: ranking costs grow with it.
	MaxQueryTerms = 1024
)

// ParseFusion returns the fusion named s, or an error wrapping ErrInvalid.
func ParseFusion(s string) (Fusion, error) {
	switch f := Fusion(strings.ToLower(s)); f {
	case FusionRRF, FusionConvex:
		return f, nil
	case "":
		return "", nil
	}
	return "", fmt.Errorf("%w: fusion %q is not rrf or convex", ErrInvalid, s)
}

// ParseMode returns the mode named s, or an error wrapping ErrInvalid.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case Hybrid, Lexical, Dense:
		return m, nil
	case "":
		return "", nil
	}
	return "", fmt.Errorf("%w: mode %q is not hybrid, lexical or dense", ErrInvalid, s)
}

// Filter restricts a search to some documents. Zero fields do not restrict.
// Filters apply before ranking: a search returns the best chunks among those
// that pass, not the passing subset of the best chunks overall.
type Filter struct {
	// DocIDs keeps chunks of these documents.
	DocIDs []string
	// ExcludeDocIDs drops chunks of these documents.
	ExcludeDocIDs []string
	// Source and Author keep chunks whose document has exactly this value.
	Source, Author string
	// StoryID keeps chunks of the copies of one story.
	StoryID string
	// From and To bound the document's published date, inclusive.
	// Documents without a date fail a date bound.
	From, To time.Time
}

// IsZero reports whether the filter restricts nothing.
func (f Filter) IsZero() bool {
	return len(f.DocIDs) == 0 && len(f.ExcludeDocIDs) == 0 && f.Source == "" && f.Author == "" && f.StoryID == "" && f.From.IsZero() && f.To.IsZero()
}

// SearchRequest is a query and how to run it.
type SearchRequest struct {
	Query  string
	K      int
	Filter Filter
	// Mode defaults to Hybrid.
	Mode Mode
	// Fusion defaults to the store's configured fusion.
	Fusion Fusion
	// DenseWeight overrides DefaultDenseWeight for convex fusion when positive.
	DenseWeight float64
	// DocWeight and RecencyWeight override the store's configured weights
	// (Config.DocWeight, Config.RecencyWeight) when non-zero; a negative
	// weight turns that signal off.
	DocWeight, RecencyWeight float64
	// SentenceWeight overrides Config.SentenceWeight when non-zero; a
	// negative weight turns sentence re-ranking off.
	SentenceWeight float64
	// AsOf is the time document ages are measured back from for recency:
	// when zero, the filter's To bound if it has one, else the current time.
	AsOf time.Time
	// KeepDuplicates returns every copy of a story where a collapsing
	// searcher (rank.Collapsing) would return one.
	KeepDuplicates bool
}

// Hit is a ranked chunk with its document's metadata.
type Hit struct {
	Chunk
	Title, Source, Author string
	Published             time.Time
	// StoryID is the document's story (see Document.StoryID).
	StoryID string
	// Score is the fused score; higher is better.
	Score float64
	// LexicalRank and DenseRank are 1-based ranks in each ranking, 0 if absent.
	LexicalRank, DenseRank int
}
