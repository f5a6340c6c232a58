package dedup

import (
	"bufio"
	"encoding/json"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode"
)

// signReference is Sign written the plain way: lowercase the text, split
// it into words, hash each shingle with hash/fnv.
func signReference(text string) (Signature, bool) {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	var sig Signature
	if len(words) < ShingleWords {
		return sig, false
	}
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	h := fnv.New64a()
	for i := 0; i+ShingleWords <= len(words); i++ {
		h.Reset()
		for _, w := range words[i : i+ShingleWords] {
			h.Write([]byte(w))
			h.Write([]byte{0})
		}
		base := mix(h.Sum64())
		for j := range sig {
			if v := uint32((base*seeds[j][0] + seeds[j][1]) >> 32); v < sig[j] {
				sig[j] = v
			}
		}
	}
	return sig, true
}

// TestSignMatchesReference checks that the one-pass Sign gives the plain
// definition's signature on news texts and on random ones mixing case,
// accents, digits, punctuation, long words and invalid UTF-8.
func TestSignMatchesReference(t *testing.T) {
	texts := []string{"", "one", "one two three", "one two three four", "One, two; THREE four!", "ÉTÉ été Été x 1 2",
		strings.Repeat("supercalifragilisticexpialidociousness", 3) + " a b c d", "İstanbul DİYARBAKIR ǅemal ß ΣΊΣΥΦΟΣ x",
		"a\xffb c\xfe d e f", "tail words at the end"}
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"Kyiv", "kyiv", "KYIV", "Zelensky's", "2023", "—", " ", "  ", ",", ".", "\n", "Ærø", "naïve", "\xc3", "\u00a0", "x", "don't", "日本語", "١٢٣"}
	for range 300 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			if rng.IntN(2) == 0 {
				b.WriteByte(' ')
			}
		}
		texts = append(texts, b.String())
	}
	if f, err := os.Open("../../../shared/bench/realtimeqa/ragd/corpus.jsonl"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for i := 0; i < 200 && sc.Scan(); i++ {
			var doc struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &doc) == nil {
				texts = append(texts, doc.Text)
			}
		}
	}
	for i, text := range texts {
		got, gotOK := Sign(text)
		want, wantOK := signReference(text)
		if got != want || gotOK != wantOK {
			t.Errorf("text %d %q: Sign differs from the reference (ok %v, want %v)", i, text[:min(len(text), 60)], gotOK, wantOK)
		}
	}
}

// TestSignAllocates checks that signing an article allocates its word
// window alone, whatever its length.
func TestSignAllocates(t *testing.T) {
	text := strings.Repeat("The ceasefire talks in Geneva resumed on Thursday, officials said. ", 200)
	if n := testing.AllocsPerRun(20, func() { Sign(text) }); n > 1 {
		t.Errorf("Sign allocates %.0f times an article, want once at most", n)
	}
}

func BenchmarkSign(b *testing.B) {
	text := strings.Repeat("The ceasefire talks in Geneva resumed on Thursday, officials said. ", 50)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Sign(text)
	}
}

func BenchmarkSignReference(b *testing.B) {
	text := strings.Repeat("The ceasefire talks in Geneva resumed on Thursday, officials said. ", 50)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		signReference(text)
	}
}
