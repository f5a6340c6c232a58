package retrieval_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ragd/ragd/retrieval"
)

func TestStartStageReportsToTheContextsObserver(t *testing.T) {
	var mu sync.Mutex
	got := map[retrieval.Stage]time.Duration{}
	ctx := retrieval.WithStageObserver(context.Background(), func(s retrieval.Stage, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		got[s] += d
	})
	end := retrieval.StartStage(ctx, retrieval.StageDense)
	time.Sleep(2 * time.Millisecond)
	end()
	if d, ok := got[retrieval.StageDense]; !ok || d < 2*time.Millisecond {
		t.Fatalf("dense stage reported %v (present %v), want at least 2ms", d, ok)
	}
	if len(got) != 1 {
		t.Fatalf("reported stages %v, want dense only", got)
	}
	// Without an observer, ending a stage is harmless.
	retrieval.StartStage(context.Background(), retrieval.StageEmbed)()
}
