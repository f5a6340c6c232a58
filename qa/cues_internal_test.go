package qa

import (
	"testing"

	"github.com/ragd/ragd/retrieval/analysis"
)

func TestCueScore(t *testing.T) {
	long := "“We worked very hard together with the prime minister on a joint proposal to say we are ready to send troops, not to go to the front line but to be in certain places once a peace deal is signed.”"
	tests := []struct {
		question, text string
		want           float64
	}{
		{"What did Macron say the troops would not do?", long, 1},
		{"What did Macron say the troops would not do?", "Mr Macron outlined the plan on Monday.", 0},
		{"How did Trump characterise the offers?", "He described them as a “beautiful gesture”.", 1},
		{"How did Trump characterise the offers?", "“If they want to do that, that’d be fine,” he told reporters.", 0.5},
		{"What word did Scholz use about the debate?", "Scholz called it “irritating” and “incomprehensible”.", 1},
		{"What did Healey insist on?", "He said: “We need a guarantee that is capable of delivering a durable peace.”", 1},
		{"How many troops would be needed?", "It would need 100,000 troops.", 1},
		{"How many troops would be needed?", "It would stretch for 1,800 miles.", 0.5},
	}
	a := &Answerer{an: &analysis.Analyzer{}}
	for _, tt := range tests {
		if got := a.detectCue(tt.question).score(tt.text, tt.question); got != tt.want {
			t.Errorf("cue of %q on %q = %g, want %g", tt.question, tt.text, got, tt.want)
		}
	}
}
