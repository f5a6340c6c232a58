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
	"github.com/ragd/ragd/retrieval/weaviate"
)

// runBench is the scale benchmark of a store: for each size it builds a
// synthetic news corpus from the sentences of the benchmark data sets (a
// fixed seed, new ids), ingests it, opens it in a real ragd serve process,
// and measures ingest rate, time to open, search latency by mode and HTTP
// requests per second, and for the embedded store its files and memory per
// chunk. With --store weaviate each size goes into a Weaviate collection of
// its own, <--weaviate-collection>Bench<size>, emptied first and dropped at
// the end unless --keep.
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
		reuse       bool
		seed        uint64
		serveData   string
		questions   string
		settle      time.Duration
	)
	func() {
		defer fs.group("bench")()
		fs.StringVar(&sizes, "sizes", "100000,300000,1000000", "comma-separated corpus sizes, in chunks")
		fs.StringVar(&benchDir, "bench", "", "folder of the benchmark data sets (default ../shared/bench from the working directory or the binary)")
		fs.IntVar(&queries, "queries", 200, "queries per search mode")
		fs.IntVar(&requests, "requests", 2000, "requests of the HTTP load test")
		fs.IntVar(&concurrency, "concurrency", 16, "concurrent clients of the HTTP load test")
		fs.BoolVar(&keep, "keep", false, "keep each corpus's data directory under --data, or with --store weaviate its collection")
		fs.BoolVar(&reuse, "reuse", false, "with --store weaviate: search the collections an earlier --keep run left (same --sizes and --seed, as long as nothing else wrote to them) instead of ingesting them again; the ingest is then not measured, and the collections are kept")
		fs.Uint64Var(&seed, "seed", 1, "seed of the synthetic corpora and of the query sample")
		fs.DurationVar(&settle, "settle", 70*time.Second, "with --store weaviate: how long to wait after the ingest before searching, for Weaviate to flush its memtables (it does after 60 s by default), which BM25 searches several times slower than its segments; 0 searches at once")
		fs.StringVar(&serveData, "serve-data", "", "instead of building corpora, measure ragd serve on this existing data directory: time to open, memory, the HTTP load test")
		fs.StringVar(&questions, "questions", "", "with --serve-data: the load test's queries, a JSONL file with a question, query or text field a line (default: the benchmark questions)")
	}()
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: ragd bench takes no arguments", fs.Arg(0))
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
	if settle < 0 {
		return usagef("--settle %v must not be negative", settle)
	}
	if questions != "" && serveData == "" {
		return usagef("--questions is for the load test of --serve-data")
	}
	if err := sc.validate(); err != nil {
		return usage(err)
	}
	onWeaviate := sc.Store == "weaviate"
	if reuse && !onWeaviate {
		return usagef("--reuse is for --store weaviate, whose corpora take long to build; the embedded store's are rebuilt each run")
	}
	keep = keep || reuse
	if serveData != "" && onWeaviate {
		return usagef("--serve-data measures a data directory of the embedded store; with --store weaviate ragd bench builds its own collections")
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
	// The corpora's data directories, or with Weaviate those of ragd
	// serve, which keeps only its feed registry there.
	root := sc.Data
	if !keep || onWeaviate || root == "" || root == defaultDataDir {
		if root, err = os.MkdirTemp("", "ragd-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(root)
	}
	fmt.Fprintf(e.stdout, "ragd bench: %d sentences, %d questions from %s; %d CPUs, %s\n", len(pool.sentences), len(pool.questions), benchDir, runtime.NumCPU(), runtime.Version())
	var base int64
	if onWeaviate {
		w := sc.Weaviate
		fmt.Fprintf(e.stdout, "Weaviate at %s, consistency %s: a collection %sBench<size> for each size, searched after %s idle (--settle)\n\n",
			w.URL, strings.ToUpper(w.Consistency), w.Collection, settle)
	} else {
		if base, err = serveBaseline(ctx, e, &sc, root); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "ragd serve on an empty store: RSS %s\n\n", mib(base))
	}
	for _, size := range targets {
		t := benchTarget{sc: &sc, emb: emb, dir: filepath.Join(root, "corpus-"+strconv.Itoa(size)), keep: keep, reuse: reuse}
		if onWeaviate {
			t.collection, t.settle = sc.Weaviate.Collection+"Bench"+strconv.Itoa(size), settle
		}
		r, err := benchOne(ctx, e, t, size, pool, qs, seed, requests, concurrency, base)
		if err != nil {
			return fmt.Errorf("bench %d chunks: %w", size, err)
		}
		r.print(e.stdout)
		if !keep {
			_ = os.RemoveAll(t.dir)
		}
	}
	return nil
}

// benchTarget is where benchOne builds a corpus: a data directory of the
// embedded store, or a Weaviate collection.
type benchTarget struct {
	sc  *storeConfig
	emb embedder
	// dir is the data directory; with Weaviate, ragd serve's, which
	// holds only its feed registry.
	dir string
	// collection is the Weaviate collection; "" for the embedded store.
	collection string
	// keep keeps the Weaviate collection after the benchmark.
	keep bool
	// reuse searches the collection a kept run left, without ingesting.
	reuse bool
	// settle is how long Weaviate is left alone between the ingest and
	// the searches.
	settle time.Duration
}

func (t benchTarget) String() string {
	if t.collection != "" {
		return "Weaviate collection " + t.collection
	}
	return t.dir
}

// open opens the target's store, emptied first when fresh. A fresh
// Weaviate collection is dropped on Close unless it is kept.
func (t benchTarget) open(ctx context.Context, e *env, fresh bool) (retrieval.Backend, error) {
	if t.collection == "" {
		if fresh {
			if err := os.RemoveAll(t.dir); err != nil {
				return nil, err
			}
		}
		return local.Open(ctx, t.sc.retrievalConfig(t.dir, t.emb, e))
	}
	if !fresh {
		return weaviate.Open(ctx, t.sc.weaviateConfig(t.collection, t.emb, e))
	}
	st, err := t.sc.openEmptyCollection(ctx, t.collection, t.emb, e)
	switch {
	case err != nil:
		return nil, err
	case t.keep:
		return st, nil
	}
	return droppedOnClose{st}, nil
}

// serveArgs are the flags of ragd serve on the target, other than its
// address: the store's and the embedder's. The API keys go in the
// environment (serveEnv), out of the process list.
func (t benchTarget) serveArgs() []string {
	sc := t.sc
	args := []string{"--data", t.dir}
	if t.collection != "" {
		w := sc.Weaviate
		args = append(args, "--store", "weaviate", "--weaviate-url", w.URL, "--weaviate-collection", t.collection,
			"--weaviate-consistency", w.Consistency, "--weaviate-timeout", w.Timeout.String())
	} else {
		args = append(args, "--store", "local")
	}
	args = append(args, "--embedder", sc.Embedder, "--embed-timeout", sc.EmbedTimeout.String())
	for _, f := range []struct{ name, value string }{{"model-path", sc.ModelPath}, {"embed-url", sc.EmbedURL}, {"embed-model", sc.EmbedModel}} {
		if f.value != "" {
			args = append(args, "--"+f.name, f.value)
		}
	}
	return args
}

// serveEnv is ragd serve's environment: this process's, with the API keys
// given as flags.
func (t benchTarget) serveEnv() []string {
	env := os.Environ()
	if k := t.sc.Weaviate.APIKey; k != "" && t.collection != "" {
		env = append(env, envName("weaviate-api-key")+"="+k)
	}
	if k := t.sc.EmbedAPIKey; k != "" {
		env = append(env, envName("embed-api-key")+"="+k)
	}
	return env
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
	srv, err := startServe(ctx, benchTarget{sc: sc, dir: dir})
	if err != nil {
		return err
	}
	ready := srv.ready
	rss, peak := srv.settledMemory(ctx)
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
	fmt.Fprintf(e.stdout, "  memory          RSS %s once settled after open (peak %s)\n", mib(rss), mib(peak))
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

// benchResult is one size's figures. Those of the data directory and of
// memory are the embedded store's only: Weaviate keeps its data in its own
// processes.
type benchResult struct {
	// collection is the Weaviate collection, "" for the embedded store;
	// kept says it was left in place.
	collection       string
	server           string // the Weaviate version
	kept, reused     bool
	docs, chunks     int
	textBytes        int64
	ingest, compact  time.Duration
	files            int
	diskBytes        int64
	open             time.Duration
	rss, peak, base  int64
	inProcess        map[retrieval.Mode][2]time.Duration // p50, p95
	httpP50, httpP95 time.Duration
	reqPerSec        float64
	httpErrors       int
	concurrency      int
}

func (r benchResult) print(w io.Writer) {
	if r.reused {
		fmt.Fprintf(w, "corpus: %d documents, %d chunks\n", r.docs, r.chunks)
	} else {
		fmt.Fprintf(w, "corpus: %d documents, %d chunks, %s of article text\n", r.docs, r.chunks, mib(r.textBytes))
	}
	total := r.ingest + r.compact
	if r.collection != "" {
		fate := "dropped at the end"
		if r.kept {
			fate = "kept"
		}
		fmt.Fprintf(w, "  collection      %s (%s), Weaviate %s\n", r.collection, fate, r.server)
		if r.reused {
			fmt.Fprintf(w, "  ingest          not measured: the collection of an earlier run (--reuse)\n")
		} else {
			fmt.Fprintf(w, "  ingest          %.0f chunks/s (%s)\n", float64(r.chunks)/total.Seconds(), total.Round(time.Millisecond))
		}
	} else {
		fmt.Fprintf(w, "  ingest          %.0f chunks/s (%s, of which compaction %s)\n", float64(r.chunks)/total.Seconds(), total.Round(time.Millisecond), r.compact.Round(time.Millisecond))
		fmt.Fprintf(w, "  data directory  %d files, %s\n", r.files, mib(r.diskBytes))
	}
	fmt.Fprintf(w, "  open            %s (ragd serve started until /healthz answers)\n", r.open.Round(time.Millisecond))
	if r.rss > 0 {
		beyond := r.rss - r.base - r.textBytes
		fmt.Fprintf(w, "  memory          RSS %s once settled after open (peak %s); %.2f KB a chunk beyond the empty server and the article text\n", mib(r.rss), mib(r.peak), float64(beyond)/float64(r.chunks)/1000)
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
func benchOne(ctx context.Context, e *env, t benchTarget, size int, pool benchText, qs []string, seed uint64, requests, concurrency int, base int64) (r benchResult, err error) {
	r = benchResult{collection: t.collection, kept: t.keep, reused: t.reuse, base: base, concurrency: concurrency, inProcess: map[retrieval.Mode][2]time.Duration{}}
	st, err := t.open(ctx, e, !t.reuse)
	if err != nil {
		return r, err
	}
	// Closing drops a Weaviate collection that is not kept.
	defer func() {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}()
	if v, ok := st.(interface {
		ServerVersion(context.Context) (string, error)
	}); ok {
		if r.server, err = v.ServerVersion(ctx); err != nil {
			return r, err
		}
	}
	if t.reuse {
		stats, err := st.Stats(ctx)
		if err != nil {
			return r, err
		}
		if stats.Chunks < size {
			if wb, ok := st.(*weaviate.Backend); ok && stats.Chunks == 0 {
				st = droppedOnClose{wb} // made by this open: nothing to keep
			}
			return r, fmt.Errorf("--reuse: %s holds %d chunks, not the %d of a kept run; run ragd bench --keep --sizes %d first", t, stats.Chunks, size, size)
		}
		r.docs, r.chunks = stats.Documents, stats.Chunks
	} else if err := t.ingest(ctx, e, st, size, pool, seed, &r); err != nil {
		return r, err
	}
	if t.collection == "" {
		// A data directory is one process's at a time: ragd serve's next.
		err := st.Close()
		if st = nil; err != nil {
			return r, err
		}
		runtime.GC()
		entries, err := os.ReadDir(t.dir)
		if err != nil {
			return r, err
		}
		for _, en := range entries {
			if info, err := en.Info(); err == nil {
				r.files++
				r.diskBytes += info.Size()
			}
		}
	}

	// A real server: time to open, memory, and the HTTP load test.
	srv, err := startServe(ctx, t)
	if err != nil {
		return r, err
	}
	r.open = srv.ready
	if t.collection == "" {
		r.rss, r.peak = srv.settledMemory(ctx)
	}
	r.reqPerSec, r.httpP50, r.httpP95, r.httpErrors = loadTest(ctx, srv.url, qs, requests, concurrency)
	if err := srv.stop(); err != nil {
		return r, err
	}

	// In process, one query at a time, by mode.
	if st == nil {
		if st, err = t.open(ctx, e, false); err != nil {
			st = nil
			return r, err
		}
	}
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

// ingest builds the synthetic corpus of size chunks into st, recording the
// counts and the time it took in r, compacts the embedded store, and with
// Weaviate waits t.settle.
func (t benchTarget) ingest(ctx context.Context, e *env, st retrieval.Backend, size int, pool benchText, seed uint64, r *benchResult) error {
	gen := &corpus{rng: rand.New(rand.NewPCG(seed, uint64(size))), pool: pool.sentences}
	p := newProgress(e, size, "ingesting", "chunks")
	start := time.Now()
	next := func() []retrieval.Document {
		batch := make([]retrieval.Document, ingestBatch)
		for i := range batch {
			batch[i] = gen.doc()
			r.textBytes += int64(len(batch[i].Text) + len(batch[i].Title))
		}
		return batch
	}
	// Two batches in flight, as ragd ingest sends them.
	var err error
	r.docs, r.chunks, err = ingestUntil(ctx, st, size, next, p.add)
	if err != nil {
		return err
	}
	p.finish()
	r.ingest = time.Since(start)
	if c, ok := st.(interface{ Compact(context.Context) error }); ok {
		start = time.Now()
		if err := c.Compact(ctx); err != nil {
			return err
		}
		r.compact = time.Since(start)
	}
	if t.settle > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(t.settle):
		}
	}
	return nil
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
	// log is the file of the process's log; done is closed when the
	// process has exited.
	log  *os.File
	done chan struct{}
}

// serveBaseline is the RSS of ragd serve on an empty store: the model and
// the program, which the per-chunk figure leaves out.
func serveBaseline(ctx context.Context, e *env, sc *storeConfig, root string) (int64, error) {
	dir := filepath.Join(root, "empty")
	defer os.RemoveAll(dir)
	srv, err := startServe(ctx, benchTarget{sc: sc, dir: dir})
	if err != nil {
		return 0, err
	}
	rss, _ := srv.settledMemory(ctx)
	return rss, srv.stop()
}

// startServe starts ragd serve on the target and waits until /healthz
// answers.
func startServe(ctx context.Context, t benchTarget) (*server, error) {
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
	args := append([]string{"serve", "--addr", addr, "--rate-limit", "0"}, t.serveArgs()...)
	// The log goes to a file, not through a pipe that this process would
	// have to drain while it measures; its last line says why a server
	// that exits early failed.
	log, err := os.CreateTemp("", "ragd-bench-serve-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = t.serveEnv()
	cmd.Stdout, cmd.Stderr = nil, log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		log.Close()
		os.Remove(log.Name())
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, log: log, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
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
			return nil, fmt.Errorf("ragd serve on %s did not answer /healthz", t)
		}
		select {
		case <-s.done:
			last := s.lastLogLine()
			_ = s.stop()
			return nil, fmt.Errorf("ragd serve on %s exited: %s", t, last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// lastLogLine is the last line of the server's log.
func (s *server) lastLogLine() string {
	b, _ := os.ReadFile(s.log.Name())
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// memory is the server's resident set size and its peak, from /proc (0
// where there is none).
func (s *server) memory() (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// settledMemory waits until the server's resident set stops changing (by
// under 0.25 % over two seconds, at most a minute): after /healthz answers it
// still builds its story index and gives the garbage of the opening back
// to the system. It returns the settled RSS and the peak so far.
func (s *server) settledMemory(ctx context.Context) (rss, peak int64) {
	rss, peak = s.memory()
	deadline := time.Now().Add(time.Minute)
	for rss > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return rss, peak
		case <-s.done:
			return rss, peak
		case <-time.After(2 * time.Second):
		}
		prev := rss
		rss, peak = s.memory()
		if d := rss - prev; d < prev/400 && -d < prev/400 {
			break
		}
	}
	return rss, peak
}

// stop interrupts the server, waits for it to exit and removes its log.
func (s *server) stop() error {
	defer os.Remove(s.log.Name())
	defer s.log.Close()
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
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
