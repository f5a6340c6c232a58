package weaviate

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/backendtest"
	"github.com/ragd/ragd/retrieval/parse"
	"github.com/ragd/ragd/retrieval/weaviate/weaviatetest"
)

// clusterEnv makes the cluster's background work fast enough for a test:
// memtables flush after a second idle (BM25 scores are exact only over
// flushed segments) and async replication compares replicas every second
// and propagates objects a second old.
var clusterEnv = []string{
	"PERSISTENCE_MEMTABLES_FLUSH_DIRTY_AFTER_SECONDS=1",
	"ASYNC_REPLICATION_FREQUENCY=1s",
	"ASYNC_REPLICATION_FREQUENCY_WHILE_PROPAGATING=1s",
	"ASYNC_REPLICATION_ALIVE_NODES_CHECKING_FREQUENCY=1s",
	"ASYNC_REPLICATION_PROPAGATION_DELAY=1s",
}

// TestClusterSurvivesNodeLoss runs three weaviate-server processes with
// ragd's collections replicated three times, kills one with SIGKILL and
// checks that searches through the others keep answering with the same
// hits, that ingest keeps working at QUORUM, and that the node, restarted,
// catches up with what was written while it was down.
func TestClusterSurvivesNodeLoss(t *testing.T) {
	ctx := context.Background()
	nodes := weaviatetest.StartCluster(t, 3, clusterEnv...)
	emb := embed.NewHashing(64)
	open := func(n *weaviatetest.Node) *Backend {
		b, err := Open(ctx, Config{URL: n.URL(), Collection: "Cluster", Replicas: 3, Consistency: "QUORUM", Embedder: emb, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatalf("Open on %s: %v", n.Name, err)
		}
		return b
	}
	b0 := open(nodes[0])
	b1, b2 := open(nodes[1]), open(nodes[2])
	if !b1.replicated {
		t.Fatal("the collection is not replicated")
	}

	docs := backendtest.Corpus()
	paths, _ := filepath.Glob("../../testdata/articles/*.txt")
	for _, p := range paths {
		ds, err := parse.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, ds...)
	}
	if _, err := b0.Ingest(ctx, docs); err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	time.Sleep(3 * time.Second) // memtables flushed: scores final
	queries := []string{"harbour dockworkers pay", "telescope mirror comet", "tram line passengers", "frost orchards cider", "library volunteers roof", "election", "market prices"}
	search := func(b *Backend, q string) ([]string, error) {
		hits, err := b.Search(ctx, retrieval.SearchRequest{Query: q, K: 10, RecencyWeight: -1})
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.ID)
		}
		return ids, err
	}
	want := map[string][]string{}
	for _, q := range queries {
		ids, err := search(b1, q)
		if err != nil || len(ids) == 0 {
			t.Fatalf("search %q before the loss: %v, %v", q, ids, err)
		}
		want[q] = ids
	}

	nodes[0].Kill()
	lost := time.Now()
	var searches, failures, different int
	for round := 0; round < 3; round++ {
		for i, q := range queries {
			b := []*Backend{b1, b2}[i%2]
			ids, err := search(b, q)
			searches++
			switch {
			case err != nil:
				failures++
				t.Errorf("search %q with a node down: %v", q, err)
			case !slices.Equal(ids, want[q]):
				different++
				t.Errorf("search %q with a node down: got %v, want %v", q, ids, want[q])
			}
		}
	}
	late := retrieval.Document{ID: "late", Title: "Written during the outage", Source: "Gazette",
		Text: "The lighthouse keeper logged a passing zeppelin while one database node was down."}
	if _, err := b1.Ingest(ctx, []retrieval.Document{late}); err != nil {
		t.Fatalf("Ingest with a node down: %v\n%s log:\n%s", err, nodes[1].Name, tail(nodes[1].Log(), 6000))
	}
	if ids, err := search(b2, "lighthouse zeppelin"); err != nil || len(ids) == 0 || ids[0] != "late#0" {
		t.Errorf("search for the document written during the outage: %v, %v", ids, err)
	}
	if err := b2.Delete(ctx, "tram"); err != nil {
		t.Errorf("Delete with a node down: %v", err)
	}
	t.Logf("node down %s: %d searches, %d errors, %d with other hits", time.Since(lost).Round(time.Millisecond), searches, failures, different)

	restarted := time.Now()
	nodes[0].Restart()
	// The restarted node's own replicas catch up: the object written
	// while it was down appears, the deleted one goes.
	deadline := time.Now().Add(90 * time.Second)
	for {
		has := localObject(t, nodes[0], b1.chunks, chunkUUID("late#0"))
		gone := !localObject(t, nodes[0], b1.chunks, chunkUUID("tram#0"))
		if has && gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has not caught up 90s after its restart (has the new chunk: %v, deleted chunk gone: %v)", nodes[0].Name, has, gone)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("caught up %s after the restart", time.Since(restarted).Round(time.Millisecond))
	b0 = open(nodes[0])
	if ids, err := search(b0, "lighthouse zeppelin"); err != nil || len(ids) == 0 || ids[0] != "late#0" {
		t.Errorf("search through the restarted node: %v, %v", ids, err)
	}
}

// localObject reports whether the node's own replica holds the object.
func localObject(tb testing.TB, n *weaviatetest.Node, class string, id fmt.Stringer) bool {
	tb.Helper()
	url := fmt.Sprintf("%s/v1/objects/%s/%s?node_name=%s", n.URL(), class, id, n.Name)
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
