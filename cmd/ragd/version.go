package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is ragd's release version, set when building a release:
//
//	go build -ldflags "-X main.version=v0.2.0" ./cmd/ragd
//
// (make build sets it from git describe). Without it, ragd reports the
// module version and VCS revision that the Go toolchain recorded.
var version string

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "version", "")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(e.stdout, versionLine(version, bi))
	return nil
}

// versionLine describes the build: "ragd VERSION (revision, time,
// modified) GOVERSION OS/ARCH". The -ldflags version wins over the module
// version; a build from a checkout without either is "devel".
func versionLine(ldflagsVersion string, bi *debug.BuildInfo) string {
	v := ldflagsVersion
	var vcs []string
	goVersion := runtime.Version()
	if bi != nil {
		goVersion = bi.GoVersion
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		var rev, at, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = "modified"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		for _, s := range []string{rev, at, modified} {
			if s != "" {
				vcs = append(vcs, s)
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	line := "ragd " + v
	if len(vcs) > 0 {
		line += " (" + strings.Join(vcs, ", ") + ")"
	}
	return fmt.Sprintf("%s %s %s/%s", line, goVersion, runtime.GOOS, runtime.GOARCH)
}
