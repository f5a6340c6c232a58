//go:build race

package dedup_test

// raceEnabled shrinks the precision and recall set under the race
// detector, which slows this single-goroutine test tenfold and has nothing
// to find in it.
const raceEnabled = true
