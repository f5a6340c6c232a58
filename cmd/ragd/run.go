package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// env is the process environment seen through a lookup function.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	logger *slog.Logger
}

// command is one subcommand of ragd.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"ingest", "add files, folders, JSONL corpora or URLs to the index", runIngest},
		{"delete", "remove documents by id", runDelete},
		{"search", "rank passages for a query", runSearch},
		{"ask", "answer a question with cited passages", runAsk},
		{"serve", "serve the JSON API and the chat page, and poll the followed feeds", runServe},
		{"feeds", "follow RSS, Atom and JSON feeds: add, list, remove", runFeeds},
		{"embed", "embed lines of stdin, one JSON array per line", runEmbed},
		{"eval", "measure retrieval and answer quality on a question set or BEIR data", runEval},
		{"train", "fit the answer models on the public benchmarks' choosing splits", runTrain},
	}
}

// errUsage marks an error whose message is a usage text already printed.
var errUsage = errors.New("usage")

// run executes ragd with args (without the program name) and returns the
// process exit code. Errors are printed as one line on stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{
		getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr,
		logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(getenv("RAGD_LOG_LEVEL"))})),
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		}
		fmt.Fprintf(stderr, "ragd %s: %v\n", c.name, oneLine(err))
		return 1
	}
	fmt.Fprintf(stderr, "ragd: unknown command %q (run 'ragd help')\n", args[0])
	return 2
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ragd COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'ragd COMMAND -h' for its flags. Every flag can also be set")
	fmt.Fprintln(w, "by an environment variable RAGD_<FLAG>, e.g. RAGD_DATA for --data.")
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
