package embed_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ragd/ragd/embed"
)

// ExampleConvert converts a tiny vocabulary in the wink JSON format, loads it
// and embeds three texts; the last has no known word and gets the fallback
// vector along the last dimension.
func ExampleConvert() {
	dir, err := os.MkdirTemp("", "glove")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.bin")
	if err := convertFile("testdata/tiny.json", path); err != nil {
		fmt.Println(err)
		return
	}

	g, err := embed.LoadGloVe(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	vecs, err := g.Embed(context.Background(), []string{"The King", "king", "xyzzy 42"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.Name(), g.Dim(), len(vecs))
	fmt.Printf("%.2f\n", vecs[2])
	// Output:
	// glove-6b-4d-sif 4 3
	// [0.00 0.00 0.00 1.00]
}

func convertFile(in, out string) error {
	r, err := os.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := embed.Convert(r, w); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// ExampleLoadGloVe loads the model that `make setup` writes; without it the
// error says how to get it.
func ExampleLoadGloVe() {
	g, err := embed.LoadGloVe(filepath.Join(os.TempDir(), "no-such-dir", embed.DefaultModelPath))
	if err != nil {
		fmt.Println(errors.Is(err, embed.ErrModelMissing))
		return
	}
	fmt.Println(g.Name())
	// Output: true
}
