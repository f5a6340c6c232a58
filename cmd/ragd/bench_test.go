package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ragd/ragd/retrieval"
)

// slowIngester stores nothing: each batch takes a random time and counts
// one chunk a document, and the most batches ever in flight are recorded.
type slowIngester struct {
	rng      *rand.Rand
	mu       sync.Mutex
	inFlight atomic.Int32
	most     atomic.Int32
	failAt   int // the batch that fails, 0 for none
	calls    atomic.Int32
}

func (s *slowIngester) Ingest(ctx context.Context, docs []retrieval.Document) ([]retrieval.IngestResult, error) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.most.Load()
		if n <= m || s.most.CompareAndSwap(m, n) {
			break
		}
	}
	s.mu.Lock()
	d := time.Duration(s.rng.IntN(3000)) * time.Microsecond
	s.mu.Unlock()
	time.Sleep(d)
	if call := int(s.calls.Add(1)); call == s.failAt {
		return nil, errors.New("disk full")
	}
	res := make([]retrieval.IngestResult, len(docs))
	for i, doc := range docs {
		res[i] = retrieval.IngestResult{ID: doc.ID, Chunks: 1, Status: retrieval.Added}
	}
	return res, nil
}

// TestIngestUntil checks the benchmark's ingest loop: whatever the timing
// of the store, the same generator gives the same corpus, never more than
// two batches are in flight, every chunk stored is reported, and an error
// is returned after every batch sent has finished.
func TestIngestUntil(t *testing.T) {
	ctx := context.Background()
	// Batches of varying size, from a seeded generator.
	gen := func() func() []retrieval.Document {
		rng := rand.New(rand.NewPCG(7, 7))
		n := 0
		return func() []retrieval.Document {
			batch := make([]retrieval.Document, 5+rng.IntN(20))
			for i := range batch {
				n++
				batch[i] = retrieval.Document{ID: fmt.Sprintf("d%d", n)}
			}
			return batch
		}
	}
	var first [2]int
	for trial := range 8 {
		st := &slowIngester{rng: rand.New(rand.NewPCG(uint64(trial), 1))}
		reported := 0
		docs, chunks, err := ingestUntil(ctx, st, 300, gen(), func(n int) { reported += n })
		if err != nil {
			t.Fatal(err)
		}
		if chunks < 300 || reported != chunks || docs != chunks {
			t.Fatalf("trial %d: %d docs, %d chunks, %d reported; want at least 300 chunks, all reported", trial, docs, chunks, reported)
		}
		if m := st.most.Load(); m > 2 {
			t.Errorf("trial %d: %d batches in flight at once, want at most 2", trial, m)
		}
		if trial == 0 {
			first = [2]int{docs, chunks}
		} else if [2]int{docs, chunks} != first {
			t.Errorf("trial %d: corpus of %d docs, %d chunks; trial 0 had %v", trial, docs, chunks, first)
		}
	}
	st := &slowIngester{rng: rand.New(rand.NewPCG(1, 2)), failAt: 4}
	_, _, err := ingestUntil(ctx, st, 10000, gen(), func(int) {})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("ingestUntil with a failing batch: %v, want disk full", err)
	}
	if n := st.inFlight.Load(); n != 0 {
		t.Errorf("%d batches still in flight after the error", n)
	}
}

// TestBenchLocal runs ragd bench, as a real process, on a small corpus of
// the embedded store and checks each figure it prints, and that --keep
// leaves a data directory of the files reported that ragd opens.
func TestBenchLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("ragd bench takes about twenty seconds")
	}
	if _, err := os.Stat(benchDir); err != nil {
		t.Skipf("no shared benchmarks at %s: %v", benchDir, err)
	}
	requireModel(t)
	model, _ := filepath.Abs(modelPath)
	data := t.TempDir()
	args := []string{"bench", "--sizes", "2000", "--queries", "10", "--requests", "100", "--keep", "--data", data,
		"--bench", benchDir, "--model-path", model}
	out, err := exec.Command(binary(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ragd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("ragd bench:\n%s", out)
	text := string(out)
	c := benchFigure(t, text, `corpus: (\d+) documents, (\d+) chunks`)
	// Never fewer chunks than asked for, and a batch or two more at most.
	if c[0] < 1 || c[1] < 2000 || c[1] > 2000+2*ingestBatch*20 {
		t.Errorf("corpus of %g documents, %g chunks; want at least 2000 chunks", c[0], c[1])
	}
	files := benchFigure(t, text, `data directory +(\d+) files`)[0]
	if files < 1 || files > 10 {
		t.Errorf("%g files in the data directory, want a few", files)
	}
	entries, err := os.ReadDir(filepath.Join(data, "corpus-2000"))
	if err != nil || len(entries) != int(files) {
		t.Errorf("kept data directory: %d entries (%v), the output says %g files", len(entries), err, files)
	}
	if open := benchFigure(t, text, `open +([\d.]+)(?:ms|s)`)[0]; open <= 0 {
		t.Errorf("open %g", open)
	}
	if m := benchFigure(t, text, `memory +RSS ([\d.]+) MiB once settled after open \(peak ([\d.]+) MiB\); ([\d.]+) KB a chunk`); m[0] <= 0 || m[1] < m[0] || m[2] <= 0 {
		t.Errorf("memory: RSS %g MiB, peak %g MiB, %g KB a chunk; want 0 < RSS <= peak and a positive figure a chunk", m[0], m[1], m[2])
	}
	checkBenchFigures(t, text)
	// The kept store opens, undamaged, and holds the corpus.
	code, stdout, stderr := ragd(t, map[string]string{"RAGD_MODEL_PATH": modelPath}, "", "check", "--data", filepath.Join(data, "corpus-2000"))
	if code != 0 {
		t.Fatalf("check of the kept store: exit %d: %s", code, stderr)
	}
	if want := fmt.Sprintf("%d documents, %d chunks served; 0 damaged", int(c[0]), int(c[1])); !strings.Contains(stdout, want) {
		t.Errorf("check of the kept store: %s; want %q", stdout, want)
	}
}

// benchFigure returns the numbers that pattern's groups match in ragd
// bench's output, failing the test when no line matches.
func benchFigure(t *testing.T, out, pattern string) []float64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no line matching %q in the output", pattern)
	}
	var fs []float64
	for _, s := range m[1:] {
		f, _ := strconv.ParseFloat(s, 64)
		fs = append(fs, f)
	}
	return fs
}

// checkBenchFigures checks the figures ragd bench prints for any store: a
// positive ingest rate, the in-process latencies of each mode, and a load
// test without errors.
func checkBenchFigures(t *testing.T, out string) {
	t.Helper()
	if rate := benchFigure(t, out, `ingest +(\d+) chunks/s`)[0]; rate <= 0 {
		t.Errorf("ingest rate %g chunks/s, want a positive one", rate)
	}
	checkSearchFigures(t, out)
}

// checkSearchFigures checks the search latencies and the load test of a
// ragd bench run's output.
func checkSearchFigures(t *testing.T, out string) {
	t.Helper()
	for _, mode := range []string{"hybrid", "lexical", "dense"} {
		f := benchFigure(t, out, `search `+mode+` +in process p50 ([\d.]+) ms, p95 ([\d.]+) ms`)
		if f[0] <= 0 || f[1] < f[0] {
			t.Errorf("%s search: p50 %g ms, p95 %g ms; want 0 < p50 <= p95", mode, f[0], f[1])
		}
	}
	f := benchFigure(t, out, `/api/search +(\d+) req/s at concurrency 16, p50 ([\d.]+) ms, p95 ([\d.]+) ms, (\d+) errors`)
	if f[0] <= 0 || f[1] <= 0 || f[2] < f[1] || f[3] != 0 {
		t.Errorf("load test: %g req/s, p50 %g ms, p95 %g ms, %g errors; want positive figures and 0 errors", f[0], f[1], f[2], f[3])
	}
}
