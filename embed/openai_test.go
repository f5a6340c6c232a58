package embed_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ragd/ragd/embed"
)

var _ interface {
	Name() string
	Embed(ctx context.Context, texts []string) ([][]float32, error)
} = (*embed.OpenAI)(nil)

// fakeOpenAI is a server that speaks POST /v1/embeddings. It answers with the
// data in reverse order, as the API allows, unless respond is set.
type fakeOpenAI struct {
	t testing.TB
	// respond, when set, writes the response instead.
	respond func(w http.ResponseWriter, input []string)

	mu      sync.Mutex
	batches [][]string
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
		f.t.Errorf("Authorization = %q, want %q", got, "Bearer sk-test")
	}
	var req struct {
		Input []string `json:"input"`
		Model string   `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		f.t.Errorf("decode request: %v", err)
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	if req.Model != "text-embedding-3-small" {
		f.t.Errorf("model = %q, want text-embedding-3-small", req.Model)
	}
	f.mu.Lock()
	f.batches = append(f.batches, req.Input)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if f.respond != nil {
		f.respond(w, req.Input)
		return
	}
	type datum struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	data := make([]datum, len(req.Input))
	for i, text := range req.Input {
		data[len(data)-1-i] = datum{Object: "embedding", Index: i, Embedding: fakeVector(text)}
	}
	json.NewEncoder(w).Encode(map[string]any{
		"object": "list",
		"data":   data,
		"model":  req.Model,
		"usage":  map[string]int{"prompt_tokens": 8, "total_tokens": 8},
	})
}

func newOpenAI(tb testing.TB, url string, batch int) *embed.OpenAI {
	tb.Helper()
	o, err := embed.NewOpenAI(embed.OpenAIConfig{
		BaseURL: url + "/v1", APIKey: "sk-test", Model: "text-embedding-3-small", BatchSize: batch,
	})
	if err != nil {
		tb.Fatalf("NewOpenAI: %v", err)
	}
	return o
}

func TestOpenAIEmbed(t *testing.T) {
	tests := []struct {
		name        string
		batch       int
		texts       []string
		wantBatches int
	}{
		{"none", 2, nil, 0},
		{"one", 2, []string{"alpha"}, 1},
		{"reversed data, exact batches", 2, []string{"alpha", "beta", "gamma", "delta"}, 2},
		{"reversed data, partial last batch", 3, []string{"alpha", "beta", "gamma", "delta"}, 2},
		{"default batch size", 0, syntheticTexts(130, 3, 1), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeOpenAI{t: t}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			got, err := newOpenAI(t, srv.URL, tt.batch).Embed(context.Background(), tt.texts)
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
			if sent := slices.Concat(fake.batches...); len(tt.texts) > 0 && !reflect.DeepEqual(sent, tt.texts) {
				t.Errorf("sent inputs %q, want %q", sent, tt.texts)
			}
		})
	}
}

func TestOpenAIErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantStatus int
		wantMsg    string
	}{
		{"invalid key", http.StatusUnauthorized,
			`{"error":{"message":"Incorrect API key provided: sk-test.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			401, "Incorrect API key provided: sk-test."},
		{"bad model", http.StatusNotFound,
			`{"error":{"message":"The model 'nope' does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
			404, "The model 'nope' does not exist"},
		{"plain text body", http.StatusBadGateway, "upstream unavailable", 502, "upstream unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&fakeOpenAI{t: t, respond: func(w http.ResponseWriter, _ []string) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}})
			defer srv.Close()
			_, err := newOpenAI(t, srv.URL, 0).Embed(context.Background(), []string{"alpha"})
			var se *embed.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *StatusError", err)
			}
			if se.StatusCode != tt.wantStatus || se.Message != tt.wantMsg {
				t.Errorf("StatusError{%d, %q}, want {%d, %q}", se.StatusCode, se.Message, tt.wantStatus, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "openai embed: ") {
				t.Errorf("error %q lacks the prefix %q", err, "openai embed: ")
			}
		})
	}
}

func TestOpenAIBadResponse(t *testing.T) {
	const head = `{"object":"list","model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2},"data":`
	tests := []struct {
		name, data string
	}{
		{"too few", `[{"object":"embedding","index":0,"embedding":[1,2]}]`},
		{"duplicate index", `[{"object":"embedding","index":1,"embedding":[1,2]},{"object":"embedding","index":1,"embedding":[3,4]}]`},
		{"index out of range", `[{"object":"embedding","index":0,"embedding":[1,2]},{"object":"embedding","index":2,"embedding":[3,4]}]`},
		{"differing lengths", `[{"object":"embedding","index":0,"embedding":[1,2]},{"object":"embedding","index":1,"embedding":[3]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&fakeOpenAI{t: t, respond: func(w http.ResponseWriter, _ []string) {
				fmt.Fprint(w, head+tt.data+"}")
			}})
			defer srv.Close()
			_, err := newOpenAI(t, srv.URL, 0).Embed(context.Background(), []string{"a", "b"})
			if !errors.Is(err, embed.ErrBadResponse) {
				t.Errorf("error %v, want ErrBadResponse", err)
			}
		})
	}
}

func TestNewOpenAI(t *testing.T) {
	tests := []struct {
		name      string
		cfg       embed.OpenAIConfig
		wantField string // "" means valid
		wantName  string
	}{
		{"defaults", embed.OpenAIConfig{APIKey: "k", Model: "text-embedding-3-small"}, "", "openai:text-embedding-3-small"},
		{"local server without key", embed.OpenAIConfig{BaseURL: "http://localhost:8000/v1", Model: "bge-m3"}, "", "openai:bge-m3"},
		{"no model", embed.OpenAIConfig{APIKey: "k"}, "Model", ""},
		{"relative URL", embed.OpenAIConfig{BaseURL: "/v1", Model: "m"}, "BaseURL", ""},
		{"negative batch", embed.OpenAIConfig{Model: "m", BatchSize: -5}, "BatchSize", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := embed.NewOpenAI(tt.cfg)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("NewOpenAI: %v", err)
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
