package eval

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ragd/ragd/retrieval"
)

// Corpus finds stored documents by ID; every retrieval.Backend is one.
type Corpus interface {
	Get(ctx context.Context, id string) (retrieval.StoredDocument, error)
}

var _ Corpus = retrieval.Backend(nil)

// UnknownSources returns the source IDs of questions that c does not hold,
// each once, in order of first mention. No retrieval can find such a
// document, so a question naming one counts it as a miss: a mistake in the
// set or an index without its corpus.
func UnknownSources(ctx context.Context, c Corpus, questions []Question) ([]string, error) {
	var ids []string
	for _, q := range questions {
		ids = append(ids, q.Sources...)
	}
	return missing(ctx, c, ids)
}

// MissingJudged returns the documents that qrels judges relevant to the
// queries evaluated in rep but that c does not hold, each once, sorted. No
// search can retrieve them, so they count as misses.
func MissingJudged(ctx context.Context, c Corpus, qrels Qrels, rep RetrievalReport) ([]string, error) {
	var ids []string
	for _, r := range rep.Results {
		for id, g := range qrels[r.Query.ID] {
			if g > 0 {
				ids = append(ids, id)
			}
		}
	}
	out, err := missing(ctx, c, ids)
	slices.Sort(out)
	return out, err
}

// missing returns the IDs of ids that c does not hold, each once, in the
// order of ids.
func missing(ctx context.Context, c Corpus, ids []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		_, err := c.Get(ctx, id)
		switch {
		case errors.Is(err, retrieval.ErrNotFound):
			out = append(out, id)
		case err != nil:
			return nil, fmt.Errorf("look up document %q: %w", id, err)
		}
	}
	return out, nil
}
