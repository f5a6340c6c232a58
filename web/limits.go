package web

import (
	"unicode/utf8"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/analysis"
)

// Limits on the work one request may ask for. Ranking costs grow with the
// number of distinct query terms, so a query is bounded both in characters
// and in analysed terms; a conversation's history is folded into the
// question, so it is bounded in turns and in characters.
const (
	// MaxQueryBody is the largest body of a search, a question or a chat
	// completion, in bytes, whatever --max-body allows documents: room for
	// the longest history escaped as \uXXXX, and filters. A body declared
	// larger is refused before it is read.
	MaxQueryBody = 256 << 10
	// MaxQueryLen is the longest search query, in characters.
	MaxQueryLen = 8192
	// MaxQueryTerms is the largest number of terms a query or question
	// may analyse into: retrieval's own limit.
	MaxQueryTerms = retrieval.MaxQueryTerms
	// MaxHistoryTurns is the largest number of earlier turns of a
	// conversation.
	MaxHistoryTurns = 50
	// MaxHistoryLen is the longest a conversation's earlier turns may be
	// together, in characters.
	MaxHistoryLen = 32000
)

// checkQuery refuses a search query over MaxQueryLen characters or
// MaxQueryTerms terms. The length is checked first, so that an oversized
// query costs no analysis.
func checkQuery(field, q string) error {
	if n := utf8.RuneCountInString(q); n > MaxQueryLen {
		return badRequest("%s is longer than %d characters (%d)", field, MaxQueryLen, n)
	}
	if n := len(analysis.ParseQuery(q).Terms); n > MaxQueryTerms {
		return badRequest("%s has more than %d search terms (%d)", field, MaxQueryTerms, n)
	}
	return nil
}

// checkQuestion refuses a question longer than qa.MaxQuestionLen, before
// it is analysed, and one of more than MaxQueryTerms terms.
func checkQuestion(field, q string) error {
	if n := utf8.RuneCountInString(q); n > qa.MaxQuestionLen {
		return badRequest("%s is longer than %d characters (%d)", field, qa.MaxQuestionLen, n)
	}
	return checkQuery(field, q)
}

// checkHistory refuses a history of more than MaxHistoryTurns turns or
// MaxHistoryLen characters, and a user turn longer than a question may
// be: the last one is searched with the question.
func checkHistory(field string, turns []qa.Turn) error {
	if len(turns) > MaxHistoryTurns {
		return badRequest("%s has more than %d turns (%d)", field, MaxHistoryTurns, len(turns))
	}
	total := 0
	for _, t := range turns {
		total += utf8.RuneCountInString(t.Content)
		if total > MaxHistoryLen {
			return badRequest("%s is over %d characters long together", field, MaxHistoryLen)
		}
		if t.Role == "user" && utf8.RuneCountInString(t.Content) > qa.MaxQuestionLen {
			return badRequest("a user turn of %s is longer than %d characters", field, qa.MaxQuestionLen)
		}
	}
	return nil
}
