// Package fetch downloads web pages for ingestion without letting a URL
// reach the machine's own network: every connection's address is checked
// after DNS resolution, on every redirect, before a byte is sent.
package fetch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults applied when a Config field is zero.
const (
	// DefaultTimeout bounds one fetch, redirects and body included.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxBytes is the largest body read; a longer one is refused.
	DefaultMaxBytes = 10 << 20
	// DefaultMaxRedirects is how many redirects one fetch follows.
	DefaultMaxRedirects = 5
	// DefaultPerHost is how many requests run at once against one host.
	DefaultPerHost = 2
	// DefaultUserAgent names ragd to the sites it reads.
	DefaultUserAgent = "ragd/1.0 (news ingestion; +https://github.com/ragd/ragd)"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrForbiddenAddress reports a URL that resolves to a loopback,
	// private, link-local, metadata or otherwise non-public address.
	ErrForbiddenAddress = errors.New("address not allowed")
	// ErrTooLarge reports a body over the size limit.
	ErrTooLarge = errors.New("response too large")
	// ErrContentType reports a response of a type ragd cannot ingest.
	ErrContentType = errors.New("unsupported content type")
	// ErrStatus reports a response status other than 200 or 304.
	ErrStatus = errors.New("unexpected status")
	// ErrRedirects reports a fetch that redirected too often.
	ErrRedirects = errors.New("too many redirects")
	// ErrURL reports a URL that is not absolute http or https.
	ErrURL = errors.New("not an http or https URL")
)

// Config configures a Client. Zero fields take the defaults above.
type Config struct {
	// AllowPrivate lets requests reach loopback, private and link-local
	// addresses: for tests and intranets.
	AllowPrivate bool
	Timeout      time.Duration
	MaxBytes     int64
	MaxRedirects int
	PerHost      int
	UserAgent    string
	// Accept lists the media types a response may have (for example
	// "text/html"); empty accepts any.
	Accept []string
}

// Client fetches URLs under a Config. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client

	mu    sync.Mutex
	hosts map[string]chan struct{}
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultTimeout)
	cfg.MaxBytes = cmp.Or(cfg.MaxBytes, DefaultMaxBytes)
	cfg.MaxRedirects = cmp.Or(cfg.MaxRedirects, DefaultMaxRedirects)
	cfg.PerHost = cmp.Or(cfg.PerHost, DefaultPerHost)
	cfg.UserAgent = cmp.Or(cfg.UserAgent, DefaultUserAgent)
	c := &Client{cfg: cfg, hosts: make(map[string]chan struct{})}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		// No proxy: a proxy would make the connection's address its own
		// and so bypass the address check.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	c.http = &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return fmt.Errorf("%w: more than %d", ErrRedirects, cfg.MaxRedirects)
			}
			if err := c.checkURL(req.URL); err != nil {
				return err
			}
			req.Header.Set("User-Agent", cfg.UserAgent)
			return nil
		},
	}
	return c
}

// Validators are the cache validators of an earlier response, sent as a
// conditional GET. Zero fields send nothing.
type Validators struct {
	ETag, LastModified string
}

// Response is a fetched body and what describes it.
type Response struct {
	// URL is the final URL, after redirects.
	URL *url.URL
	// MediaType is the Content-Type's media type, lowercase, without
	// parameters; Charset is its charset parameter, if any.
	MediaType, Charset string
	Body               []byte
	// NotModified reports a 304 answer to a conditional GET; Body is then
	// empty.
	NotModified bool
	// Validators are this response's ETag and Last-Modified.
	Validators Validators
}

// Get fetches rawURL, sending v as a conditional GET. A 304 is a Response
// with NotModified set; any status other than 200 and 304 is an error
// wrapping ErrStatus.
func (c *Client) Get(ctx context.Context, rawURL string, v Validators) (*Response, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("fetch %q: %w: %v", rawURL, ErrURL, err)
	}
	if err := c.checkURL(u); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	release, err := c.acquire(ctx, u.Host)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	defer release()

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if len(c.cfg.Accept) > 0 {
		req.Header.Set("Accept", strings.Join(c.cfg.Accept, ", ")+", */*;q=0.1")
	}
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	out := &Response{
		URL:        resp.Request.URL,
		Validators: Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")},
	}
	switch resp.StatusCode {
	case http.StatusNotModified:
		out.NotModified = true
		return out, nil
	case http.StatusOK:
	default:
		return nil, fmt.Errorf("fetch %s: %w: %s", u.Redacted(), ErrStatus, resp.Status)
	}
	out.MediaType, out.Charset = mediaType(resp.Header.Get("Content-Type"))
	if !c.accepts(out.MediaType) {
		return nil, fmt.Errorf("fetch %s: %w %q (want %s)", u.Redacted(), ErrContentType, out.MediaType, strings.Join(c.cfg.Accept, ", "))
	}
	if resp.ContentLength > c.cfg.MaxBytes {
		return nil, fmt.Errorf("fetch %s: %w: %d bytes, over the limit of %d", u.Redacted(), ErrTooLarge, resp.ContentLength, c.cfg.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: read body: %w", u.Redacted(), unwrapURLError(err))
	}
	if int64(len(body)) > c.cfg.MaxBytes {
		return nil, fmt.Errorf("fetch %s: %w: over the limit of %d bytes", u.Redacted(), ErrTooLarge, c.cfg.MaxBytes)
	}
	if out.MediaType == "" {
		out.MediaType, _ = mediaType(http.DetectContentType(body))
		if !c.accepts(out.MediaType) {
			return nil, fmt.Errorf("fetch %s: %w %q (want %s)", u.Redacted(), ErrContentType, out.MediaType, strings.Join(c.cfg.Accept, ", "))
		}
	}
	out.Body = body
	return out, nil
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the
// method and URL already named by Get's own prefix.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func mediaType(ct string) (string, string) {
	if ct == "" {
		return "", ""
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0])), ""
	}
	return mt, params["charset"]
}

func (c *Client) accepts(mt string) bool {
	if len(c.cfg.Accept) == 0 || mt == "" {
		return true
	}
	for _, a := range c.cfg.Accept {
		if a == mt || (strings.HasSuffix(a, "/*") && strings.HasPrefix(mt, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

// checkURL refuses URLs that are not http(s), and, without AllowPrivate,
// those whose host is an address literal that refusePrivate would refuse
// (caught here for a clearer error; names are checked when dialled).
func (c *Client) checkURL(u *url.URL) error {
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q", ErrURL, u.Redacted())
	}
	if u.User != nil {
		return fmt.Errorf("%w: %q carries credentials", ErrURL, u.Redacted())
	}
	if c.cfg.AllowPrivate {
		return nil
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		return checkAddr(ip)
	}
	return nil
}

// acquire takes one of host's concurrency slots, waiting while all are
// taken, and returns the function that gives it back.
func (c *Client) acquire(ctx context.Context, host string) (func(), error) {
	host = strings.ToLower(host)
	c.mu.Lock()
	sem, ok := c.hosts[host]
	if !ok {
		sem = make(chan struct{}, c.cfg.PerHost)
		c.hosts[host] = sem
	}
	c.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// refusePrivate is the dialer's Control hook: it runs for each address a
// name resolved to, just before connecting, and so sees what DNS said on
// this very connection (no check-then-resolve-again race).
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrForbiddenAddress, address)
	}
	return checkAddr(ap.Addr())
}

// blocked are ranges that the IP methods below do not name but a URL must
// not reach either.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),         // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),     // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),      // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),     // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),       // reserved
	netip.MustParsePrefix("64:ff9b::/96"),      // NAT64, which can embed any IPv4 address
	netip.MustParsePrefix("fd00:ec2::254/128"), // EC2's IPv6 metadata service
}

// checkAddr refuses an address that is not public unicast.
func checkAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	kind := ""
	switch {
	case ip.IsLoopback():
		kind = "loopback"
	case ip.IsPrivate():
		kind = "private"
	case ip.IsLinkLocalUnicast():
		kind = "link-local (cloud metadata services live here)"
	case ip.IsUnspecified():
		kind = "unspecified"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		kind = "multicast"
	case !ip.IsGlobalUnicast():
		kind = "not global unicast"
	}
	for _, p := range blocked {
		if kind == "" && p.Contains(ip) {
			kind = "reserved"
		}
	}
	if kind == "" {
		return nil
	}
	return fmt.Errorf("%w: %s is %s (set --fetch-allow-private to allow)", ErrForbiddenAddress, ip, kind)
}
