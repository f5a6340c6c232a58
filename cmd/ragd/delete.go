package main

import (
	"context"
	"errors"
	"fmt"
)

func runDelete(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "delete", "ID...")
	var sc storeConfig
	sc.register(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("no ids given: ragd delete ID...")
	}
	st, _, err := sc.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, id := range fs.Args() {
		if err := st.Delete(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", id)
	}
	return nil
}
