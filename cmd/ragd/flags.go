package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
)

// flagSet is a flag.FlagSet whose flags also read RAGD_<NAME> variables.
// A flag given on the command line wins over its variable.
type flagSet struct {
	*flag.FlagSet
	e *env
	// usage prints the command's usage, for -h only: a mistyped flag
	// gets a one-line error, not the whole list.
	usage func()
}

func newFlagSet(e *env, name, argsUsage string) *flagSet {
	fs := flag.NewFlagSet("ragd "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// The flag package calls Usage on every parse error; parse prints the
	// usage itself when it is asked for.
	fs.Usage = func() {}
	f := &flagSet{FlagSet: fs, e: e}
	f.usage = func() {
		w := e.stderr
		fmt.Fprintf(w, "usage: %s\n\nflags (each also read from RAGD_<NAME>):\n", strings.TrimSpace("ragd "+name+" [flags] "+argsUsage))
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return f
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return "RAGD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse applies environment variables, then the command line. Flags may
// follow positional arguments.
func (f *flagSet) parse(args []string) error {
	var err error
	f.VisitAll(func(fl *flag.Flag) {
		if err != nil {
			return
		}
		if v := f.e.getenv(envName(fl.Name)); v != "" {
			if serr := fl.Value.Set(v); serr != nil {
				err = fmt.Errorf("%s=%q: %v", envName(fl.Name), v, serr)
			} else if !isFinite(fl) {
				err = fmt.Errorf("%s=%q must be a finite number", envName(fl.Name), v)
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
				f.usage()
				return perr
			}
			return fmt.Errorf("%v (run with -h for help)", perr)
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
		return err
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
			err = fmt.Errorf("--%s %s must be a finite number", fl.Name, fl.Value)
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
