//go:build unix

package local

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ragd/ragd/retrieval"

	"golang.org/x/sys/unix"
)

// lockDir takes the lock of the store in dir: an exclusive flock on its LOCK
// file, which holds the owner's process ID. The operating system releases
// it when the process ends, however it ends, so a crash leaves no stale
// lock.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EROFS) {
		// A read-only directory, which no process can write either: lock
		// the file if it is there (flock needs no write access), else
		// take no lock.
		if f, err = os.Open(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			owner := ""
			if b, err := os.ReadFile(path); err == nil {
				if pid, err := strconv.Atoi(string(bytes.TrimSpace(b))); err == nil {
					owner = fmt.Sprintf(" (process %d)", pid)
				}
			}
			return nil, fmt.Errorf("open store: %w: %s is open in another ragd%s; stop it first, or send requests to its HTTP API", retrieval.ErrLocked, dir, owner)
		}
		return nil, fmt.Errorf("open store: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
