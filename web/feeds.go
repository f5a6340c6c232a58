package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/feed"
	"github.com/ragd/ragd/retrieval/fetch"
	"github.com/ragd/ragd/retrieval/parse"
)

// Feeds is the set of followed feeds; *feed.Registry is one.
type Feeds interface {
	Add(rawURL string, every time.Duration, now time.Time) (feed.Feed, error)
	Remove(rawURL string) error
	List() ([]feed.Feed, error)
}

// Fetcher reads the article at a URL; *fetch.Client is one.
type Fetcher interface {
	Document(ctx context.Context, rawURL string) (retrieval.Document, error)
}

// feedRoutes registers /api/feeds when the server follows feeds.
func (s *Server) feedRoutes(api *echo.Group) {
	if s.cfg.Feeds == nil {
		return
	}
	api.GET("/feeds", s.listFeeds)
	api.POST("/feeds", s.addFeed)
	api.GET("/feeds/:id", s.getFeed)
	api.DELETE("/feeds/:id", s.removeFeed)
}

// FeedJSON is a followed feed on the wire.
type FeedJSON struct {
	// ID is a short hash of the URL, for the /api/feeds/:id routes.
	ID         string  `json:"id"`
	URL        string  `json:"url"`
	Title      string  `json:"title,omitempty"`
	Every      string  `json:"every"`
	Entries    int     `json:"entries"`
	LastPolled *string `json:"last_polled"`
	NextPoll   *string `json:"next_poll"`
	Failures   int     `json:"failures"`
	LastError  string  `json:"last_error,omitempty"`
}

// FeedsJSON converts feeds to their wire form.
func FeedsJSON(feeds []feed.Feed) []FeedJSON {
	out := make([]FeedJSON, len(feeds))
	for i, f := range feeds {
		out[i] = feedToJSON(f)
	}
	return out
}

func feedToJSON(f feed.Feed) FeedJSON {
	return FeedJSON{
		ID: feedID(f.URL), URL: f.URL, Title: f.Title, Every: f.Every.String(), Entries: f.Entries,
		LastPolled: timeJSON(f.LastPolled), NextPoll: timeJSON(f.NextPoll), Failures: f.Failures, LastError: f.LastError,
	}
}

func timeJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func feedID(u string) string {
	sum := sha256.Sum256([]byte(u))
	return hex.EncodeToString(sum[:6])
}

type feedRequest struct {
	URL   string `json:"url"`
	Every string `json:"every"`
}

func (s *Server) listFeeds(c echo.Context) error {
	feeds, err := s.cfg.Feeds.List()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"feeds": FeedsJSON(feeds)})
}

func (s *Server) addFeed(c echo.Context) error {
	var req feedRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.URL) == "" {
		return badRequest("url is required")
	}
	var every time.Duration
	if req.Every != "" {
		d, err := time.ParseDuration(req.Every)
		if err != nil {
			return badRequest("every %q is not a duration such as 15m", req.Every)
		}
		every = d
	}
	f, err := s.cfg.Feeds.Add(req.URL, every, time.Now())
	if err != nil {
		return feedError(err)
	}
	return c.JSON(http.StatusCreated, feedToJSON(f))
}

// findFeed returns the followed feed with the ID in the path.
func (s *Server) findFeed(c echo.Context) (feed.Feed, error) {
	feeds, err := s.cfg.Feeds.List()
	if err != nil {
		return feed.Feed{}, err
	}
	for _, f := range feeds {
		if feedID(f.URL) == c.Param("id") {
			return f, nil
		}
	}
	return feed.Feed{}, echo.NewHTTPError(http.StatusNotFound, "no followed feed has id "+c.Param("id"))
}

func (s *Server) getFeed(c echo.Context) error {
	f, err := s.findFeed(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, feedToJSON(f))
}

func (s *Server) removeFeed(c echo.Context) error {
	f, err := s.findFeed(c)
	if err != nil {
		return err
	}
	if err := s.cfg.Feeds.Remove(f.URL); err != nil {
		return feedError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"id": feedID(f.URL), "url": f.URL, "deleted": true})
}

// fetchDocument reads the article of POST /api/documents {"url": ...},
// which is stored under its canonical URL.
func (s *Server) fetchDocument(c echo.Context, req documentRequest) (retrieval.Document, error) {
	if s.cfg.Fetcher == nil {
		return retrieval.Document{}, badRequest("this server does not fetch URLs: send title and text")
	}
	if req.ID != "" || req.Title != "" || req.Text != "" || req.Source != "" || req.Published != "" || req.Author != "" {
		return retrieval.Document{}, badRequest("give url alone, or title and text without url: a fetched article's fields come from its page")
	}
	doc, err := s.cfg.Fetcher.Document(c.Request().Context(), req.URL)
	if err != nil {
		return retrieval.Document{}, fetchError(err)
	}
	return doc, nil
}

// feedError maps the feed registry's errors to HTTP errors.
func feedError(err error) error {
	switch {
	case errors.Is(err, feed.ErrExists):
		return echo.NewHTTPError(http.StatusConflict, err.Error())
	case errors.Is(err, feed.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, err.Error())
	case errors.Is(err, feed.ErrInvalid):
		return badRequest("%s", reason(err, feed.ErrInvalid))
	}
	return err
}

// fetchError maps the errors of fetching an article to HTTP errors: the
// client's URL at fault is a 400 or 422, the remote site's failure a 502
// or 504.
func fetchError(err error) error {
	switch {
	case errors.Is(err, fetch.ErrURL), errors.Is(err, fetch.ErrForbiddenAddress):
		return badRequest("%s", err.Error())
	case errors.Is(err, fetch.ErrContentType), errors.Is(err, fetch.ErrTooLarge),
		errors.Is(err, fetch.ErrNoArticle), errors.Is(err, parse.ErrNoText):
		return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return echo.NewHTTPError(http.StatusGatewayTimeout, err.Error())
	case errors.Is(err, context.Canceled):
		return err
	}
	return echo.NewHTTPError(http.StatusBadGateway, err.Error())
}
