package qa

import "testing"

func TestBalanceQuotes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"“We have failed them.", "“We have failed them.”"},
		{"We have not spent the money,” he said.", "“We have not spent the money,” he said."},
		{"He called it a “beautiful gesture”.", "He called it a “beautiful gesture”."},
		{`"You know, the British have incredible soldiers.`, `"You know, the British have incredible soldiers."`},
		{"No quotation here.", "No quotation here."},
	}
	for _, tt := range tests {
		if got := balanceQuotes(tt.in); got != tt.want {
			t.Errorf("balanceQuotes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsHeading(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Italy", true},
		{"What happens next", true},
		{"Germany’s chancellor said the debate was irritating.", false},
		{"Is it more dangerous?", false},
		{"He told a newspaper:", false},
		{"A Ukrainian mortar crew fires during training in Donetsk region", false},
	}
	for _, tt := range tests {
		if got := isHeading(tt.in); got != tt.want {
			t.Errorf("isHeading(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
