package main

import (
	"os/exec"
	"strings"
	"testing"
)

// layer orders ragd's packages: a package may import only packages of a lower
// layer (cmd -> eval -> web -> qa -> retrieval/feed -> retrieval/local,
// retrieval/weaviate and retrieval/fetch -> retrieval/rank and
// retrieval/parse -> retrieval/chunk -> retrieval/analysis, retrieval/clean
// and retrieval/dedup -> retrieval ->
// embed). Packages of one layer may not import each other: rank and parse
// stand side by side, and no concept package imports the embedded engine,
// so that every backend can use them.
var layer = map[string]int{
	"embed":                           0,
	"retrieval/internal/vecmath":      1,
	"retrieval/internal/articles":     1,
	"retrieval":                       2,
	"retrieval/analysis":              3,
	"retrieval/clean":                 3,
	"retrieval/dedup":                 3,
	"retrieval/parse/pdftest":         3,
	"retrieval/chunk":                 4,
	"retrieval/parse":                 5,
	"retrieval/rank":                  5,
	"retrieval/local":                 6,
	"retrieval/weaviate":              6,
	"retrieval/weaviate/weaviatetest": 6,
	"retrieval/backendtest":           6,
	"retrieval/fetch":                 6,
	"retrieval/feed":                  7,
	"qa":                              8,
	"qa/qatest":                       8,
	"web":                             9,
	"eval":                            10,
	"cmd/ragd":                        11,
	"embed/cmd/glove-convert":         11,
}

func TestPackageDependenciesPointOneWay(t *testing.T) {
	const module = "github.com/ragd/ragd/"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		from, ok := layer[pkg]
		if !ok {
			t.Errorf("package %s has no layer: add it to the table", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			if to, ok := layer[dep]; ok && to >= from {
				t.Errorf("%s (layer %d) imports %s (layer %d): dependencies must point down the layer table", pkg, from, dep, to)
			}
		}
	}
}
