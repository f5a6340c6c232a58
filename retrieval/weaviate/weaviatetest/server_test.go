package weaviatetest_test

import (
	"net/http"
	"testing"

	"github.com/ragd/ragd/retrieval/weaviate/weaviatetest"
)

func TestStartKillRestart(t *testing.T) {
	n := weaviatetest.Start(t)
	ready := func() int {
		resp, err := http.Get(n.URL() + "/v1/.well-known/ready")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := ready(); got != http.StatusOK {
		t.Fatalf("ready after Start: got status %d, want 200", got)
	}
	n.Kill()
	if got := ready(); got != 0 {
		t.Fatalf("ready after Kill: got status %d, want no answer", got)
	}
	n.Restart()
	if got := ready(); got != http.StatusOK {
		t.Fatalf("ready after Restart: got status %d, want 200", got)
	}
}
