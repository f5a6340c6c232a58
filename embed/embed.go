// Package embed turns text into vectors: an offline GloVe model and remote Ollama or OpenAI-compatible services.
//
// Every embedder has the same two methods, which consumers declare as their
// own interface:
//
//	Name() string
//	Embed(ctx context.Context, texts []string) ([][]float32, error)
//
// Name is a stable model identifier suitable for recording next to stored
// vectors; Embed returns one vector per text, in order. All embedders are
// safe for concurrent use.
package embed

import (
	"context"
	"errors"
	"fmt"
)

// DefaultBatchSize is the number of texts sent to a remote service in one
// request when a config leaves BatchSize at zero.
const DefaultBatchSize = 64

// ErrModelMissing is returned (wrapped) by LoadGloVe when the model file does
// not exist.
var ErrModelMissing = errors.New("glove model file missing: run `make setup` to download and convert it")

// ErrModelCorrupt is returned (wrapped) by LoadGloVe when the model file is
// not a valid model: wrong magic or version, truncated, or a bad checksum.
var ErrModelCorrupt = errors.New("glove model file corrupt")

// ErrInvalidConfig is returned (wrapped) by the constructors of remote
// embedders when a config field is invalid; the message names the field.
var ErrInvalidConfig = errors.New("invalid config")

// ErrBadResponse is returned (wrapped) when a remote service answers
// successfully but with the wrong number of vectors, missing or duplicate
// indexes, or vectors of differing lengths.
var ErrBadResponse = errors.New("malformed embedding response")

// StatusError reports a remote embedding service that answered with a
// non-success HTTP status. Retrieve it with errors.As.
type StatusError struct {
	// StatusCode is the HTTP status code of the response.
	StatusCode int
	// Message is the server's own error message, or the start of the response
	// body when the server sent none.
	Message string
}

// Error returns the status code and the server's message.
func (e *StatusError) Error() string {
	return fmt.Sprintf("status %d: %s", e.StatusCode, e.Message)
}

// Batches embeds texts size at a time with fn, in order, and returns one
// vector per text, checking ctx before each batch. A call to fn that returns another number of vectors
// than it was given texts fails with an error wrapping ErrBadResponse. A
// size below 1 sends all texts in one call.
func Batches(ctx context.Context, texts []string, size int, fn func(context.Context, []string) ([][]float32, error)) ([][]float32, error) {
	if size < 1 {
		size = max(len(texts), 1)
	}
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += size {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := texts[start:min(start+size, len(texts))]
		vecs, err := fn(ctx, batch)
		if err != nil {
			return nil, err
		}
		if len(vecs) != len(batch) {
			return nil, fmt.Errorf("%w: %d vectors for %d texts", ErrBadResponse, len(vecs), len(batch))
		}
		out = append(out, vecs...)
	}
	return out, nil
}
