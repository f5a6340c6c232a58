package local_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval"
)

// TestSearchRefusesTooManyTerms holds every caller, not only the HTTP API,
// to the query term limit: ranking a query of N distinct terms costs more
// than linear time in N.
func TestSearchRefusesTooManyTerms(t *testing.T) {
	st := openStore(t, t.TempDir())
	mustIngest(t, st, seedDocs(t)...)
	query := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "w%dq ", i)
		}
		return b.String()
	}
	if _, err := st.Search(context.Background(), retrieval.SearchRequest{Query: query(retrieval.MaxQueryTerms), K: 5}); err != nil {
		t.Fatalf("a query of %d terms: %v", retrieval.MaxQueryTerms, err)
	}
	_, err := st.Search(context.Background(), retrieval.SearchRequest{Query: query(retrieval.MaxQueryTerms + 1), K: 5})
	if !errors.Is(err, retrieval.ErrInvalid) || !strings.Contains(err.Error(), "more than 1024 terms") {
		t.Fatalf("a query of %d terms: error %v, want ErrInvalid naming the limit", retrieval.MaxQueryTerms+1, err)
	}
}
