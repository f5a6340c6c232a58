package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestFeedsCommands(t *testing.T) {
	site := newNewsSite(t)
	site.publish(harbourStory, 0)
	feedURL := site.URL + "/feed.xml"
	env := map[string]string{"RAGD_DATA": filepath.Join(t.TempDir(), "data"), "RAGD_FETCH_ALLOW_PRIVATE": "true"}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		output string // in stdout, or stderr when code is not 0
	}{
		{"list none", []string{"feeds", "list"}, 0, "no feeds followed"},
		{"add", []string{"feeds", "add", "--every", "30m", feedURL}, 0, "following " + feedURL},
		{"add again", []string{"feeds", "add", feedURL}, 1, "already followed"},
		{"add not a feed", []string{"feeds", "add", site.URL + "/news/harbour-wall"}, 1, "not an RSS, Atom or JSON feed"},
		{"add missing", []string{"feeds", "add", site.URL + "/missing.xml"}, 1, "404"},
		{"bad interval", []string{"feeds", "add", "--every", "soon", feedURL}, 1, "--every"},
		{"list", []string{"feeds", "list"}, 0, feedURL},
		{"remove", []string{"feeds", "remove", feedURL}, 0, "no longer following"},
		{"remove again", []string{"feeds", "remove", feedURL}, 1, "feed not followed"},
		{"unknown", []string{"feeds", "poll"}, 2, "unknown feeds command"},
		{"no subcommand", []string{"feeds"}, 2, "usage: ragd feeds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ragd(t, env, "", tc.args...)
			out := stdout
			if tc.code != 0 {
				out = stderr
			}
			if code != tc.code || !strings.Contains(out, tc.output) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d with %q", code, stdout, stderr, tc.code, tc.output)
			}
		})
	}
	ragd(t, env, "", "feeds", "add", feedURL)
	code, stdout, _ := ragd(t, env, "", "feeds", "list", "--json")
	var feeds []struct {
		URL, Every string
		Entries    int
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &feeds) != nil || len(feeds) != 1 || feeds[0].URL != feedURL || feeds[0].Every != "15m0s" {
		t.Errorf("list --json: exit %d, %s", code, stdout)
	}
}
