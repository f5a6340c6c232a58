//go:build unix

package retrieval_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval"
)

func TestOpenLocksTheDirectory(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, seedDocs(t)[:1]...)
	docs, chunks := st.Len()

	_, err := retrieval.Open(context.Background(), retrieval.Config{Dir: dir, Embedder: testEmbedder})
	if !errors.Is(err, retrieval.ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if want := fmt.Sprintf("process %d", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the owner, %s", err, want)
	}
	// The refused Open changed nothing, and the first store still works.
	mustIngest(t, st, seedDocs(t)[1:2]...)

	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	again := openStore(t, dir)
	if d, c := again.Len(); d != docs+1 || c <= chunks {
		t.Errorf("after reopening: %d documents, %d chunks; want %d and more than %d", d, c, docs+1, chunks)
	}
}
