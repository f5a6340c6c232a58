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
	// Stats, when not nil, counts the documents and chunks of the index
	// for the metrics.
	Stats func(ctx context.Context) (retrieval.Stats, error)

	// Keys, when it holds any, are required on every route but the
	// health check and the chat page's files.
	Keys Keys
	// AllowedHosts are the host names, besides loopback ones and the
	// server's own address, that requests may name in Host; see
	// ValidateHost.
	AllowedHosts []string
	// CORSOrigins are the origins whose pages may call the API; none
	// turns CORS off.
	CORSOrigins []string
	// RateLimit is the sustained number of requests a second allowed to
	// each API key, or each client address without keys; zero means
	// DefaultRate and a negative value turns the limit off.
	RateLimit float64
	// RateBurst is the number of requests a client may send at once;
	// zero means DefaultBurst.
	RateBurst int
	// Timeouts bound the time a request may take.
	Timeouts Timeouts
}

// Server is ragd's HTTP handler.
type Server struct {
	cfg      Config
	echo     *echo.Echo
	metrics  *metrics
	limiters *limiters
}

// New builds the server and registers every route.
func New(cfg Config) *Server {
	cfg.MaxBody = cmp.Or(cfg.MaxBody, DefaultMaxBody)
	cfg.Heartbeat = cmp.Or(cfg.Heartbeat, DefaultHeartbeat)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.RateLimit = cmp.Or(cfg.RateLimit, DefaultRate)
	cfg.RateBurst = cmp.Or(cfg.RateBurst, DefaultBurst)
	cfg.Timeouts = cfg.Timeouts.withDefaults()
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// The client's address is the connection's: X-Forwarded-For and
	// X-Real-IP are written by whoever sends the request.
	e.IPExtractor = echo.ExtractIPDirect()
	s := &Server{cfg: cfg, echo: e, metrics: newMetrics(cfg.Stats)}
	if cfg.RateLimit > 0 {
		s.limiters = newLimiters(cfg.RateLimit, cfg.RateBurst)
	}
	e.HTTPErrorHandler = s.handleError
	// Outermost first: every response, refusals included, is logged and
	// counted; the host is checked before anything else is believed.
	e.Use(s.observe)
	e.Use(middleware.Recover())
	e.Use(newHostGuard(cfg.AllowedHosts).middleware)
	if mw := cors(cfg.CORSOrigins); mw != nil {
		e.Use(mw)
	}
	e.Use(s.rateLimit)
	e.Use(s.authenticate)
	e.Use(s.deadlines)
	e.Use(middleware.BodyLimit(strconv.FormatInt(cfg.MaxBody, 10) + "B"))
	s.routes()
	return s
}

// routes registers every route in one place.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	e.GET("/metrics", s.metrics.handler())
	e.GET("/openapi.json", serveOpenAPI)
	api := e.Group("/api")
	api.POST("/documents", s.createDocument)
	api.GET("/documents", s.listDocuments)
	api.GET("/documents/:id", s.getDocument)
	api.DELETE("/documents/:id", s.deleteDocument)
	s.feedRoutes(api)
	// A question's body needs far less room than a document's: decoding
	// ten megabytes only to refuse the query is work an attacker chooses.
	queryBody := middleware.BodyLimit(strconv.Itoa(MaxQueryBody) + "B")
	api.POST("/search", s.search, queryBody)
	api.POST("/ask", s.ask, queryBody)
	v1 := e.Group("/v1")
	v1.POST("/chat/completions", s.chatCompletions, queryBody)
	v1.GET("/models", s.listModels)
	v1.GET("/models/:id", s.getModel)
	s.pageRoutes()
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
