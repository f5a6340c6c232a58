package qa

import (
	stdembed "embed"
	"fmt"
	"math"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
)

// NoAnswerText is the sentence the answer prompt tells the model to reply
// with, and nothing else, when the passages do not contain the answer.
const NoAnswerText = "The passages do not contain the answer."

// Limits of the prompts.
const (
	// DefaultMaxContextTokens is the default budget of an answer prompt, in
	// estimated tokens.
	DefaultMaxContextTokens = 3000
	// minPassageTokens is the smallest share of the budget worth filling
	// with the start of a passage that does not fit whole.
	minPassageTokens = 32
	// maxHistoryTurns and maxTurnRunes bound the conversation in a rewrite
	// prompt.
	maxHistoryTurns = 6
	maxTurnRunes    = 1000
)

//go:embed prompt.tmpl
var promptFS stdembed.FS

// prompts holds the parsed prompt templates; it is never modified.
var prompts = template.Must(template.New("prompt.tmpl").Option("missingkey=error").ParseFS(promptFS, "prompt.tmpl"))

// ContextStats describe the passages an answer prompt holds.
type ContextStats struct {
	// PassagesSent is the number of passages in the prompt, numbered 1 to
	// PassagesSent in retrieval order.
	PassagesSent int
	// PassagesTruncated is the number of retrieved passages left out of the
	// prompt or cut short to fit the budget.
	PassagesTruncated int
	// TokensEstimate is the estimated size of the whole prompt in tokens.
	TokensEstimate int
}

// Prompt is a rendered answer prompt.
type Prompt struct {
	// Text is the message sent to the model.
	Text string
	// Context describes the passages in Text.
	Context ContextStats
}

// EstimateTokens estimates the number of tokens a model's tokenizer makes of
// s, without knowing the tokenizer: the larger of 1.3 tokens per word and
// one token per four characters.
func EstimateTokens(s string) int {
	words := float64(len(strings.Fields(s))) * 1.3
	chars := float64(utf8.RuneCountInString(s)) / 4
	return int(math.Ceil(max(words, chars)))
}

// promptPassage is a passage as the answer template sees it.
type promptPassage struct {
	N                         int
	Title, Source, Date, Text string
}

// answerData is the answer template's input.
type answerData struct {
	Question, NoAnswer string
	Passages           []promptPassage
}

// AnswerPrompt renders the prompt asking a model to answer question from
// hits, numbered [1], [2], ... in order. The passages fit in maxTokens
// estimated tokens with the rest of the prompt (DefaultMaxContextTokens when
// zero or less): the lowest-ranked passages are left out first, and the last
// passage sent is cut short when a useful part of it fits. At least one
// passage is sent when there is any.
func AnswerPrompt(question string, hits []retrieval.Hit, maxTokens int) (Prompt, error) {
	if maxTokens <= 0 {
		maxTokens = DefaultMaxContextTokens
	}
	data := answerData{Question: oneLine(question), NoAnswer: NoAnswerText}
	empty, err := render("answer", data)
	if err != nil {
		return Prompt{}, err
	}
	budget := maxTokens - EstimateTokens(empty)
	full := 0
	for i, h := range hits {
		p := promptPassage{N: i + 1, Title: oneLine(h.Title), Source: "unknown", Date: "unknown", Text: neutralizeMarkers(oneLine(h.Text))}
		if s := oneLine(h.Source); s != "" {
			p.Source = s
		}
		if !h.Published.IsZero() {
			p.Date = h.Published.Format(time.DateOnly)
		}
		cost := passageTokens(p)
		if cost <= budget {
			data.Passages = append(data.Passages, p)
			budget -= cost
			full++
			continue
		}
		if budget >= minPassageTokens || len(data.Passages) == 0 {
			p.Text = cut(p, max(budget, minPassageTokens))
			data.Passages = append(data.Passages, p)
		}
		break
	}
	text, err := render("answer", data)
	if err != nil {
		return Prompt{}, err
	}
	return Prompt{Text: text, Context: ContextStats{
		PassagesSent:      len(data.Passages),
		PassagesTruncated: len(hits) - full,
		TokensEstimate:    EstimateTokens(text),
	}}, nil
}

// passageTokens estimates the tokens a passage adds to the answer prompt.
func passageTokens(p promptPassage) int {
	return EstimateTokens(fmt.Sprintf("[%d] %s (source: %s; date: %s)\n%s\n", p.N, p.Title, p.Source, p.Date, p.Text))
}

// cut returns the longest start of p's text, in whole words and followed by
// an ellipsis, with which p fits in budget tokens.
func cut(p promptPassage, budget int) string {
	words := strings.Fields(p.Text)
	fits := func(n int) bool {
		q := p
		q.Text = strings.Join(words[:n], " ") + " …"
		return passageTokens(q) <= budget
	}
	lo, hi := 0, len(words) // fits(lo) is assumed; find the largest n that fits
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.Join(words[:lo], " ") + " …"
}

// rewriteData is the rewrite template's input.
type rewriteData struct {
	Question string
	History  []Turn
}

// RewritePrompt renders the prompt asking a model to rewrite the follow-up
// question of a conversation as a standalone question. Only the last few
// turns of history are included, each cut to a bounded length.
func RewritePrompt(question string, history []Turn) (string, error) {
	data := rewriteData{Question: oneLine(question)}
	for _, t := range history[max(0, len(history)-maxHistoryTurns):] {
		c := oneLine(t.Content)
		if c == "" {
			continue
		}
		if r := []rune(c); len(r) > maxTurnRunes {
			c = string(r[:maxTurnRunes]) + " …"
		}
		data.History = append(data.History, Turn{Role: t.Role, Content: c})
	}
	return render("rewrite", data)
}

func render(name string, data any) (string, error) {
	var b strings.Builder
	if err := prompts.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s prompt: %w", name, err)
	}
	return b.String(), nil
}

// oneLine collapses runs of white space, line breaks included, into single
// spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
