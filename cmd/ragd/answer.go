package main

import (
	"cmp"
	"context"
	"fmt"

	"github.com/ragd/ragd/embed"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
)

// answerConfig holds the flags of commands that answer questions.
type answerConfig struct {
	AbstainThreshold   float64
	RelevanceThreshold float64
}

func (c *answerConfig) register(fs *flagSet) {
	defer fs.group("answer")()
	// The defaults are the thresholds of the committed answer model; a
	// model that does not load fails when the answerer is built.
	m, _ := qa.DefaultModels()
	fs.Float64Var(&c.AbstainThreshold, "abstain-threshold", m.Answerable.Threshold,
		"extractive answers: evidence (the answer model's probability, 0-1) below which ragd answers that the articles do not say; 0 never abstains")
	fs.Float64Var(&c.RelevanceThreshold, "relevance-threshold", m.Relevance.Threshold,
		"both modes: probability (0-1) that the passages are about the question below which ragd refuses without calling a model; 0 never refuses")
}

func (c *answerConfig) validate() error {
	if !(c.AbstainThreshold >= 0 && c.AbstainThreshold <= 1) {
		return fmt.Errorf("--abstain-threshold %g must be between 0 and 1", c.AbstainThreshold)
	}
	if !(c.RelevanceThreshold >= 0 && c.RelevanceThreshold <= 1) {
		return fmt.Errorf("--relevance-threshold %g must be between 0 and 1", c.RelevanceThreshold)
	}
	return nil
}

// apply sets the answer flags on a qa configuration. A threshold of zero
// means never abstain, so it is passed as the smallest positive value.
func (c *answerConfig) apply(cfg *qa.Config) {
	cfg.AbstainThreshold = cmp.Or(c.AbstainThreshold, 1e-12)
	cfg.RelevanceThreshold = cmp.Or(c.RelevanceThreshold, 1e-12)
}

// openAnswerer validates the answer and model flags (lc may be nil: no
// model), opens the index and builds the answerer over it. The caller
// closes the store.
func openAnswerer(ctx context.Context, e *env, sc *storeConfig, ac *answerConfig, lc *llmConfig) (retrieval.Backend, *qa.Answerer, error) {
	if err := ac.validate(); err != nil {
		return nil, nil, usage(err)
	}
	if lc != nil {
		if err := lc.validate(); err != nil {
			return nil, nil, usage(err)
		}
	}
	st, emb, err := sc.openStore(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	cfg := qa.Config{Retriever: sc.retriever(st), Embedder: emb}
	openWords(&cfg, emb)
	ac.apply(&cfg)
	if lc != nil {
		if err := lc.apply(&cfg); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	answerer, err := qa.New(cfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, answerer, nil
}

// openWords gives the answerer the word vectors of soft matching when the
// embedder has them (GloVe).
func openWords(cfg *qa.Config, emb embedder) {
	if g, ok := emb.(*embed.GloVe); ok {
		cfg.Words = g
	}
}
