package eval

import "math"

// StandardError returns the standard error of the mean of values: their
// sample standard deviation over the square root of their number; 0 for
// fewer than two values.
func StandardError(values []float64) float64 {
	n := float64(len(values))
	if n < 2 {
		return 0
	}
	mean := 0.0
	for _, v := range values {
		mean += v
	}
	mean /= n
	ss := 0.0
	for _, v := range values {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / (n - 1) / n)
}

// PairedDiff compares two runs on the queries they share.
type PairedDiff struct {
	// Queries counts the queries scored in both runs.
	Queries int
	// Mean is the mean of this run's score less the other's, and SE its
	// paired standard error: the standard error of the per-query
	// differences, smaller than either run's own when the runs move
	// together, as two settings of one system do.
	Mean, SE float64
	// Better and Worse count the queries this run scores above and below
	// the other.
	Better, Worse int
}

// Paired compares per-query scores of this run and another, both keyed by
// query ID, over the IDs in both.
func Paired(this, other map[string]float64) PairedDiff {
	var d PairedDiff
	var diffs []float64
	for id, a := range this {
		b, ok := other[id]
		if !ok {
			continue
		}
		diffs = append(diffs, a-b)
		switch {
		case a > b:
			d.Better++
		case a < b:
			d.Worse++
		}
	}
	d.Queries = len(diffs)
	for _, x := range diffs {
		d.Mean += x
	}
	if d.Queries > 0 {
		d.Mean /= float64(d.Queries)
	}
	d.SE = StandardError(diffs)
	return d
}
