package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ragd/ragd/embed"
)

// modelFile is the GloVe model's file name in every place ragd looks.
var modelFile = filepath.Base(embed.DefaultModelPath)

// modelSearchPath lists where ragd looks for the GloVe model when
// --model-path (or RAGD_MODEL_PATH) is not given, in order:
//
//  1. beside the binary, and in ../models from it, which is where make
//     setup puts the model for bin/ragd of a checkout;
//  2. $XDG_DATA_HOME/ragd, by default ~/.local/share/ragd;
//  3. ./models, for commands run at the root of a checkout.
//
// executable is os.Executable; getenv reads XDG_DATA_HOME and HOME.
func modelSearchPath(getenv func(string) string, executable func() (string, error)) []string {
	var dirs []string
	if exe, err := executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		dirs = append(dirs, dir, filepath.Join(dir, "..", "models"))
	}
	if data := dataHome(getenv); data != "" {
		dirs = append(dirs, filepath.Join(data, "ragd"))
	}
	dirs = append(dirs, filepath.Dir(embed.DefaultModelPath))
	paths := make([]string, len(dirs))
	for i, d := range dirs {
		paths[i] = filepath.Join(d, modelFile)
	}
	return paths
}

// dataHome is the user's data directory: $XDG_DATA_HOME, else
// ~/.local/share, else "" when neither variable is set.
func dataHome(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return d
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "share")
	}
	return ""
}

// findModel returns the GloVe model's path: the one given, which must
// exist, or the first file of modelSearchPath that does.
func findModel(given string, getenv func(string) string) (string, error) {
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", fmt.Errorf("no embedding model at %s: run 'make setup' first, or give the right --model-path", given)
		}
		return given, nil
	}
	paths := modelSearchPath(getenv, os.Executable)
	for _, p := range paths {
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("no embedding model " + modelFile + " in " + strings.Join(paths, ", ") +
		": run 'make setup' in a ragd checkout, copy the model it writes into one of these folders, or give --model-path (RAGD_MODEL_PATH)")
}
