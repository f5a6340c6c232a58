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
	// inspect, when set, is given each command's flag set in place of
	// parsing it, and the command returns errInspected: ragd completion
	// reads the flags this way, from the commands' own registration.
	inspect func(*flagSet)
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
		{"check", "verify the data directory's checksums; --repair re-embeds or drops damaged documents", runCheck},
		{"bench", "build large synthetic corpora and measure ingest, open, memory and latency", runBench},
		{"version", "print ragd's version and build", runVersion},
		{"completion", "print a bash or zsh completion script", runCompletion},
	}
}

// summaryOf is the one-line summary of the command name, or "".
func summaryOf(name string) string {
	for _, c := range commands() {
		if c.name == name {
			return c.summary
		}
	}
	return ""
}

// run executes ragd with args (without the program name) and returns the
// process exit code: 0 on success and for help, 2 for a usage error (an
// unknown command, a bad flag or argument), 1 for any other failure.
// Help goes to stdout; errors go to stderr as one line.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{
		getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr,
		logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(getenv("RAGD_LOG_LEVEL"))})),
	}
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name != "help" || len(args) == 1 {
			printUsage(stdout)
			return 0
		}
		// ragd help COMMAND is ragd COMMAND --help.
		name, args = args[1], []string{args[1], "--help"}
	case "-version", "--version":
		name, args = "version", []string{"version"}
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, e, args[1:])
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "ragd %s: %v\n", c.name, oneLine(err))
		if ue := (*usageError)(nil); errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	fmt.Fprintf(stderr, "ragd: unknown command %q (run 'ragd help')\n", name)
	return 2
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "ragd ingests articles, searches them and answers questions with cited passages.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: ragd COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'ragd help COMMAND' or 'ragd COMMAND --help' for its flags. Every flag")
	fmt.Fprintln(w, "can also be set by an environment variable RAGD_<FLAG>, e.g. RAGD_DATA for")
	fmt.Fprintln(w, "--data; RAGD_LOG_LEVEL (debug, info, warn, error) sets the log level.")
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
