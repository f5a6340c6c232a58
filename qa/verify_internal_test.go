package qa

import (
	"slices"
	"strings"
	"testing"
)

func TestCleanMarkers(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"valid markers stay", "Rain fell [1]. It flooded [2][3].", "Rain fell [1]. It flooded [2][3]."},
		{"marker of a passage not sent", "Rain fell [9].", "Rain fell."},
		{"list keeps the valid numbers", "Rain fell [1, 9,3].", "Rain fell [1, 3]."},
		{"adjacent markers", "Rain fell [1][9] and stopped.", "Rain fell [1] and stopped."},
		{"dropped before a word", "Rain fell [9] and stopped.", "Rain fell and stopped."},
		{"dropped at the start", "[7] Rain fell.", "Rain fell."},
		{"zero is not a passage", "Rain [0].", "Rain."},
		{"brackets that are not markers", "The [sic] text [1-2] and a[b] [ 1 ]", "The [sic] text [1-2] and a[b] [ 1 ]"},
		{"unclosed bracket", "Rain fell [1", "Rain fell [1"},
		{"long bracket", "See [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1].", "See [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]."},
		{"multibyte text", "Zürich’s rain [4] — heavy [2].", "Zürich’s rain — heavy [2]."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanMarkers(tt.in, 3); got != tt.want {
				t.Errorf("cleanMarkers(%q) = %q, want %q", tt.in, got, tt.want)
			}
			// Streaming in pieces of any size gives the same text.
			for size := 1; size <= 4; size++ {
				f := markerFilter{sent: 3}
				var b strings.Builder
				r := []rune(tt.in)
				for i := 0; i < len(r); i += size {
					b.WriteString(f.write(string(r[i:min(i+size, len(r))])))
				}
				b.WriteString(f.flush())
				if got := strings.TrimSpace(b.String()); got != tt.want {
					t.Errorf("in pieces of %d: %q, want %q", size, got, tt.want)
				}
			}
		})
	}
}

func TestSplitAnswer(t *testing.T) {
	type sentence struct {
		text  string
		cites []int
	}
	tests := []struct {
		name string
		in   string
		want []sentence
	}{
		{"markers before the full stop", "Rain fell [1]. It flooded [2][3].",
			[]sentence{{"Rain fell [1].", []int{1}}, {"It flooded [2][3].", []int{2, 3}}}},
		{"markers after the full stop", "Rain fell. [1] It flooded. [2, 3]",
			[]sentence{{"Rain fell. [1]", []int{1}}, {"It flooded. [2, 3]", []int{2, 3}}}},
		{"marker on its own line", "Rain fell.\n[2]",
			[]sentence{{"Rain fell.\n[2]", []int{2}}}},
		{"uncited sentence", "Rain fell. It flooded [1].",
			[]sentence{{"Rain fell.", nil}, {"It flooded [1].", []int{1}}}},
		{"repeated citation", "Rain fell [2] and fell [2].",
			[]sentence{{"Rain fell [2] and fell [2].", []int{2}}}},
		{"numbers not sent are ignored", "Rain fell [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 2].",
			[]sentence{{"Rain fell [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 2].", []int{2}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []sentence
			for _, s := range splitAnswer(tt.in, 3) {
				got = append(got, sentence{tt.in[s.start:s.end], s.cites})
			}
			if !slices.EqualFunc(got, tt.want, func(a, b sentence) bool { return a.text == b.text && slices.Equal(a.cites, b.cites) }) {
				t.Errorf("splitAnswer(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsNoAnswer(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{NoAnswerText, true},
		{"The passages do not contain the answer", true},
		{"The provided context doesn't mention when the talks took place.", true},
		{"I cannot answer this from the passages.", true},
		{"There is no information about that.", true},
		{"The passages do not say when, but the talks were in Paris [1].", false},
		{"The talks were in Paris.", false},
		{"The passages do not contain the answer [1].", true},
		{"Unfortunately, the provided context does not include the date.", true},
		{"Starmer said he cannot tell whether the US will provide a backstop.", false},
		{"No information was shared on troop numbers, but Macron said troops would not go to the front line.", false},
		{"The passages do not say. Macron said troops would stay back [2].", false},
		{"I cannot answer this from the passages. They discuss other talks.", true},
	}
	for _, tt := range tests {
		if got := isNoAnswer(tt.in, splitAnswer(tt.in, 3)); got != tt.want {
			t.Errorf("isNoAnswer(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
