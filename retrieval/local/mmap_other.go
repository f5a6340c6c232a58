//go:build !unix

package local

import "os"

// mapFile reads a file into memory, for one pass over it while the store
// opens.
func mapFile(path string) (data []byte, release func(), err error) {
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return data, func() {}, nil
}

// isReadOnlyFS reports an error of a write to a read-only file system.
func isReadOnlyFS(error) bool { return false }
