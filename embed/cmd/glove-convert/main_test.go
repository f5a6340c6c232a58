package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ragd/ragd/embed"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"dimensions":2,"words":["a"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" means success
	}{
		{"converts", []string{"../../testdata/tiny.json", filepath.Join(dir, "tiny.bin")}, ""},
		{"usage", []string{"in.json"}, "usage"},
		{"missing input", []string{filepath.Join(dir, "absent.json"), filepath.Join(dir, "x.bin")}, "no such file"},
		{"bad input", []string{bad, filepath.Join(dir, "bad.bin")}, `missing "vectors"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
				}
				if len(tt.args) == 2 {
					if _, err := os.Stat(tt.args[1]); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("output %s left behind after failure (stat: %v)", tt.args[1], err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("run(%q): %v", tt.args, err)
			}
			g, err := embed.LoadGloVe(tt.args[1])
			if err != nil {
				t.Fatalf("LoadGloVe: %v", err)
			}
			if got, want := g.Dim(), 4; got != want {
				t.Errorf("Dim() = %d, want %d", got, want)
			}
		})
	}
}
