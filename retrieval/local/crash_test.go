package local_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
)

// openLogged opens the store in dir with a logger writing to the returned
// buffer.
func openLogged(t *testing.T, dir string) (*local.Store, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	st, err := local.Open(context.Background(), local.Config{Dir: dir, Embedder: testEmbedder, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { st.Close() })
	return st, &buf
}

// denseRanking is every chunk of st by dense score for a fixed query.
func denseRanking(t *testing.T, st *local.Store) []retrieval.Hit {
	t.Helper()
	_, chunks := st.Len()
	return search(t, st, retrieval.SearchRequest{Query: "peacekeeping troops in Ukraine", Mode: retrieval.Dense, K: chunks})
}

func sameHits(t *testing.T, got, want []retrieval.Hit) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d hits, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Text != want[i].Text || got[i].Score != want[i].Score {
			t.Errorf("hit %d: %s %.6f, want %s %.6f", i, got[i].ID, got[i].Score, want[i].ID, want[i].Score)
		}
	}
}

// only returns the one file of dir matching pattern.
func only(t *testing.T, dir, pattern string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(files) != 1 {
		t.Fatalf("%s: %v, %v; want one file", pattern, files, err)
	}
	return files[0]
}

// copyDir copies the files of a data directory.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

func TestPowerLossKeepsAcknowledgedWrites(t *testing.T) {
	// Each ingest is synced to the log before it returns. A power loss
	// during the next write leaves that write cut at any byte: opening
	// keeps every acknowledged document whole, drops the cut one, cuts
	// the log back, and goes on appending after it.
	dir := t.TempDir()
	st := openStore(t, dir)
	docs := seedDocs(t)
	logPath := only(t, dir, "log-*.ragd")
	var sizes []int64
	for _, d := range docs {
		mustIngest(t, st, d)
		info, err := os.Stat(logPath)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, info.Size())
	}
	st.Close()
	full, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	last := len(docs) - 1
	cuts := []int64{sizes[last-1] + 1, sizes[last] - 1, sizes[last-1] + 13}
	for range 5 {
		cuts = append(cuts, sizes[last-1]+1+rng.Int64N(sizes[last]-sizes[last-1]-1))
	}
	for _, cut := range cuts {
		crashed := copyDir(t, dir)
		if err := os.WriteFile(filepath.Join(crashed, filepath.Base(logPath)), full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		re, log := openLogged(t, crashed)
		if n, _ := re.Len(); n != last {
			t.Errorf("cut at %d: %d documents, want %d", cut, n, last)
		}
		for _, d := range docs[:last] {
			got, err := re.Get(context.Background(), d.ID)
			if err != nil || got.Text != d.Text {
				t.Errorf("cut at %d: acknowledged document %s lost: %v", cut, d.ID, err)
			}
		}
		if _, err := re.Get(context.Background(), docs[last].ID); !errors.Is(err, retrieval.ErrNotFound) {
			t.Errorf("cut at %d: the cut write was served: %v", cut, err)
		}
		if !strings.Contains(log.String(), "a write cut short") || len(re.Damaged()) != 0 {
			t.Errorf("cut at %d: logged %q, damage %v; want the cut reported and no damage", cut, log, re.Damaged())
		}
		mustIngest(t, re, docs[last])
		re.Close()
		again, log := openLogged(t, crashed)
		if n, _ := again.Len(); n != len(docs) || log.Len() != 0 {
			t.Errorf("cut at %d: after ingesting again, %d documents and log %q; want %d and nothing", cut, n, log, len(docs))
		}
		again.Close()
	}
}

func TestInterruptedCompactionKeepsTheGeneration(t *testing.T) {
	// Compaction writes the next generation beside the current one and
	// switches ragd.json to it last. A crash before the switch leaves
	// files of the next generation, cut anywhere: opening ignores and
	// removes them.
	dir := t.TempDir()
	st := openStore(t, dir)
	docs := seedDocs(t)
	mustIngest(t, st, docs[:3]...)
	if err := st.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, st, docs[3:]...)
	want := denseRanking(t, st)
	st.Close()

	next := copyDir(t, dir)
	st = openStore(t, next)
	if err := st.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	crashed := copyDir(t, dir)
	for _, pattern := range []string{"snapshot-*.ragd", "vectors-*.chromem"} {
		newer := only(t, next, pattern)
		data, err := os.ReadFile(newer)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crashed, filepath.Base(newer)), data[:len(data)/2], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(crashed, "snapshot-9.ragd.tmp"), []byte("cut"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := len(mustReadDir(t, crashed))
	re, log := openLogged(t, crashed)
	sameHits(t, denseRanking(t, re), want)
	if len(re.Damaged()) != 0 || log.Len() != 0 {
		t.Errorf("damage %v, log %q; want none", re.Damaged(), log)
	}
	if after := len(mustReadDir(t, crashed)); after != before-3 {
		t.Errorf("%d files after opening, want the 3 of the interrupted compaction removed from %d", after, before)
	}
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// flip inverts one byte of a file.
func flip(t *testing.T, path string, off int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBitRotQuarantinesOneDocument(t *testing.T) {
	// A byte flipped inside a stored document's text, in the snapshot or
	// in the log, is found by the entry's checksum: that document, named,
	// is neither searched nor served, the others are, and Repair drops
	// it. Ingesting it again brings it back.
	for _, where := range []string{"snapshot-*.ragd", "log-*.ragd"} {
		t.Run(where, func(t *testing.T) {
			dir := t.TempDir()
			st := openStore(t, dir)
			docs := seedDocs(t)
			mustIngest(t, st, docs...)
			if where == "snapshot-*.ragd" {
				if err := st.Compact(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()
			victim := docs[2]
			path := only(t, dir, where)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			at := bytes.Index(data, []byte(victim.Text[100:160]))
			if at < 0 {
				t.Fatal("the document's text is not in the file")
			}
			flip(t, path, at+10)

			re, log := openLogged(t, dir)
			damage := re.Damaged()
			if len(damage) != 1 || damage[0].DocID != victim.ID || damage[0].Repair != local.RepairDrop {
				t.Fatalf("damage %+v; want %s, to drop", damage, victim.ID)
			}
			if !strings.Contains(log.String(), victim.ID) {
				t.Errorf("the log does not name %s:\n%s", victim.ID, log)
			}
			if n, _ := re.Len(); n != len(docs)-1 {
				t.Errorf("%d documents served, want %d", n, len(docs)-1)
			}
			if _, err := re.Get(context.Background(), victim.ID); !errors.Is(err, retrieval.ErrNotFound) || !strings.Contains(err.Error(), "damaged") {
				t.Errorf("Get(%s) = %v, want not found because damaged", victim.ID, err)
			}
			for _, h := range denseRanking(t, re) {
				if h.DocID == victim.ID {
					t.Fatalf("a damaged document's chunk was served: %s", h.ID)
				}
			}
			res, err := re.Repair(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Dropped, []string{victim.ID}) || len(res.Reembedded) != 0 {
				t.Errorf("Repair = %+v, want %s dropped", res, victim.ID)
			}
			re.Close()
			again, log := openLogged(t, dir)
			if len(again.Damaged()) != 0 || log.Len() != 0 {
				t.Errorf("after the repair: damage %v, log %q", again.Damaged(), log)
			}
			mustIngest(t, again, victim)
			if n, _ := again.Len(); n != len(docs) {
				t.Errorf("%d documents after ingesting it again, want %d", n, len(docs))
			}
		})
	}
}

func TestDamagedVectorsAreEmbeddedAgain(t *testing.T) {
	// A byte flipped in the vector file breaks one chunk's vector
	// checksum: its document is quarantined, and Repair embeds it again
	// from its text, whole, so that rankings are as before.
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, seedDocs(t)...)
	if err := st.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := denseRanking(t, st)
	st.Close()
	path := only(t, dir, "vectors-*.chromem")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Past chromem-go's type descriptions, inside the vector data. gob
	// writes a float32 as a float64, whose low bytes a float32 does not
	// have: flipping one byte may leave the value as it was, so flip a
	// run of them.
	for i := range 64 {
		flip(t, path, int(info.Size()*3/4)+i)
	}

	re, _ := openLogged(t, dir)
	damage := re.Damaged()
	if len(damage) == 0 {
		t.Fatal("no damage found")
	}
	for _, d := range damage {
		if d.DocID == "" || d.Repair != local.RepairReembed {
			t.Errorf("damage %+v; want a named document to embed again", d)
		}
	}
	res, err := re.Repair(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reembedded) != len(damage) || len(res.Dropped) != 0 {
		t.Errorf("Repair = %+v for damage %+v", res, damage)
	}
	sameHits(t, denseRanking(t, re), want)
	re.Close()
	again, log := openLogged(t, dir)
	sameHits(t, denseRanking(t, again), want)
	if len(again.Damaged()) != 0 || log.Len() != 0 {
		t.Errorf("after the repair: damage %v, log %q", again.Damaged(), log)
	}
}

func TestDataDirectoryHasFewFiles(t *testing.T) {
	// However many documents, the data directory holds ragd.json, LOCK
	// and one generation: snapshot, vector file, log.
	dir := t.TempDir()
	st := openStore(t, dir)
	var docs []retrieval.Document
	for i := range 200 {
		docs = append(docs, retrieval.Document{ID: "doc-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)), Text: strings.Repeat("Peacekeeping troops were discussed in the capital. ", 30+i%5)})
	}
	mustIngest(t, st, docs...)
	if err := st.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustIngest(t, st, retrieval.Document{ID: "late", Text: "A late document about the ceasefire."})
	st.Close()
	var names []string
	for _, e := range mustReadDir(t, dir) {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	if want := []string{"LOCK", "log-1.ragd", "ragd.json", "snapshot-1.ragd", "vectors-1.chromem"}; !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
}

func TestSearchesGoOnDuringCompaction(t *testing.T) {
	// Compaction holds the store for reading: searches, writes and
	// compactions may run together (the race detector checks the rest).
	dir := t.TempDir()
	st := openStore(t, dir)
	docs := seedDocs(t)
	mustIngest(t, st, docs...)
	ctx := context.Background()
	done := make(chan struct{})
	errs := make(chan error, 3)
	go func() {
		defer close(done)
		for range 20 {
			if _, err := st.Search(ctx, retrieval.SearchRequest{Query: "peacekeepers", K: 5}); err != nil {
				errs <- err
				return
			}
		}
	}()
	for i := range 5 {
		if err := st.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		d := docs[i%len(docs)]
		d.Text += " An update."
		mustIngest(t, st, d)
		if err := st.MaybeCompact(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st.Close()
	re, log := openLogged(t, dir)
	if n, _ := re.Len(); n != len(docs) || log.Len() != 0 {
		t.Errorf("%d documents, log %q after compactions; want %d and nothing", n, log, len(docs))
	}
}
