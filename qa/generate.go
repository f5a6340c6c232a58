package qa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/ragd/ragd/retrieval"
)

// ChatClient is the part of an OpenAI-compatible chat client that generated
// answers need; *openai.Client is one.
type ChatClient interface {
	CreateChatCompletion(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error)
	CreateChatCompletionStream(ctx context.Context, req openai.ChatCompletionRequest) (*openai.ChatCompletionStream, error)
}

// Fallback says what the answerer does when the language model fails.
type Fallback string

// The fallbacks.
const (
	// FallbackExtractive answers extractively, with a warning.
	FallbackExtractive Fallback = "extractive"
	// FallbackError returns the model's failure as an error.
	FallbackError Fallback = "error"
)

// ParseFallback returns the fallback named s.
func ParseFallback(s string) (Fallback, error) {
	switch f := Fallback(s); f {
	case FallbackExtractive, FallbackError:
		return f, nil
	}
	return "", fmt.Errorf("%w: fallback %q is not extractive or error", ErrInvalid, s)
}

// Defaults of generation.
const (
	// DefaultLLMTimeout bounds one call to the language model.
	DefaultLLMTimeout = 60 * time.Second
	// temperature keeps answers close to the passages.
	temperature = 0.2
)

// Errors of the language model. A failure that falls back to an extractive
// answer becomes the answer's Warning instead.
var (
	// ErrModelFailed reports a language model that answered with an error or
	// not at all.
	ErrModelFailed = errors.New("language model failed")
	// ErrModelTimeout reports a language model that did not finish within
	// the configured timeout.
	ErrModelTimeout = errors.New("language model timed out")
)

// FallbackNotice separates, in a streamed answer, the text the language
// model wrote before it failed from the extractive answer that replaces it.
const FallbackNotice = "(The language model stopped before finishing; the answer below quotes the articles instead.)"

// generate answers from the passages with the language model, streaming
// the text to onDelta when it is not nil. ext is the extractive answer,
// returned with a warning when the model fails and the fallback allows it.
func (a *Answerer) generate(ctx context.Context, query string, hits []retrieval.Hit, ext Answer, onDelta func(string)) (Answer, error) {
	prompt, err := AnswerPrompt(query, hits, a.cfg.MaxContextTokens)
	if err != nil {
		return Answer{}, err
	}
	sent := hits[:prompt.Context.PassagesSent]
	filter := markerFilter{sent: len(sent)}
	streamed := false
	emit := func(s string) {
		if s = filter.write(s); s != "" && onDelta != nil {
			streamed = true
			onDelta(s)
		}
	}
	raw, err := a.chat(ctx, prompt.Text, emit, onDelta != nil)
	if err == nil && strings.TrimSpace(raw) == "" {
		err = fmt.Errorf("%w: empty answer", ErrModelFailed)
	}
	if err != nil {
		ans, ferr := a.fallback(ctx, fmt.Errorf("generate: %w", err), ext)
		if ferr == nil && onDelta != nil {
			if streamed {
				// The model's text so far stays on the reader's screen:
				// say where it ends and the quotation begins.
				onDelta("\n\n" + FallbackNotice + "\n\n" + ans.Text)
			} else {
				onDelta(ans.Text)
			}
		}
		return ans, ferr
	}
	if rest := filter.flush(); rest != "" && onDelta != nil {
		onDelta(rest)
	}
	text := cleanMarkers(raw, len(sent))
	ans := Answer{Passages: hits, Evidence: ext.Evidence, Context: &prompt.Context, Generated: true}
	if isNoAnswer(text, splitAnswer(text, len(sent))) {
		ans.Text, ans.Abstained, ans.Citations = AbstainText, true, []Citation{}
		return ans, nil
	}
	ans.Text = text
	ans.Sentences, ans.Citations, err = a.verify(ctx, text, sent)
	if err != nil {
		return Answer{}, err
	}
	return ans, nil
}

// standalone asks the model to rewrite a follow-up question as a
// standalone question for retrieval; "" when the model gave nothing usable.
func (a *Answerer) standalone(ctx context.Context, question string, history []Turn) (string, error) {
	prompt, err := RewritePrompt(question, history)
	if err != nil {
		return "", err
	}
	out, err := a.chat(ctx, prompt, nil, false)
	if err != nil {
		return "", fmt.Errorf("rewrite question: %w", err)
	}
	return rewrittenQuestion(out), nil
}

// rewrittenQuestion picks the question out of a model's rewrite: the first
// line that ends with "?", else the first line that does not introduce
// another ("Sure! Here is the standalone question:"), without a
// "Standalone question:" label or quotes. It is "" when the model gave
// nothing usable; the question is then asked as the user put it.
func rewrittenQuestion(out string) string {
	var lines []string
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		line = strings.TrimSpace(strings.TrimPrefix(line, "Standalone question:"))
		line = strings.Trim(line, "\"'“”‘’ ")
		if line != "" && !strings.HasSuffix(line, ":") {
			lines = append(lines, line)
		}
	}
	for _, line := range lines {
		if strings.HasSuffix(line, "?") {
			return line
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}

// fallback handles a failure of the model: the extractive answer with a
// warning, or the error when the fallback is FallbackError or the request
// itself was cancelled.
func (a *Answerer) fallback(ctx context.Context, err error, ext Answer) (Answer, error) {
	if ctx.Err() != nil || a.cfg.Fallback == FallbackError {
		return Answer{}, err
	}
	msg := err.Error()
	if i := strings.Index(msg, "language model"); i >= 0 {
		msg = msg[i:]
	}
	ext.Warning = msg + "; answered extractively instead"
	return ext, nil
}

// chat sends one user message to the model, within the configured timeout,
// and returns its reply. With stream set, the reply is read as a stream and
// each piece is passed to onDelta.
func (a *Answerer) chat(ctx context.Context, message string, onDelta func(string), stream bool) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, a.cfg.LLMTimeout)
	defer cancel()
	req := openai.ChatCompletionRequest{
		Model:       a.cfg.Model,
		Messages:    []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: message}},
		Temperature: temperature,
	}
	var out string
	var err error
	if stream {
		out, err = a.chatStream(cctx, req, onDelta)
	} else {
		var res openai.ChatCompletionResponse
		res, err = a.cfg.LLM.CreateChatCompletion(cctx, req)
		if err == nil {
			if len(res.Choices) == 0 {
				return "", fmt.Errorf("%w: no choices in the response", ErrModelFailed)
			}
			out = res.Choices[0].Message.Content
			if onDelta != nil {
				onDelta(out)
			}
		}
	}
	if err != nil {
		return "", a.modelError(ctx, cctx, err)
	}
	return out, nil
}

func (a *Answerer) chatStream(ctx context.Context, req openai.ChatCompletionRequest, onDelta func(string)) (string, error) {
	stream, err := a.cfg.LLM.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return "", err
	}
	defer stream.Close()
	var b strings.Builder
	finished := false
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			// go-openai reports the end of the body as EOF whether or
			// not the model said it was done: an answer without a finish
			// reason was cut off.
			if !finished {
				return "", fmt.Errorf("%w: the stream ended before the answer did", ErrModelFailed)
			}
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
		if len(res.Choices) > 0 && res.Choices[0].FinishReason != "" {
			finished = true
		}
		if len(res.Choices) == 0 || res.Choices[0].Delta.Content == "" {
			continue
		}
		b.WriteString(res.Choices[0].Delta.Content)
		onDelta(res.Choices[0].Delta.Content)
	}
}

// errorCode matches an error code fit to pass on: a short identifier such
// as "invalid_api_key" or "rate_limit_exceeded".
var errorCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// secretLike matches what may be a key or token: a run of 12 or more key
// characters holding a digit, or of 20 or more, or whatever follows
// "Bearer".
var secretLike = regexp.MustCompile(`(?i)bearer\s+\S+|[A-Za-z0-9_\-+/=.]*[0-9][A-Za-z0-9_\-+/=.]*|[A-Za-z0-9_\-+/=]{20,}`)

// maxModelMessage bounds the part of a model's error message passed on.
const maxModelMessage = 200

// statusSummary describes a model's error response: its status, its error
// code when that is an identifier, and its message with anything that
// looks like a key or token replaced by "[redacted]".
func statusSummary(status int, code any, message string) string {
	msg := fmt.Sprintf("status %d", status)
	if text := http.StatusText(status); text != "" {
		msg += " " + text
	}
	if c, ok := code.(string); ok && errorCode.MatchString(c) {
		msg += " (" + c + ")"
	}
	message = secretLike.ReplaceAllStringFunc(strings.Join(strings.Fields(message), " "), func(w string) string {
		if len(w) < 12 && !strings.HasPrefix(strings.ToLower(w), "bearer") {
			return w
		}
		return "[redacted]"
	})
	if r := []rune(message); len(r) > maxModelMessage {
		message = string(r[:maxModelMessage]) + "…"
	}
	if message != "" {
		msg += ": " + message
	}
	return msg
}

// modelError classifies a failed call: the caller's own cancellation or
// deadline passes through, the model's timeout becomes ErrModelTimeout and
// anything else ErrModelFailed, with the server's message when it sent one.
func (a *Answerer) modelError(ctx, cctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("call language model: %w", ctx.Err())
	}
	if errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w after %s", ErrModelTimeout, a.cfg.LLMTimeout)
	}
	if errors.Is(err, ErrModelFailed) {
		return err
	}
	// A model's error message or body can repeat what it was sent, the
	// bearer key included: it is passed on summarised, without secrets.
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0 {
		return fmt.Errorf("%w: %s", ErrModelFailed, statusSummary(apiErr.HTTPStatusCode, apiErr.Code, apiErr.Message))
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) && reqErr.HTTPStatusCode != 0 {
		return fmt.Errorf("%w: %s", ErrModelFailed, statusSummary(reqErr.HTTPStatusCode, nil, string(reqErr.Body)))
	}
	// A transport failure names the request ("Post \"http://host/v1/...\": ");
	// the reason is enough, and the model's address is no business of
	// the API's clients, who see warnings and 502 bodies.
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		err = opErr.Err // "connect: connection refused", without the address
	}
	return fmt.Errorf("%w: %v", ErrModelFailed, err)
}
