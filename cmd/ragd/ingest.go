package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/dedup"
	"github.com/ragd/ragd/retrieval/fetch"
	"github.com/ragd/ragd/retrieval/local"
	"github.com/ragd/ragd/retrieval/parse"
)

// ingestBatch is how many documents are chunked, embedded and stored together.
const ingestBatch = 256

func runIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "ingest", "PATH|URL...")
	var sc storeConfig
	sc.register(fs)
	sc.registerChunk(fs)
	var fc fetchConfig
	fc.register(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("no paths given: ragd ingest PATH|URL... (files, folders, .jsonl corpora or http(s) URLs)")
	}
	if err := fc.validate(); err != nil {
		return err
	}
	var paths, urls []string
	for _, a := range fs.Args() {
		if isURL(a) {
			urls = append(urls, a)
		} else {
			paths = append(paths, a)
		}
	}
	files, err := collectFiles(paths)
	if err != nil {
		return err
	}
	// Fetch every URL before storing anything: a page that cannot be read
	// stops the ingest with nothing half done.
	fetched, err := fetchURLs(ctx, fc.client(fetch.ArticleTypes), urls)
	if err != nil {
		return err
	}
	st, _, err := sc.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	stories, err := loadStories(ctx, st)
	if err != nil {
		return err
	}
	w := dedup.Writer{Index: stories, Next: st}
	sum, err := ingestFiles(ctx, e, w, files)
	if err == nil && len(fetched) > 0 {
		err = ingestFetched(ctx, w, fetched, &sum)
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return fmt.Errorf("interrupted after storing at least %d documents; the same command again stores the rest (stored documents are skipped)", sum.docs)
	}
	if err != nil {
		return err
	}
	if ls, ok := st.(*local.Store); ok {
		// A bulk load leaves the store quick to open: its log folded into
		// the snapshot once it holds an eighth as much.
		if err := ls.MaybeCompact(ctx, 0.125); err != nil {
			return err
		}
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ingested %d documents (%d added, %d updated, %d unchanged, %d chunks written) in %s; index holds %d documents, %d chunks\n",
		sum.docs, sum.added, sum.updated, sum.unchanged, sum.chunks, sum.elapsed.Round(time.Millisecond), stats.Documents, stats.Chunks)
	return nil
}

// ingestSummary counts what an ingest did.
type ingestSummary struct {
	docs, added, updated, unchanged, chunks int
	elapsed                                 time.Duration
}

// count adds the results of one Ingest call.
func (s *ingestSummary) count(res []retrieval.IngestResult) {
	for _, r := range res {
		s.docs++
		switch r.Status {
		case retrieval.Added:
			s.added++
			s.chunks += r.Chunks
		case retrieval.Updated:
			s.updated++
			s.chunks += r.Chunks
		default:
			s.unchanged++
		}
	}
}

// ingester is what ingestion needs from the store.
type ingester interface {
	Ingest(ctx context.Context, docs []retrieval.Document) ([]retrieval.IngestResult, error)
}

// ingestFiles reads files and stores their documents in batches, showing
// progress as a bar on a terminal and as log lines otherwise.
func ingestFiles(ctx context.Context, e *env, st ingester, files []string) (ingestSummary, error) {
	start := time.Now()
	// Files other than JSONL give their document the file's base name as
	// its ID: refuse two such files before anything is stored.
	byID := make(map[string]string)
	for _, f := range files {
		ext := filepath.Ext(f)
		if strings.EqualFold(ext, ".jsonl") {
			continue
		}
		id := strings.TrimSpace(strings.TrimSuffix(filepath.Base(f), ext))
		if first, ok := byID[id]; ok {
			return ingestSummary{}, fmt.Errorf("document id %q comes twice, from %s and from %s: rename one", id, first, f)
		}
		byID[id] = f
	}
	total := 0
	for _, f := range files {
		n, err := countDocuments(f)
		if err != nil {
			return ingestSummary{}, err
		}
		total += n
	}
	prog := newProgress(e, total, "ingesting", "docs")
	var sum ingestSummary
	pipe := newIngestPipe(st, func(res []retrieval.IngestResult) {
		sum.count(res)
		prog.add(len(res))
	})
	batch := make([]retrieval.Document, 0, ingestBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := pipe.send(ctx, batch)
		batch = make([]retrieval.Document, 0, ingestBatch)
		return err
	}
	// origins maps each document ID read so far to where it was read, so
	// that a second document with the same ID is refused rather than
	// silently replacing the first (two folders' "a.txt", or two lines of
	// a corpus).
	type origin struct{ file, line int } // line 0: the whole file
	where := func(o origin) string {
		if o.line > 0 {
			return fmt.Sprintf("%s line %d", files[o.file], o.line)
		}
		return files[o.file]
	}
	origins := make(map[string]origin)
	file := 0
	add := func(d retrieval.Document, line int) error {
		if err := retrieval.ValidateDocument(d); err != nil {
			return err
		}
		id := strings.TrimSpace(d.ID)
		here := origin{file, line}
		if first, ok := origins[id]; ok {
			return fmt.Errorf("document id %q comes twice, from %s and from %s: rename one", id, where(first), where(here))
		}
		origins[id] = here
		batch = append(batch, d)
		if len(batch) == ingestBatch {
			return flush()
		}
		return nil
	}
	for i, path := range files {
		file = i
		if err := readDocuments(path, add); err != nil {
			_ = pipe.wait()
			prog.finish()
			return sum, err
		}
	}
	err := flush()
	if werr := pipe.wait(); err == nil {
		err = werr
	}
	prog.finish()
	sum.elapsed = time.Since(start)
	return sum, err
}

// ingestInFlight is how many batches an ingest pipe keeps in flight.
const ingestInFlight = 2

// ingestPipe ingests batches with up to ingestInFlight of them in flight.
// A store chunks, analyses and embeds a batch before it takes its write
// lock, so the next batch is prepared on every core while the one before
// it is written, synced and indexed. The batches must not share document
// IDs, since they may be stored in either order; ingestFiles never
// repeats one.
type ingestPipe struct {
	st    ingester
	slots chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
	done  func([]retrieval.IngestResult) // called under mu
}

// newIngestPipe returns a pipe into st that calls done with the results of
// each batch stored, one batch at a time.
func newIngestPipe(st ingester, done func([]retrieval.IngestResult)) *ingestPipe {
	return &ingestPipe{st: st, slots: make(chan struct{}, ingestInFlight), done: done}
}

// send ingests batch, which the pipe keeps, once a slot is free. It returns
// the first error of a batch sent before, after which it sends nothing.
func (p *ingestPipe) send(ctx context.Context, batch []retrieval.Document) error {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.mu.Lock()
	err := p.err
	p.mu.Unlock()
	if err != nil {
		<-p.slots
		return err
	}
	p.wg.Go(func() {
		defer func() { <-p.slots }()
		res, err := p.st.Ingest(ctx, batch)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			if p.err == nil {
				p.err = err
			}
			return
		}
		p.done(res)
	})
	return nil
}

// wait waits for the batches in flight and returns the first error.
func (p *ingestPipe) wait() error {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// readDocuments reads the documents of one file, calling fn for each with
// its line in a JSONL file (0 for other files, one document each). Errors
// name the file, and in a JSONL file the line.
func readDocuments(path string, fn func(d retrieval.Document, line int) error) error {
	if strings.EqualFold(filepath.Ext(path), ".jsonl") {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		err = parse.JSONLLines(bufio.NewReaderSize(f, 1<<20), func(line int, d retrieval.Document) error {
			if d.Source == "" {
				d.Source = path
			}
			return fn(d, line)
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("%s: %w", path, err)
		}
		return err
	}
	docs, err := parse.ReadFile(path)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.Source == "" {
			d.Source = path
		}
		if err := fn(d, 0); err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// ingestible are the file extensions ingest reads in folders.
var ingestible = map[string]bool{".txt": true, ".md": true, ".markdown": true, ".html": true, ".htm": true, ".jsonl": true, ".pdf": true}

// collectFiles expands folders into the ingestible files they contain, in
// lexical order, each file once however often it is named. Files named
// explicitly must have an ingestible extension.
func collectFiles(paths []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	keep := func(path string) {
		if path = filepath.Clean(path); !seen[path] {
			seen[path] = true
			out = append(out, path)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if !ingestible[strings.ToLower(filepath.Ext(p))] {
				return nil, fmt.Errorf("%s: %w (want .txt, .md, .html, .pdf or .jsonl)", p, parse.ErrUnsupported)
			}
			keep(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && ingestible[strings.ToLower(filepath.Ext(path))] {
				keep(path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// countDocuments estimates the documents in a file for progress reporting:
// the lines of a JSONL file, one for any other file.
func countDocuments(path string) (int, error) {
	if !strings.EqualFold(filepath.Ext(path), ".jsonl") {
		return 1, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// progress reports the progress of long work: as a bar on a terminal, as
// log lines every 2 s otherwise.
type progress struct {
	e         *env
	what      string
	bar       *progressbar.ProgressBar
	total     int
	done      int
	lastLog   time.Time
	startedAt time.Time
}

// newProgress reports progress towards total units (docs, chunks) of the
// work described.
func newProgress(e *env, total int, what, units string) *progress {
	p := &progress{e: e, total: total, what: what, startedAt: time.Now(), lastLog: time.Now()}
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && total > ingestBatch {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(units),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *progress) add(n int) {
	p.done += n
	if p.bar != nil {
		_ = p.bar.Add(n)
		return
	}
	if time.Since(p.lastLog) >= 2*time.Second {
		p.lastLog = time.Now()
		p.e.logger.Info(p.what, "done", p.done, "total", p.total,
			"per_s", int(float64(p.done)/time.Since(p.startedAt).Seconds()))
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// ingestUntil ingests batches from next, which must not share document
// IDs, until at least size chunks are stored, with two in flight as
// ingestPipe keeps them (but waiting on them in order), and returns the
// documents and chunks stored. Whether to send a batch is decided on the
// batches already stored only (the one in flight is assumed to hold as
// many chunks as the one before it), so the same generator gives the same
// corpus whatever the timing. added is called with each batch's chunks.
func ingestUntil(ctx context.Context, st ingester, size int, next func() []retrieval.Document, added func(chunks int)) (docs, chunks int, err error) {
	type sent struct {
		done         chan struct{}
		docs, chunks int
		err          error
	}
	var batches []*sent
	waited := 0 // batches[:waited] are stored and counted
	// drain waits for every batch, so that none is left running on the
	// store after an error.
	drain := func() {
		for _, b := range batches {
			<-b.done
		}
	}
	settle := func(upto int) error {
		for ; waited < upto; waited++ {
			b := batches[waited]
			<-b.done
			if b.err != nil {
				return b.err
			}
			docs += b.docs
			chunks += b.chunks
			added(b.chunks)
		}
		return nil
	}
	for {
		k := len(batches)
		// At most two in flight: k-1 and the one about to be sent. The
		// first batch is stored alone, to estimate the next.
		upto := max(0, k-1)
		if k == 1 {
			upto = 1
		}
		if err := settle(upto); err != nil {
			drain()
			return docs, chunks, err
		}
		est := chunks
		if waited < k {
			est += batches[k-2].chunks // batch k-1, in flight, like k-2
		}
		if est >= size {
			// The batch in flight may hold fewer chunks than the one
			// before it: once it is stored, go on if it fell short.
			if err := settle(len(batches)); err != nil {
				drain()
				return docs, chunks, err
			}
			if chunks >= size {
				return docs, chunks, nil
			}
			continue
		}
		b := &sent{done: make(chan struct{})}
		batch := next()
		batches = append(batches, b)
		go func() {
			defer close(b.done)
			res, err := st.Ingest(ctx, batch)
			if b.err = err; err == nil {
				b.docs = len(res)
				for _, x := range res {
					b.chunks += x.Chunks
				}
			}
		}()
	}
}
