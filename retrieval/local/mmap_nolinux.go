//go:build unix && !linux

package local

// mapPopulate is Linux's; elsewhere the mapping faults in as it is read.
const mapPopulate = 0
