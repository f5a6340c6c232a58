package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// DefaultOllamaURL is the base URL of a local Ollama server, used when
// OllamaConfig.BaseURL is empty.
const DefaultOllamaURL = "http://localhost:11434"

// OllamaConfig configures an Ollama embedder.
type OllamaConfig struct {
	// BaseURL is the server's base URL; DefaultOllamaURL when empty.
	BaseURL string
	// Model is the embedding model, e.g. "nomic-embed-text". Required.
	Model string
	// BatchSize is the number of texts per request; DefaultBatchSize when zero.
	BatchSize int
	// HTTPClient sends the requests; a new client without timeout when nil
	// (deadlines come from the context).
	HTTPClient *http.Client
}

// Ollama embeds text with an Ollama server's native /api/embed endpoint.
// It is safe for concurrent use.
type Ollama struct {
	endpoint  string
	model     string
	batchSize int
	client    *http.Client
}

// NewOllama validates cfg, applies its defaults and returns an embedder. It
// sends no request.
func NewOllama(cfg OllamaConfig) (*Ollama, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultOllamaURL
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("new ollama: %w: BaseURL: %w", ErrInvalidConfig, err)
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, fmt.Errorf("new ollama: %w: Model is empty", ErrInvalidConfig)
	}
	batch, err := batchSize(cfg.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("new ollama: %w: BatchSize: %w", ErrInvalidConfig, err)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	return &Ollama{
		endpoint:  base + "/api/embed",
		model:     cfg.Model,
		batchSize: batch,
		client:    client,
	}, nil
}

// parseBaseURL checks that s is an absolute http(s) URL and returns it
// without a trailing slash.
func parseBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q is not an http or https URL", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", s)
	}
	return strings.TrimRight(s, "/"), nil
}

func batchSize(n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("%d is negative", n)
	case n == 0:
		return DefaultBatchSize, nil
	}
	return n, nil
}

// Name returns "ollama:" followed by the model name.
func (o *Ollama) Name() string { return "ollama:" + o.model }

// Embed returns one vector per text, in order, sending at most BatchSize texts
// per request. A non-success HTTP status yields a *StatusError carrying the
// server's error message.
func (o *Ollama) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out, err := Batches(ctx, texts, o.batchSize, o.embedBatch)
	if err != nil {
		return nil, fmt.Errorf("ollama embed: %w", err)
	}
	if err := sameLengths(out); err != nil {
		return nil, fmt.Errorf("ollama embed: %w", err)
	}
	return out, nil
}

// ollamaEmbedRequest and ollamaEmbedResponse are the wire format of
// POST /api/embed; ollamaError is the body of a failed request.
type ollamaEmbedRequest struct {
	Model string   `json:"model"`
	Input []string `json:"input"`
}

type ollamaEmbedResponse struct {
	Model      string      `json:"model"`
	Embeddings [][]float32 `json:"embeddings"`
}

type ollamaError struct {
	Error string `json:"error"`
}

func (o *Ollama) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	body, err := json.Marshal(ollamaEmbedRequest{Model: o.model, Input: texts})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, ollamaStatusError(resp)
	}
	var res ollamaEmbedResponse
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	if len(res.Embeddings) != len(texts) {
		return nil, fmt.Errorf("%w: %d embeddings for %d texts", ErrBadResponse, len(res.Embeddings), len(texts))
	}
	return res.Embeddings, nil
}

// maxErrorBody bounds how much of a failed response is read.
const maxErrorBody = 64 << 10

func ollamaStatusError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var e ollamaError
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return &StatusError{StatusCode: resp.StatusCode, Message: e.Error}
	}
	return &StatusError{StatusCode: resp.StatusCode, Message: bodyMessage(resp.StatusCode, body)}
}

// bodyMessage describes a failed response that carried no error field: its
// first line, shortened, or else the status text.
func bodyMessage(status int, body []byte) string {
	msg := strings.TrimSpace(string(body))
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "..."
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return msg
}

// sameLengths checks that vectors are non-empty and all of one length.
func sameLengths(vecs [][]float32) error {
	for i, v := range vecs {
		if len(v) == 0 {
			return fmt.Errorf("%w: vector %d is empty", ErrBadResponse, i)
		}
		if len(v) != len(vecs[0]) {
			return fmt.Errorf("%w: vector %d has length %d, vector 0 has %d", ErrBadResponse, i, len(v), len(vecs[0]))
		}
	}
	return nil
}
