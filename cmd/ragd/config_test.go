package main

import (
	"io"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval/local"
)

func TestSentenceWeightFlag(t *testing.T) {
	// Unset, the weight follows the embedder: retrieval's default with the
	// local GloVe model, off with a remote one; a value given on the
	// command line or in RAGD_SENTENCE_WEIGHT is used as given, 0 for off.
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want float64
	}{
		{"glove, unset", nil, nil, local.DefaultSentenceWeight},
		{"ollama, unset", nil, []string{"--embedder", "ollama", "--embed-url", "http://localhost:11434", "--embed-model", "nomic-embed-text"}, -1},
		{"openai, unset", map[string]string{"RAGD_EMBEDDER": "openai", "RAGD_EMBED_URL": "http://localhost:8080/v1", "RAGD_EMBED_MODEL": "text-embedding-3-small"}, nil, -1},
		{"ollama, given", nil, []string{"--embedder", "ollama", "--embed-url", "http://localhost:11434", "--embed-model", "nomic-embed-text", "--sentence-weight", "0.5"}, 0.5},
		{"glove, off", nil, []string{"--sentence-weight", "0"}, -1},
		{"glove, from the environment", map[string]string{"RAGD_SENTENCE_WEIGHT": "0.3"}, nil, 0.3},
		{"the flag wins", map[string]string{"RAGD_SENTENCE_WEIGHT": "0.3"}, []string{"--sentence-weight", "0"}, -1},
		{"auto, given", map[string]string{"RAGD_SENTENCE_WEIGHT": "0.3"}, []string{"--sentence-weight", "auto"}, local.DefaultSentenceWeight},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet(&env{getenv: func(k string) string { return tt.vars[k] }}, "search", "")
			var c storeConfig
			c.register(fs)
			c.registerRank(fs)
			if err := fs.parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := c.validate(); err != nil {
				t.Fatal(err)
			}
			if got := c.sentenceWeight(); got != tt.want {
				t.Errorf("sentence weight %g, want %g", got, tt.want)
			}
		})
	}

	fs := newFlagSet(&env{getenv: func(string) string { return "" }, stderr: io.Discard}, "search", "")
	var c storeConfig
	c.register(fs)
	c.registerRank(fs)
	if err := fs.parse([]string{"--sentence-weight", "high"}); err == nil || !strings.Contains(err.Error(), "sentence-weight") {
		t.Errorf("--sentence-weight high: error %v, want one naming the flag", err)
	}
}

func TestStoreFlag(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		wantErr string
	}{
		{"default", nil, nil, ""},
		{"local", nil, []string{"--store", "local"}, ""},
		{"unknown", nil, []string{"--store", "milvus"}, `unknown store "milvus"`},
		{"weaviate", nil, []string{"--store", "weaviate", "--weaviate-url", "http://localhost:8080"}, ""},
		{"weaviate from the environment", map[string]string{"RAGD_STORE": "weaviate", "RAGD_WEAVIATE_URL": "https://w.example:443", "RAGD_WEAVIATE_CONSISTENCY": "all"}, nil, ""},
		{"weaviate without a url", nil, []string{"--store", "weaviate"}, "--weaviate-url is required"},
		{"weaviate url without a scheme", nil, []string{"--store", "weaviate", "--weaviate-url", "localhost:8080"}, "--weaviate-url"},
		{"weaviate collection", nil, []string{"--store", "weaviate", "--weaviate-url", "http://h:1", "--weaviate-collection", "lower"}, "--weaviate-collection"},
		{"weaviate replicas", nil, []string{"--store", "weaviate", "--weaviate-url", "http://h:1", "--weaviate-replicas", "-1"}, "--weaviate-replicas"},
		{"weaviate consistency", nil, []string{"--store", "weaviate", "--weaviate-url", "http://h:1", "--weaviate-consistency", "SOME"}, "--weaviate-consistency"},
		{"unknown, from the environment", map[string]string{"RAGD_STORE": "pebble"}, nil, `unknown store "pebble"`},
		{"empty", nil, []string{"--store", ""}, `unknown store ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet(&env{getenv: func(k string) string { return tt.vars[k] }}, "search", "")
			var c storeConfig
			c.register(fs)
			if err := fs.parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := c.validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("validate: %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n")):
				t.Errorf("validate: %v, want one line containing %q", err, tt.wantErr)
			}
		})
	}
}
