package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ragd/ragd/retrieval"
)

// maxRequestIDLen is the longest X-Request-ID taken from a client.
const maxRequestIDLen = 128

// requestID returns the client's X-Request-ID when it is a short token of
// visible ASCII, else a fresh random one.
func requestID(given string) string {
	if n := len(given); n > 0 && n <= maxRequestIDLen {
		ok := true
		for i := range n {
			if c := given[i]; c <= ' ' || c > '~' {
				ok = false
				break
			}
		}
		if ok {
			return given
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// observe is the outermost middleware: it gives every request an id,
// answers errors through the error handler so that their status is known,
// then writes one access log line and the request metrics.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		req := c.Request()
		c.SetRequest(req.WithContext(retrieval.WithStageObserver(req.Context(), s.metrics.searchStage)))
		id := requestID(req.Header.Get(echo.HeaderXRequestID))
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		s.metrics.inflight.Inc()
		defer s.metrics.inflight.Dec()
		if err := next(c); err != nil {
			c.Error(err)
		}
		d := time.Since(start)
		res := c.Response()
		route := c.Path()
		if route == "" || route == "/*" {
			route = "unmatched"
		}
		s.metrics.observe(req.Method, route, res.Status, d)
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelWarn
		}
		attrs := []slog.Attr{
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.String("path", req.URL.Path),
			slog.Int("status", res.Status),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.Int64("bytes", res.Size),
			slog.String("request_id", id),
			slog.String("remote", req.RemoteAddr),
		}
		if k, ok := c.Get(keyContextKey).(string); ok {
			attrs = append(attrs, slog.String("key", k))
		}
		s.cfg.Logger.LogAttrs(req.Context(), level, "request", attrs...)
		return nil
	}
}
