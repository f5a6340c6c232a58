package retrieval

import (
	"context"
	"time"
)

// Stage names a step of a search that a backend times: embedding the
// query, the lexical and dense rankings, their fusion, and sentence
// re-ranking.
type Stage string

// The stages of a search.
const (
	StageEmbed   Stage = "embed"
	StageLexical Stage = "lexical"
	StageDense   Stage = "dense"
	StageFuse    Stage = "fuse"
	StageRerank  Stage = "rerank"
)

// StageObserver receives the duration of each stage a search went through.
// It is called from the goroutine that ran the stage, possibly several at
// once, so it must be safe for concurrent use.
type StageObserver func(stage Stage, d time.Duration)

type stageObserverKey struct{}

// WithStageObserver returns a context whose searches report their stages to
// obs (a metrics histogram, a trace).
func WithStageObserver(ctx context.Context, obs StageObserver) context.Context {
	return context.WithValue(ctx, stageObserverKey{}, obs)
}

// StartStage starts timing a stage of a search and returns the function
// that ends it, reporting the duration to the context's observer. Without
// an observer, the returned function does nothing.
func StartStage(ctx context.Context, stage Stage) (end func()) {
	obs, _ := ctx.Value(stageObserverKey{}).(StageObserver)
	if obs == nil {
		return func() {}
	}
	start := time.Now()
	return func() { obs(stage, time.Since(start)) }
}
