package eval

import (
	"context"
	"slices"
)

// VariantSuffix ends the ID of an unanswerable variant of a question.
const VariantSuffix = "/without-answer"

// maxExclusionRounds bounds how many times ExcludingAnswers asks one
// question again with more documents excluded.
const maxExclusionRounds = 4

// UnanswerableVariants returns, for every question with gold answers or
// sources, the same question asked with the documents holding its answer
// excluded: a near-topic question the index no longer answers, as the
// articles on the same story remain. The variant has neither answers nor
// sources, so ragd should abstain; its Withheld answers let ExcludingAnswers
// exclude any other document that holds one.
func UnanswerableVariants(questions []Question) []Question {
	var out []Question
	for _, q := range questions {
		if q.Unanswerable() {
			continue
		}
		v := Question{
			ID: q.ID + VariantSuffix, Text: q.Text, AsOf: q.AsOf,
			Exclude:  append(slices.Clone(q.Exclude), q.Sources...),
			Withheld: slices.Clone(q.Answers),
		}
		out = append(out, v)
	}
	return out
}

// ExcludingAnswers wraps ask so that a question with Withheld answers is
// asked again, with the documents of the retrieved passages that hold one
// excluded, until no retrieved passage holds one (at most a few rounds; the
// last reply stands). Other questions are asked once.
func ExcludingAnswers(ask AskFunc) AskFunc {
	return func(ctx context.Context, q Question) (Reply, error) {
		if len(q.Withheld) == 0 {
			return ask(ctx, q)
		}
		q.Exclude = slices.Clone(q.Exclude)
		for round := 0; ; round++ {
			reply, err := ask(ctx, q)
			if err != nil {
				return Reply{}, err
			}
			more := false
			for i, p := range reply.Passages {
				if i < len(reply.PassageDocs) && AnswerMatches(p, q.Withheld) && !slices.Contains(q.Exclude, reply.PassageDocs[i]) {
					q.Exclude = append(q.Exclude, reply.PassageDocs[i])
					more = true
				}
			}
			if !more || round == maxExclusionRounds {
				return reply, nil
			}
		}
	}
}
