// Package qatest provides a fake OpenAI-compatible chat server for tests of
// generated answers: it speaks the real protocol, JSON chat completions and
// streamed chunks, and can be told to misbehave.
package qatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/sashabaranov/go-openai"

	"github.com/ragd/ragd/retrieval/chunk"
)

// Behaviour is how the server answers an answer prompt.
type Behaviour int

// The behaviours.
const (
	// Cite answers with the first sentence of passage [1], citing it.
	Cite Behaviour = iota
	// CiteMissing answers as Cite and also cites passage [42], which no test
	// prompt holds.
	CiteMissing
	// CiteNothing answers with the first sentence of passage [1] and no marker.
	CiteNothing
	// NoAnswer says that the passages do not contain the answer.
	NoAnswer
	// Reply answers with the text given to SetReply.
	Reply
	// Stall sends nothing (when streaming: the first chunk only) until the
	// request is cancelled, and records the cancellation.
	Stall
	// Fail answers with HTTP 500 and an OpenAI error body.
	Fail
	// StallMidway streams the first piece of a Cite answer, then sends
	// nothing more until the request is cancelled, and records the
	// cancellation; unstreamed, it behaves as Stall.
	StallMidway
	// CutShort streams the first half of a Cite answer, then ends the
	// body cleanly with neither a finish reason nor [DONE], as a proxy
	// that drops the connection does; unstreamed, it behaves as Cite.
	CutShort
	// PerfectReader reads the passages of the prompt and answers with the
	// first sentence that holds a gold answer of the question (see
	// SetGold), citing its passage, or says that the passages do not
	// contain the answer when none holds one: a model that never misses
	// an answer it is shown and never invents one.
	PerfectReader
)

// NoAnswerText is what the server says when the passages do not answer.
const NoAnswerText = "The passages do not contain the answer."

// FailMessage is the error message of the Fail behaviour.
const FailMessage = "the fake model is out of order"

// Request is a chat request the server received.
type Request struct {
	Model  string
	Stream bool
	// Prompt is the content of the last message.
	Prompt string
	// Rewrite reports a request to rewrite a follow-up question.
	Rewrite bool
}

// Server is a fake OpenAI-compatible chat server on loopback. Its zero
// behaviour is Cite. It is safe for concurrent use.
type Server struct {
	*httptest.Server

	mu         sync.Mutex
	behaviour  Behaviour
	reply      string
	standalone string
	requests   []Request
	cancelled  int
	gold       map[string][]string
}

// NewServer starts a fake server, closed when the test ends.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// BaseURL is the server's OpenAI base URL, ending in /v1.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// NewClient returns a go-openai client of the server.
func (s *Server) NewClient() *openai.Client {
	cfg := openai.DefaultConfig("test-key")
	cfg.BaseURL = s.BaseURL()
	cfg.HTTPClient = s.Client()
	return openai.NewClientWithConfig(cfg)
}

// Set changes how the server answers answer prompts.
func (s *Server) Set(b Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviour = b
}

// SetReply makes the server answer answer prompts with text, in which
// "{pN}" stands for the first sentence of passage [N] of the prompt.
func (s *Server) SetReply(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviour, s.reply = Reply, text
}

// SetGold gives the PerfectReader behaviour the gold answers of each
// question, keyed by the question as the prompt states it, and selects it.
func (s *Server) SetGold(gold map[string][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviour, s.gold = PerfectReader, gold
}

// SetStandalone sets the answer to rewrite prompts; by default the server
// repeats the follow-up question.
func (s *Server) SetStandalone(q string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.standalone = q
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Cancelled returns how many stalled requests were cancelled by the client.
func (s *Server) Cancelled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancelled
}

// WaitCancelled waits until n stalled requests have been cancelled, failing
// the test after timeout.
func (s *Server) WaitCancelled(tb testing.TB, n int, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for s.Cancelled() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("upstream requests cancelled: %d after %s, want %d", s.Cancelled(), timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// chatRequest is the part of a chat completion request the server reads.
type chatRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
}

var (
	passageHeader = regexp.MustCompile(`(?m)^\[(\d+)\] .*\n(.*)$`)
	followUp      = regexp.MustCompile(`(?m)^user: (.*)\n\nStandalone question:`)
	placeholder   = regexp.MustCompile(`\{p(\d+)\}`)
	sentenceEnd   = regexp.MustCompile(`[.!?]["”’)]*\s`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		writeError(w, http.StatusNotFound, "no such route: "+r.URL.Path)
		return
	}
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("bad request: %v", err))
		return
	}
	prompt := req.Messages[len(req.Messages)-1].Content
	rec := Request{Model: req.Model, Stream: req.Stream, Prompt: prompt, Rewrite: followUp.MatchString(prompt)}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	behaviour, reply, standalone, gold := s.behaviour, s.reply, s.standalone, s.gold
	s.mu.Unlock()

	var text string
	switch {
	case rec.Rewrite:
		text = standalone
		if text == "" {
			text = followUp.FindStringSubmatch(prompt)[1]
		}
	case behaviour == Fail:
		writeError(w, http.StatusInternalServerError, FailMessage)
		return
	case behaviour == Stall || behaviour == StallMidway:
		if req.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
			writeChunk(w, req.Model, map[string]string{"role": "assistant"}, nil)
			if behaviour == StallMidway {
				writeChunk(w, req.Model, map[string]string{"content": pieces(answer(Cite, "", passages(prompt)))[0]}, nil)
			}
		}
		<-r.Context().Done()
		s.mu.Lock()
		s.cancelled++
		s.mu.Unlock()
		return
	case behaviour == PerfectReader:
		text = read(prompt, gold)
	default:
		text = answer(behaviour, reply, passages(prompt))
	}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
			"choices": []any{map[string]any{
				"index": 0, "message": map[string]string{"role": "assistant", "content": text}, "finish_reason": "stop",
			}},
			"usage": map[string]int{"prompt_tokens": len(strings.Fields(prompt)), "completion_tokens": len(strings.Fields(text)), "total_tokens": 0},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	writeChunk(w, req.Model, map[string]string{"role": "assistant", "content": ""}, nil)
	ps := pieces(text)
	if behaviour == CutShort && !rec.Rewrite {
		for _, piece := range ps[:len(ps)/2] {
			writeChunk(w, req.Model, map[string]string{"content": piece}, nil)
		}
		return
	}
	for _, piece := range ps {
		writeChunk(w, req.Model, map[string]string{"content": piece}, nil)
	}
	stop := "stop"
	writeChunk(w, req.Model, map[string]string{}, &stop)
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// passages returns the first sentence of six words or more of each passage of an answer prompt,
// by number.
func passages(prompt string) map[string]string {
	out := map[string]string{}
	for _, m := range passageHeader.FindAllStringSubmatch(prompt, -1) {
		out[m[1]] = m[2]
		prev := 0
		for _, loc := range sentenceEnd.FindAllStringIndex(m[2], -1) {
			s := strings.TrimSpace(m[2][prev:loc[1]])
			prev = loc[1]
			if len(strings.Fields(s)) >= 6 && !strings.ContainsAny(s[:1], "\"“‘'") {
				out[m[1]] = s
				break
			}
		}
	}
	return out
}

// promptPassage matches one passage of an answer prompt: its number and
// its text, up to the next passage or the question.
var promptPassage = regexp.MustCompile(`(?s)\n\[(\d+)\] [^\n]*\(source: [^\n]*\)\n(.*?)\n(?:\n\[\d+\] |\nQuestion: )`)

// read answers an answer prompt as a perfect reader: the first sentence,
// in passage order, holding a gold answer of the prompt's question.
func read(prompt string, gold map[string][]string) string {
	_, question, _ := strings.Cut(prompt, "\nQuestion: ")
	answers := gold[strings.TrimSpace(question)]
	for rest := prompt; ; {
		loc := promptPassage.FindStringSubmatchIndex(rest)
		if loc == nil {
			return NoAnswerText
		}
		n, text := rest[loc[2]:loc[3]], rest[loc[4]:loc[5]]
		for _, sent := range splitSentences(text) {
			for _, a := range answers {
				if na := normalise(a); na != "" && strings.Contains(" "+normalise(sent)+" ", " "+na+" ") {
					return sent + " [" + n + "]"
				}
			}
		}
		// The next passage's header begins inside the match.
		rest = rest[loc[5]:]
	}
}

// splitSentences splits text into sentences as ragd's chunker does.
func splitSentences(text string) []string {
	var out []string
	for _, sp := range chunk.Sentences(text) {
		if s := strings.TrimSpace(text[sp.Start:sp.End]); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// normalise lowercases s and replaces every run of characters other than
// letters and digits by one space.
func normalise(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

func answer(b Behaviour, reply string, p map[string]string) string {
	switch b {
	case CiteMissing:
		return p["1"] + " [1][42]"
	case CiteNothing:
		return p["1"]
	case NoAnswer:
		return NoAnswerText
	case Reply:
		return placeholder.ReplaceAllStringFunc(reply, func(m string) string {
			return p[placeholder.FindStringSubmatch(m)[1]]
		})
	}
	return p["1"] + " [1]"
}

// pieces splits text into small pieces, as a model streams tokens, cutting
// inside citation markers too.
func pieces(text string) []string {
	var out []string
	for len(text) > 0 {
		n := min(len(text), 3)
		for n < len(text) && !isBoundary(text, n) {
			n++
		}
		out = append(out, text[:n])
		text = text[n:]
	}
	return out
}

func isBoundary(s string, i int) bool { return s[i]&0xC0 != 0x80 }

func writeChunk(w http.ResponseWriter, model string, delta map[string]string, finish *string) {
	data, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
	})
	fmt.Fprintf(w, "data: %s\n\n", data)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{"message": msg, "type": "server_error", "param": nil, "code": nil},
	})
}
