package analysis_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval/analysis"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/internal/articles"
)

func TestTerms(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"punctuation only", " -- … !? ", nil},
		{"lower case and stems", "Running TROOPS were deployed", []string{"run", "troop", "deploy"}},
		{"stop words dropped", "The troops of the US and the UK are in it", []string{"troop", "us", "uk"}},
		{"contractions", "I'm sure they don't know it's theirs", []string{"sure", "know"}},
		{"possessive straight", "Trump's stance", []string{"trump", "stanc"}},
		{"possessive curly", "Trump’s stance, Ukraine’s security", []string{"trump", "stanc", "ukrain", "secur"}},
		{"plural possessive", "the countries' troops", []string{"countri", "troop"}},
		{"dotted acronyms", "U.S. and U.K. officials, e.g. Healey", []string{"us", "uk", "offici", "eg", "healey"}},
		{"decimal", "from 2.3 to 2.5 percent", []string{"2.3", "2.5", "percent"}},
		{"percent", "rose 2.5%.", []string{"rose", "2.5%", "2.5"}},
		{"currency", "save £10bn and $5", []string{"save", "£10bn", "10bn", "$5", "5"}},
		{"thousands", "30,000 troops and 1,800 miles", []string{"30000", "troop", "1800", "mile"}},
		{"plain number", "30000", []string{"30000"}},
		{"millions", "1,000,000", []string{"1000000"}},
		{"comma list", "1,2,3", []string{"1", "2", "3"}},
		{"number ends sentence", "in 2027. Then", []string{"2027"}},
		{"hyphenated", "peace-keeping", []string{"peac", "keep", "peacekeep"}},
		{"hyphen joins like one word", "peacekeeping", []string{"peacekeep"}},
		{"hyphen with stop word", "mother-in-law", []string{"mother", "law", "motherinlaw"}},
		{"hyphen with number", "Covid-19", []string{"covid", "19", "covid19"}},
		{"number range", "2020-21", []string{"2020", "21"}},
		{"dash is not a hyphen", "response – even", []string{"respons", "even"}},
		{"spaced hyphen", "Ukraine - has", []string{"ukrain"}},
		{"diacritics", "Café Müller Støre Łódź", []string{"cafe", "muller", "store", "lodz"}},
		{"combining marks", "Cafe\u0301", []string{"cafe"}},
		{"sharp s", "Straße", []string{"strass"}},
		{"other scripts", "Москва 東京", []string{"москва", "東京"}},
		{"acronym plurals", "RNAs, miRNAs and DCs; MPs with PhDs", []string{"rna", "mirna", "dc", "mp", "phd"}},
		{"acronym plural in a compound", "IL-17-producing CD4+ T-cells and HSC-derived DCs", []string{"il", "17", "produc", "il17producing", "cd4", "t", "cell", "tcell", "hsc", "deriv", "hscderiv", "dc"}},
		{"not acronym plurals", "Ms Jones, DOGS, McDonalds, RNA's, Cs", []string{"ms", "jone", "dog", "mcdonald", "rna", "cs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := analysis.Terms(tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Terms(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestQueryFindsText checks that a query shares a term with the text it
// should find, and none with the text it should not.
func TestQueryFindsText(t *testing.T) {
	tests := []struct {
		name  string
		query string
		text  string
		want  bool
	}{
		{"percent", "2.5%", "to 2.5% of GDP", true},
		{"percent does not match plain number", "2.5%", "2.5 million", false},
		{"plain number matches percent", "2.5", "to 2.5% of GDP", true},
		{"currency", "£10bn", "save £10bn from", true},
		{"bare amount matches currency", "10bn", "save £10bn from", true},
		{"thousands comma", "30,000", "30,000 troops", true},
		{"thousands comma in query only", "30,000", "30000 troops", true},
		{"thousands comma in text only", "30000", "30,000 troops", true},
		{"hyphen in query", "peace-keeping", "peacekeeping force", true},
		{"hyphen in text", "peacekeeping", "a peace-keeping force", true},
		{"possessive", "Starmer", "Sir Keir Starmer’s visit", true},
		{"accent-free query", "Elysee", "the Élysée Palace", true},
		{"stem", "deployments", "deploying troops", true},
		{"acronym plural", "DC migration", "migrating DCs", true},
		{"acronym plural in query", "RNAs", "an RNA virus", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := analysis.ParseQuery(tt.query)
			if len(q.Terms) == 0 {
				t.Fatalf("ParseQuery(%q) has no terms", tt.query)
			}
			text := analysis.Terms(tt.text)
			got := slices.ContainsFunc(q.Terms, func(term string) bool {
				return slices.Contains(text, term)
			})
			if got != tt.want {
				t.Errorf("query %q (terms %q) finds %q (terms %q) = %v, want %v", tt.query, q.Terms, tt.text, text, got, tt.want)
			}
		})
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  analysis.Query
	}{
		{"empty", "", analysis.Query{}},
		{"terms only", "US backstop for Ukraine", analysis.Query{Terms: []string{"us", "backstop", "ukrain"}}},
		{"straight quotes", `Starmer "security guarantee" Trump`,
			analysis.Query{Terms: []string{"starmer", "secur", "guarante", "trump"}, Phrases: []string{"security guarantee"}}},
		{"curly quotes", "“peace deal” and “ coalition of the willing ”",
			analysis.Query{Terms: []string{"peac", "deal", "coalit", "will"}, Phrases: []string{"peace deal", "coalition of the willing"}}},
		{"phrase kept as typed", `"Trump’s  Backstop"`,
			analysis.Query{Terms: []string{"trump", "backstop"}, Phrases: []string{"Trump’s  Backstop"}}},
		{"single quotes are not phrases", "‘backstop’ Trump’s", analysis.Query{Terms: []string{"backstop", "trump"}}},
		{"unbalanced quote", `"peace deal" "coalition of`,
			analysis.Query{Terms: []string{"peac", "deal", "coalit"}, Phrases: []string{"peace deal"}}},
		{"empty quotes", `"" troops`, analysis.Query{Terms: []string{"troop"}}},
		{"number keeps written form", "£10bn 2.5%", analysis.Query{Terms: []string{"£10bn", "2.5%"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := analysis.ParseQuery(tt.query)
			if !slices.Equal(got.Terms, tt.want.Terms) || !slices.Equal(got.Phrases, tt.want.Phrases) {
				t.Errorf("ParseQuery(%q)\n got %q\nwant %q", tt.query, got, tt.want)
			}
		})
	}
}

func TestNormalizePhrase(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"ascii", "peace deal", "peace deal"},
		{"case and space", "  Peace \t\n DEAL  ", "peace deal"},
		{"curly apostrophe", "Trump’s backstop", "trump's backstop"},
		{"curly quotes", "a “backstop” ‘now’", `a "backstop" 'now'`},
		{"dashes", "response – even — now‐here", "response - even - now-here"},
		{"ellipsis", "wait…", "wait..."},
		{"non-breaking space", "Sir\u00a0Keir", "sir keir"},
		{"unicode", "ÉLYSÉE", "élysée"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := analysis.NormalizePhrase(tt.in); got != tt.want {
				t.Errorf("NormalizePhrase(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPhraseInChunk(t *testing.T) {
	chunk := "Sir Keir Starmer has called for the US to provide a “backstop” to deter Russia.\nIt’s the  only way."
	tests := []struct {
		phrase string
		want   bool
	}{
		{`provide a "backstop"`, true},
		{"SIR KEIR starmer", true},
		{"it's the only way", true},
		{"deter Russia. It's", true},
		{"provide a backstop", false},
	}
	for _, tt := range tests {
		t.Run(tt.phrase, func(t *testing.T) {
			got := strings.Contains(analysis.NormalizePhrase(chunk), analysis.NormalizePhrase(tt.phrase))
			if got != tt.want {
				t.Errorf("chunk contains %q = %v, want %v", tt.phrase, got, tt.want)
			}
		})
	}
}

func BenchmarkTerms(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10, 1 << 20} {
		text := articles.Corpus(b, size)
		b.Run(fmt.Sprintf("%dKiB", len(text)>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			b.ResetTimer()
			for b.Loop() {
				analysis.Terms(text)
			}
		})
	}
}

func BenchmarkParseQuery(b *testing.B) {
	q := `Did Starmer ask Trump for a "US backstop" worth £10bn, 2.5% of GDP?`
	b.ReportAllocs()
	for b.Loop() {
		analysis.ParseQuery(q)
	}
}

func TestAnalyzer(t *testing.T) {
	var an analysis.Analyzer
	articles := articles.Load(t)
	// Analyse every article from several goroutines at once, twice, so
	// that the second pass reads remembered stems.
	for pass := range 2 {
		errs := make(chan string, len(articles))
		for name, text := range articles {
			go func() {
				got, want := an.Terms(text), analysis.Terms(text)
				if !slices.Equal(got, want) {
					errs <- fmt.Sprintf("pass %d: Analyzer.Terms(%s) differs from Terms", pass, name)
					return
				}
				errs <- ""
			}()
		}
		for range articles {
			if msg := <-errs; msg != "" {
				t.Error(msg)
			}
		}
	}
	q := `Did Starmer ask for a "US backstop" worth £10bn?`
	if got, want := an.ParseQuery(q), analysis.ParseQuery(q); !slices.Equal(got.Terms, want.Terms) || !slices.Equal(got.Phrases, want.Phrases) {
		t.Errorf("Analyzer.ParseQuery(%q) = %q, want %q", q, got, want)
	}
}

// BenchmarkTermsChunks analyses the chunks of the articles one call at a
// time, as an index does, with and without a shared Analyzer.
func BenchmarkTermsChunks(b *testing.B) {
	text := articles.Corpus(b, 24<<10)
	var chunks []string
	for _, s := range chunk.Split(text, chunk.Options{}) {
		chunks = append(chunks, text[s.Start:s.End])
	}
	b.Run("Terms", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(text)))
		b.ResetTimer()
		for b.Loop() {
			for _, c := range chunks {
				analysis.Terms(c)
			}
		}
	})
	b.Run("Analyzer", func(b *testing.B) {
		var an analysis.Analyzer
		b.ReportAllocs()
		b.SetBytes(int64(len(text)))
		b.ResetTimer()
		for b.Loop() {
			for _, c := range chunks {
				an.Terms(c)
			}
		}
	})
}

func TestTermsNormaliseSpellingAndIrregularForms(t *testing.T) {
	// Word pairs a reader takes for the same word get the same term.
	same := [][2]string{
		{"defence", "defense"}, {"offences", "offenses"}, {"organise", "organize"},
		{"organisation", "organization"}, {"characterised", "characterized"},
		{"recognising", "recognizing"}, {"demilitarised", "demilitarized"},
		{"analyse", "analyze"}, {"paralysed", "paralyzed"}, {"colour", "color"},
		{"favourite", "favorite"}, {"neighbourhood", "neighborhood"}, {"tumours", "tumors"},
		{"centre", "center"}, {"metres", "meters"}, {"programme", "program"},
		{"anaemia", "anemia"}, {"leukaemia", "leukemia"}, {"haemoglobin", "hemoglobin"},
		{"oestrogen", "estrogen"}, {"paediatric", "pediatric"}, {"foetal", "fetal"},
		{"met", "meet"}, {"said", "says"}, {"brought", "bring"}, {"taken", "take"},
		{"written", "write"}, {"fought", "fighting"}, {"women", "woman"}, {"children", "child"},
		{"TNF-α", "TNF-alpha"}, {"NF-κB", "NF-kappaB"}, {"IFN-Γ", "ifn-gamma"}, {"β-cells", "beta-cells"},
		{"amyloid-β", "amyloid-beta"},
	}
	for _, p := range same {
		a, b := analysis.Terms(p[0]), analysis.Terms(p[1])
		if !slices.Equal(a, b) {
			t.Errorf("Terms(%q) = %v, Terms(%q) = %v, want equal", p[0], a, p[1], b)
		}
	}
	// Words spelled -ise everywhere, and irregular forms that are also
	// words of another meaning, keep their own terms.
	apart := [][2]string{
		{"promise", "promize"}, {"compromise", "compromize"}, {"exercise", "exercize"},
		{"advise", "advize"}, {"surprise", "surprize"}, {"treatise", "treatize"}, {"expertise", "expert"},
		{"left", "leave"}, {"saw", "see"}, {"fed", "feed"}, {"shot", "shoot"}, {"fell", "fall"},
		{"5 μg", "5 mug"}, // mu is a unit prefix, not spelled out
	}
	for _, p := range apart {
		a, b := analysis.Terms(p[0]), analysis.Terms(p[1])
		if slices.Equal(a, b) {
			t.Errorf("Terms(%q) = Terms(%q) = %v, want different", p[0], p[1], a)
		}
	}
}
