//go:build unix

package local_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
)

func TestOpenLocksTheDirectory(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, seedDocs(t)[:1]...)
	docs, chunks := st.Len()

	_, err := local.Open(context.Background(), local.Config{Dir: dir, Embedder: testEmbedder})
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

// TestOpenReadOnlyDirectory opens a store no one can write: the lock is
// taken on the existing LOCK file read-only. Root writes anywhere, so the
// test needs another user.
func TestOpenReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write a read-only directory")
	}
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, seedDocs(t)[:1]...)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Every file and folder read-only, as on a read-only mount.
	var paths []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			paths = append(paths, p)
		}
		return nil
	})
	for i := len(paths) - 1; i >= 0; i-- {
		os.Chmod(paths[i], 0o555)
	}
	t.Cleanup(func() {
		for _, p := range paths {
			os.Chmod(p, 0o755)
		}
	})
	ro, err := local.Open(context.Background(), local.Config{Dir: dir, Embedder: testEmbedder})
	if err != nil {
		t.Fatalf("Open on a read-only directory: %v", err)
	}
	defer ro.Close()
	if docs, _ := ro.Len(); docs != 1 {
		t.Errorf("%d documents, want 1", docs)
	}
	// A write is refused as a read-only file system's would be, so that
	// the server answers 503 saying so.
	if _, err := ro.Ingest(context.Background(), seedDocs(t)[1:2]); !errors.Is(err, syscall.EROFS) {
		t.Errorf("Ingest into a read-only directory: %v, want EROFS", err)
	}
}
