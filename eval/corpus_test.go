package eval_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ragd/ragd/eval"
	"github.com/ragd/ragd/retrieval"
)

// fakeCorpus holds the documents it names; "broken" fails to read.
type fakeCorpus map[string]bool

func (c fakeCorpus) Get(_ context.Context, id string) (retrieval.StoredDocument, error) {
	switch {
	case id == "broken":
		return retrieval.StoredDocument{}, errors.New("disk on fire")
	case !c[id]:
		return retrieval.StoredDocument{}, fmt.Errorf("get %q: %w", id, retrieval.ErrNotFound)
	}
	return retrieval.StoredDocument{Document: retrieval.Document{ID: id}}, nil
}

func TestEvalUnknownSources(t *testing.T) {
	corpus := fakeCorpus{"d1": true, "d2": true}
	qs := []eval.Question{
		{ID: "a", Sources: []string{"d1", "gone"}},
		{ID: "b"},
		{ID: "c", Sources: []string{"lost", "gone", "d2"}},
	}
	got, err := eval.UnknownSources(context.Background(), corpus, qs)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"gone", "lost"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q: each unknown ID once, in order of first mention", got, want)
	}
	if got, err := eval.UnknownSources(context.Background(), corpus, nil); err != nil || len(got) != 0 {
		t.Errorf("no questions: got %q, %v; want none", got, err)
	}
	qs[1].Sources = []string{"broken"}
	if _, err := eval.UnknownSources(context.Background(), corpus, qs); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("got error %v, want the store's error", err)
	}
}

func TestEvalMissingJudged(t *testing.T) {
	corpus := fakeCorpus{"d1": true, "d2": true}
	qrels := eval.Qrels{
		"q1": {"d1": 1, "x1": 2, "x0": 0}, // x0 is judged not relevant: not a miss
		"q2": {"x2": 1, "x1": 1},
		"q3": {"x3": 1}, // not evaluated (say --max-queries)
	}
	rep := eval.RetrievalReport{Results: []eval.RetrievalResult{{Query: eval.Query{ID: "q2"}}, {Query: eval.Query{ID: "q1"}}}}
	got, err := eval.MissingJudged(context.Background(), corpus, qrels, rep)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"x1", "x2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q: relevant documents of evaluated queries, each once, sorted", got, want)
	}
}
