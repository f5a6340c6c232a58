package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ragd/ragd/web"
)

// shutdownGrace is how long in-flight requests may finish after a signal.
const shutdownGrace = 15 * time.Second

// serveConfig holds the flags of serve's HTTP server.
type serveConfig struct {
	Addr           string
	MaxBody        int64
	APIKeysFile    string
	InsecureNoAuth bool
	AllowedHosts   string
	CORSOrigins    string
	RateLimit      float64
	RateBurst      int
	Timeouts       web.Timeouts
	MaxConns       int
	MaxConnsPerIP  int
	DebugAddr      string
}

func (c *serveConfig) register(fs *flagSet) {
	defer fs.group("server")()
	fs.StringVar(&c.Addr, "addr", "localhost:8080", "address to listen on; an address other than loopback needs API keys or --insecure-no-auth")
	fs.Int64Var(&c.MaxBody, "max-body", web.DefaultMaxBody, "largest accepted request body in bytes")
	fs.StringVar(&c.APIKeysFile, "api-keys-file", "", "file of API keys, one `KEY SCOPE` a line (scope read or write); RAGD_API_KEYS may hold more, separated by commas")
	fs.BoolVar(&c.InsecureNoAuth, "insecure-no-auth", false, "serve a non-loopback address without API keys")
	fs.StringVar(&c.AllowedHosts, "allowed-hosts", "", "comma-separated host names requests may name in Host besides loopback ones and the listening address (*.domain for sub-domains, * for any)")
	fs.StringVar(&c.CORSOrigins, "cors-origins", "", "comma-separated origins whose pages may call the API (e.g. https://app.example.org); none turns CORS off")
	fs.Float64Var(&c.RateLimit, "rate-limit", web.DefaultRate, "requests a second allowed to each API key, or each client address without keys; 0 turns the limit off")
	fs.IntVar(&c.RateBurst, "rate-burst", web.DefaultBurst, "requests a client may send at once before --rate-limit applies")
	fs.DurationVar(&c.Timeouts.ReadHeader, "read-header-timeout", web.DefaultReadHeaderTimeout, "time allowed to read a request's header")
	fs.DurationVar(&c.Timeouts.Read, "read-timeout", web.DefaultReadTimeout, "time allowed to read a whole request, body included")
	fs.DurationVar(&c.Timeouts.Write, "write-timeout", web.DefaultWriteTimeout, "time allowed to answer a request (event streams excepted); keep it above twice --llm-timeout")
	fs.DurationVar(&c.Timeouts.Idle, "idle-timeout", web.DefaultIdleTimeout, "time a kept-alive connection may wait for its next request")
	fs.DurationVar(&c.Timeouts.Stream, "stream-timeout", web.DefaultStreamTimeout, "longest an event stream may last")
	fs.IntVar(&c.MaxConns, "max-conns", web.DefaultMaxConns, "most connections served at once")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-client", web.DefaultMaxConnsPerClient, "most connections one client address may hold open")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "loopback address of a second listener serving Go's profiler at /debug/pprof/ (e.g. 127.0.0.1:6060); none when empty")
}

// validate checks the flags, naming the bad one.
func (c *serveConfig) validate() error {
	switch {
	case c.MaxBody < 1:
		return fmt.Errorf("--max-body %d must be positive", c.MaxBody)
	case c.RateLimit < 0:
		return fmt.Errorf("--rate-limit %g must not be negative", c.RateLimit)
	case c.RateBurst < 1:
		return fmt.Errorf("--rate-burst %d must be positive", c.RateBurst)
	case c.MaxConns < 1:
		return fmt.Errorf("--max-conns %d must be positive", c.MaxConns)
	case c.MaxConnsPerIP < 1:
		return fmt.Errorf("--max-conns-per-client %d must be positive", c.MaxConnsPerIP)
	}
	if c.DebugAddr != "" {
		if err := checkDebugAddr(c.DebugAddr); err != nil {
			return err
		}
	}
	for name, d := range map[string]time.Duration{
		"read-header-timeout": c.Timeouts.ReadHeader, "read-timeout": c.Timeouts.Read,
		"write-timeout": c.Timeouts.Write, "idle-timeout": c.Timeouts.Idle, "stream-timeout": c.Timeouts.Stream,
	} {
		if d <= 0 {
			return fmt.Errorf("--%s %v must be positive", name, d)
		}
	}
	for _, h := range splitList(c.AllowedHosts) {
		if err := web.ValidateHost(h); err != nil {
			return fmt.Errorf("--allowed-hosts: %v", err)
		}
	}
	for _, o := range splitList(c.CORSOrigins) {
		if o != "*" && !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			return fmt.Errorf("--cors-origins: %q is not an origin such as https://app.example.org", o)
		}
	}
	return nil
}

// keys reads the API keys of --api-keys-file and RAGD_API_KEYS.
func (c *serveConfig) keys(e *env) (web.Keys, error) {
	var ks web.Keys
	if c.APIKeysFile != "" {
		f, err := os.Open(c.APIKeysFile)
		if err != nil {
			return ks, fmt.Errorf("--api-keys-file: %w", err)
		}
		defer f.Close()
		if ks, err = web.ParseKeys(f); err != nil {
			return ks, fmt.Errorf("--api-keys-file %s: %w", c.APIKeysFile, err)
		}
	}
	if v := e.getenv("RAGD_API_KEYS"); v != "" {
		more, err := web.ParseKeys(strings.NewReader(v))
		if err != nil {
			return ks, fmt.Errorf("RAGD_API_KEYS: %w", err)
		}
		if ks, err = ks.Merge(more); err != nil {
			return ks, fmt.Errorf("--api-keys-file and RAGD_API_KEYS: %w", err)
		}
	}
	return ks, nil
}

// requireLoopback refuses an address that others than this machine can
// reach: an empty host or an unspecified address listens on every
// interface, and a name must resolve to loopback addresses only.
func requireLoopback(ctx context.Context, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %v", addr, err)
	}
	refuse := fmt.Errorf("refusing to serve %s, which is not a loopback address, without API keys: give --api-keys-file or RAGD_API_KEYS, or --insecure-no-auth", addr)
	if host == "" {
		return refuse
	}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return refuse
		}
		return nil
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("--addr %q: %v", addr, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return refuse
		}
	}
	return nil
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "")
	var sc storeConfig
	sc.register(fs)
	sc.registerChunk(fs)
	sc.registerRank(fs)
	var ac answerConfig
	ac.register(fs)
	var lc llmConfig
	lc.register(fs)
	sc.registerCollapse(fs)
	var fc fetchConfig
	fc.register(fs)
	var hc serveConfig
	hc.register(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := hc.validate(); err != nil {
		return usage(err)
	}
	keys, err := hc.keys(e)
	if err != nil {
		return err
	}
	if keys.Len() == 0 && !hc.InsecureNoAuth {
		if err := requireLoopback(ctx, hc.Addr); err != nil {
			return err
		}
	}
	if err := fc.validate(); err != nil {
		return err
	}
	st, answerer, err := openAnswerer(ctx, e, &sc, &ac, &lc)
	if err != nil {
		return err
	}
	defer st.Close()
	news, err := startNews(ctx, e, st, &sc, &fc)
	if err != nil {
		return err
	}
	defer news.stop()
	srv := web.New(web.Config{
		Searcher: sc.retriever(st), Writer: news.writer, Reader: st, Answerer: answerer, Stats: st.Stats,
		MaxBody: hc.MaxBody, Logger: e.logger,
		Keys: keys, AllowedHosts: splitList(hc.AllowedHosts), CORSOrigins: splitList(hc.CORSOrigins),
		RateLimit: rateLimit(hc.RateLimit), RateBurst: hc.RateBurst, Timeouts: hc.Timeouts,
		Fetcher: news.articles, Feeds: news.feeds,
	})
	if hc.DebugAddr != "" {
		stop, err := startDebug(ctx, hc.DebugAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", hc.Addr)
	if err != nil {
		return err
	}
	hs := srv.HTTPServer()
	stats, err := st.Stats(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	e.logger.Info("serving", "addr", "http://"+ln.Addr().String(), "documents", stats.Documents, "chunks", stats.Chunks,
		"embedder", stats.Embedder, "api_keys", keys.Len())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(web.Listen(ln, hc.MaxConns, hc.MaxConnsPerIP)) }()
	// Opening a large store decodes files whose buffers are garbage once
	// it is open: give that memory back to the system now, while the
	// server answers, rather than when the runtime's scavenger gets to it.
	go debug.FreeOSMemory()
	// On Weaviate, draw the term statistics' sample now rather than on
	// the first question.
	if w, ok := st.(interface{ Warm() }); ok {
		w.Warm()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	e.logger.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// rateLimit maps the flag's 0 ("off") to web's negative rate.
func rateLimit(r float64) float64 {
	if r == 0 {
		return -1
	}
	return r
}
