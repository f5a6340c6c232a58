package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// hostGuard refuses a request whose Host header names neither a loopback
// host, nor the address the request arrived at, nor an allowed host, with
// 421 Misdirected Request. A web page that rebinds its own name to
// 127.0.0.1 reaches ragd with its name in Host, and is refused.
type hostGuard struct {
	exact    map[string]bool
	suffixes []string // ".example.org" for "*.example.org"
	any      bool
}

// ValidateHost checks an entry of Config.AllowedHosts: a host name or IP
// address without a port, "*.domain" for a domain's sub-domains, or "*"
// for any host.
func ValidateHost(h string) error {
	h = strings.TrimSpace(h)
	if h == "*" {
		return nil
	}
	name := strings.TrimPrefix(h, "*.")
	if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		return nil
	}
	if name == "" || strings.ContainsAny(name, "*/:@ ?#[]") {
		return fmt.Errorf("allowed host %q is not a host name without a port, *.domain or *", h)
	}
	return nil
}

// newHostGuard builds the guard for allowed, whose entries ValidateHost
// accepts.
func newHostGuard(allowed []string) *hostGuard {
	g := &hostGuard{exact: make(map[string]bool)}
	for _, h := range allowed {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
		case h == "*":
			g.any = true
		case strings.HasPrefix(h, "*."):
			g.suffixes = append(g.suffixes, h[1:])
		default:
			g.exact[strings.Trim(h, "[]")] = true
		}
	}
	return g
}

// allows reports whether a request's Host is acceptable.
func (g *hostGuard) allows(r *http.Request) bool {
	// Browsers always send a Host; an HTTP/1.0 probe may send none.
	if g.any || r.Host == "" {
		return true
	}
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || g.exact[host] {
		return true
	}
	for _, s := range g.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	// The address the client connected to: a name can be rebound, the
	// server's own address in Host cannot come from another site.
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ap, err := netip.ParseAddrPort(la.String()); err == nil && ap.Addr().Unmap() == ip.Unmap() {
			return true
		}
	}
	return false
}

func (g *hostGuard) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !g.allows(c.Request()) {
			return echo.NewHTTPError(http.StatusMisdirectedRequest,
				fmt.Sprintf("host %q is not served here: use localhost or a host given to --allowed-hosts", c.Request().Host))
		}
		return next(c)
	}
}

// cors returns the CORS middleware for origins, or nil when none are
// listed: without it browsers refuse other origins' reads, and their
// JSON writes, which need a preflight, never start.
func cors(origins []string) echo.MiddlewareFunc {
	if len(origins) == 0 {
		return nil
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  origins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete},
		AllowHeaders:  []string{echo.HeaderContentType, echo.HeaderAuthorization, echo.HeaderXRequestID, echo.HeaderAccept},
		ExposeHeaders: []string{echo.HeaderXRequestID, echo.HeaderRetryAfter},
		MaxAge:        600,
	})
}
