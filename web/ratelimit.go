package web

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// Defaults of the rate limit, per API key or, without keys, per client
// address.
const (
	// DefaultRate is the sustained number of requests a second.
	DefaultRate = 20
	// DefaultBurst is the number of requests that may come at once.
	DefaultBurst = 100
)

// limiterIdle is how long a client's bucket is kept after its last
// request; a full bucket forgotten is the same as a new one.
const limiterIdle = 10 * time.Minute

// limiters holds a token bucket per client.
type limiters struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(perSecond float64, burst int) *limiters {
	return &limiters{limit: rate.Limit(perSecond), burst: burst, buckets: make(map[string]*bucket)}
}

// reserve takes a token from client's bucket. It returns zero when the
// request may go ahead, else how long until it could.
func (l *limiters) reserve(client string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > limiterIdle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > limiterIdle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[client]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[client] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Duration(math.MaxInt64)
	}
	d := r.DelayFrom(now)
	if d > 0 {
		// Refused: the token is not spent.
		r.CancelAt(now)
	}
	return d
}

// clientOf names the bucket of a request: its API key's id when it
// presents a valid key, else its address. An address is the connection's
// own: X-Forwarded-For is not believed, as any client can write it.
func (s *Server) clientOf(r *http.Request) string {
	if secret, ok := bearer(r); ok {
		if k, ok := s.cfg.Keys.lookup(secret); ok {
			return "key:" + k.id
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}

// rateLimit answers 429 with Retry-After once a client has spent its
// bucket. The health check is not limited.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if s.limiters == nil || r.URL.Path == "/healthz" {
			return next(c)
		}
		if wait := s.limiters.reserve(s.clientOf(r), time.Now()); wait > 0 {
			secs := int64(math.Ceil(wait.Seconds()))
			if wait == time.Duration(math.MaxInt64) {
				secs = 60
			}
			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.FormatInt(max(secs, 1), 10))
			return echo.NewHTTPError(http.StatusTooManyRequests, "too many requests: retry after "+strconv.FormatInt(max(secs, 1), 10)+" s")
		}
		return next(c)
	}
}
