// Package articles loads the news articles in the repository's
// testdata/articles for the tests and benchmarks of the retrieval packages.
package articles

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Dir returns the directory of the articles: testdata/articles at the
// repository root.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "articles")
}

// Load reads the articles, by file name.
func Load(tb testing.TB) map[string]string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(Dir(), "*.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) == 0 {
		tb.Fatalf("no articles in %s", Dir())
	}
	out := make(map[string]string, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(p)] = string(b)
	}
	return out
}

// Corpus returns the articles concatenated in name order and repeated, cut
// at the last line break before size bytes.
func Corpus(tb testing.TB, size int) string {
	tb.Helper()
	articles := Load(tb)
	names := make([]string, 0, len(articles))
	for name := range articles {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for b.Len() < size {
		for _, name := range names {
			b.WriteString(articles[name])
			b.WriteString("\n\n")
		}
	}
	text := b.String()[:size]
	return text[:strings.LastIndexByte(text, '\n')+1]
}
