package qa_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
)

// memoryAnswerer returns an extractive answerer that never abstains, over an
// in-memory store holding docs.
func memoryAnswerer(tb testing.TB, docs ...retrieval.Document) *qa.Answerer {
	tb.Helper()
	ctx := context.Background()
	st, err := local.Open(ctx, local.Config{Embedder: embed.NewHashing(256)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Ingest(ctx, docs); err != nil {
		tb.Fatal(err)
	}
	// Both decisions are as good as off: these tests are about which
	// sentences are chosen and how they rank, on a few sentences whose
	// statistics no model was fitted to.
	a, err := qa.New(qa.Config{Retriever: st, Embedder: embed.NewHashing(256), AbstainThreshold: 1e-9, RelevanceThreshold: 1e-9})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func TestExtractiveAnswerChoosesSentences(t *testing.T) {
	tests := []struct {
		name     string
		docs     []retrieval.Document
		question string
		want     string // the answer quotes this
		notWant  string // and not this
	}{
		{
			name: "a question in the passage is not an answer",
			docs: []retrieval.Document{{ID: "quiz", Title: "News quiz", Text: "Which wildly popular show was recently green lit for a new season? " +
				"Netflix confirmed on Sunday that Squid Game will return for a second season. Viewers cheered."}},
			question: "Which wildly popular show was recently green lit for a new season?",
			want:     "Squid Game",
			notWant:  "green lit for a new season?",
		},
		{
			name: "the words a person is asked about follow the report of what they said",
			docs: []retrieval.Document{{ID: "ids", Title: "Defence", Text: "Sir Iain Duncan Smith, back from a visit, said defence spending should have been raised a decade ago. " +
				"He told a newspaper: “We have failed them. We have not spent the money on our military.” " +
				"Ministers disagreed."}},
			question: "What did Iain Duncan Smith admit about defence spending?",
			want:     "We have failed them.",
		},
		{
			name: "a question asking how something was described wants a quoted label, not a quoted clause",
			docs: []retrieval.Document{{ID: "gesture", Title: "Peacekeeping", Text: "On Tuesday the president said he would not oppose European peacekeepers. " +
				"“If they want to do that, that’d be fine,” he told reporters at his Florida club. " +
				"“Others have mentioned it,” he added, describing the offers as a “beautiful gesture”. " +
				"Talks continued in Riyadh."}},
			question: "How did the president characterise European offers of peacekeepers at his Florida club?",
			want:     "beautiful gesture",
		},
		{
			name: "asked who, the answer names the person a role refers to",
			docs: []retrieval.Document{{ID: "dictator", Title: "Europe uneasy", Text: "Donald Trump’s stance on the war has caused unease among European leaders. " +
				"The US president has opened direct talks with Vladimir Putin and has branded Volodymyr Zelensky a “dictator”. " +
				"Leaders met in Paris on Monday."}},
			question: "Who branded Volodymyr Zelensky a dictator?",
			want:     "Donald Trump",
		},
		{
			name: "a sentence that only restates the question is followed by the statement that answers it",
			docs: []retrieval.Document{{ID: "variant", Title: "Health", Text: "Officials met on Monday to discuss hospital staffing. " +
				"Two years since the pandemic began, the most transmissible variant yet has arrived. " +
				"Is it more dangerous? " +
				"Scientists named the offshoot BA.5 and said it spreads faster than earlier strains. " +
				"Hospitals are preparing."}},
			question: "Two years since the pandemic began, the most transmissible variant yet has arrived. What is it called?",
			want:     "BA.5",
			notWant:  "Is it more dangerous?",
		},
		{
			name: "asked who said a quotation, the answer names the speaker the article gives it",
			docs: []retrieval.Document{{ID: "british", Title: "Backstop", Text: "President Trump was asked if US forces would help British peacekeepers. " +
				"“They can take care of themselves,” he replied. " +
				"“You know, the British have incredible soldiers, incredible military.” " +
				"Talks went on."}},
			question: "Who said the British have incredible soldiers?",
			want:     "Trump",
		},
		{
			name: "a section label is never quoted as a sentence",
			docs: []retrieval.Document{{ID: "reactions", Title: "Reactions", Text: "Italy\n\n" +
				"Italy’s prime minister Giorgia Meloni said Europe must stay united with the United States.\n\nGermany\n\n" +
				"Germany’s chancellor called the debate irritating."}},
			question: "What did Italy’s prime minister say about Europe?",
			want:     "Meloni",
			notWant:  "Italy [",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := memoryAnswerer(t, tt.docs...)
			ans, err := a.Answer(context.Background(), tt.question, qa.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ans.Abstained {
				t.Fatalf("abstained (evidence %.3f), want an answer quoting %q", ans.Evidence, tt.want)
			}
			if !strings.Contains(ans.Text, tt.want) {
				t.Errorf("got %q, want it to quote %q", ans.Text, tt.want)
			}
			if tt.notWant != "" && strings.Contains(ans.Text, tt.notWant) {
				t.Errorf("got %q, want it not to quote %q", ans.Text, tt.notWant)
			}
		})
	}
}

// TestExtractiveEvidence checks that the answerability model's evidence
// moves the right way between two passages that differ in one respect.
func TestExtractiveEvidence(t *testing.T) {
	tests := []struct {
		name          string
		question      string
		better, worse string // the one document of each answerer
	}{
		{
			name:     "an acronym in the question matches its spelled-out form; a name never mentioned does not",
			question: "Who called the UN vote a stark reminder of shifting reality?",
			better:   "Lord Howard called the United Nations vote a stark reminder of shifting reality.",
			worse:    "Lord Howard called the vote a stark reminder of shifting reality.",
		},
		{
			name:     "a number question is better supported by a sentence holding a number",
			question: "How long could the buffer zone stretch?",
			better:   "The buffer zone could stretch for 1,800 miles. It would need many troops.",
			worse:    "The buffer zone could stretch along the whole front. It would need many troops.",
		},
		{
			name:     "a sentence holding the question's words supports it better than one on the same topic",
			question: "What did Boris Johnson say Ukrainian negotiators had during the discussions?",
			better: "Former prime minister Boris Johnson backed the minerals deal on the radio. " +
				"He also said that Ukrainian negotiators had “kept their cool” during the discussions.",
			worse: "Former prime minister Boris Johnson backed the minerals deal on the radio. " +
				"He said the deal was a massive prize for America.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evidence := func(text string) float64 {
				a := memoryAnswerer(t, retrieval.Document{ID: "a", Text: text})
				ans, err := a.Answer(context.Background(), tt.question, qa.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return ans.Evidence
			}
			if b, w := evidence(tt.better), evidence(tt.worse); b <= w {
				t.Errorf("evidence %.3f with %q, want above %.3f with %q", b, tt.better, w, tt.worse)
			}
		})
	}
}

func TestWhoAnswerHighlightsTheNamedPerson(t *testing.T) {
	// "The US president" is the subject; Vladimir Putin, also named in its
	// sentence, is not the answer and must not be highlighted.
	a := memoryAnswerer(t, retrieval.Document{ID: "dictator", Title: "Europe uneasy", Text: "Donald Trump’s stance on the war has caused unease among European leaders. " +
		"The US president has opened direct talks with Vladimir Putin and has branded Volodymyr Zelensky a “dictator”. " +
		"Leaders met in Paris on Monday."})
	ans, err := a.Answer(context.Background(), "Who branded Volodymyr Zelensky a dictator?", qa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var marked []string
	for _, c := range ans.Citations {
		if c.Highlight != nil {
			rs := []rune(c.Quote)
			marked = append(marked, string(rs[c.Highlight[0]-c.Start:c.Highlight[1]-c.Start]))
		}
	}
	if len(marked) != 1 || marked[0] != "Donald Trump" {
		t.Errorf("highlighted %q, want only \"Donald Trump\" (answer %q)", marked, ans.Text)
	}
}

// TestExtractiveFollowUps checks how a conversation shapes an extractive
// answer: a question that stands on its own is answered as if asked alone,
// whatever came before, while one that leans on the previous question is
// asked together with it.
func TestExtractiveFollowUps(t *testing.T) {
	st := openStore(t)
	a := newAnswerer(t, st, nil, nil)
	ctx := context.Background()
	ask := func(q string, history ...string) qa.Answer {
		t.Helper()
		var turns []qa.Turn
		for i, c := range history {
			role := "user"
			if i%2 == 1 {
				role = "assistant"
			}
			turns = append(turns, qa.Turn{Role: role, Content: c})
		}
		ans, err := a.Answer(ctx, q, qa.Options{History: turns})
		if err != nil {
			t.Fatal(err)
		}
		return ans
	}
	const (
		macron   = "What did Macron say European troops would not do?"
		starmer  = "What backstop does Starmer want from the US?"
		followUp = "And what did he say about Russia?"
	)
	unrelated := []string{"What is the boiling point of liquid nitrogen in kelvin?", qa.AbstainText}
	if alone := ask(unrelated[0]); !alone.Abstained {
		t.Fatalf("%q answered %q; the test needs a question the articles cannot answer", unrelated[0], alone.Text)
	}
	for _, tt := range []struct {
		name    string
		q       string
		history []string
		want    qa.Answer
	}{
		{"standalone after an answered question", starmer, []string{macron, "He said they would not be on the front line [1]."}, ask(starmer)},
		{"standalone after an abstention", macron, unrelated, ask(macron)},
		{"follow-up with a pronoun", followUp, []string{macron, "They would not be on the front line [1]."}, ask(macron + " " + followUp)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := ask(tt.q, tt.history...)
			if got.Text != tt.want.Text || got.Abstained != tt.want.Abstained {
				t.Errorf("answered %q (abstained %v), want %q (abstained %v)", got.Text, got.Abstained, tt.want.Text, tt.want.Abstained)
			}
			if tt.want.Abstained {
				t.Errorf("the expected answer abstains (%q): the case tests nothing", tt.want.Text)
			}
		})
	}
}

// TestFollowUpNeverAnswersFromThePreviousTopic checks that a question the
// articles do not answer, asked after one they do, is refused as it is when
// asked alone: the previous turn may widen the search but cannot make the
// previous topic's passages answer it.
func TestFollowUpNeverAnswersFromThePreviousTopic(t *testing.T) {
	st := openStore(t)
	a := newAnswerer(t, st, nil, nil)
	ctx := context.Background()
	const (
		buffer = "How long could the buffer zone in Ukraine stretch?"
		kyiv   = "What is the population of Kyiv?"
	)
	first, err := a.Answer(ctx, buffer, qa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := a.Answer(ctx, kyiv, qa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Abstained || !alone.Abstained {
		t.Fatalf("%q abstained %v, %q abstained %v: the test needs the first answered and the second refused alone",
			buffer, first.Abstained, kyiv, alone.Abstained)
	}
	after, err := a.Answer(ctx, kyiv, qa.Options{History: []qa.Turn{{Role: "user", Content: buffer}, {Role: "assistant", Content: first.Text}}})
	if err != nil {
		t.Fatal(err)
	}
	if !after.Abstained {
		t.Errorf("after %q, %q answered %q (evidence %.3f), want the refusal it gets alone", buffer, kyiv, after.Text, after.Evidence)
	}
}
