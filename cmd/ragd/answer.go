package main

import (
	"fmt"

	"github.com/ragd/ragd/qa"
)

// answerConfig holds the flags of commands that answer questions.
type answerConfig struct {
	AbstainThreshold float64
}

func (c *answerConfig) register(fs *flagSet) {
	fs.Float64Var(&c.AbstainThreshold, "abstain-threshold", qa.DefaultAbstainThreshold,
		"evidence score (0-1) below which ragd answers that the articles do not say")
}

func (c *answerConfig) validate() error {
	if c.AbstainThreshold < 0 || c.AbstainThreshold > 1 {
		return fmt.Errorf("--abstain-threshold %g must be between 0 and 1", c.AbstainThreshold)
	}
	return nil
}

// apply sets the answer flags on a qa configuration. A threshold of zero
// means never abstain, so it is passed as the smallest positive value.
func (c *answerConfig) apply(cfg *qa.Config) {
	cfg.AbstainThreshold = c.AbstainThreshold
	if cfg.AbstainThreshold == 0 {
		cfg.AbstainThreshold = 1e-12
	}
}
