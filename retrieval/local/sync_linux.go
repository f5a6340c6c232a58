package local

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncDir flushes the file system holding dir to stable storage, so that an
// acknowledged write survives a power loss. One syncfs call covers every file
// an ingest wrote, which costs far less than one fsync per file.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
