package embed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ragd/ragd/embed"
)

var _ interface {
	Name() string
	Embed(ctx context.Context, texts []string) ([][]float32, error)
} = (*embed.Ollama)(nil)

// fakeVector is the vector the fake servers return for text: its length and
// its first byte, so that tests can tell texts and their order apart.
func fakeVector(text string) []float32 {
	v := []float32{float32(len(text)), 0}
	if text != "" {
		v[1] = float32(text[0])
	}
	return v
}

// fakeOllama is an Ollama server that speaks POST /api/embed and records the
// inputs of the requests it served.
type fakeOllama struct {
	t testing.TB
	// fail, when set, is the status and body of every response.
	failStatus int
	failBody   string

	mu      sync.Mutex
	batches [][]string
}

func (f *fakeOllama) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/embed" {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var req struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		f.t.Errorf("decode request: %v", err)
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return
	}
	if req.Model != "nomic-embed-text" {
		f.t.Errorf("model = %q, want nomic-embed-text", req.Model)
	}
	f.mu.Lock()
	f.batches = append(f.batches, req.Input)
	f.mu.Unlock()
	if f.failStatus != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.failStatus)
		fmt.Fprint(w, f.failBody)
		return
	}
	embeddings := make([][]float32, len(req.Input))
	for i, text := range req.Input {
		embeddings[i] = fakeVector(text)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"model":             req.Model,
		"embeddings":        embeddings,
		"total_duration":    14143917,
		"load_duration":     1019500,
		"prompt_eval_count": 8,
	})
}

func newOllama(tb testing.TB, url string, batch int) *embed.Ollama {
	tb.Helper()
	o, err := embed.NewOllama(embed.OllamaConfig{BaseURL: url, Model: "nomic-embed-text", BatchSize: batch})
	if err != nil {
		tb.Fatalf("NewOllama: %v", err)
	}
	return o
}

func TestOllamaEmbed(t *testing.T) {
	tests := []struct {
		name        string
		batch       int
		texts       []string
		wantBatches int
	}{
		{"none", 2, nil, 0},
		{"one", 2, []string{"alpha"}, 1},
		{"exact batches", 2, []string{"alpha", "beta", "gamma", "delta"}, 2},
		{"partial last batch", 3, []string{"alpha", "beta", "gamma", "delta"}, 2},
		{"default batch size", 0, syntheticTexts(130, 3, 1), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeOllama{t: t}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			o := newOllama(t, srv.URL+"/", tt.batch)

			got, err := o.Embed(context.Background(), tt.texts)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			if len(got) != len(tt.texts) {
				t.Fatalf("Embed returned %d vectors, want %d", len(got), len(tt.texts))
			}
			for i, text := range tt.texts {
				if want := fakeVector(text); !reflect.DeepEqual(got[i], want) {
					t.Errorf("vector %d = %v, want %v", i, got[i], want)
				}
			}
			if len(fake.batches) != tt.wantBatches {
				t.Errorf("sent %d requests, want %d", len(fake.batches), tt.wantBatches)
			}
			var sent []string
			for _, b := range fake.batches {
				sent = append(sent, b...)
			}
			if !reflect.DeepEqual(sent, tt.texts) && len(tt.texts) > 0 {
				t.Errorf("sent inputs %q, want %q", sent, tt.texts)
			}
		})
	}
}

func TestOllamaErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantStatus int
		wantMsg    string
	}{
		{"model not found", http.StatusNotFound, `{"error":"model \"nomic-embed-text\" not found, try pulling it first"}`,
			404, `model "nomic-embed-text" not found, try pulling it first`},
		{"server error", http.StatusInternalServerError, `{"error":"llama runner process has terminated"}`,
			500, "llama runner process has terminated"},
		{"plain text body", http.StatusBadGateway, "upstream unavailable\nmore", 502, "upstream unavailable"},
		{"empty body", http.StatusServiceUnavailable, "", 503, "Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&fakeOllama{t: t, failStatus: tt.status, failBody: tt.body})
			defer srv.Close()
			_, err := newOllama(t, srv.URL, 0).Embed(context.Background(), []string{"alpha"})
			var se *embed.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *StatusError", err)
			}
			if se.StatusCode != tt.wantStatus || se.Message != tt.wantMsg {
				t.Errorf("StatusError{%d, %q}, want {%d, %q}", se.StatusCode, se.Message, tt.wantStatus, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "ollama embed: ") {
				t.Errorf("error %q lacks the prefix %q", err, "ollama embed: ")
			}
		})
	}
}

func TestOllamaBadResponse(t *testing.T) {
	tests := []struct {
		name, body string
	}{
		{"too few embeddings", `{"model":"m","embeddings":[[1,2]]}`},
		{"differing lengths", `{"model":"m","embeddings":[[1,2],[1,2,3]]}`},
		{"empty vector", `{"model":"m","embeddings":[[],[]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			_, err := newOllama(t, srv.URL, 0).Embed(context.Background(), []string{"a", "b"})
			if !errors.Is(err, embed.ErrBadResponse) {
				t.Errorf("error %v, want ErrBadResponse", err)
			}
		})
	}
}

func TestNewOllama(t *testing.T) {
	tests := []struct {
		name      string
		cfg       embed.OllamaConfig
		wantField string // "" means valid
		wantName  string
	}{
		{"defaults", embed.OllamaConfig{Model: "nomic-embed-text"}, "", "ollama:nomic-embed-text"},
		{"tagged model", embed.OllamaConfig{BaseURL: "https://ollama.internal:8443/", Model: "mxbai-embed-large:335m"}, "", "ollama:mxbai-embed-large:335m"},
		{"no model", embed.OllamaConfig{}, "Model", ""},
		{"blank model", embed.OllamaConfig{Model: "  "}, "Model", ""},
		{"relative URL", embed.OllamaConfig{BaseURL: "localhost:11434", Model: "m"}, "BaseURL", ""},
		{"other scheme", embed.OllamaConfig{BaseURL: "ftp://host", Model: "m"}, "BaseURL", ""},
		{"unparsable URL", embed.OllamaConfig{BaseURL: "http://[::1", Model: "m"}, "BaseURL", ""},
		{"negative batch", embed.OllamaConfig{Model: "m", BatchSize: -1}, "BatchSize", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := embed.NewOllama(tt.cfg)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("NewOllama: %v", err)
				}
				if got := o.Name(); got != tt.wantName {
					t.Errorf("Name() = %q, want %q", got, tt.wantName)
				}
				return
			}
			if !errors.Is(err, embed.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error %v, want ErrInvalidConfig naming %s", err, tt.wantField)
			}
		})
	}
}
