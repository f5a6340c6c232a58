package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/chunk"
	"github.com/ragd/ragd/retrieval/local"
)

// runBench is the scale benchmark of the embedded store: for each size it
// builds a synthetic news corpus from the sentences of the benchmark data
// sets (a fixed seed, new ids), ingests it, opens it in a real ragd serve
// process, and measures ingest rate, time to open, memory per chunk, search
// latency by mode and HTTP requests per second.
func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bench", "")
	var sc storeConfig
	sc.register(fs)
	var (
		sizes       string
		benchDir    string
		queries     int
		requests    int
		concurrency int
		keep        bool
		seed        uint64
		serveData   string
		questions   string
	)
	func() {
		defer fs.group("bench")()
		fs.StringVar(&sizes, "sizes", "100000,300000,1000000", "comma-separated corpus sizes, in chunks")
		fs.StringVar(&benchDir, "bench", "", "folder of the benchmark data sets (default ../shared/bench from the working directory or the binary)")
		fs.IntVar(&queries, "queries", 200, "queries per search mode")
		fs.IntVar(&requests, "requests", 2000, "requests of the HTTP load test")
		fs.IntVar(&concurrency, "concurrency", 16, "concurrent clients of the HTTP load test")
		fs.BoolVar(&keep, "keep", false, "keep each corpus's data directory under --data")
		fs.Uint64Var(&seed, "seed", 1, "seed of the synthetic corpora and of the query sample")
		fs.StringVar(&serveData, "serve-data", "", "instead of building corpora, measure ragd serve on this existing data directory: time to open, memory, the HTTP load test")
		fs.StringVar(&questions, "questions", "", "with --serve-data: the load test's queries, a JSONL file with a question, query or text field a line (default: the benchmark questions)")
	}()
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: ragd bench takes no arguments", fs.Arg(0))
	}
	if sc.Store != "" && sc.Store != "local" {
		return usagef("ragd bench measures the embedded store (--store local)")
	}
	var targets []int
	for _, f := range strings.Split(sizes, ",") {
		n, err := parseCount(strings.TrimSpace(f))
		if err != nil || n < 1000 {
			return usagef("--sizes: %q is not a size of at least 1000 chunks", f)
		}
		targets = append(targets, n)
	}
	if queries < 1 || requests < 1 || concurrency < 1 {
		return usagef("--queries, --requests and --concurrency must be positive")
	}
	if questions != "" && serveData == "" {
		return usagef("--questions is for the load test of --serve-data")
	}
	if err := sc.validate(); err != nil {
		return usage(err)
	}
	if serveData != "" {
		return benchServe(ctx, e, &sc, serveData, questions, benchDir, requests, concurrency)
	}
	if benchDir == "" {
		benchDir = findBenchDir()
	}
	pool, err := loadBenchText(benchDir)
	if err != nil {
		return err
	}
	qs := sample(pool.questions, queries, seed)
	emb, err := sc.newEmbedder()
	if err != nil {
		return err
	}
	root := sc.Data
	if !keep || root == "" || root == defaultDataDir {
		if root, err = os.MkdirTemp("", "ragd-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(root)
	}
	fmt.Fprintf(e.stdout, "ragd bench: %d sentences, %d questions from %s; %d CPUs, %s\n", len(pool.sentences), len(pool.questions), benchDir, runtime.NumCPU(), runtime.Version())
	base, err := serveBaseline(ctx, e, &sc, root)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ragd serve on an empty store: RSS %s\n\n", mib(base))
	for _, target := range targets {
		dir := filepath.Join(root, "corpus-"+strconv.Itoa(target))
		r, err := benchOne(ctx, e, &sc, emb, dir, target, pool, qs, seed, requests, concurrency, base)
		if err != nil {
			return fmt.Errorf("bench %d chunks: %w", target, err)
		}
		r.print(e.stdout)
		if !keep {
			_ = os.RemoveAll(dir)
		}
	}
	return nil
}

// benchServe measures ragd serve on an existing data directory: the time
// to open it, its memory, and the HTTP load test with the questions of a
// file (or the benchmark questions), in order, cycled, after a pass over
// them that is not counted.
func benchServe(ctx context.Context, e *env, sc *storeConfig, dir, questions, benchDir string, requests, concurrency int) error {
	if !local.Exists(dir) {
		return fmt.Errorf("--serve-data %s: no ragd data directory there", dir)
	}
	var qs []string
	if questions != "" {
		var err error
		if qs, err = readQuestions(questions, "question", "query", "text"); err != nil {
			return fmt.Errorf("--questions: %w", err)
		}
		if len(qs) == 0 {
			return fmt.Errorf("--questions %s: no question, query or text field in it", questions)
		}
	} else {
		if benchDir == "" {
			benchDir = findBenchDir()
		}
		pool, err := loadBenchText(benchDir)
		if err != nil {
			return err
		}
		qs = pool.questions
	}
	srv, err := startServe(ctx, e, sc, dir)
	if err != nil {
		return err
	}
	ready, rss := srv.ready, srv.rss()
	// One pass over the questions first, not counted: the server builds
	// its story index in the background as it starts, and a request's
	// first sentences are analysed and embedded once.
	loadTest(ctx, srv.url, qs, min(len(qs), requests), concurrency)
	perSec, p50, p95, failed := loadTest(ctx, srv.url, qs, requests, concurrency)
	if err := srv.stop(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ragd serve on %s: %d questions; %d CPUs, %s\n", dir, len(qs), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(e.stdout, "  open            %s (ragd serve started until /healthz answers)\n", ready.Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "  memory          RSS %s after open\n", mib(rss))
	fmt.Fprintf(e.stdout, "  /api/search     %.0f req/s at concurrency %d, p50 %s, p95 %s, %d errors (after one pass over the questions)\n", perSec, concurrency, ms(p50), ms(p95), failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d requests failed", failed, requests)
	}
	return nil
}

// parseCount reads 100000, 100k or 1m.
func parseCount(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(strings.ToLower(s), "k"):
		mult, s = 1000, s[:len(s)-1]
	case strings.HasSuffix(strings.ToLower(s), "m"):
		mult, s = 1000000, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	return n * mult, err
}

// findBenchDir looks for ../shared/bench from the working directory and
// from the binary's folder.
func findBenchDir() string {
	cands := []string{filepath.Join("..", "shared", "bench")}
	if exe, err := os.Executable(); err == nil {
		cands = append(cands, filepath.Join(filepath.Dir(exe), "..", "..", "shared", "bench"))
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	return cands[0]
}

// benchText is the material of the synthetic corpora.
type benchText struct {
	sentences []string
	questions []string
}

// loadBenchText reads the sentences of the RealTime QA articles, the SQuAD
// paragraphs and the SciFact abstracts, and the RealTime QA and SQuAD
// questions.
func loadBenchText(dir string) (benchText, error) {
	var t benchText
	for _, rel := range []string{"realtimeqa/ragd/corpus.jsonl", "squad-v1.1/beir/corpus.jsonl", "scifact/corpus.jsonl"} {
		err := eachJSONLine(filepath.Join(dir, rel), func(line []byte) error {
			var d struct{ Text string }
			if err := json.Unmarshal(line, &d); err != nil {
				return err
			}
			for _, sp := range chunk.Sentences(d.Text) {
				s := strings.Join(strings.Fields(d.Text[sp.Start:sp.End]), " ")
				if n := len(strings.Fields(s)); n >= 5 && n <= 80 {
					t.sentences = append(t.sentences, s)
				}
			}
			return nil
		})
		if err != nil {
			return t, fmt.Errorf("read the benchmark data (--bench %s): %w", dir, err)
		}
	}
	for _, q := range []struct{ rel, field string }{{"realtimeqa/ragd/questions.jsonl", "question"}, {"squad-v1.1/beir/queries.jsonl", "text"}} {
		qs, err := readQuestions(filepath.Join(dir, q.rel), q.field)
		if err != nil {
			return t, fmt.Errorf("read the benchmark questions (--bench %s): %w", dir, err)
		}
		t.questions = append(t.questions, qs...)
	}
	if len(t.sentences) == 0 || len(t.questions) == 0 {
		return t, fmt.Errorf("no sentences or questions in %s", dir)
	}
	return t, nil
}

// readQuestions returns, from each line of a JSONL file, the first of
// these fields that holds a non-blank string.
func readQuestions(path string, fields ...string) ([]string, error) {
	var qs []string
	err := eachJSONLine(path, func(line []byte) error {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			return err
		}
		for _, field := range fields {
			if s, ok := m[field].(string); ok && strings.TrimSpace(s) != "" {
				qs = append(qs, s)
				break
			}
		}
		return nil
	})
	return qs, err
}

func eachJSONLine(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return sc.Err()
}

func sample(items []string, n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]string, n)
	for i := range out {
		out[i] = items[rng.IntN(len(items))]
	}
	return out
}

// corpus generates the documents of a synthetic corpus: 20 to 60 random
// sentences each, a title made of a sentence's first words, a date in
// 2022-2025.
type corpus struct {
	rng  *rand.Rand
	pool []string
	next int
}

func (c *corpus) doc() retrieval.Document {
	n := 20 + c.rng.IntN(41)
	var b strings.Builder
	for i := range n {
		if i > 0 {
			if c.rng.IntN(6) == 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(c.pool[c.rng.IntN(len(c.pool))])
	}
	words := strings.Fields(c.pool[c.rng.IntN(len(c.pool))])
	title := strings.TrimRight(strings.Join(words[:min(len(words), 10)], " "), ".,;:")
	c.next++
	return retrieval.Document{
		ID:        fmt.Sprintf("bench-%07d", c.next),
		Title:     title,
		Text:      b.String(),
		Source:    "bench",
		Published: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c.rng.IntN(4*365*24)) * time.Hour),
	}
}

// benchResult is one size's figures.
type benchResult struct {
	docs, chunks     int
	textBytes        int64
	ingest, compact  time.Duration
	files            int
	diskBytes        int64
	open             time.Duration
	rss, base        int64
	inProcess        map[retrieval.Mode][2]time.Duration // p50, p95
	httpP50, httpP95 time.Duration
	reqPerSec        float64
	httpErrors       int
	concurrency      int
}

func (r benchResult) print(w io.Writer) {
	fmt.Fprintf(w, "corpus: %d documents, %d chunks, %s of article text\n", r.docs, r.chunks, mib(r.textBytes))
	total := r.ingest + r.compact
	fmt.Fprintf(w, "  ingest          %.0f chunks/s (%s, of which compaction %s)\n", float64(r.chunks)/total.Seconds(), total.Round(time.Millisecond), r.compact.Round(time.Millisecond))
	fmt.Fprintf(w, "  data directory  %d files, %s\n", r.files, mib(r.diskBytes))
	fmt.Fprintf(w, "  open            %s (ragd serve started until /healthz answers)\n", r.open.Round(time.Millisecond))
	if r.rss > 0 {
		beyond := r.rss - r.base - r.textBytes
		fmt.Fprintf(w, "  memory          RSS %s after open; %.2f KB a chunk beyond the empty server and the article text\n", mib(r.rss), float64(beyond)/float64(r.chunks)/1000)
	}
	for _, m := range []retrieval.Mode{retrieval.Hybrid, retrieval.Lexical, retrieval.Dense} {
		p := r.inProcess[m]
		fmt.Fprintf(w, "  search %-8s in process p50 %s, p95 %s\n", m, ms(p[0]), ms(p[1]))
	}
	fmt.Fprintf(w, "  /api/search     %.0f req/s at concurrency %d, p50 %s, p95 %s, %d errors\n\n", r.reqPerSec, r.concurrency, ms(r.httpP50), ms(r.httpP95), r.httpErrors)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
func mib(n int64) string        { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// benchOne builds, ingests and measures one corpus.
func benchOne(ctx context.Context, e *env, sc *storeConfig, emb embedder, dir string, target int, pool benchText, qs []string, seed uint64, requests, concurrency int, base int64) (benchResult, error) {
	r := benchResult{base: base, concurrency: concurrency, inProcess: map[retrieval.Mode][2]time.Duration{}}
	if err := os.RemoveAll(dir); err != nil {
		return r, err
	}
	st, err := local.Open(ctx, sc.retrievalConfig(dir, emb, e))
	if err != nil {
		return r, err
	}
	gen := &corpus{rng: rand.New(rand.NewPCG(seed, uint64(target))), pool: pool.sentences}
	p := newProgress(e, target, "ingesting", "chunks")
	start := time.Now()
	for r.chunks < target {
		batch := make([]retrieval.Document, ingestBatch)
		for i := range batch {
			batch[i] = gen.doc()
			r.textBytes += int64(len(batch[i].Text) + len(batch[i].Title))
		}
		res, err := st.Ingest(ctx, batch)
		if err != nil {
			st.Close()
			return r, err
		}
		n := 0
		for _, x := range res {
			n += x.Chunks
		}
		r.docs += len(batch)
		r.chunks += n
		p.add(n)
	}
	p.finish()
	r.ingest = time.Since(start)
	start = time.Now()
	if err := st.Compact(ctx); err != nil {
		st.Close()
		return r, err
	}
	r.compact = time.Since(start)
	if err := st.Close(); err != nil {
		return r, err
	}
	st = nil
	runtime.GC()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return r, err
	}
	for _, en := range entries {
		if info, err := en.Info(); err == nil {
			r.files++
			r.diskBytes += info.Size()
		}
	}

	// A real server: time to open, memory, and the HTTP load test.
	srv, err := startServe(ctx, e, sc, dir)
	if err != nil {
		return r, err
	}
	r.open, r.rss = srv.ready, srv.rss()
	r.reqPerSec, r.httpP50, r.httpP95, r.httpErrors = loadTest(ctx, srv.url, qs, requests, concurrency)
	if err := srv.stop(); err != nil {
		return r, err
	}

	// In process, one query at a time, by mode.
	st, err = local.Open(ctx, sc.retrievalConfig(dir, emb, e))
	if err != nil {
		return r, err
	}
	defer st.Close()
	for _, m := range []retrieval.Mode{retrieval.Hybrid, retrieval.Lexical, retrieval.Dense} {
		lat := make([]time.Duration, 0, len(qs))
		for _, q := range qs {
			t0 := time.Now()
			if _, err := st.Search(ctx, retrieval.SearchRequest{Query: q, K: 10, Mode: m}); err != nil && !errors.Is(err, retrieval.ErrInvalid) {
				return r, err
			}
			lat = append(lat, time.Since(t0))
		}
		r.inProcess[m] = [2]time.Duration{quantile(lat, 0.5), quantile(lat, 0.95)}
	}
	return r, nil
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// server is a ragd serve process started by the benchmark.
type server struct {
	cmd   *exec.Cmd
	url   string
	ready time.Duration
}

// serveBaseline is the RSS of ragd serve on an empty store: the model and
// the program, which the per-chunk figure leaves out.
func serveBaseline(ctx context.Context, e *env, sc *storeConfig, root string) (int64, error) {
	dir := filepath.Join(root, "empty")
	defer os.RemoveAll(dir)
	srv, err := startServe(ctx, e, sc, dir)
	if err != nil {
		return 0, err
	}
	rss := srv.rss()
	return rss, srv.stop()
}

// startServe starts ragd serve on dir and waits until /healthz answers.
func startServe(ctx context.Context, e *env, sc *storeConfig, dir string) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"serve", "--data", dir, "--addr", addr, "--rate-limit", "0"}
	if sc.ModelPath != "" {
		args = append(args, "--model-path", sc.ModelPath)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	// Left nil, the log goes to the null device, not through a pipe
	// that this process would have to drain.
	cmd.Stdout, cmd.Stderr = nil, nil
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr}
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ready = time.Since(start)
				return s, nil
			}
		}
		if time.Since(start) > 10*time.Minute || ctx.Err() != nil {
			_ = s.stop()
			return nil, fmt.Errorf("ragd serve on %s did not answer /healthz", dir)
		}
		if cmd.ProcessState != nil {
			return nil, fmt.Errorf("ragd serve on %s exited", dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rss is the server's resident set size, from /proc (0 where there is
// none).
func (s *server) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (s *server) stop() error {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
		return errors.New("ragd serve did not stop within 30 s")
	}
}

// loadTest sends requests hybrid searches from concurrency clients and
// returns the throughput, the latency quantiles and the failures.
func loadTest(ctx context.Context, url string, qs []string, requests, concurrency int) (perSec float64, p50, p95 time.Duration, failed int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}, Timeout: time.Minute}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	next := make(chan int)
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for i := range next {
				body, _ := json.Marshal(map[string]any{"query": qs[i%len(qs)], "k": 10})
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/search", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				if !ok {
					failed++
				}
				mu.Unlock()
			}
		})
	}
	for i := range requests {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	client.CloseIdleConnections()
	return float64(requests) / elapsed.Seconds(), quantile(lat, 0.5), quantile(lat, 0.95), failed
}
