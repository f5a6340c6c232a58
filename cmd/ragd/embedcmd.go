package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
)

// runEmbed reads lines from stdin and prints each line's vector as a JSON
// array, embedding in batches.
func runEmbed(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "embed", "< LINES")
	var sc storeConfig
	sc.registerEmbedder(fs)
	batchSize := fs.Int("batch", 64, "lines embedded per call")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: ragd embed reads lines from stdin", fs.Arg(0))
	}
	if *batchSize < 1 {
		return usagef("--batch %d must be at least 1", *batchSize)
	}
	if err := sc.validateEmbedder(); err != nil {
		return usage(err)
	}
	emb, err := sc.newEmbedder()
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	sc2 := bufio.NewScanner(e.stdin)
	sc2.Buffer(make([]byte, 1<<20), 16<<20)
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		vs, err := emb.Embed(ctx, batch)
		if err != nil {
			return err
		}
		for _, v := range vs {
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	for sc2.Scan() {
		batch = append(batch, sc2.Text())
		if len(batch) == *batchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc2.Err(); err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	return flush()
}
