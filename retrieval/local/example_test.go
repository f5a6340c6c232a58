package local_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
)

// articles are two short news articles for the examples.
var articles = []retrieval.Document{
	{
		ID: "harbour", Title: "Harbour froze", Source: "https://news.example/harbour",
		Published: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
		Text:      "The harbour in Tromsø froze for the first time in 40 years. Ferries stayed in port for three days.",
	},
	{
		ID: "budget", Title: "Council budget passed", Source: "https://news.example/budget",
		Published: time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC),
		Text:      "The city council passed its budget on Tuesday. Spending on schools rises by four percent.",
	},
}

// Open a store, ingest two articles and search them. An empty Dir keeps the
// index in memory; a directory makes it persistent. The hashing embedder
// needs no model file; ragd's offline default is embed.LoadGloVe.
func ExampleOpen() {
	ctx := context.Background()
	st, err := local.Open(ctx, local.Config{Embedder: embed.NewHashing(256)})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	res, err := st.Ingest(ctx, articles)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res {
		fmt.Println(r.ID, r.Status)
	}

	hits, err := st.Search(ctx, retrieval.SearchRequest{Query: "frozen harbour ferries", K: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hits[0].DocID, "—", hits[0].Title)
	// Output:
	// harbour added
	// budget added
	// harbour — Harbour froze
}

// A search can be lexical, dense or hybrid, and filtered before ranking.
func ExampleStore_Search() {
	ctx := context.Background()
	st, err := local.Open(ctx, local.Config{Embedder: embed.NewHashing(256)})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Ingest(ctx, articles); err != nil {
		log.Fatal(err)
	}

	hits, err := st.Search(ctx, retrieval.SearchRequest{
		Query:  "budget schools",
		K:      5,
		Mode:   retrieval.Lexical,
		Filter: retrieval.Filter{From: time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hits {
		fmt.Println(h.DocID, "—", h.Title)
	}
	// Output:
	// budget — Council budget passed
}
