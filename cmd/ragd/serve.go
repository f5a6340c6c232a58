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
	sc.registerChunk(fs)
	sc.registerRank(fs)
	var ac answerConfig
	ac.register(fs)
	var lc llmConfig
	lc.register(fs)
	addr := fs.String("addr", "localhost:8080", "address to listen on")
	maxBody := fs.Int64("max-body", web.DefaultMaxBody, "largest accepted request body in bytes")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *maxBody < 1 {
		return usagef("--max-body %d must be positive", *maxBody)
	}
	st, answerer, err := openAnswerer(ctx, e, &sc, &ac, &lc)
	if err != nil {
		return err
	}
	defer st.Close()
	srv := web.New(web.Config{Searcher: st, Writer: st, Reader: st, Answerer: answerer, MaxBody: *maxBody, Logger: e.logger})
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
