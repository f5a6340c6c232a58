package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ragd/ragd/web"
)

// shutdownGrace is how long in-flight requests may finish after a signal.
const shutdownGrace = 15 * time.Second

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "")
	var sc storeConfig
	sc.register(fs)
	var ac answerConfig
	ac.register(fs)
	var lc llmConfig
	lc.register(fs)
	sc.registerCollapse(fs)
	var fc fetchConfig
	fc.register(fs)
	addr := fs.String("addr", "localhost:8080", "address to listen on")
	maxBody := fs.Int64("max-body", web.DefaultMaxBody, "largest accepted request body in bytes")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *maxBody < 1 {
		return fmt.Errorf("--max-body %d must be positive", *maxBody)
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
	srv := web.New(web.Config{Searcher: sc.retriever(st), Writer: news.writer, Reader: st, Answerer: answerer, MaxBody: *maxBody, Logger: e.logger,
		Fetcher: news.articles, Feeds: news.feeds})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	stats, err := st.Stats(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	e.logger.Info("serving", "addr", "http://"+ln.Addr().String(), "documents", stats.Documents, "chunks", stats.Chunks, "embedder", stats.Embedder)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
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
