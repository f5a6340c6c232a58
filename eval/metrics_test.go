package eval_test

import (
	"math"
	"testing"
	"time"

	"github.com/ragd/ragd/eval"
)

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) < tol }

// The known answers below are computed by hand; log2(3) = 1.5849625, log2(5) = 2.3219281.
func TestEvalRankingMetrics(t *testing.T) {
	ranked := []string{"d1", "d2", "d3", "d4", "d5"}
	tests := []struct {
		name             string
		rel              eval.Relevance
		k                int
		ndcg, recall, rr float64
		firstRelevant    int
	}{
		{
			name: "binary, relevant at 2 and 4, one missed",
			rel:  eval.Relevance{"d2": 1, "d4": 1, "x": 1},
			k:    10,
			// DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4).
			ndcg:          (1/math.Log2(3) + 1/math.Log2(5)) / (1 + 1/math.Log2(3) + 0.5),
			recall:        2.0 / 3,
			rr:            0.5,
			firstRelevant: 2,
		},
		{
			name: "graded gains are linear, not 2^rel-1",
			rel:  eval.Relevance{"d1": 1, "d3": 2},
			k:    10,
			// DCG = 1/1 + 2/log2(4) = 2; IDCG = 2/1 + 1/log2(3).
			ndcg:          2 / (2 + 1/math.Log2(3)),
			recall:        1,
			rr:            1,
			firstRelevant: 1,
		},
		{
			name: "cut-off hides later ranks",
			rel:  eval.Relevance{"d4": 1},
			k:    3,
			ndcg: 0, recall: 0, rr: 0,
			firstRelevant: 4,
		},
		{
			name: "zero grade is non-relevant",
			rel:  eval.Relevance{"d1": 0, "d5": 1},
			k:    10,
			// DCG = 1/log2(6); IDCG = 1.
			ndcg:          1 / math.Log2(6),
			recall:        1,
			rr:            0.2,
			firstRelevant: 5,
		},
		{
			name: "no relevant document",
			rel:  eval.Relevance{"d1": 0},
			k:    10,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eval.NDCG(ranked, tt.rel, tt.k); !near(got, tt.ndcg) {
				t.Errorf("NDCG = %.9f, want %.9f", got, tt.ndcg)
			}
			if got := eval.Recall(ranked, tt.rel, tt.k); !near(got, tt.recall) {
				t.Errorf("Recall = %.9f, want %.9f", got, tt.recall)
			}
			if got := eval.ReciprocalRank(ranked, tt.rel, tt.k); !near(got, tt.rr) {
				t.Errorf("ReciprocalRank = %.9f, want %.9f", got, tt.rr)
			}
			if got := eval.FirstRelevant(ranked, tt.rel); got != tt.firstRelevant {
				t.Errorf("FirstRelevant = %d, want %d", got, tt.firstRelevant)
			}
		})
	}
}

// TestPercentileNearestRank checks the nearest-rank definition: the value
// of rank ceil(p/100 × n) in ascending order.
func TestEvalPercentileNearestRank(t *testing.T) {
	twenty := make([]int, 20)
	for i := range twenty {
		twenty[i] = 20 - i // 20, 19, ..., 1: unsorted input
	}
	tests := []struct {
		name   string
		values []int
		p      float64
		want   int
	}{
		{"p50 of 20 is rank 10", twenty, 50, 10},
		{"p95 of 20 is rank 19", twenty, 95, 19},
		{"p100 is the maximum", twenty, 100, 20},
		{"tiny p is the minimum", twenty, 0.1, 1},
		{"p50 of 4 is rank 2, no interpolation", []int{40, 10, 30, 20}, 50, 20},
		{"p95 of 4 is rank 4", []int{40, 10, 30, 20}, 95, 40},
		{"p50 of 5 is rank 3", []int{5, 1, 4, 2, 3}, 50, 3},
		{"one value", []int{7}, 95, 7},
		{"no values", nil, 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eval.Percentile(tt.values, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %g) = %d, want %d", tt.values, tt.p, got, tt.want)
			}
		})
	}
	if got := eval.Percentile([]time.Duration{3 * time.Millisecond, time.Millisecond}, 50); got != time.Millisecond {
		t.Errorf("Percentile of durations = %s, want 1ms", got)
	}
}

func TestEvalNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lowercase and ASCII punctuation", "Hello, World!", "hello world"},
		{"articles removed as words only", "The theory of an apple and a tree", "theory of apple and tree"},
		{"curly quotes and apostrophes", "“Squid Game” isn’t ‘over’", "squid game isnt over"},
		{"dashes join words, as the script does", "troops—not front-line", "troopsnot frontline"},
		{"numbers lose separators", "$350bn and 30,000 (2.5%)", "350bn and 30000 25"},
		{"white space collapses", "  a\tb \n\n c  ", "b c"},
		{"symbols outside the ASCII set stay", "£10bn", "£10bn"},
		{"only articles", "The a an", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eval.Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEvalAnswerMatches(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		answers []string
		want    bool
	}{
		{"contained after normalisation", "“Not to go to the front line,” he said [1].", []string{"front line"}, true},
		{"any alternative", "They plan to send 30,000 peacekeepers.", []string{"20,000", "30000"}, true},
		{"curly quote in gold", "the show Squid Game returns", []string{"“Squid Game”"}, true},
		{"article in gold", "Trump said the British can cope", []string{"the British"}, true},
		{"absent", "Macron spoke to Fox News.", []string{"Trump"}, false},
		{"empty gold never matches", "anything", []string{"", "the"}, false},
		{"no answers", "anything", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eval.AnswerMatches(tt.text, tt.answers); got != tt.want {
				t.Errorf("AnswerMatches(%q, %q) = %v, want %v", tt.text, tt.answers, got, tt.want)
			}
		})
	}
}
