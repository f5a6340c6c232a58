package embed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sashabaranov/go-openai"
)

// DefaultOpenAIURL is the base URL of the OpenAI API, used when
// OpenAIConfig.BaseURL is empty.
const DefaultOpenAIURL = "https://api.openai.com/v1"

// OpenAIConfig configures an embedder for the OpenAI API or a server that
// speaks its /embeddings endpoint.
type OpenAIConfig struct {
	// BaseURL is the API base URL including any version path, e.g.
	// "http://localhost:8000/v1"; DefaultOpenAIURL when empty.
	BaseURL string
	// APIKey is sent as a bearer token. It may be empty for local servers
	// that need none.
	APIKey string
	// Model is the embedding model, e.g. "text-embedding-3-small". Required.
	Model string
	// BatchSize is the number of texts per request; DefaultBatchSize when zero.
	BatchSize int
	// HTTPClient sends the requests; a new client without timeout when nil
	// (deadlines come from the context).
	HTTPClient *http.Client
}

// OpenAI embeds text with an OpenAI-compatible /embeddings endpoint.
// It is safe for concurrent use.
type OpenAI struct {
	client    *openai.Client
	model     string
	batchSize int
}

// NewOpenAI validates cfg, applies its defaults and returns an embedder. It
// sends no request.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultOpenAIURL
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("new openai: %w: BaseURL: %w", ErrInvalidConfig, err)
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, fmt.Errorf("new openai: %w: Model is empty", ErrInvalidConfig)
	}
	batch, err := batchSize(cfg.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("new openai: %w: BatchSize: %w", ErrInvalidConfig, err)
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = base
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	}
	return &OpenAI{
		client:    openai.NewClientWithConfig(oc),
		model:     cfg.Model,
		batchSize: batch,
	}, nil
}

// Name returns "openai:" followed by the model name.
func (o *OpenAI) Name() string { return "openai:" + o.model }

// Embed returns one vector per text, in order, sending at most BatchSize texts
// per request. A non-success HTTP status yields a *StatusError carrying the
// server's error message.
func (o *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out, err := Batches(ctx, texts, o.batchSize, o.embedBatch)
	if err != nil {
		return nil, fmt.Errorf("openai embed: %w", err)
	}
	if err := sameLengths(out); err != nil {
		return nil, fmt.Errorf("openai embed: %w", err)
	}
	return out, nil
}

func (o *OpenAI) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	res, err := o.client.CreateEmbeddings(ctx, openai.EmbeddingRequest{
		Input: texts,
		Model: openai.EmbeddingModel(o.model),
	})
	if err != nil {
		return nil, openAIError(err)
	}
	if len(res.Data) != len(texts) {
		return nil, fmt.Errorf("%w: %d embeddings for %d texts", ErrBadResponse, len(res.Data), len(texts))
	}
	out := make([][]float32, len(texts))
	for _, d := range res.Data {
		if d.Index < 0 || d.Index >= len(out) {
			return nil, fmt.Errorf("%w: index %d out of range [0, %d)", ErrBadResponse, d.Index, len(out))
		}
		if out[d.Index] != nil {
			return nil, fmt.Errorf("%w: duplicate index %d", ErrBadResponse, d.Index)
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}

// openAIError turns go-openai's HTTP errors into *StatusError and leaves
// others, such as context or transport errors, as they are.
func openAIError(err error) error {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0 {
		return &StatusError{StatusCode: apiErr.HTTPStatusCode, Message: apiErr.Message}
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) && reqErr.HTTPStatusCode != 0 {
		return &StatusError{StatusCode: reqErr.HTTPStatusCode, Message: bodyMessage(reqErr.HTTPStatusCode, reqErr.Body)}
	}
	return err
}
