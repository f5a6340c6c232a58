package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ragd/ragd/retrieval"
)

// DefaultK is the number of hits returned when a request names none.
const DefaultK = 10

func (s *Server) search(c echo.Context) error {
	var req searchRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	sr, err := req.toDomain()
	if err != nil {
		return err
	}
	hits, err := s.cfg.Searcher.Search(c.Request().Context(), sr)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, SearchResponse{Hits: HitsJSON(hits)})
}

func (r searchRequest) toDomain() (retrieval.SearchRequest, error) {
	out := retrieval.SearchRequest{Query: r.Query, K: DefaultK}
	if strings.TrimSpace(r.Query) == "" {
		return out, badRequest("query is required")
	}
	if err := checkQuery("query", r.Query); err != nil {
		return out, err
	}
	if r.K != nil {
		if *r.K < 1 || *r.K > retrieval.MaxK {
			return out, badRequest("k must be between 1 and %d", retrieval.MaxK)
		}
		out.K = *r.K
	}
	f, err := r.Filters.Filter()
	if err != nil {
		return out, badRequest("filters.%v", err)
	}
	out.Filter = f
	out.KeepDuplicates = r.CollapseDuplicates != nil && !*r.CollapseDuplicates
	if out.Mode, err = retrieval.ParseMode(r.Mode); err != nil {
		return out, err
	}
	if out.Fusion, err = retrieval.ParseFusion(r.Fusion); err != nil {
		return out, err
	}
	if w := r.SentenceWeight; w != nil {
		switch {
		case *w < 0 || *w >= 1:
			return out, badRequest("sentence_weight must be at least 0 and below 1")
		case *w == 0:
			out.SentenceWeight = -1 // off, whatever the server's default
		default:
			out.SentenceWeight = *w
		}
	}
	return out, nil
}
