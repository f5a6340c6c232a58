package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ragd/ragd/qa"
)

// ModelName is the model ragd's OpenAI-compatible endpoint serves.
const ModelName = "ragd"

// chatRequest is the body of POST /v1/chat/completions. Fields ragd has no
// use for, such as temperature, are accepted and ignored.
type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	Stream   bool          `json:"stream"`
}

// chatMessage is a message of a chat request.
type chatMessage struct {
	Role    string      `json:"role"`
	Content chatContent `json:"content"`
}

// chatContent is a message's content: a string, null, or an array of parts
// of which the text parts are kept.
type chatContent string

func (c *chatContent) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != nil {
			*c = chatContent(*s)
		}
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return errors.New("a message's content must be a string or an array of content parts")
	}
	var texts []string
	for _, p := range parts {
		if p.Type == "text" {
			texts = append(texts, p.Text)
		}
	}
	*c = chatContent(strings.Join(texts, "\n"))
	return nil
}

// chatCompletion is the body of a non-streaming chat completion.
type chatCompletion struct {
	ID        string         `json:"id"`
	Object    string         `json:"object"`
	Created   int64          `json:"created"`
	Model     string         `json:"model"`
	Choices   []chatChoice   `json:"choices"`
	Usage     chatUsage      `json:"usage"`
	Citations []CitationJSON `json:"citations"`
	// Warning says why the answer is not what was configured (a model
	// failure answered extractively), as in /api/ask.
	Warning string `json:"warning,omitempty"`
}

type chatChoice struct {
	Index        int             `json:"index"`
	Message      chatMessageJSON `json:"message"`
	FinishReason string          `json:"finish_reason"`
}

type chatMessageJSON struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chatUsage holds token counts, estimated: ragd does not see the tokenizer.
type chatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// chatChunk is one event of a streamed chat completion. The last one has a
// finish reason and carries the citations.
type chatChunk struct {
	ID      string            `json:"id"`
	Object  string            `json:"object"`
	Created int64             `json:"created"`
	Model   string            `json:"model"`
	Choices []chatChunkChoice `json:"choices"`
	// Citations is set on the last chunk only, where it is never null;
	// Warning too, when there is one.
	Citations *[]CitationJSON `json:"citations,omitempty"`
	Warning   string          `json:"warning,omitempty"`
}

type chatChunkChoice struct {
	Index        int       `json:"index"`
	Delta        chatDelta `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
}

type chatDelta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

// modelList is the body of GET /v1/models.
type modelList struct {
	Object string      `json:"object"`
	Data   []modelJSON `json:"data"`
}

type modelJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// openAIError is the body of an error on the /v1 routes, in OpenAI's shape.
type openAIError struct {
	Error openAIErrorDetail `json:"error"`
}

type openAIErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// openAIErrorOf returns an error body in OpenAI's shape for a status.
func openAIErrorOf(code int, msg string) openAIError {
	typ := "invalid_request_error"
	if code >= 500 {
		typ = "server_error"
	}
	return openAIError{Error: openAIErrorDetail{Message: msg, Type: typ}}
}

// isOpenAIPath reports whether a request is on the OpenAI-compatible routes.
func isOpenAIPath(r *http.Request) bool {
	return r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/")
}

// toDomain reads the question, the last user message, and the history, the
// user and assistant messages before it. System messages are ignored: ragd
// has its own instructions.
func (r chatRequest) toDomain() (string, qa.Options, error) {
	var opt qa.Options
	if len(r.Messages) == 0 {
		return "", opt, badRequest("messages must not be empty")
	}
	last := r.Messages[len(r.Messages)-1]
	if last.Role != "user" {
		return "", opt, badRequest("the last message must have role user, not %q", last.Role)
	}
	if strings.TrimSpace(string(last.Content)) == "" {
		return "", opt, badRequest("the last message has no text")
	}
	if err := checkQuestion("the last message", string(last.Content)); err != nil {
		return "", opt, err
	}
	for i, m := range r.Messages[:len(r.Messages)-1] {
		switch m.Role {
		case "user", "assistant":
			opt.History = append(opt.History, qa.Turn{Role: m.Role, Content: string(m.Content)})
		case "system", "developer", "tool":
		default:
			return "", opt, badRequest("messages[%d].role %q is not system, developer, user, assistant or tool", i, m.Role)
		}
	}
	if err := checkHistory("messages", opt.History); err != nil {
		return "", opt, err
	}
	return string(last.Content), opt, nil
}

func (s *Server) listModels(c echo.Context) error {
	return c.JSON(http.StatusOK, modelList{Object: "list", Data: []modelJSON{{ID: ModelName, Object: "model", OwnedBy: "ragd"}}})
}

func (s *Server) chatCompletions(c echo.Context) error {
	var req chatRequest
	if err := decodeBody(c, &req, false); err != nil {
		return err
	}
	question, opt, err := req.toDomain()
	if err != nil {
		return err
	}
	if _, err := qa.Validate(question, opt); err != nil {
		return err
	}
	id, created := completionID(), time.Now().Unix()
	if req.Stream {
		return s.chatStream(c, question, opt, id, created)
	}
	ans, err := s.answer(c, question, opt)
	if err != nil {
		return err
	}
	out := chatCompletion{
		ID: id, Object: "chat.completion", Created: created, Model: ModelName,
		Choices:   []chatChoice{{Message: chatMessageJSON{Role: "assistant", Content: ans.Text}, FinishReason: "stop"}},
		Usage:     usageOf(ans),
		Citations: CitationsJSON(ans.Citations),
		Warning:   ans.Warning,
	}
	return c.JSON(http.StatusOK, out)
}

// chatStream answers with chat.completion.chunk events ending in [DONE].
// The stream starts with the first piece of the answer, so that a failure
// before it gets an ordinary error response.
func (s *Server) chatStream(c echo.Context, question string, opt qa.Options, id string, created int64) error {
	stream := newEventStream(c)
	defer heartbeat(stream, s.cfg.Heartbeat)()
	chunk := func(d chatDelta, finish *string, citations *[]CitationJSON) chatChunk {
		return chatChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: ModelName,
			Choices: []chatChunkChoice{{Delta: d, FinishReason: finish}}, Citations: citations}
	}
	opt.OnDelta = func(text string) {
		d := chatDelta{Content: text}
		if !stream.hasStarted() {
			d.Role = "assistant"
		}
		stream.send("", chunk(d, nil, nil))
	}
	ans, err := s.answer(c, question, opt)
	if err != nil {
		if !stream.hasStarted() {
			return err
		}
		code, _ := statusOf(withCause(c, err))
		stream.send("", openAIErrorOf(code, s.streamError(c, err)))
		return nil
	}
	stop := "stop"
	citations := CitationsJSON(ans.Citations)
	last := chunk(chatDelta{}, &stop, &citations)
	last.Warning = ans.Warning
	stream.send("", last)
	stream.raw("[DONE]")
	return nil
}

func usageOf(a qa.Answer) chatUsage {
	u := chatUsage{CompletionTokens: qa.EstimateTokens(a.Text)}
	if a.Context != nil {
		u.PromptTokens = a.Context.TokensEstimate
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// completionID returns a fresh id for a chat completion.
func completionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("chatcmpl-%s", hex.EncodeToString(b[:]))
}
