package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ragd/ragd/qa/qatest"
	"github.com/ragd/ragd/web"
)

func TestLLMFlagErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantMsg string
	}{
		{"URL without model", nil, []string{"--llm-url", "http://localhost:11434/v1"}, "--llm-model is required"},
		{"model without URL", nil, []string{"--llm-model", "llama3.2:1b"}, "--llm-model needs --llm-url"},
		{"relative URL", nil, []string{"--llm-url", "localhost:11434", "--llm-model", "m"}, "--llm-url"},
		{"unknown fallback", nil, []string{"--llm-fallback", "guess"}, "--llm-fallback"},
		{"unknown fallback from the environment", map[string]string{"RAGD_LLM_FALLBACK": "guess"}, nil, "--llm-fallback"},
		{"zero timeout", nil, []string{"--llm-timeout", "0s"}, "--llm-timeout"},
		{"tiny budget", nil, []string{"--llm-max-context-tokens", "10"}, "--llm-max-context-tokens"},
	}
	for _, tt := range tests {
		for _, cmd := range []string{"ask", "serve"} {
			t.Run(cmd+" "+tt.name, func(t *testing.T) {
				args := append([]string{cmd}, tt.args...)
				if cmd == "ask" {
					args = append(args, "Who?")
				}
				code, _, stderr := ragd(t, tt.env, "", args...)
				if code != 2 || !strings.Contains(stderr, tt.wantMsg) {
					t.Errorf("exit %d, stderr %q; want 2 (a usage error) and a message naming %q", code, stderr, tt.wantMsg)
				}
			})
		}
	}
}

func TestAskWithLLM(t *testing.T) {
	env := seededEnv(t)
	fake := qatest.NewServer(t)
	env["RAGD_LLM_URL"] = fake.BaseURL()
	env["RAGD_LLM_MODEL"] = "fake-model"
	code, stdout, stderr := ragd(t, env, "", "ask", "--json", "When is Zelensky set to visit Washington to sign a minerals agreement?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got web.AskResponse
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(got.Sentences) == 0 || got.Debug == nil || len(got.Citations) == 0 || !strings.Contains(got.Answer, "[1]") {
		t.Errorf("answer %+v, want a generated answer with checked sentences", got)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("%d requests to the model, want 1", n)
	}

	fake.Set(qatest.Fail)
	code, stdout, stderr = ragd(t, env, "", "ask", "When is Zelensky set to visit Washington to sign a minerals agreement?")
	if code != 0 || !strings.Contains(stderr, "warning: language model failed") || !strings.Contains(stdout, "[1]") {
		t.Errorf("with a failing model: exit %d, stdout %q, stderr %q; want an extractive answer and a warning", code, stdout, stderr)
	}
	env["RAGD_LLM_FALLBACK"] = "error"
	code, _, stderr = ragd(t, env, "", "ask", "When is Zelensky set to visit Washington to sign a minerals agreement?")
	if code != 1 || !strings.Contains(stderr, qatest.FailMessage) {
		t.Errorf("with --llm-fallback error: exit %d, stderr %q; want 1 and the model's error", code, stderr)
	}
}

// firstWrite records what a writer received and, at its first write, how
// many requests the fake model had seen cancelled.
type firstWrite struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	first     string
	cancelled int
	fake      *qatest.Server
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() == 0 {
		w.first, w.cancelled = string(p), w.fake.Cancelled()
	}
	return w.buf.Write(p)
}

func TestAskStreamsTheGeneratedAnswer(t *testing.T) {
	// The model streams the start of its answer and then stalls until the
	// timeout cancels it: ragd ask must have printed that start while the
	// model was still stalling, then the extractive answer it falls back to.
	env := seededEnv(t)
	fake := qatest.NewServer(t)
	fake.Set(qatest.StallMidway)
	env["RAGD_LLM_URL"] = fake.BaseURL()
	env["RAGD_LLM_MODEL"] = "fake-model"
	env["RAGD_LLM_TIMEOUT"] = "2s"
	stdout := &firstWrite{fake: fake}
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"ask", "When is Zelensky set to visit Washington to sign a minerals agreement?"},
		func(k string) string { return env[k] }, strings.NewReader(""), stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.first == "" || strings.Contains(stdout.first, "[1]") || stdout.cancelled != 0 {
		t.Errorf("first output %q with %d cancelled model requests; want the model's first words before it was cancelled", stdout.first, stdout.cancelled)
	}
	out := stdout.buf.String()
	if !strings.HasPrefix(out, stdout.first) || !strings.Contains(out, "[1]") || !strings.Contains(stderr.String(), "answered extractively instead") {
		t.Errorf("stdout %q, stderr %q; want the streamed start, then an extractive answer with citations and a warning", out, stderr.String())
	}
	// The fake server sees the cancellation when its handler next writes
	// or reads, which may be just after ragd returned.
	for deadline := time.Now().Add(5 * time.Second); fake.Cancelled() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if fake.Cancelled() != 1 {
		t.Errorf("%d cancelled model requests, want 1", fake.Cancelled())
	}
}
