package main

import (
	"os/exec"
	"strings"
	"testing"
)

// layer orders ragd's packages: a package may import only packages of a lower
// layer (cmd -> web/eval -> qa -> retrieval -> embed).
var layer = map[string]int{
	"embed":                   0,
	"embed/cmd/glove-convert": 5,
	"retrieval":               1,
	"qa":                      2,
	"qa/qatest":               2,
	"web":                     3,
	"eval":                    4,
	"cmd/ragd":                5,
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
				t.Errorf("%s imports %s: dependencies must point down cmd -> web -> qa -> retrieval -> embed", pkg, dep)
			}
		}
	}
}
