package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ragd/ragd/retrieval/local"
)

// errDamaged is the failure of ragd check when it finds damage and was not
// asked to repair it.
var errDamaged = errors.New("damaged entries found")

// runCheck verifies the embedded store's data directory: opening it checks
// every entry's checksum and every vector's; the damaged documents are
// listed, and with --repair embedded again or dropped.
func runCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "check", "")
	var sc storeConfig
	sc.register(fs)
	repair := fs.Bool("repair", false, "embed damaged documents again from their text, drop those whose text is damaged, and compact the data directory")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: ragd check takes no arguments", fs.Arg(0))
	}
	if sc.Store != "" && sc.Store != "local" {
		return usagef("ragd check verifies the embedded store's data directory (--store local); Weaviate checks its own")
	}
	sc.existing = true
	b, _, err := sc.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer b.Close()
	st, ok := b.(*local.Store)
	if !ok {
		return fmt.Errorf("ragd check needs the embedded store, not %T", b)
	}
	docs, chunks := st.Len()
	damage := st.Damaged()
	fmt.Fprintf(e.stdout, "checked %s: %d documents, %d chunks served; %d damaged entries\n", sc.Data, docs, chunks, len(damage))
	for _, d := range damage {
		who := "an unknown document"
		if d.DocID != "" {
			who = fmt.Sprintf("document %q", d.DocID)
		}
		fmt.Fprintf(e.stdout, "damaged: %s in %s at byte %d: %s (repair: %s)\n", who, d.File, d.Offset, d.Reason, d.Repair)
	}
	if len(damage) == 0 {
		return nil
	}
	if !*repair {
		return fmt.Errorf("%w: %d; ragd check --repair --data %s embeds again or drops them", errDamaged, len(damage), sc.Data)
	}
	res, err := st.Repair(ctx)
	if err != nil {
		return err
	}
	if len(res.Reembedded) > 0 {
		fmt.Fprintf(e.stdout, "embedded again: %s\n", strings.Join(res.Reembedded, ", "))
	}
	if len(res.Dropped) > 0 {
		fmt.Fprintf(e.stdout, "dropped (ingest them again): %s\n", strings.Join(res.Dropped, ", "))
	}
	if res.Unknown > 0 {
		fmt.Fprintf(e.stdout, "removed %d damaged stretches of unknown documents\n", res.Unknown)
	}
	docs, chunks = st.Len()
	fmt.Fprintf(e.stdout, "repaired: %d documents, %d chunks\n", docs, chunks)
	return nil
}
