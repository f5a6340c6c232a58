// Package web serves ragd's JSON API and chat page over HTTP with Echo.
package web

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/ragd/ragd/retrieval"
)

// DefaultMaxBody is the default limit on request bodies, in bytes.
const DefaultMaxBody = 10 << 20

// Searcher ranks chunks for a query.
type Searcher interface {
	Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error)
}

// Writer adds and removes documents.
type Writer interface {
	Ingest(ctx context.Context, docs []retrieval.Document) ([]retrieval.IngestResult, error)
	Delete(ctx context.Context, id string) error
}

// Reader reads stored documents.
type Reader interface {
	Get(ctx context.Context, id string) (retrieval.StoredDocument, error)
	List(ctx context.Context, offset, limit int) ([]retrieval.DocumentInfo, int, error)
}

// Config holds what the server needs.
type Config struct {
	Searcher Searcher
	Writer   Writer
	Reader   Reader
	// Answerer answers questions; required.
	Answerer Answerer
	// MaxBody limits request bodies in bytes; zero means DefaultMaxBody.
	MaxBody int64
	// Logger logs requests that fail on the server side. Nil discards.
	Logger *slog.Logger
	// Heartbeat is the interval of keep-alive comments in event streams;
	// zero means DefaultHeartbeat.
	Heartbeat time.Duration
	// Fetcher reads articles for POST /api/documents {"url": ...}; nil
	// refuses URLs.
	Fetcher Fetcher
	// Feeds serves /api/feeds; nil leaves the routes out.
	Feeds Feeds
}

// Server is ragd's HTTP handler.
type Server struct {
	cfg  Config
	echo *echo.Echo
}

// New builds the server and registers every route.
func New(cfg Config) *Server {
	cfg.MaxBody = cmp.Or(cfg.MaxBody, DefaultMaxBody)
	cfg.Heartbeat = cmp.Or(cfg.Heartbeat, DefaultHeartbeat)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{cfg: cfg, echo: e}
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit(strconv.FormatInt(cfg.MaxBody, 10) + "B"))
	s.routes()
	return s
}

// routes registers every route in one place.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	api := e.Group("/api")
	api.POST("/documents", s.createDocument)
	api.GET("/documents", s.listDocuments)
	api.GET("/documents/:id", s.getDocument)
	api.DELETE("/documents/:id", s.deleteDocument)
	api.POST("/search", s.search)
	api.POST("/ask", s.ask)
	s.feedRoutes(api)
	v1 := e.Group("/v1")
	v1.POST("/chat/completions", s.chatCompletions)
	v1.GET("/models", s.listModels)
	s.pageRoutes()
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
