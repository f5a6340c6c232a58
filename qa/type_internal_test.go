package qa

import (
	"slices"
	"testing"

	"github.com/ragd/ragd/retrieval/analysis"
)

func TestAnswerType(t *testing.T) {
	tests := []struct {
		question string
		want     []string
	}{
		{"Which TV channel did Macron explain the French-British plan to?", []string{"TV", "channel"}},
		{"Which country announced a crackdown on rainbow-colored toys?", []string{"country"}},
		{"Which wildly popular show was green lit for a new season?", []string{"popular", "show"}},
		{"Which WNBA team recently won its first title?", []string{"WNBA", "team"}},
		{"Which member of Congress attended the wedding?", []string{"member"}},
		{"One of the biggest strikes in US history is brewing at which major company?", []string{"major", "company"}},
		{"What new treat did McDonald’s add to its menu?", []string{"new", "treat"}},
		{"What does PSL stand for?", nil},
		{"What is the population of Kyiv?", nil},
		{"Who called Zelensky a dictator?", nil},
	}
	for _, tt := range tests {
		if got := answerType(tt.question); !slices.Equal(got, tt.want) {
			t.Errorf("answerType(%q) = %q, want %q", tt.question, got, tt.want)
		}
	}
}

func TestQuestionNames(t *testing.T) {
	a := &Answerer{an: &analysis.Analyzer{}}
	tests := []struct {
		question string
		want     []string
	}{
		// A hyphenated name gives its parts, not the analyser's joined
		// term, which no passage spelling "French" and "British" holds.
		{"Which TV channel did Macron explain the French-British plan to?", []string{"tv", "macron", "french", "british"}},
		{"Where did Jean-Luc Godard work?", []string{"jean", "luc", "godard"}},
		{"What did Boris Johnson's adviser say?", []string{"bori", "johnson"}},
		{"Did the Ukraine-Russia talks end?", []string{"ukrain", "russia"}},
		{"Is the U.S.-China deal done?", []string{"us", "china"}},
	}
	for _, tt := range tests {
		if got := a.questionNames(tt.question); !slices.Equal(got, tt.want) {
			t.Errorf("questionNames(%q) = %q, want %q", tt.question, got, tt.want)
		}
	}
}

func TestCapitalised(t *testing.T) {
	got := capitalised("Speaking to Fox News, Mr Macron outlined the plan to the BBC and to Fox.")
	if want := []string{"fox", "news", "mr", "macron", "bbc"}; !slices.Equal(got, want) {
		t.Errorf("capitalised = %q, want %q (the first word is no name)", got, want)
	}
}
