package weaviate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/ragd/ragd/retrieval"
)

// classify turns a client error into one wrapping a retrieval sentinel
// where one applies: Weaviate unreachable, overloaded or without a quorum of
// replicas is retrieval.ErrUnavailable, a refused object (422) is
// retrieval.ErrInvalid. The message keeps Weaviate's reason.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var fe *fault.WeaviateClientError
	if !errors.As(err, &fe) {
		if unreachable(err) {
			return fmt.Errorf("%w: %v", retrieval.ErrUnavailable, err)
		}
		return err
	}
	if fe.DerivedFromError != nil {
		if errors.Is(fe.DerivedFromError, context.Canceled) || errors.Is(fe.DerivedFromError, context.DeadlineExceeded) {
			return fe.DerivedFromError
		}
		return fmt.Errorf("%w: weaviate: %v", retrieval.ErrUnavailable, fe.DerivedFromError)
	}
	msg := weaviateMessage(fe.Msg)
	switch {
	case fe.StatusCode == http.StatusUnprocessableEntity:
		return fmt.Errorf("%w: weaviate refused it: %s", retrieval.ErrInvalid, msg)
	case fe.StatusCode == http.StatusTooManyRequests || fe.StatusCode >= 500 || unavailableMessage(msg):
		return fmt.Errorf("%w: weaviate answered %d: %s", retrieval.ErrUnavailable, fe.StatusCode, msg)
	case fe.StatusCode == http.StatusUnauthorized || fe.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: weaviate answered %d (check --weaviate-api-key): %s", retrieval.ErrUnavailable, fe.StatusCode, msg)
	}
	return fmt.Errorf("weaviate answered %d: %s", fe.StatusCode, msg)
}

// unreachable reports whether err is a network failure.
func unreachable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe)
}

// unavailableMessage reports whether Weaviate's message says that too few
// replicas answered, which it reports in errors of queries and batches.
func unavailableMessage(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"cannot achieve consistency", "not enough replicas", "connection refused", "no such host", "i/o timeout", "context deadline exceeded", "broadcast: cannot reach enough replicas", "read repair"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// weaviateMessage extracts the messages of Weaviate's JSON error body,
// {"error":[{"message":"..."}]}, or returns body trimmed.
func weaviateMessage(body string) string {
	var e models.ErrorResponse
	if err := e.UnmarshalBinary([]byte(body)); err == nil && len(e.Error) > 0 {
		parts := make([]string, 0, len(e.Error))
		for _, it := range e.Error {
			if it != nil {
				parts = append(parts, it.Message)
			}
		}
		return strings.Join(parts, "; ")
	}
	return strings.TrimSpace(body)
}

// graphQLError turns the errors of a GraphQL answer into one error.
func graphQLError(errs []*models.GraphQLError) error {
	if len(errs) == 0 {
		return nil
	}
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		if e != nil {
			parts = append(parts, e.Message)
		}
	}
	msg := strings.Join(parts, "; ")
	if unavailableMessage(msg) {
		return fmt.Errorf("%w: weaviate: %s", retrieval.ErrUnavailable, msg)
	}
	if strings.Contains(msg, "Cannot query field") || strings.Contains(msg, "could not find class") || strings.Contains(msg, "no such class") {
		return fmt.Errorf("%w: %s", errNoClass, msg)
	}
	return fmt.Errorf("weaviate: %s", msg)
}
