package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sashabaranov/go-openai"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/qa/qatest"
	"github.com/ragd/ragd/web"
)

// ragdClient returns a go-openai client of a ragd server.
func ragdClient(srvURL string, hc *http.Client) *openai.Client {
	cfg := openai.DefaultConfig("unused")
	cfg.BaseURL = srvURL + "/v1"
	cfg.HTTPClient = hc
	return openai.NewClientWithConfig(cfg)
}

func chatRequest(messages ...string) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{Model: web.ModelName}
	for i := 0; i < len(messages); i += 2 {
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: messages[i], Content: messages[i+1]})
	}
	return req
}

func TestChatCompletionsWithGoOpenAI(t *testing.T) {
	fake := qatest.NewServer(t)
	tests := []struct {
		name     string
		fake     *qatest.Server
		messages []string
		want     string // in the answer
	}{
		{"generated", fake, []string{"user", answerable}, "[1]"},
		{"extractive", nil, []string{"user", answerable}, "[1]"},
		{"abstention", fake, []string{"system", "Be brief.", "user", unanswerable}, qa.AbstainText},
		{"follow-up", fake, []string{"user", "Who is Zelensky?", "assistant", "The president of Ukraine [1].", "user", answerable}, "[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Set(qatest.Cite)
			srv := newAskServer(t, askSetup{fake: tt.fake})
			client := ragdClient(srv.URL, srv.Client())
			ctx := context.Background()

			res, err := client.CreateChatCompletion(ctx, chatRequest(tt.messages...))
			if err != nil {
				t.Fatal(err)
			}
			if res.Object != "chat.completion" || res.Model != web.ModelName || len(res.Choices) != 1 || res.Choices[0].FinishReason != openai.FinishReasonStop {
				t.Fatalf("response %+v", res)
			}
			answer := res.Choices[0].Message.Content
			if res.Choices[0].Message.Role != openai.ChatMessageRoleAssistant || !strings.Contains(answer, tt.want) {
				t.Errorf("message %+v, want an assistant answer containing %q", res.Choices[0].Message, tt.want)
			}

			stream, err := client.CreateChatCompletionStream(ctx, chatRequest(tt.messages...))
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			var streamed strings.Builder
			var finish openai.FinishReason
			chunks := 0
			for {
				chunk, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				chunks++
				if chunk.Object != "chat.completion.chunk" || len(chunk.Choices) != 1 {
					t.Fatalf("chunk %+v", chunk)
				}
				streamed.WriteString(chunk.Choices[0].Delta.Content)
				finish = chunk.Choices[0].FinishReason
			}
			if got := strings.TrimSpace(streamed.String()); got != answer {
				t.Errorf("streamed %q, want the same answer as without streaming, %q", got, answer)
			}
			if finish != openai.FinishReasonStop || chunks < 2 {
				t.Errorf("%d chunks ending with %q, want several ending with stop", chunks, finish)
			}
		})
	}
	if reqs := fake.Requests(); !reqs[len(reqs)-2].Rewrite {
		t.Errorf("the follow-up was not rewritten: %+v", reqs[len(reqs)-2])
	}
}

func TestChatCompletionsCarryCitations(t *testing.T) {
	fake := qatest.NewServer(t)
	srv := newAskServer(t, askSetup{fake: fake})
	var res struct {
		Citations []web.CitationJSON `json:"citations"`
	}
	if code := call(t, srv, "POST", "/v1/chat/completions", `{"model":"ragd","temperature":0.2,"messages":[{"role":"user","content":[{"type":"text","text":"`+answerable+`"}]}]}`, &res); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(res.Citations) != 1 || res.Citations[0].N != 1 || res.Citations[0].Quote == "" {
		t.Errorf("citations %+v, want [1] with its quote", res.Citations)
	}

	client := ragdClient(srv.URL, srv.Client())
	var last []web.CitationJSON
	for _, raw := range rawChunks(t, client, answerable) {
		var chunk struct {
			Citations []web.CitationJSON `json:"citations"`
			Choices   []struct {
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(raw, &chunk); err != nil {
			t.Fatal(err)
		}
		if chunk.Choices[0].FinishReason == nil && chunk.Citations != nil {
			t.Errorf("citations in a chunk before the last")
		}
		last = chunk.Citations
	}
	if len(last) != 1 || last[0].Quote != res.Citations[0].Quote {
		t.Errorf("last chunk's citations %+v, want %+v", last, res.Citations)
	}

	// An abstention's last chunk carries an empty list, as the reply
	// without streaming does, not no list.
	chunks := rawChunks(t, client, unanswerable)
	lastRaw := chunks[len(chunks)-1]
	var final map[string]json.RawMessage
	if err := json.Unmarshal(lastRaw, &final); err != nil {
		t.Fatal(err)
	}
	if got := string(final["citations"]); got != "[]" {
		t.Errorf("abstention's last chunk: citations %q, want []; chunk %s", got, lastRaw)
	}
}

func TestListModels(t *testing.T) {
	srv := newAskServer(t, askSetup{})
	models, err := ragdClient(srv.URL, srv.Client()).ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(models.Models) != 1 || models.Models[0].ID != web.ModelName || models.Models[0].Object != "model" {
		t.Errorf("models %+v, want ragd", models.Models)
	}
}

func TestChatCompletionErrors(t *testing.T) {
	fake := qatest.NewServer(t)
	fake.Set(qatest.Fail)
	srv := newAskServer(t, askSetup{fake: fake, fallback: qa.FallbackError})
	client := ragdClient(srv.URL, srv.Client())
	tests := []struct {
		name       string
		req        openai.ChatCompletionRequest
		stream     bool
		wantStatus int
		wantType   string
		wantMsg    string
	}{
		{"no messages", chatRequest(), false, 400, "invalid_request_error", "messages"},
		{"last message not from the user", chatRequest("user", "Hi", "assistant", "Hello"), false, 400, "invalid_request_error", "role user"},
		{"unknown role", chatRequest("robot", "beep", "user", answerable), false, 400, "invalid_request_error", "robot"},
		{"model failure", chatRequest("user", answerable), false, 502, "server_error", qatest.FailMessage},
		{"model failure while streaming", chatRequest("user", answerable), true, 502, "server_error", qatest.FailMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.stream {
				var s *openai.ChatCompletionStream
				if s, err = client.CreateChatCompletionStream(context.Background(), tt.req); err == nil {
					s.Close()
				}
			} else {
				_, err = client.CreateChatCompletion(context.Background(), tt.req)
			}
			var apiErr *openai.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v, want an OpenAI API error", err)
			}
			if apiErr.HTTPStatusCode != tt.wantStatus || apiErr.Type != tt.wantType || !strings.Contains(apiErr.Message, tt.wantMsg) {
				t.Errorf("error %d %q %q, want %d %q mentioning %q", apiErr.HTTPStatusCode, apiErr.Type, apiErr.Message, tt.wantStatus, tt.wantType, tt.wantMsg)
			}
		})
	}

	var body struct {
		Error struct{ Message, Type string }
	}
	if code := call(t, srv, "GET", "/v1/nothing", "", &body); code != 404 || body.Error.Message == "" || body.Error.Type != "invalid_request_error" {
		t.Errorf("unknown /v1 route: %d %+v, want 404 in OpenAI's shape", code, body)
	}
	if code := call(t, srv, "POST", "/v1/chat/completions", `{"messages":`, &body); code != 400 || !strings.Contains(body.Error.Message, "malformed JSON") {
		t.Errorf("malformed body: %d %+v, want 400 in OpenAI's shape", code, body)
	}
}

// TestChatCompletionsCarryTheFallbackWarning: an answer given extractively
// because the model failed says so on /v1 as on /api/ask, streamed or not.
func TestChatCompletionsCarryTheFallbackWarning(t *testing.T) {
	fake := qatest.NewServer(t)
	fake.Set(qatest.Fail)
	srv := newAskServer(t, askSetup{fake: fake, fallback: qa.FallbackExtractive})
	var res struct {
		Warning   string             `json:"warning"`
		Citations []web.CitationJSON `json:"citations"`
	}
	if code := call(t, srv, "POST", "/v1/chat/completions", `{"model":"ragd","messages":[{"role":"user","content":"`+answerable+`"}]}`, &res); code != 200 {
		t.Fatalf("status %d", code)
	}
	if !strings.Contains(res.Warning, qatest.FailMessage) || len(res.Citations) == 0 {
		t.Errorf("warning %q, %d citations; want the model's failure and the extractive citations", res.Warning, len(res.Citations))
	}

	chunks := rawChunks(t, ragdClient(srv.URL, srv.Client()), answerable)
	var last struct {
		Warning string `json:"warning"`
	}
	if err := json.Unmarshal(chunks[len(chunks)-1], &last); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(last.Warning, qatest.FailMessage) {
		t.Errorf("last chunk's warning %q, want the model's failure", last.Warning)
	}
}

// rawChunks asks question of ragd's streaming chat completion and returns
// the JSON of every chunk, at least one.
func rawChunks(t *testing.T, client *openai.Client, question string) [][]byte {
	t.Helper()
	stream, err := client.CreateChatCompletionStream(context.Background(), chatRequest("user", question))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var out [][]byte
	for {
		raw, err := stream.RecvRaw()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	if len(out) == 0 {
		t.Fatal("the stream had no chunks")
	}
	return out
}
