package eval_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ragd/ragd/eval"
)

func TestUnanswerableVariants(t *testing.T) {
	qs := []eval.Question{
		{ID: "a", Text: "Who won?", Answers: []string{"Denver"}, Sources: []string{"d1"}},
		{ID: "b", Text: "Nothing?"},
	}
	got := eval.UnanswerableVariants(qs)
	if len(got) != 1 {
		t.Fatalf("got %d variants, want 1 (the unanswerable question has none)", len(got))
	}
	v := got[0]
	if v.ID != "a"+eval.VariantSuffix || !v.Unanswerable() || !slices.Equal(v.Exclude, []string{"d1"}) || !slices.Equal(v.Withheld, []string{"Denver"}) {
		t.Errorf("variant %+v, want an unanswerable copy excluding d1 and withholding Denver", v)
	}
}

// TestExcludingAnswers checks that a variant is asked again until no
// retrieved passage holds a withheld answer.
func TestExcludingAnswers(t *testing.T) {
	docs := map[string]string{"d1": "Denver won.", "d2": "Denver Broncos won the game.", "d3": "The game was played."}
	var asked [][]string
	ask := func(_ context.Context, q eval.Question) (eval.Reply, error) {
		asked = append(asked, slices.Clone(q.Exclude))
		var r eval.Reply
		for _, id := range []string{"d1", "d2", "d3"} {
			if !slices.Contains(q.Exclude, id) {
				r.Passages = append(r.Passages, docs[id])
				r.PassageDocs = append(r.PassageDocs, id)
			}
		}
		return r, nil
	}
	v := eval.UnanswerableVariants([]eval.Question{{ID: "a", Text: "Who won?", Answers: []string{"Denver"}, Sources: []string{"d1"}}})[0]
	reply, err := eval.ExcludingAnswers(ask)(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 || !slices.Equal(asked[1], []string{"d1", "d2"}) {
		t.Errorf("asked with exclusions %v, want [d1] then [d1 d2]", asked)
	}
	for _, p := range reply.Passages {
		if strings.Contains(p, "Denver") {
			t.Errorf("final reply still retrieves %q", p)
		}
	}
	// An answerable question is asked once, as it is.
	asked = nil
	if _, err := eval.ExcludingAnswers(ask)(context.Background(), eval.Question{ID: "x", Text: "Who won?", Answers: []string{"Denver"}}); err != nil || len(asked) != 1 {
		t.Errorf("answerable question asked %d times (err %v), want once", len(asked), err)
	}
}

func TestReadSQuADAndWeeks(t *testing.T) {
	const squad = `{"version": "1.1", "data": [
		{"title": "First", "paragraphs": [{"context": "c", "qas": [{"id": "q1", "question": " Who? ", "answers": [{"text": "Ann"}, {"text": "Ann"}]}]}]},
		{"title": "Second", "paragraphs": [{"context": "c"}, {"context": "c", "qas": [{"id": "q2", "question": "What?", "answers": [{"text": "Bob"}]}]}]}
	]}`
	if !eval.IsSQuAD([]byte(squad)) || eval.IsSQuAD([]byte(`{"id": "x", "question": "y"}`)) {
		t.Error("IsSQuAD does not tell a SQuAD file from a question line")
	}
	got, err := eval.ReadSQuAD(strings.NewReader(squad), eval.Span{From: 2, To: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "q2" || !slices.Equal(got[0].Sources, []string{"Second_1"}) || !slices.Equal(got[0].Answers, []string{"Bob"}) {
		t.Errorf("article 2 = %+v, want q2 with source Second_1", got)
	}
	all, _ := eval.ReadSQuAD(strings.NewReader(squad), eval.Span{From: 1, To: 48})
	if len(all) != 2 || all[0].Text != "Who?" || len(all[0].Answers) != 1 {
		t.Errorf("all articles = %+v, want 2 questions, trimmed, answers once each", all)
	}
	qs := []eval.Question{{ID: "20220624_0"}, {ID: "20220617_0"}, {ID: "20220701_3"}, {ID: "20220617_1"}}
	w, err := eval.Weeks(qs, eval.Span{From: 2, To: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ids := []string{w[0].ID, w[1].ID}; len(w) != 2 || !slices.Equal(ids, []string{"20220624_0", "20220701_3"}) {
		t.Errorf("weeks 2-3 = %v, want 20220624_0 and 20220701_3", w)
	}
	if _, err := eval.Weeks([]eval.Question{{ID: "nodate"}}, eval.Span{From: 1, To: 1}); err == nil {
		t.Error("Weeks accepted an id without a week prefix")
	}
	for _, bad := range []string{"", "0-3", "5-2", "a-b", "3-"} {
		if _, err := eval.ParseSpan(bad); err == nil {
			t.Errorf("ParseSpan(%q) accepted", bad)
		}
	}
	if s, err := eval.ParseSpan("25-48"); err != nil || s != (eval.Span{From: 25, To: 48}) {
		t.Errorf("ParseSpan(25-48) = %v, %v", s, err)
	}
	again := eval.Sample(qs, 2, 1)
	if got := eval.Sample(qs, 2, 1); len(got) != 2 || got[0].ID != again[0].ID || got[1].ID != again[1].ID {
		t.Errorf("Sample is not 2 questions or not the same with the same seed: %v", got)
	}
}
