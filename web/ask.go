package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ragd/ragd/qa"
)

// Answerer answers a question with cited passages.
type Answerer interface {
	Answer(ctx context.Context, question string, opt qa.Options) (qa.Answer, error)
}

// askRequest is the body of POST /api/ask.
type askRequest struct {
	Question string       `json:"question"`
	K        *int         `json:"k"`
	Filters  *FiltersJSON `json:"filters"`
	History  []turnJSON   `json:"history"`
	Stream   bool         `json:"stream"`
}

type turnJSON struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// CitationJSON is a citation on the wire.
type CitationJSON struct {
	N         int     `json:"n"`
	DocID     string  `json:"doc_id"`
	ChunkID   string  `json:"chunk_id"`
	Title     string  `json:"title"`
	Source    string  `json:"source"`
	Published *string `json:"published"`
	Quote     string  `json:"quote"`
	Start     int     `json:"start"`
	End       int     `json:"end"`
	Highlight *[2]int `json:"highlight,omitempty"`
	PostHoc   bool    `json:"post_hoc,omitempty"`
}

// TimingsJSON are stage durations in milliseconds.
type TimingsJSON struct {
	Retrieve float64 `json:"retrieve"`
	Answer   float64 `json:"answer"`
	Total    float64 `json:"total"`
}

// AskResponse is the body of an ask response; `ragd ask --json` prints it too.
type AskResponse struct {
	Answer    string         `json:"answer"`
	Abstained bool           `json:"abstained"`
	Citations []CitationJSON `json:"citations"`
	Passages  []HitJSON      `json:"passages"`
	Timings   TimingsJSON    `json:"timings_ms"`
}

// AnswerJSON converts an answer to its wire form.
func AnswerJSON(a qa.Answer) AskResponse {
	out := AskResponse{
		Answer: a.Text, Abstained: a.Abstained,
		Citations: make([]CitationJSON, len(a.Citations)),
		Passages:  HitsJSON(a.Passages),
		Timings: TimingsJSON{
			Retrieve: ms(a.Timings.Retrieve.Seconds()), Answer: ms(a.Timings.Answer.Seconds()), Total: ms(a.Timings.Total.Seconds()),
		},
	}
	for i, c := range a.Citations {
		out.Citations[i] = CitationJSON{
			N: c.N, DocID: c.DocID, ChunkID: c.ChunkID, Title: c.Title, Source: c.Source,
			Published: formatDate(c.Published), Quote: c.Quote, Start: c.Start, End: c.End,
			Highlight: c.Highlight, PostHoc: c.PostHoc,
		}
	}
	return out
}

func ms(seconds float64) float64 { return round(seconds * 1000) }

func (r askRequest) toDomain() (string, qa.Options, error) {
	var opt qa.Options
	if strings.TrimSpace(r.Question) == "" {
		return "", opt, badRequest("question is required")
	}
	if r.K != nil {
		if *r.K < 1 || *r.K > qa.MaxK {
			return "", opt, badRequest("k must be between 1 and %d", qa.MaxK)
		}
		opt.K = *r.K
	}
	f, err := r.Filters.Filter()
	if err != nil {
		return "", opt, badRequest("filters.%v", err)
	}
	opt.Filter = f
	for i, t := range r.History {
		if t.Role != "user" && t.Role != "assistant" {
			return "", opt, badRequest("history[%d].role must be user or assistant", i)
		}
		opt.History = append(opt.History, qa.Turn{Role: t.Role, Content: t.Content})
	}
	return r.Question, opt, nil
}

func (s *Server) ask(c echo.Context) error {
	var req askRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	question, opt, err := req.toDomain()
	if err != nil {
		return err
	}
	ans, err := s.cfg.Answerer.Answer(c.Request().Context(), question, opt)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, AnswerJSON(ans))
}
