package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ragd/ragd/retrieval"
)

func runDelete(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "delete", "ID...")
	var sc storeConfig
	sc.register(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("no ids given: ragd delete ID...")
	}
	sc.existing = true
	st, _, err := sc.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	// Every id is tried: one that is not there does not keep the others.
	var missing []string
	for _, id := range fs.Args() {
		err := st.Delete(ctx, id)
		switch {
		case errors.Is(err, retrieval.ErrNotFound):
			missing = append(missing, strconv.Quote(id))
			continue
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", id)
	}
	switch {
	case len(missing) == fs.NArg():
		return fmt.Errorf("not found: no document with id %s", strings.Join(missing, ", "))
	case len(missing) > 0:
		return fmt.Errorf("not found: no document with id %s; the other ids were deleted", strings.Join(missing, ", "))
	}
	return nil
}
