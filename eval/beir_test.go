package eval_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/ragd/ragd/eval"
	"github.com/ragd/ragd/retrieval"
)

func TestEvalReadQueries(t *testing.T) {
	got, err := eval.ReadQueries(strings.NewReader(`{"_id": "q1", "text": "first", "metadata": {}}` + "\n" + `{"_id": 2, "text": "second"}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []eval.Query{{ID: "q1", Text: "first"}, {ID: "2", Text: "second"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := eval.ReadQueries(strings.NewReader(`{"_id": null, "text": "x"}`)); !errors.Is(err, eval.ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid for a null id", err)
	}
}

func TestEvalReadQrels(t *testing.T) {
	tests := []struct {
		name, in string
		want     eval.Qrels
		wantErr  bool
	}{
		{
			name: "BEIR with header",
			in:   "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\nq2\td3\t2\n",
			want: eval.Qrels{"q1": {"d1": 1, "d2": 0}, "q2": {"d3": 2}},
		},
		{
			name: "TREC four columns, no header",
			in:   "q1 0 d1 1\nq1 0 d9 0\n",
			want: eval.Qrels{"q1": {"d1": 1, "d9": 0}},
		},
		{name: "bad score", in: "query-id\tcorpus-id\tscore\nq1\td1\thigh\n", wantErr: true},
		{name: "bad field count", in: "q1\td1\t1\nq1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eval.ReadQrels(strings.NewReader(tt.in))
			if tt.wantErr {
				if !errors.Is(err, eval.ErrInvalid) {
					t.Errorf("got %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// fakeSearcher returns fixed chunk rankings by query and records requests.
type fakeSearcher struct {
	hits map[string][]string // query -> doc IDs of the ranked chunks
	reqs []retrieval.SearchRequest
}

func (f *fakeSearcher) Search(_ context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error) {
	f.reqs = append(f.reqs, req)
	var out []retrieval.Hit
	for i, d := range f.hits[req.Query] {
		out = append(out, retrieval.Hit{Chunk: retrieval.Chunk{DocID: d, ID: d + "#" + string(rune('0'+i))}})
	}
	return out, nil
}

func TestEvalRunRetrieval(t *testing.T) {
	s := &fakeSearcher{hits: map[string][]string{
		// Chunks of d1 appear twice: the document ranks once, by its best chunk.
		"alpha": {"d1", "d1", "d2", "d3"},
		"beta":  {"d3", "d2"},
		"gamma": {"d1"},
	}}
	queries := []eval.Query{{ID: "a", Text: "alpha"}, {ID: "n", Text: "unjudged"}, {ID: "z", Text: "zero only"}, {ID: "b", Text: "beta"}, {ID: "c", Text: "gamma"}}
	qrels := eval.Qrels{
		"a": {"d2": 1, "d3": 1},
		"z": {"d1": 0},
		"b": {"d2": 1, "d4": 1},
		"c": {"d1": 1},
	}
	opt := eval.RetrievalOptions{Mode: retrieval.Dense, Fusion: retrieval.FusionRRF, DenseWeight: 0.4, MaxQueries: 2}
	rep, err := eval.RunRetrieval(context.Background(), s, queries, qrels, opt)
	if err != nil {
		t.Fatal(err)
	}
	// a: ranking d1 d2 d3; DCG = 1/log2(3) + 1/log2(4), IDCG = 1 + 1/log2(3); recall 1; RR 1/2.
	// b: ranking d3 d2; DCG = 1/log2(3), IDCG = 1 + 1/log2(3); recall 1/2; RR 1/2.
	// c is past --max-queries; n and z have no relevant document.
	ndcgA := (1/math.Log2(3) + 0.5) / (1 + 1/math.Log2(3))
	ndcgB := (1 / math.Log2(3)) / (1 + 1/math.Log2(3))
	got := rep.Summary
	if got.Queries != 2 || !near(got.NDCG10, (ndcgA+ndcgB)/2) || !near(got.Recall100, 0.75) || !near(got.MRR10, 0.5) || !near(got.MeanDocs, 2.5) {
		t.Errorf("got %+v, want 2 queries, nDCG %.6f, recall 0.75, MRR 0.5, 2.5 docs", got, (ndcgA+ndcgB)/2)
	}
	if !reflect.DeepEqual(rep.Results[0].Docs, []string{"d1", "d2", "d3"}) {
		t.Errorf("docs of a = %v, want d1 d2 d3", rep.Results[0].Docs)
	}
	for _, r := range s.reqs {
		if r.K != retrieval.MaxK || r.Mode != opt.Mode || r.Fusion != opt.Fusion || r.DenseWeight != opt.DenseWeight {
			t.Errorf("request %+v does not carry K=MaxK and the options", r)
		}
	}
	if len(s.reqs) != 2 {
		t.Errorf("made %d searches, want 2", len(s.reqs))
	}
}
