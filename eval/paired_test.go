package eval_test

import (
	"math"
	"testing"

	"github.com/ragd/ragd/eval"
)

func TestStandardError(t *testing.T) {
	// Values 1, 2, 3, 4: mean 2.5, sample variance 5/3, SE sqrt(5/3/4).
	if got, want := eval.StandardError([]float64{1, 2, 3, 4}), math.Sqrt(5.0/12); !near(got, want) {
		t.Errorf("StandardError = %v, want %v", got, want)
	}
	if got := eval.StandardError([]float64{7}); got != 0 {
		t.Errorf("StandardError of one value = %v, want 0", got)
	}
}

func TestPaired(t *testing.T) {
	this := map[string]float64{"q1": 1, "q2": 0.5, "q3": 0, "q4": 0.2, "only-here": 1}
	other := map[string]float64{"q1": 0.5, "q2": 0.5, "q3": 0.5, "q4": 0, "only-there": 0}
	got := eval.Paired(this, other)
	// Differences over q1-q4: 0.5, 0, -0.5, 0.2; mean 0.05; sample
	// variance (0.2025+0.0025+0.3025+0.0225)/3 = 0.53/3.
	want := eval.PairedDiff{Queries: 4, Mean: 0.05, SE: math.Sqrt(0.53 / 3 / 4), Better: 2, Worse: 1}
	if got.Queries != want.Queries || got.Better != want.Better || got.Worse != want.Worse || !near(got.Mean, want.Mean) || !near(got.SE, want.SE) {
		t.Errorf("Paired = %+v, want %+v", got, want)
	}
	if d := eval.Paired(this, map[string]float64{"x": 1}); d.Queries != 0 || d.Mean != 0 || d.SE != 0 {
		t.Errorf("Paired with nothing shared = %+v, want zeros", d)
	}
}
