package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
)

// DefaultHeartbeat is the interval of the comment lines that keep an idle
// event stream open through proxies.
const DefaultHeartbeat = 15 * time.Second

// deltaJSON is the data of a delta event.
type deltaJSON struct {
	Text string `json:"text"`
}

// doneJSON is the data of the done event that ends an answer stream.
type doneJSON struct {
	Answer    string      `json:"answer"`
	Abstained bool        `json:"abstained"`
	Timings   TimingsJSON `json:"timings_ms"`
	Debug     *DebugJSON  `json:"debug,omitempty"`
	Warning   string      `json:"warning,omitempty"`
}

// acceptsEventStream reports whether a request asks for server-sent events.
func acceptsEventStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get(echo.HeaderAccept), "text/event-stream")
}

// eventStream writes server-sent events. Its header is written with the
// first event, so that a request failing before that still gets an
// ordinary error response. It is safe for concurrent use, for heartbeats.
type eventStream struct {
	mu      sync.Mutex
	res     *echo.Response
	started bool
	// deadline, when not nil, sets the deadline of the next write.
	deadline func()
}

// newEventStream returns the stream of c, which trades the request's write
// timeout for the limits of streams.
func newEventStream(c echo.Context) *eventStream {
	return &eventStream{res: c.Response(), deadline: streaming(c)}
}

// send writes one event; an empty name writes a data-only event, as
// OpenAI's streams do. A failed write means the client left, which cancels
// the request's context, so its error is not reported here.
func (s *eventStream) send(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal(errorBody{Error: "encode event: " + err.Error()})
		name = "error"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start()
	s.beforeWrite()
	if name != "" {
		fmt.Fprintf(s.res, "event: %s\n", name)
	}
	fmt.Fprintf(s.res, "data: %s\n\n", data)
	s.res.Flush()
}

// raw writes a data line that is not JSON, such as OpenAI's "[DONE]".
func (s *eventStream) raw(data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start()
	s.beforeWrite()
	fmt.Fprintf(s.res, "data: %s\n\n", data)
	s.res.Flush()
}

// ping writes a comment line, once the stream has started.
func (s *eventStream) ping() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		s.beforeWrite()
		fmt.Fprint(s.res, ": ping\n\n")
		s.res.Flush()
	}
}

// beforeWrite sets the deadline of the write about to be made.
func (s *eventStream) beforeWrite() {
	if s.deadline != nil {
		s.deadline()
	}
}

// hasStarted reports whether the stream's header was written.
func (s *eventStream) hasStarted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

func (s *eventStream) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.res.WriteHeader(http.StatusOK)
}

// heartbeat pings the stream every interval until the returned function is
// called; that function returns once pinging has stopped.
func heartbeat(s *eventStream, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.ping()
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// askStream answers a question as server-sent events: passages, the answer
// in deltas, citations, checked sentences and done; or error, when the
// answer fails after the stream has started.
func (s *Server) askStream(c echo.Context, question string, opt qa.Options) error {
	if _, err := qa.Validate(question, opt); err != nil {
		return err
	}
	stream := newEventStream(c)
	defer heartbeat(stream, s.cfg.Heartbeat)()
	opt.OnPassages = func(hits []retrieval.Hit) { stream.send("passages", HitsJSON(hits)) }
	opt.OnDelta = func(text string) { stream.send("delta", deltaJSON{Text: text}) }
	ans, err := s.answer(c, question, opt)
	if err != nil {
		if !stream.hasStarted() {
			return err
		}
		stream.send("error", errorBody{Error: s.streamError(c, err)})
		return nil
	}
	stream.send("citations", CitationsJSON(ans.Citations))
	stream.send("sentences", SentencesJSON(ans.Sentences))
	stream.send("done", doneJSON{
		Answer: ans.Text, Abstained: ans.Abstained, Timings: timingsJSON(ans.Timings),
		Debug: debugJSON(ans.Context), Warning: ans.Warning,
	})
	return nil
}

// streamError is the message of an error reported inside a stream, which
// is logged like an error response of the same status would be.
func (s *Server) streamError(c echo.Context, err error) string {
	err = withCause(c, err)
	code, msg := statusOf(err)
	if code >= 500 && (c.Request().Context().Err() == nil || errors.Is(err, errRequestTimeout)) {
		s.cfg.Logger.Error("stream failed", "method", c.Request().Method, "path", c.Path(), "status", code, "err", err)
	}
	return msg
}
