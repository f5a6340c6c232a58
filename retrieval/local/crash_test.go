package local_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	chromem "github.com/philippgille/chromem-go"

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

// chunkFiles returns chromem-go's chunk files in dir, without the
// collection's metadata file.
func chunkFiles(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "vectors", "*", "*.gob"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		if filepath.Base(p) != "00000000.gob" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatal("no chunk files")
	}
	return out
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

func TestOpenRecomputesLostVectors(t *testing.T) {
	// chromem-go writes its files in place: a crash can leave a chunk file
	// cut short or empty, a deletion half done, or the collection's
	// metadata file cut short. Opening removes the chunk files that do not
	// decode, writes the metadata again and embeds the lost chunks again
	// from the records.
	dir := t.TempDir()
	st := openStore(t, dir)
	docs := seedDocs(t)
	mustIngest(t, st, docs...)
	want := denseRanking(t, st)
	st.Close()

	clean, log := openLogged(t, dir)
	sameHits(t, denseRanking(t, clean), want)
	if log.Len() != 0 {
		t.Errorf("a clean store logged on opening:\n%s", log)
	}
	clean.Close()

	files := chunkFiles(t, dir)
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], data[:len(data)/2], 0o600); err != nil { // cut short
		t.Fatal(err)
	}
	if err := os.WriteFile(files[1], nil, 0o600); err != nil { // created, never written
		t.Fatal(err)
	}
	if err := os.Remove(files[2]); err != nil { // deleted
		t.Fatal(err)
	}
	meta := filepath.Join(filepath.Dir(files[0]), "00000000.gob")
	if err := os.WriteFile(meta, []byte{0x1f}, 0o600); err != nil { // the collection's, cut short
		t.Fatal(err)
	}

	re, log := openLogged(t, dir)
	if n, _ := re.Len(); n != len(docs) {
		t.Errorf("%d documents after the repair, want %d", n, len(docs))
	}
	sameHits(t, denseRanking(t, re), want)
	if !strings.Contains(log.String(), "removed unreadable vector files") || !strings.Contains(log.String(), "computed lost vectors again") {
		t.Errorf("the repair was not logged:\n%s", log)
	}
	re.Close()

	// The repair was persisted: the next opening has nothing to do.
	again, log := openLogged(t, dir)
	sameHits(t, denseRanking(t, again), want)
	if log.Len() != 0 {
		t.Errorf("opening after the repair logged:\n%s", log)
	}
}

func TestInterruptedUpdateKeepsTheOldVersion(t *testing.T) {
	// An update writes the new vectors, then the record (the commit
	// point). A crash in between leaves the old record with chunk files
	// overwritten by the new version: simulated by copying the files of a
	// store that holds the new version. Opening keeps the old version,
	// with vectors of its own text.
	ctx := context.Background()
	old := retrieval.Document{ID: "brief", Title: "Briefing", Text: strings.Repeat("European leaders discussed peacekeeping troops for Ukraine. ", 60)}
	updated := old
	updated.Text = strings.Repeat("Finance ministers discussed interest rates and inflation. ", 60)

	dirOld, dirNew := t.TempDir(), t.TempDir()
	stOld := openStore(t, dirOld)
	mustIngest(t, stOld, old)
	want := denseRanking(t, stOld)
	stOld.Close()
	stNew := openStore(t, dirNew)
	mustIngest(t, stNew, updated)
	stNew.Close()

	newFiles := chunkFiles(t, dirNew)
	if len(newFiles) < 2 {
		t.Fatalf("%d chunks, want several", len(newFiles))
	}
	for _, f := range newFiles {
		rel, _ := filepath.Rel(dirNew, f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dirOld, rel), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	re, _ := openLogged(t, dirOld)
	got, err := re.Get(ctx, "brief")
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != old.Text {
		t.Fatalf("the document is not the old version after the crash")
	}
	sameHits(t, denseRanking(t, re), want)
}

func TestVectorFilesHoldNoText(t *testing.T) {
	// chromem-go keeps every document it stores in memory: the chunk text,
	// which the records hold, is not stored again there, only a
	// fingerprint of it.
	dir := t.TempDir()
	st := openStore(t, dir)
	docs := seedDocs(t)
	mustIngest(t, st, docs...)
	st.Close()
	for _, f := range chunkFiles(t, dir) {
		d := readChunkFile(t, f)
		if d.Content != "" || len(d.Metadata["text_sha256"]) != 32 || len(d.Embedding) == 0 {
			t.Errorf("%s: content %d bytes, fingerprint %q, %d dimensions; want no content, a fingerprint and a vector", f, len(d.Content), d.Metadata["text_sha256"], len(d.Embedding))
		}
	}
}

func TestOpenAcceptsVectorFilesWithContent(t *testing.T) {
	// Stores written before fingerprints keep the chunk text as the
	// document's content, and no fingerprint: opening one computes nothing
	// again.
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, seedDocs(t)...)
	want := denseRanking(t, st)
	texts := map[string]string{}
	for _, h := range want {
		texts[h.ID] = h.Text
	}
	st.Close()
	for _, f := range chunkFiles(t, dir) {
		d := readChunkFile(t, f)
		delete(d.Metadata, "text_sha256")
		d.Content = texts[d.ID]
		writeChunkFile(t, f, d)
	}
	re, log := openLogged(t, dir)
	sameHits(t, denseRanking(t, re), want)
	if log.Len() != 0 {
		t.Errorf("opening a store with content and no fingerprints logged:\n%s", log)
	}
}

func TestOpenRecomputesAVectorOfTheWrongLength(t *testing.T) {
	// A chunk file that decodes but holds a vector of another length (cut
	// short by hand or by a tool) is treated as lost: its vector is
	// computed again from the record's text, and rankings are whole.
	dir := t.TempDir()
	st := openStore(t, dir)
	mustIngest(t, st, seedDocs(t)...)
	want := denseRanking(t, st)
	st.Close()
	f := chunkFiles(t, dir)[0]
	d := readChunkFile(t, f)
	d.Embedding = d.Embedding[:len(d.Embedding)/2]
	writeChunkFile(t, f, d)
	re, log := openLogged(t, dir)
	sameHits(t, denseRanking(t, re), want)
	if !strings.Contains(log.String(), "computed lost vectors again") {
		t.Errorf("the repair was not reported:\n%s", log)
	}
}

// readChunkFile decodes one of chromem-go's chunk files.
func readChunkFile(t *testing.T, f string) chromem.Document {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var d chromem.Document
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&d); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return d
}

// writeChunkFile replaces one of chromem-go's chunk files, as chromem-go
// writes them.
func writeChunkFile(t *testing.T, f string, d chromem.Document) {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(d); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
