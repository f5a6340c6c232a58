package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandFlags is one command's flags, as completion needs them.
type commandFlags struct {
	command
	flags []*flag.Flag
}

// inspectCommands reads every command's flags from the command itself: it
// runs each with an env whose inspect hook records the flag set in place
// of parsing it, so the flags completed are exactly the flags taken.
func inspectCommands(ctx context.Context, e *env) []commandFlags {
	var out []commandFlags
	for _, c := range commands() {
		cf := commandFlags{command: c}
		probe := *e
		probe.stdout, probe.stderr = io.Discard, io.Discard
		probe.inspect = func(fs *flagSet) {
			fs.VisitAll(func(fl *flag.Flag) { cf.flags = append(cf.flags, fl) })
		}
		if err := c.run(ctx, &probe, nil); err != nil && !errors.Is(err, errInspected) {
			// A command that fails before its flags are parsed
			// gets no flag completion, only files.
			cf.flags = nil
		}
		out = append(out, cf)
	}
	return out
}

func runCompletion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "completion", "bash|zsh")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("give one shell: ragd completion bash, or ragd completion zsh")
	}
	cmds := inspectCommands(ctx, e)
	switch fs.Arg(0) {
	case "bash":
		writeBashCompletion(e.stdout, cmds)
	case "zsh":
		writeZshCompletion(e.stdout, cmds)
	default:
		return usagef("no completion for shell %q: give bash or zsh", fs.Arg(0))
	}
	return nil
}

// isBool reports whether fl takes no value.
func isBool(fl *flag.Flag) bool {
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func writeBashCompletion(w io.Writer, cmds []commandFlags) {
	var names []string
	for _, c := range cmds {
		names = append(names, c.name)
	}
	fmt.Fprintf(w, `# bash completion for ragd. Load it with
#   source <(ragd completion bash)
# or save it as ~/.local/share/bash-completion/completions/ragd.
_ragd() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	if [[ $COMP_CWORD -eq 1 ]]; then
		COMPREPLY=($(compgen -W "%s help" -- "$cur"))
		return
	fi
	local flags="" valued=""
	case ${COMP_WORDS[1]} in
`, strings.Join(names, " "))
	for _, c := range cmds {
		var flags, valued []string
		for _, fl := range c.flags {
			flags = append(flags, "--"+fl.Name)
			if !isBool(fl) {
				valued = append(valued, "--"+fl.Name)
			}
		}
		fmt.Fprintf(w, "\t%s) flags=%q valued=%q ;;\n", c.name, strings.Join(flags, " "), strings.Join(valued, " "))
	}
	fmt.Fprintf(w, `	help) COMPREPLY=($(compgen -W "%s" -- "$cur")); return ;;
	esac
	if [[ ${COMP_WORDS[1]} == completion ]]; then
		COMPREPLY=($(compgen -W "bash zsh" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
		return
	fi
	# A flag's value, or an argument: file names.
	COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -o bashdefault -F _ragd ragd
`, strings.Join(names, " "))
}

func writeZshCompletion(w io.Writer, cmds []commandFlags) {
	fmt.Fprint(w, `#compdef ragd
# zsh completion for ragd. Load it with
#   source <(ragd completion zsh)
# or save it as _ragd in a folder of $fpath.
_ragd() {
	local -a commands
	commands=(
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "\t\t%s\n", zshQuote(c.name+":"+strings.ReplaceAll(c.summary, ":", `\:`)))
	}
	fmt.Fprint(w, `	)
	if (( CURRENT == 2 )); then
		_describe 'command' commands
		return
	fi
	local cmd=$words[2]
	shift words
	(( CURRENT-- ))
	case $cmd in
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "\t%s)\n\t\t_arguments -s", c.name)
		for _, fl := range c.flags {
			_, usage := flag.UnquoteUsage(fl)
			spec := "--" + fl.Name + "[" + zshEscape(firstClause(usage)) + "]"
			if !isBool(fl) {
				spec += ":" + fl.Name + ":_files"
			}
			fmt.Fprintf(w, " \\\n\t\t\t%s", zshQuote(spec))
		}
		switch c.name {
		case "completion":
			fmt.Fprint(w, " \\\n\t\t\t'1:shell:(bash zsh)'")
		default:
			fmt.Fprint(w, " \\\n\t\t\t'*:argument:_files'")
		}
		fmt.Fprint(w, "\n\t\t;;\n")
	}
	fmt.Fprint(w, `	help)
		_describe 'command' commands
		;;
	esac
}
if [[ $funcstack[1] == _ragd ]]; then
	_ragd "$@"
else
	compdef _ragd ragd
fi
`)
}

// firstClause is a flag's usage up to its first ';' or '(', for zsh's
// one-line descriptions.
func firstClause(usage string) string {
	if i := strings.IndexAny(usage, ";("); i > 0 {
		usage = usage[:i]
	}
	return strings.TrimSpace(usage)
}

// zshEscape escapes the characters _arguments gives a meaning to in a
// description.
func zshEscape(s string) string {
	return strings.NewReplacer(`[`, `\[`, `]`, `\]`, `:`, `\:`).Replace(s)
}

// zshQuote quotes s for zsh in single quotes.
func zshQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
