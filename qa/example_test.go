package qa_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ragd/ragd/embed"
	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/local"
)

// Answer a question from an index, with citations that quote the articles.
// Without a language model (Config.LLM) the answer quotes the sentences
// that answer; a question the articles do not answer is refused. The model
// is the GloVe file that make setup writes.
func ExampleAnswerer_Answer() {
	ctx := context.Background()
	glove, err := embed.LoadGloVe("../models/glove-6b-100d.bin")
	if err != nil {
		log.Fatal(err)
	}
	st, err := local.Open(ctx, local.Config{Embedder: glove})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	_, err = st.Ingest(ctx, []retrieval.Document{{
		ID: "harbour", Title: "Harbour froze", Source: "https://news.example/harbour",
		Text: "The harbour in Tromsø froze for the first time in 40 years. Ferries stayed in port for three days.",
	}})
	if err != nil {
		log.Fatal(err)
	}

	answerer, err := qa.New(qa.Config{Retriever: st, Embedder: glove})
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range []string{"How long did the ferries stay in port?", "Who won the football match?"} {
		ans, err := answerer.Answer(ctx, q, qa.Options{})
		if err != nil {
			log.Fatal(err)
		}
		if ans.Abstained {
			fmt.Println(ans.Text)
			continue
		}
		fmt.Println(ans.Text)
		for _, c := range ans.Citations {
			fmt.Printf("[%d] %s: %q\n", c.N, c.DocID, c.Quote)
		}
	}
	// Output:
	// Ferries stayed in port for three days. [1]
	// [1] harbour: "Ferries stayed in port for three days."
	// I could not find this in the indexed articles.
}
