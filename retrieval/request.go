package retrieval

import (
	"fmt"
	"strings"
)

// Validate reports, with an error wrapping ErrInvalid, why a backend would
// refuse the request before analysing its query: K outside 1..MaxK, an
// empty query, a date range that ends before it starts, or a weight of 1
// or more. Backends also refuse a query of more than MaxQueryTerms
// analysed terms.
func (r SearchRequest) Validate() error {
	switch {
	case r.K < 1 || r.K > MaxK:
		return fmt.Errorf("%w: k must be between 1 and %d, got %d", ErrInvalid, MaxK, r.K)
	case strings.TrimSpace(r.Query) == "":
		return fmt.Errorf("%w: empty query", ErrInvalid)
	case !r.Filter.From.IsZero() && !r.Filter.To.IsZero() && r.Filter.To.Before(r.Filter.From):
		return fmt.Errorf("%w: published_to is before published_from", ErrInvalid)
	case r.DocWeight >= 1 || r.RecencyWeight >= 1 || r.SentenceWeight >= 1:
		return fmt.Errorf("%w: document, recency and sentence weights must be below 1", ErrInvalid)
	}
	return nil
}
