//go:build linux

package local

import "golang.org/x/sys/unix"

// mapPopulate asks Linux to fault the whole mapping in at once, from the
// page cache or in large reads, instead of a page at a time as the one
// pass over it touches each.
const mapPopulate = unix.MAP_POPULATE
