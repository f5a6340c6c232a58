package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// flagSet is a flag.FlagSet whose flags also read RAGD_<NAME> variables.
// A flag given on the command line wins over its variable.
//
// Flags come in groups: a command registers the groups it uses (the
// register methods of storeConfig, answerConfig, llmConfig and
// filterFlags), so that each command takes, and its help lists, only the
// flags it acts on. A register method starts with
//
//	defer fs.group("title")()
//
// and every flag it registers is listed under that title; a new flag
// belongs in the group of the commands that need it.
type flagSet struct {
	*flag.FlagSet
	e       *env
	name    string
	args    string
	groupOf map[string]string // flag name -> group title
	groups  []string          // group titles in registration order
}

func newFlagSet(e *env, name, argsUsage string) *flagSet {
	fs := flag.NewFlagSet("ragd "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// The flag package calls Usage on every parse error; parse prints the
	// usage itself when it is asked for (-h), to stdout. A mistyped flag
	// gets a one-line error, not the whole list.
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, e: e, name: name, args: argsUsage, groupOf: map[string]string{}}
}

// group starts a group of flags titled title; the function it returns
// ends it, giving the title to every flag registered in between.
func (f *flagSet) group(title string) func() {
	before := map[string]bool{}
	f.VisitAll(func(fl *flag.Flag) { before[fl.Name] = true })
	return func() {
		f.VisitAll(func(fl *flag.Flag) {
			if !before[fl.Name] {
				if _, ok := f.groupOf[fl.Name]; !ok {
					f.groupOf[fl.Name] = title
				}
			}
		})
		if !slices.Contains(f.groups, title) {
			f.groups = append(f.groups, title)
		}
	}
}

// errInspected is what parse returns to a caller that only inspects the
// command's flags (see env.inspect).
var errInspected = errors.New("flags inspected")

// printUsage writes the command's help: what it does, how it is called and
// its flags by group, each with its variable and default.
func (f *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n", strings.TrimSpace("ragd "+f.name+" [flags] "+f.args))
	if s := summaryOf(f.name); s != "" {
		fmt.Fprintf(w, "\n%s%s.\n", strings.ToUpper(s[:1]), s[1:])
	}
	byGroup := map[string][]*flag.Flag{}
	f.VisitAll(func(fl *flag.Flag) { byGroup[f.groupOf[fl.Name]] = append(byGroup[f.groupOf[fl.Name]], fl) })
	for _, title := range append([]string{""}, f.groups...) {
		flags := byGroup[title]
		if len(flags) == 0 {
			continue
		}
		if title == "" {
			title = "flags"
		} else {
			title += " flags"
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		for _, fl := range flags {
			printFlag(w, fl)
		}
	}
	fmt.Fprintln(w, "\nEvery flag can also be set by its variable; a flag on the command line wins.")
}

// printFlag writes one flag's help the way flag.PrintDefaults does, with
// its environment variable, wrapped to fit a terminal.
func printFlag(w io.Writer, fl *flag.Flag) {
	valueName, usage := flag.UnquoteUsage(fl)
	head := "  --" + fl.Name
	if valueName != "" {
		head += " " + valueName
	}
	tail := "$" + envName(fl.Name)
	if !isZeroDefault(fl.DefValue) {
		def := fl.DefValue
		if valueName == "string" {
			def = fmt.Sprintf("%q", def)
		}
		tail = "default " + def + "; " + tail
	}
	fmt.Fprintln(w, head)
	for _, line := range wrap(usage+" ("+tail+")", 72) {
		fmt.Fprintf(w, "      %s\n", line)
	}
}

func isZeroDefault(v string) bool {
	switch v {
	case "", "0", "false", "0s":
		return true
	}
	return false
}

// wrap breaks s into lines of at most width characters at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return "RAGD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse applies environment variables, then the command line. Flags may
// follow positional arguments. -h and --help print the command's help to
// stdout and return flag.ErrHelp; a bad flag or variable is a usage error.
func (f *flagSet) parse(args []string) error {
	if f.e.inspect != nil {
		f.e.inspect(f)
		return errInspected
	}
	var err error
	f.VisitAll(func(fl *flag.Flag) {
		if err != nil {
			return
		}
		if v := f.e.getenv(envName(fl.Name)); v != "" {
			if serr := fl.Value.Set(v); serr != nil {
				err = usagef("%s=%q: %v", envName(fl.Name), v, serr)
			} else if !isFinite(fl) {
				err = usagef("%s=%q must be a finite number", envName(fl.Name), v)
			}
		}
	})
	if err != nil {
		return err
	}
	var positional []string
	for {
		if perr := f.FlagSet.Parse(args); perr != nil {
			if perr == flag.ErrHelp {
				f.printUsage(f.e.stdout)
				return perr
			}
			return usagef("%v (run 'ragd %s --help' for its flags)", perr, f.name)
		}
		rest := f.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			// Parse stopped at "--", which it consumed: all that
			// follows is positional, even "-json".
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if err := f.FlagSet.Parse(append([]string{"--"}, positional...)); err != nil {
		return usage(err)
	}
	return f.finite()
}

// finite refuses a float flag set to NaN or an infinity, which
// strconv.ParseFloat accepts and every range check (a < lo, a > hi) lets
// through.
func (f *flagSet) finite() error {
	var err error
	f.VisitAll(func(fl *flag.Flag) {
		if err == nil && !isFinite(fl) {
			err = usagef("--%s %s must be a finite number", fl.Name, fl.Value)
		}
	})
	return err
}

// isFinite reports whether fl, if it holds a float, holds a finite one.
func isFinite(fl *flag.Flag) bool {
	g, ok := fl.Value.(flag.Getter)
	if !ok {
		return true
	}
	x, ok := g.Get().(float64)
	return !ok || !math.IsNaN(x) && !math.IsInf(x, 0)
}

// usageError is an error in how ragd was called (a flag, a variable, a
// missing or extra argument): ragd exits with status 2, as tools built on
// the flag package do.
type usageError struct{ err error }

func (u *usageError) Error() string { return u.err.Error() }
func (u *usageError) Unwrap() error { return u.err }

// usage marks err, if not nil, as a usage error.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

// usagef is fmt.Errorf for usage errors.
func usagef(format string, args ...any) error { return usage(fmt.Errorf(format, args...)) }
