package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/ragd/ragd/qa"
)

// llmConfig holds the flags of the language model that writes answers.
type llmConfig struct {
	URL              string
	Model            string
	APIKey           string
	Timeout          time.Duration
	MaxContextTokens int
	Fallback         string
}

func (c *llmConfig) register(fs *flagSet) {
	defer fs.group("language model")()
	fs.StringVar(&c.URL, "llm-url", "", "base URL of an OpenAI-compatible chat API that writes answers (ollama: http://localhost:11434/v1); answers are extractive without it")
	fs.StringVar(&c.Model, "llm-model", "", "chat model name (e.g. llama3.2:1b); required with --llm-url")
	fs.StringVar(&c.APIKey, "llm-api-key", "", "API key of the chat API")
	fs.DurationVar(&c.Timeout, "llm-timeout", qa.DefaultLLMTimeout, "timeout of one call to the chat model")
	fs.IntVar(&c.MaxContextTokens, "llm-max-context-tokens", qa.DefaultMaxContextTokens, "budget of the prompt in estimated tokens; lower-ranked passages are left out to fit")
	fs.StringVar(&c.Fallback, "llm-fallback", string(qa.FallbackExtractive), "when the chat model fails: extractive (answer extractively, with a warning) or error (502/504)")
}

// validate checks the flags, naming the bad one.
func (c *llmConfig) validate() error {
	if _, err := qa.ParseFallback(c.Fallback); err != nil {
		return fmt.Errorf("--llm-fallback %q is not extractive or error", c.Fallback)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--llm-timeout %s must be positive", c.Timeout)
	}
	if c.MaxContextTokens < 256 {
		return fmt.Errorf("--llm-max-context-tokens %d is below 256", c.MaxContextTokens)
	}
	if c.URL == "" {
		if c.Model != "" {
			return errors.New("--llm-model needs --llm-url")
		}
		return nil
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--llm-url %q is not an absolute http(s) URL", c.URL)
	}
	if strings.TrimSpace(c.Model) == "" {
		return errors.New("--llm-model is required with --llm-url")
	}
	return nil
}

// apply validates the flags and, when a chat API is configured, builds its
// one client and sets the generation fields of cfg.
func (c *llmConfig) apply(cfg *qa.Config) error {
	if err := c.validate(); err != nil {
		return err
	}
	if c.URL == "" {
		return nil
	}
	oc := openai.DefaultConfig(c.APIKey)
	oc.BaseURL = strings.TrimRight(c.URL, "/")
	// Deadlines come from the answerer's context: a client timeout would
	// also cut streamed answers and hide which deadline passed.
	oc.HTTPClient = &http.Client{}
	cfg.LLM = openai.NewClientWithConfig(oc)
	cfg.Model = c.Model
	cfg.LLMTimeout = c.Timeout
	cfg.MaxContextTokens = c.MaxContextTokens
	cfg.Fallback = qa.Fallback(c.Fallback)
	return nil
}
