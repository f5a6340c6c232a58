package main

import (
	"encoding/json"
	"strings"
	"testing"

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
				if code != 1 || !strings.Contains(stderr, tt.wantMsg) {
					t.Errorf("exit %d, stderr %q; want 1 and a message naming %q", code, stderr, tt.wantMsg)
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
