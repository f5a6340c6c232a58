package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// TestHelpGoesToStdout checks the conventions of tools built on the flag
// package: help on stdout with exit 0, usage errors on stderr with exit 2.
func TestHelpGoesToStdout(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantOut  string // in stdout
		wantErr  string // in stderr
	}{
		{"help", nil, []string{"help"}, 0, "commands:", ""},
		{"--help", nil, []string{"--help"}, 0, "commands:", ""},
		{"-h", nil, []string{"-h"}, 0, "commands:", ""},
		{"help ask", nil, []string{"help", "ask"}, 0, "usage: ragd ask [flags] QUESTION", ""},
		{"ask --help", nil, []string{"ask", "--help"}, 0, "usage: ragd ask [flags] QUESTION", ""},
		{"serve -h", nil, []string{"serve", "-h"}, 0, "--addr", ""},
		{"no command", nil, nil, 2, "", "usage: ragd COMMAND"},
		{"unknown command", nil, []string{"frobnicate"}, 2, "", "unknown command"},
		{"help of an unknown command", nil, []string{"help", "frobnicate"}, 2, "", "unknown command"},
		{"unknown flag", nil, []string{"search", "--nope", "troops"}, 2, "", "flag provided but not defined"},
		{"missing argument", nil, []string{"ask"}, 2, "", "no question given"},
		{"bad flag value", nil, []string{"search", "--fusion", "magic", "troops"}, 2, "", "--fusion"},
		{"bad variable", map[string]string{"RAGD_K": "many"}, []string{"ask", "why?"}, 2, "", "RAGD_K"},
		{"extra argument", nil, []string{"serve", "now"}, 2, "", "unexpected argument"},
		{"no shell", nil, []string{"completion"}, 2, "", "give one shell"},
		{"unknown shell", nil, []string{"completion", "fish"}, 2, "", "fish"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := ragd(t, tt.env, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if tt.wantOut != "" && !strings.Contains(stdout, tt.wantOut) {
				t.Errorf("stdout %q does not hold %q", stdout, tt.wantOut)
			}
			if tt.wantOut == "" && stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if tt.wantErr != "" && !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q does not hold %q", stderr, tt.wantErr)
			}
			if tt.wantErr == "" && stderr != "" {
				t.Errorf("stderr %q, want nothing", stderr)
			}
		})
	}
}

// helpFlags returns the flags that ragd CMD --help lists.
func helpFlags(tb testing.TB, cmd string) map[string]bool {
	tb.Helper()
	code, stdout, stderr := ragd(tb, nil, "", cmd, "--help")
	if code != 0 {
		tb.Fatalf("ragd %s --help: exit %d: %s", cmd, code, stderr)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  --([a-z0-9-]+)`).FindAllStringSubmatch(stdout, -1) {
		flags[m[1]] = true
	}
	return flags
}

// TestEachCommandListsOnlyItsFlags checks that a command takes and lists
// the flags it acts on and no others.
func TestEachCommandListsOnlyItsFlags(t *testing.T) {
	tests := []struct {
		cmd       string
		want, not []string
	}{
		{"ingest", []string{"data", "embedder", "model-path", "chunk-tokens", "chunk-overlap"}, []string{"bm25-k1", "k", "llm-url", "abstain-threshold", "addr"}},
		{"search", []string{"data", "k", "mode", "bm25-k1", "sentence-weight", "from", "json"}, []string{"chunk-tokens", "llm-url", "abstain-threshold", "addr"}},
		{"ask", []string{"data", "k", "bm25-k1", "abstain-threshold", "llm-url", "doc-id", "json"}, []string{"chunk-tokens", "chunk-overlap", "mode", "addr"}},
		{"delete", []string{"data", "embedder"}, []string{"chunk-tokens", "bm25-k1", "k", "llm-url"}},
		{"serve", []string{"addr", "max-body", "data", "chunk-tokens", "bm25-k1", "llm-url", "abstain-threshold"}, []string{"k", "json", "doc-id"}},
		{"embed", []string{"embedder", "model-path", "batch"}, []string{"data", "chunk-tokens", "bm25-k1"}},
		{"eval", []string{"questions", "beir", "chunk-tokens", "bm25-k1", "abstain-threshold", "llm-url"}, []string{"addr", "max-body"}},
		{"version", nil, []string{"data"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			got := helpFlags(t, tt.cmd)
			for _, f := range tt.want {
				if !got[f] {
					t.Errorf("ragd %s --help does not list --%s", tt.cmd, f)
				}
			}
			for _, f := range tt.not {
				if got[f] {
					t.Errorf("ragd %s --help lists --%s, which it does not use", tt.cmd, f)
				}
				// A flag that is not listed is not taken either.
				code, _, stderr := ragd(t, nil, "", tt.cmd, "--"+f, "1", "x")
				if code != 2 || !strings.Contains(stderr, "not defined") {
					t.Errorf("ragd %s --%s 1: exit %d, stderr %q; want 2 and an undefined flag", tt.cmd, f, code, stderr)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := ragd(t, nil, "", "version")
	if code != 0 || !strings.HasPrefix(stdout, "ragd ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, again, _ := ragd(t, nil, "", "--version"); code != 0 || again != stdout {
		t.Errorf("--version: exit %d, %q; want %q", code, again, stdout)
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-02T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	tests := []struct {
		name, ldflags string
		bi            *debug.BuildInfo
		want          string
	}{
		{"from a checkout", "", bi, "ragd devel (0123456789ab, 2026-12-02T10:00:00Z, modified) go1.26.0 "},
		{"release build", "v0.2.0", bi, "ragd v0.2.0 (0123456789ab, 2026-12-02T10:00:00Z, modified) go1.26.0 "},
		{"go install at a version", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.2.0"}}, "ragd v0.2.0 go1.26.0 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionLine(tt.ldflags, tt.bi); !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %q, want it to start with %q", got, tt.want)
			}
		})
	}
}

// TestModelIsFoundFromAnyFolder runs a built ragd from a folder other than
// the checkout, with the model beside the binary, then in the user's data
// directory: both find it without --model-path.
func TestModelIsFoundFromAnyFolder(t *testing.T) {
	requireModel(t)
	model, _ := filepath.Abs(modelPath)
	elsewhere := t.TempDir()
	embed := func(t *testing.T, bin string, env ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(bin, "embed")
		cmd.Dir = elsewhere
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		cmd.Stdin = strings.NewReader("harbour\n")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	link := func(t *testing.T, dir string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(model, filepath.Join(dir, modelFile)); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("nowhere", func(t *testing.T) {
		out, err := embed(t, binary(t), "HOME="+t.TempDir())
		if err == nil || !strings.Contains(out, "make setup") || !strings.Contains(out, filepath.Join(".local", "share", "ragd")) {
			t.Errorf("err %v, output %q; want an error naming the folders searched and make setup", err, out)
		}
	})
	t.Run("beside the binary", func(t *testing.T) {
		dir := t.TempDir()
		bin := filepath.Join(dir, "ragd")
		if err := os.Symlink(binary(t), bin); err != nil {
			t.Fatal(err)
		}
		// The binary is a link: ragd looks beside the file it points to.
		link(t, filepath.Dir(binary(t)))
		defer os.Remove(filepath.Join(filepath.Dir(binary(t)), modelFile))
		if out, err := embed(t, bin, "HOME="+t.TempDir()); err != nil || !strings.HasPrefix(out, "[") {
			t.Errorf("err %v, output %q; want a vector", err, out)
		}
	})
	t.Run("XDG_DATA_HOME", func(t *testing.T) {
		data := t.TempDir()
		link(t, filepath.Join(data, "ragd"))
		if out, err := embed(t, binary(t), "HOME=/nonexistent", "XDG_DATA_HOME="+data); err != nil || !strings.HasPrefix(out, "[") {
			t.Errorf("err %v, output %q; want a vector", err, out)
		}
	})
	t.Run("HOME", func(t *testing.T) {
		home := t.TempDir()
		link(t, filepath.Join(home, ".local", "share", "ragd"))
		if out, err := embed(t, binary(t), "HOME="+home); err != nil || !strings.HasPrefix(out, "[") {
			t.Errorf("err %v, output %q; want a vector", err, out)
		}
	})
}

func TestModelSearchPathOrder(t *testing.T) {
	exe := func() (string, error) { return "/opt/ragd/bin/ragd", nil }
	getenv := func(k string) string {
		return map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "/data"}[k]
	}
	got := modelSearchPath(getenv, exe)
	want := []string{
		"/opt/ragd/bin/" + modelFile,
		"/opt/ragd/models/" + modelFile,
		"/data/ragd/" + modelFile,
		"models/" + modelFile,
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %q, want %q", got, want)
	}
	// A relative XDG_DATA_HOME is ignored, as the specification says.
	getenv = func(k string) string { return map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "rel"}[k] }
	if got := modelSearchPath(getenv, exe)[2]; got != "/home/u/.local/share/ragd/"+modelFile {
		t.Errorf("relative XDG_DATA_HOME: got %q", got)
	}
}

// TestBashCompletion loads the bash script into a real bash and completes
// commands and flags with it.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is required: ", err)
	}
	code, script, stderr := ragd(t, nil, "", "completion", "bash")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	complete := func(line string) []string {
		t.Helper()
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		prog := script + "\nCOMP_WORDS=(" + strings.Join(quoteAll(words), " ") + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "\n_ragd\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command(bash, "--norc", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.Fields(string(out))
	}
	tests := []struct {
		line      string
		want, not []string
	}{
		{"ragd as", []string{"ask"}, []string{"search"}},
		{"ragd ask --ch", nil, []string{"--chunk-tokens"}},
		{"ragd ask --ab", []string{"--abstain-threshold"}, nil},
		{"ragd ingest --ch", []string{"--chunk-tokens", "--chunk-overlap"}, nil},
		{"ragd serve --ad", []string{"--addr"}, nil},
		{"ragd completion ", []string{"bash", "zsh"}, nil},
		{"ragd help se", []string{"search", "serve"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got := complete(tt.line)
			for _, w := range tt.want {
				if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+w+" ") {
					t.Errorf("completions %q lack %q", got, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(" "+strings.Join(got, " ")+" ", " "+w+" ") {
					t.Errorf("completions %q hold %q", got, w)
				}
			}
		})
	}
}

// TestZshCompletion checks the zsh script's syntax with zsh where it is
// installed, and that it offers each command's own flags.
func TestZshCompletion(t *testing.T) {
	code, script, stderr := ragd(t, nil, "", "completion", "zsh")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(script, "#compdef ragd\n") {
		t.Errorf("script does not start with #compdef ragd")
	}
	ask := script[strings.Index(script, "\n\task)"):]
	ask = ask[:strings.Index(ask, ";;")]
	if !strings.Contains(ask, "'--abstain-threshold[") || strings.Contains(ask, "--chunk-tokens") {
		t.Errorf("the ask case does not offer ask's flags only:\n%s", ask)
	}
	if zsh, err := exec.LookPath("zsh"); err == nil {
		cmd := exec.Command(zsh, "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("zsh -n: %v\n%s", err, out)
		}
	}
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = "'" + w + "'"
	}
	return out
}

// TestEveryFlagIsDocumented checks that docs/cli.md names every flag of
// every command, so that the reference cannot fall behind the code.
func TestEveryFlagIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range inspectCommands(context.Background(), &env{getenv: func(string) string { return "" }}) {
		if !strings.Contains(string(doc), "`"+c.name+"`") {
			t.Errorf("docs/cli.md does not name the command %s", c.name)
		}
		for _, fl := range c.flags {
			if !strings.Contains(string(doc), "`--"+fl.Name+"`") && !strings.Contains(string(doc), "`-"+fl.Name+"`") {
				t.Errorf("docs/cli.md does not describe --%s of ragd %s", fl.Name, c.name)
			}
		}
	}
}
