package qa

import "testing"

func TestRewrittenQuestion(t *testing.T) {
	for _, tt := range []struct{ out, want string }{
		{"What does Starmer want from Trump?", "What does Starmer want from Trump?"},
		{"Standalone question: \"What does Starmer want from Trump?\"", "What does Starmer want from Trump?"},
		{"Sure! Here is the standalone question:\nWhat does Starmer want from Trump?", "What does Starmer want from Trump?"},
		{"Rewritten:\n\n“What does Starmer want?”\nI kept the names.", "What does Starmer want?"},
		{"Starmer's demands of Trump", "Starmer's demands of Trump"},
		{"", ""},
		{"  \n\t\n", ""},
		{"Here it is:", ""},
	} {
		if got := rewrittenQuestion(tt.out); got != tt.want {
			t.Errorf("rewrittenQuestion(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}
