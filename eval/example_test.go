package eval_test

import (
	"fmt"

	"github.com/ragd/ragd/eval"
)

func ExampleNormalize() {
	fmt.Println(eval.Normalize("“Not to go to the front line,” he said."))
	// Output: not to go to front line he said
}

func ExampleNDCG() {
	ranked := []string{"d1", "d2", "d3"}
	rel := eval.Relevance{"d2": 1}
	fmt.Printf("nDCG@10 %.4f, recall@10 %.1f, RR %.1f\n",
		eval.NDCG(ranked, rel, 10), eval.Recall(ranked, rel, 10), eval.ReciprocalRank(ranked, rel, 10))
	// Output: nDCG@10 0.6309, recall@10 1.0, RR 0.5
}
