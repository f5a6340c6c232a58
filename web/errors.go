package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

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
	case errors.Is(err, retrieval.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, retrieval.ErrInvalid), errors.Is(err, qa.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, retrieval.ErrEmbedderMismatch):
		return http.StatusConflict, err.Error()
	case errors.Is(err, qa.ErrModelTimeout):
		return http.StatusGatewayTimeout, err.Error()
	case errors.Is(err, qa.ErrModelFailed):
		return http.StatusBadGateway, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "the request timed out"
	case errors.Is(err, context.Canceled):
		return 499, "the request was cancelled"
	}
	return http.StatusInternalServerError, "internal error"
}

// handleError is Echo's error handler: every error becomes {"error": "..."},
// or OpenAI's {"error": {"message": "...", "type": "..."}} on the /v1 routes.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := statusOf(err)
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
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "content type must be application/json")
	}
	dec := json.NewDecoder(c.Request().Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var he *echo.HTTPError
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var maxErr *http.MaxBytesError
		switch {
		case errors.As(err, &he):
			return he
		case errors.As(err, &maxErr):
			return echo.ErrStatusRequestEntityTooLarge
		case errors.Is(err, io.EOF):
			return badRequest("request body is empty")
		case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
			return badRequest("malformed JSON: %v", err)
		case errors.As(err, &typ):
			return badRequest("field %q must be %s", typ.Field, typ.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return badRequest("%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return badRequest("malformed JSON: %v", err)
	}
	if dec.More() {
		return badRequest("malformed JSON: trailing data after the object")
	}
	return nil
}
