package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagSet is a flag.FlagSet whose flags also read RAGD_<NAME> variables.
// A flag given on the command line wins over its variable.
type flagSet struct {
	*flag.FlagSet
	e *env
}

func newFlagSet(e *env, name, argsUsage string) *flagSet {
	fs := flag.NewFlagSet("ragd "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	f := &flagSet{FlagSet: fs, e: e}
	fs.Usage = func() {
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
				return perr // the flag package has printed the usage
			}
			return fmt.Errorf("%v (run with -h for help)", perr)
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	return f.FlagSet.Parse(append([]string{"--"}, positional...))
}
