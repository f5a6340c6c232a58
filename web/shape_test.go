package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/sashabaranov/go-openai"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/web"
)

// TestEmptyFieldsArePresent checks that documented fields are present when
// they are empty: an author as "", sections as [].
func TestEmptyFieldsArePresent(t *testing.T) {
	srv, _ := newServer(t, 0)
	if code := call(t, srv, "POST", "/api/documents", `{"id":"plain","title":"Plain","text":"A text without author or sections."}`, nil); code != 201 {
		t.Fatalf("create: status %d", code)
	}
	var list struct {
		Documents []map[string]json.RawMessage `json:"documents"`
	}
	if code := call(t, srv, "GET", "/api/documents?limit=1000", "", &list); code != 200 || len(list.Documents) == 0 {
		t.Fatalf("list: status %d, %d documents", code, len(list.Documents))
	}
	for _, d := range list.Documents {
		if got := string(d["author"]); got != `""` && (got == "" || got[0] != '"') {
			t.Errorf("listed document %s: author %q, want a string", d["id"], got)
		}
	}
	var doc map[string]json.RawMessage
	if code := call(t, srv, "GET", "/api/documents/plain", "", &doc); code != 200 {
		t.Fatalf("get: status %d", code)
	}
	for key, want := range map[string]string{"author": `""`, "sections": `[]`} {
		if got := string(doc[key]); got != want {
			t.Errorf("%s is %q, want %s", key, got, want)
		}
	}
}

func TestGetModel(t *testing.T) {
	srv := newAskServer(t, askSetup{})
	m, err := ragdClient(srv.URL, srv.Client()).GetModel(context.Background(), web.ModelName)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != web.ModelName || m.Object != "model" || m.OwnedBy != "ragd" {
		t.Errorf("model %+v, want ragd", m)
	}
	_, err = ragdClient(srv.URL, srv.Client()).GetModel(context.Background(), "gpt-4o")
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 404 || apiErr.Type != "invalid_request_error" || apiErr.Message == "" {
		t.Errorf("unknown model: error %v, want a 404 in OpenAI's shape", err)
	}
}

// TestChatUsage checks that /v1 replies carry the documented token
// estimate: qa.EstimateTokens of every message for the prompt, of the
// answer for the completion, streamed or not.
func TestChatUsage(t *testing.T) {
	srv := newAskServer(t, askSetup{})
	client := ragdClient(srv.URL, srv.Client())
	req := chatRequest("system", "Answer briefly.", "user", "Who is Zelensky?", "assistant", "The president of Ukraine.", "user", answerable)
	prompt := 0
	for _, m := range req.Messages {
		prompt += qa.EstimateTokens(m.Content)
	}
	res, err := client.CreateChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := openai.Usage{PromptTokens: prompt, CompletionTokens: qa.EstimateTokens(res.Choices[0].Message.Content)}
	want.TotalTokens = want.PromptTokens + want.CompletionTokens
	if res.Usage.PromptTokens != want.PromptTokens || res.Usage.CompletionTokens != want.CompletionTokens || res.Usage.TotalTokens != want.TotalTokens || want.CompletionTokens == 0 {
		t.Errorf("usage %+v, want %+v", res.Usage, want)
	}

	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	stream, err := client.CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var usage *openai.Usage
	answer := ""
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunk.Choices {
			answer += c.Delta.Content
		}
		if chunk.Usage != nil {
			if len(chunk.Choices) != 0 {
				t.Errorf("the usage chunk has %d choices, want none", len(chunk.Choices))
			}
			usage = chunk.Usage
		}
	}
	if usage == nil {
		t.Fatal("include_usage: no chunk with usage")
	}
	if usage.PromptTokens != prompt || usage.CompletionTokens != qa.EstimateTokens(answer) {
		t.Errorf("streamed usage %+v, want prompt %d, completion %d", usage, prompt, qa.EstimateTokens(answer))
	}
}
