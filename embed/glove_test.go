package embed_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragd/ragd/embed"
)

// The embedder shape that consumers declare.
var _ interface {
	Name() string
	Embed(ctx context.Context, texts []string) ([][]float32, error)
} = (*embed.GloVe)(nil)

// realModelPath is the converted GloVe 6B model, present after `make setup`.
var realModelPath = filepath.Join("..", embed.DefaultModelPath)

// tinyModel converts testdata/tiny.json and returns the model file's path.
func tinyModel(tb testing.TB) string {
	tb.Helper()
	in, err := os.ReadFile(filepath.Join("testdata", "tiny.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	if err := embed.Convert(bytes.NewReader(in), &out); err != nil {
		tb.Fatalf("Convert: %v", err)
	}
	path := filepath.Join(tb.TempDir(), "tiny.bin")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func loadTiny(tb testing.TB) *embed.GloVe {
	tb.Helper()
	g, err := embed.LoadGloVe(tinyModel(tb))
	if err != nil {
		tb.Fatalf("LoadGloVe: %v", err)
	}
	return g
}

func loadReal(tb testing.TB) *embed.GloVe {
	tb.Helper()
	g, err := embed.LoadGloVe(realModelPath)
	if errors.Is(err, embed.ErrModelMissing) {
		tb.Skipf("no model at %s; run make setup", realModelPath)
	}
	if err != nil {
		tb.Fatalf("LoadGloVe: %v", err)
	}
	return g
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func embedOne(tb testing.TB, g *embed.GloVe, text string) []float32 {
	tb.Helper()
	got, err := g.Embed(context.Background(), []string{text})
	if err != nil {
		tb.Fatalf("Embed(%q): %v", text, err)
	}
	return got[0]
}

func TestGloVeTinyIdentity(t *testing.T) {
	g := loadTiny(t)
	if got, want := g.Name(), "glove-6b-4d-sif"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	if got, want := g.Dim(), 4; got != want {
		t.Errorf("Dim() = %d, want %d", got, want)
	}
}

// TestGloVeTinyTokens checks tokenisation through the vectors: each text
// must embed exactly as the word it resolves to.
func TestGloVeTinyTokens(t *testing.T) {
	g := loadTiny(t)
	words := []string{"king", "well-known", "well", "don", "cafe", "strasse"}
	ref := map[string][]float32{"fallback": {0, 0, 0, 1}}
	for _, w := range words {
		ref[w] = embedOne(t, g, w)
	}
	for i, a := range words {
		for _, b := range words[i+1:] {
			if c := cosine(ref[a], ref[b]); c > 0.99 {
				t.Fatalf("vectors of %q and %q have cosine %.3f; the test needs distinct words", a, b, c)
			}
		}
	}
	tests := []struct {
		name, text, want string
	}{
		{"upper case and punctuation", "KING!", "king"},
		{"repeated", "  King, king; king.", "king"},
		{"dashes around", "--king--", "king"},
		{"em dashes around", "—king—", "king"},
		{"possessive", "king's", "king"},
		{"hyphenated word in vocabulary", "Well-Known", "well-known"},
		{"non-breaking hyphen", "well\u2011known", "well-known"},
		{"hyphenated word not in vocabulary", "well-liked", "well"},
		{"apostrophe", "don't", "don"},
		{"typographic apostrophe", "Don’t", "don"},
		{"precomposed accent", "Café", "cafe"},
		{"combining accent", "cafe\u0301", "cafe"},
		{"sharp s", "Straße", "strasse"},
		{"upper case", "STRASSE", "strasse"},
		{"empty", "", "fallback"},
		{"no known word", "123 xyzzy ??? Привет", "fallback"},
		{"zero vector", "zero", "fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := embedOne(t, g, tt.text)
			if want := ref[tt.want]; !equal(got, want) {
				t.Errorf("Embed(%q) = %v, want %v (the vector of %q)", tt.text, got, want, tt.want)
			}
			if n := norm(got); math.Abs(n-1) > 1e-5 {
				t.Errorf("Embed(%q) has norm %v, want 1", tt.text, n)
			}
		})
	}
}

// TestGloVeTinySIF checks that frequent words weigh less than rare ones.
func TestGloVeTinySIF(t *testing.T) {
	g := loadTiny(t)
	got := embedOne(t, g, "the king")
	if c := cosine(got, embedOne(t, g, "king")); c < 0.9 {
		t.Errorf(`cosine("the king", "king") = %.3f, want > 0.9`, c)
	}
	if c := cosine(got, embedOne(t, g, "the")); c > 0.5 {
		t.Errorf(`cosine("the king", "the") = %.3f, want < 0.5`, c)
	}
}

func TestGloVeBatchMatchesSingle(t *testing.T) {
	models := []struct {
		name string
		load func(testing.TB) *embed.GloVe
	}{
		{"tiny", loadTiny},
		{"real", loadReal},
	}
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			g := m.load(t)
			for _, n := range []int{0, 1, 7, 100, 1000} {
				t.Run(fmt.Sprint(n), func(t *testing.T) {
					texts := syntheticTexts(n, 30, 1)
					got, err := g.Embed(context.Background(), texts)
					if err != nil {
						t.Fatalf("Embed: %v", err)
					}
					if len(got) != n {
						t.Fatalf("Embed returned %d vectors, want %d", len(got), n)
					}
					again, err := g.Embed(context.Background(), texts)
					if err != nil {
						t.Fatalf("Embed: %v", err)
					}
					for i, text := range texts {
						if len(got[i]) != g.Dim() {
							t.Fatalf("vector %d has length %d, want %d", i, len(got[i]), g.Dim())
						}
						if nv := norm(got[i]); math.Abs(nv-1) > 1e-5 {
							t.Errorf("vector %d has norm %v, want 1", i, nv)
						}
						if !equal(got[i], again[i]) {
							t.Errorf("vector %d differs between identical calls", i)
						}
						if one := embedOne(t, g, text); !equal(got[i], one) {
							t.Errorf("vector %d in batch differs from embedding the text alone", i)
						}
					}
				})
			}
		})
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGloVeContextCanceled(t *testing.T) {
	g := loadTiny(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, n := range []int{1, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			_, err := g.Embed(ctx, syntheticTexts(n, 10, 1))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Embed with canceled context: error %v, want context.Canceled", err)
			}
		})
	}
}

func TestGloVeRealSimilarity(t *testing.T) {
	g := loadReal(t)
	tests := []struct {
		anchor, near, far string
	}{
		{"king", "queen", "carrot"},
		{"paris", "france", "banana"},
		{"The stock market fell sharply as investors sold shares.",
			"Shares dropped on Wall Street amid a broad sell-off.",
			"Chop the carrots and onions, then simmer the soup."},
		{"Ukraine and Russia agreed to a ceasefire after peace talks.",
			"Negotiators discussed a truce to end the war.",
			"The striker scored twice in the second half of the match."},
	}
	for _, tt := range tests {
		t.Run(tt.anchor, func(t *testing.T) {
			v, err := g.Embed(context.Background(), []string{tt.anchor, tt.near, tt.far})
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			near, far := cosine(v[0], v[1]), cosine(v[0], v[2])
			if near <= far {
				t.Errorf("cosine to %q = %.3f, to %q = %.3f; want the first larger", tt.near, near, tt.far, far)
			}
		})
	}
}

// TestGloVeRealTopics checks that paragraphs on one topic are closer to each
// other than to paragraphs on others, and that each question's nearest
// paragraph is on its topic.
func TestGloVeRealTopics(t *testing.T) {
	g := loadReal(t)
	// Each topic: two paragraphs, then a question about them.
	topics := [][3]string{
		{"The striker scored twice in the second half as the home team won the league match, lifting them to third in the table. The coach praised the defence and said the players showed great spirit after losing the previous game.",
			"The tennis champion won the final in straight sets, serving aces and breaking her opponent early. Fans cheered as she lifted the trophy for the third time in her career.",
			"Which team won the football match?"},
		{"Preheat the oven, then chop the onions, carrots and garlic. Fry them in olive oil until soft, add the tomatoes and simmer the sauce for twenty minutes. Season with salt and pepper and serve with pasta.",
			"Whisk the eggs with sugar and butter, fold in the flour and bake the cake for forty minutes. Let it cool before spreading the chocolate icing on top.",
			"How long should I simmer the tomato sauce?"},
		{"Shares fell sharply on Wall Street as investors worried about inflation and interest rates. The central bank said it would keep raising rates until prices stabilise, and bond yields rose to their highest level in a decade.",
			"The company reported quarterly profit above analysts' expectations, sending its stock up eight percent. Revenue grew on strong sales, and the board announced a dividend increase.",
			"Why did the stock market drop?"},
		{"Astronomers using the telescope detected water vapour in the atmosphere of a distant planet orbiting a small star. The discovery suggests that the planet may have clouds and possibly oceans.",
			"Researchers sequenced the genome of the bacteria and found genes that make it resistant to antibiotics. The study, published in a scientific journal, could help develop new drugs.",
			"What did the scientists discover about the planet?"},
		{"The prime minister met the president in Washington to discuss security guarantees for Ukraine and a possible peace deal with Russia. European leaders want a US backstop for peacekeeping troops.",
			"Parliament voted on the new budget after a long debate, with the opposition party criticising tax increases and cuts to public services. The government won by a narrow majority.",
			"What did the leaders discuss about Ukraine?"},
	}
	var texts []string
	for _, tp := range topics {
		texts = append(texts, tp[:]...)
	}
	v, err := g.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	var same, cross float64
	var nSame, nCross int
	for i := range v {
		for j := i + 1; j < len(v); j++ {
			if c := cosine(v[i], v[j]); i/3 == j/3 {
				same, nSame = same+c, nSame+1
			} else {
				cross, nCross = cross+c, nCross+1
			}
		}
	}
	same, cross = same/float64(nSame), cross/float64(nCross)
	if same-cross < 0.4 {
		t.Errorf("mean cosine within topics %.3f, across topics %.3f; want a gap of at least 0.4", same, cross)
	}
	for q, tp := range topics {
		best, bestDoc := -2.0, -1
		for d := range v {
			if d%3 == 2 {
				continue // a question
			}
			if c := cosine(v[3*q+2], v[d]); c > best {
				best, bestDoc = c, d
			}
		}
		if bestDoc/3 != q {
			t.Errorf("nearest paragraph to %q is %q, want one on its topic", tp[2], texts[bestDoc])
		}
	}
}

func TestLoadGloVeMissing(t *testing.T) {
	_, err := embed.LoadGloVe(filepath.Join(t.TempDir(), "absent.bin"))
	if !errors.Is(err, embed.ErrModelMissing) {
		t.Errorf("error %v, want ErrModelMissing", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(fmt.Sprint(err), "make setup") {
		t.Errorf("error %q does not tell the user to run make setup", err)
	}
}

func TestLoadGloVeCorrupt(t *testing.T) {
	good, err := os.ReadFile(tinyModel(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"empty", func(b []byte) []byte { return nil }},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"future version", func(b []byte) []byte { b[8] = 2; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-10] }},
		{"trailing bytes", func(b []byte) []byte { return append(b, 0) }},
		{"flipped vector byte", func(b []byte) []byte { b[len(b)-6] ^= 1; return b }},
		{"flipped word byte", func(b []byte) []byte { b[40] ^= 1; return b }},
		{"huge count", func(b []byte) []byte { copy(b[16:], []byte{0xff, 0xff, 0xff, 0xff}); return b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "model.bin")
			if err := os.WriteFile(path, tt.damage(bytes.Clone(good)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := embed.LoadGloVe(path)
			if !errors.Is(err, embed.ErrModelCorrupt) {
				t.Errorf("error %v, want ErrModelCorrupt", err)
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"not an object", `[1,2]`, "got [, want {"},
		{"truncated", `{"dimensions":2,"words":["a"`, "decode"},
		{"vectors before dimensions", `{"words":["a"],"vectors":{"a":[1,2]},"dimensions":2}`, `"dimensions" must precede`},
		{"missing words", `{"dimensions":2,"vectors":{"a":[1,2]}}`, `missing "words"`},
		{"missing vectors", `{"dimensions":2,"words":["a"]}`, `missing "vectors"`},
		{"short vector", `{"dimensions":2,"words":["a"],"vectors":{"a":[1]}}`, "1 components, want 2"},
		{"word without vector", `{"dimensions":2,"words":["a","b"],"vectors":{"a":[1,2],"c":[1,2]}}`, `"b" has no vector`},
		{"duplicate word", `{"dimensions":2,"words":["a","a"],"vectors":{"a":[1,2],"b":[1,2]}}`, `duplicate word "a"`},
		{"duplicate vector", `{"dimensions":2,"words":["a","b"],"vectors":{"a":[1,2],"a":[1,2]}}`, `duplicate vector for "a"`},
		{"size mismatch", `{"dimensions":2,"size":3,"words":["a"],"vectors":{"a":[1,2]}}`, "size 3 but 1 words"},
		{"zero dimensions", `{"dimensions":0}`, "dimensions 0 out of range"},
		{"empty word", `{"dimensions":2,"words":[""],"vectors":{"":[1,2]}}`, "length 0"},
		{"long word", `{"dimensions":2,"words":["` + strings.Repeat("x", 256) + `"]}`, "length 256"},
		{"string component", `{"dimensions":2,"words":["a"],"vectors":{"a":[1,"x"]}}`, `decode vector "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := embed.Convert(strings.NewReader(tt.json), &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Convert error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// syntheticVocabulary is English-like vocabulary for benchmark and batch texts.
const syntheticVocabulary = `the of and to in a is that for it as was with be by on not he this are or
his from at which but have an they you were her she there been one all we their has would when if so no will
can more about said up out them into its time only new some could these two may first then do any like my now
over such our man me even most made after also did many before must through back years where much your way
well down should because each just those people mr how too little state good very make world still own see men
work long get here between both life being under never day same another know while last might us great old year
off come since against go came right used take three states himself few house use during without again place
american around however home small found thought went say part once general high upon school every don't does
got united left number course war until always away something fact though water less public put think almost
hand enough far took head yet government system better set told nothing night end why called didn't eyes find
going look asked later knew point next program city business give group toward young days let room president
side social given present several order national possible rather second face per among form important often
things looked early white case john become large big need four within felt along children saw best church ever
least power development light thing seemed family interest want members mind country area others done turned
although open god service problem certain kind different thus began door help sense means whole matter perhaps
itself york it's times law human line above name example action company hands local show five history
well-known state-of-the-art Ukraine Russia peace talks minister Starmer Macron ceasefire market shares 2024 42%`

// syntheticTexts returns n texts of about words words each, from a fixed seed.
func syntheticTexts(n, words int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 2))
	vocab := strings.Fields(syntheticVocabulary)
	texts := make([]string, n)
	var b strings.Builder
	for i := range texts {
		b.Reset()
		for j := range words {
			w := vocab[r.IntN(len(vocab))]
			if j == 0 || r.IntN(12) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
			switch r.IntN(15) {
			case 0:
				b.WriteString(". ")
			case 1:
				b.WriteString(", ")
			default:
				b.WriteByte(' ')
			}
		}
		texts[i] = b.String()
	}
	return texts
}

func BenchmarkLoadGloVe(b *testing.B) {
	if _, err := os.Stat(realModelPath); err != nil {
		b.Skipf("no model at %s; run make setup", realModelPath)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := embed.LoadGloVe(realModelPath); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGloVeEmbed(b *testing.B) {
	g := loadReal(b)
	for _, batch := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			texts := syntheticTexts(batch, 200, 42)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Embed(context.Background(), texts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "texts/s")
		})
	}
}
