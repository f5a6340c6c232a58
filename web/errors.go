package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"reflect"
	"strings"
	"syscall"

	"github.com/labstack/echo/v4"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
)

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// badRequest returns a 400 error with a message for the client.
func badRequest(format string, args ...any) error {
	return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// statusOf maps an error to its HTTP status and the message a client sees.
// It is the one place where domain errors meet transport codes.
func statusOf(err error) (int, string) {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		msg := fmt.Sprint(he.Message)
		if he.Code == http.StatusRequestEntityTooLarge {
			msg = "request body too large"
		}
		return he.Code, msg
	case errors.Is(err, errRequestTimeout):
		return http.StatusServiceUnavailable, err.Error()
	case errors.Is(err, retrieval.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, retrieval.ErrInvalid):
		return http.StatusBadRequest, reason(err, retrieval.ErrInvalid)
	case errors.Is(err, qa.ErrInvalid):
		return http.StatusBadRequest, reason(err, qa.ErrInvalid)
	case errors.Is(err, retrieval.ErrEmbedderMismatch):
		return http.StatusConflict, err.Error()
	case errors.Is(err, retrieval.ErrUnavailable):
		return http.StatusServiceUnavailable, err.Error()
	case errors.Is(err, qa.ErrModelTimeout):
		return http.StatusGatewayTimeout, err.Error()
	case errors.Is(err, qa.ErrModelFailed):
		return http.StatusBadGateway, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "the request timed out"
	case errors.Is(err, context.Canceled):
		return 499, "the request was cancelled"
	}
	if code, msg, ok := storageFault(err); ok {
		return code, msg
	}
	return http.StatusInternalServerError, "internal error"
}

// storageFault maps an operating system's refusal to store data to 507
// Insufficient Storage (a full disk or quota) or 503 Service Unavailable
// (a read-only or forbidden data directory, which an operator must fix),
// with the reason and without the paths involved.
func storageFault(err error) (int, string, bool) {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return http.StatusInsufficientStorage, "the index cannot be written: no space left on its disk", true
	case errors.Is(err, syscall.EROFS):
		return http.StatusServiceUnavailable, "the index cannot be written: its file system is read-only", true
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return http.StatusServiceUnavailable, "the index cannot be written: permission denied on its data directory", true
	case errors.Is(err, syscall.EIO):
		return http.StatusServiceUnavailable, "the index cannot be written: the disk reported an I/O error", true
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return http.StatusServiceUnavailable, "the server has too many open files; retry later", true
	}
	return 0, "", false
}

// withCause returns errRequestTimeout for an error of a request cancelled
// by its timeout, which says only "context canceled", and err otherwise.
func withCause(c echo.Context, err error) error {
	if errors.Is(err, context.Canceled) && errors.Is(context.Cause(c.Request().Context()), errRequestTimeout) {
		return errRequestTimeout
	}
	return err
}

// reason returns what err says after the sentinel it wraps ("retrieve:
// search: invalid input: published_to is before published_from" gives
// "published_to is before published_from"): the client's mistake, without
// the call path that found it.
func reason(err, sentinel error) string {
	msg := err.Error()
	prefix := sentinel.Error() + ": "
	if i := strings.Index(msg, prefix); i >= 0 {
		return msg[i+len(prefix):]
	}
	return msg
}

// handleError is Echo's error handler: every error becomes {"error": "..."},
// or OpenAI's {"error": {"message": "...", "type": "..."}} on the /v1 routes.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := statusOf(withCause(c, err))
	if code >= 500 {
		s.cfg.Logger.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	if isOpenAIPath(c.Request()) {
		_ = c.JSON(code, openAIErrorOf(code, msg))
		return
	}
	_ = c.JSON(code, errorBody{Error: msg})
}

// decodeJSON reads a JSON request body into v, rejecting unknown fields,
// trailing data and bodies over the limit with client errors.
func decodeJSON(c echo.Context, v any) error {
	return decodeBody(c, v, true)
}

// decodeBody reads a JSON request body into v as decodeJSON does; unless
// strict, it accepts unknown fields, as OpenAI's clients send many.
func decodeBody(c echo.Context, v any, strict bool) error {
	// A JSON body must say so: a form or text/plain body, which any web
	// page may send to any address without asking, is refused.
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if mt, _, err := mime.ParseMediaType(ct); ct == "" || err != nil || mt != echo.MIMEApplicationJSON {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
	}
	// The whole body is read first: a body over the limit is refused
	// whatever it holds (the limit can refuse a chunked body, which has no
	// length to check, only on the read that crosses it, and a decoder
	// could stop before that or drop the error).
	data, err := io.ReadAll(c.Request().Body)
	switch {
	case err == nil:
		bodyRead(c)
	case isTooLarge(err):
		return echo.ErrStatusRequestEntityTooLarge
	case isTimeout(err):
		c.Response().Header().Set(echo.HeaderConnection, "close")
		return echo.NewHTTPError(http.StatusRequestTimeout, "the request body did not arrive within the read timeout")
	case err != nil:
		return badRequest("reading the request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return badRequest("request body is empty")
		case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
			return badRequest("malformed JSON: %v", err)
		case errors.As(err, &typ):
			if typ.Field == "" {
				return badRequest("request body must be %s, not %s", jsonKind(typ.Type), typ.Value)
			}
			return badRequest("field %q must be %s, not %s", typ.Field, jsonKind(typ.Type), typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return badRequest("%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		// A field's own UnmarshalJSON refused its value.
		return badRequest("%v", err)
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return badRequest("malformed JSON: trailing data after the object")
	}
	return nil
}

// isTooLarge reports whether err is a body limit's refusal: Echo's
// BodyLimit middleware or an http.MaxBytesReader.
func isTooLarge(err error) bool {
	var he *echo.HTTPError
	var maxErr *http.MaxBytesError
	return errors.As(err, &maxErr) || errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge
}

// isTimeout reports whether err is a passed deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// jsonKind names the JSON value that decodes into a value of type t.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another JSON type"
}
