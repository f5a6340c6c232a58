//go:build !linux

package local

import (
	"fmt"
	"os"
)

// syncDir flushes the directory entry of dir. Off Linux there is no syncfs;
// files are flushed by the operating system in its own time.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
