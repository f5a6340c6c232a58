package embed_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestRemoteEmbeddersStopWhenCanceled checks that cancelling the context
// ends a request the server never answers, for both remote embedders.
func TestRemoteEmbeddersStopWhenCanceled(t *testing.T) {
	tests := []struct {
		name  string
		embed func(ctx context.Context, url string) error
	}{
		{"ollama", func(ctx context.Context, url string) error {
			_, err := newOllama(t, url, 0).Embed(ctx, []string{"alpha"})
			return err
		}},
		{"openai", func(ctx context.Context, url string) error {
			_, err := newOpenAI(t, url, 0).Embed(ctx, []string{"alpha"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arrived := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
				close(arrived)
				select { // hang until the client gives up
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			}))
			defer srv.Close()
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-arrived
				cancel()
			}()
			done := make(chan error, 1)
			go func() { done <- tt.embed(ctx, srv.URL) }()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Embed did not return after its context was canceled")
			}
		})
	}
}
