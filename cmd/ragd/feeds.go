package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/ragd/ragd/retrieval/feed"
	"github.com/ragd/ragd/web"
)

const feedsUsage = "usage: ragd feeds add URL [--every 15m] | ragd feeds list [--json] | ragd feeds remove URL"

func runFeeds(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("%s", feedsUsage)
	}
	switch args[0] {
	case "add":
		return runFeedsAdd(ctx, e, args[1:])
	case "list":
		return runFeedsList(e, args[1:])
	case "remove", "rm":
		return runFeedsRemove(e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, feedsUsage)
		return nil
	}
	return usagef("unknown feeds command %q (%s)", args[0], feedsUsage)
}

func runFeedsAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "feeds add", "URL")
	data := fs.String("data", defaultDataDir, "data directory of the index, which keeps the feeds")
	every := fs.String("every", feed.DefaultEvery.String(), "how often 'ragd serve' polls the feed")
	var fc fetchConfig
	fc.register(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("give one feed URL: ragd feeds add URL [--every 15m]")
	}
	d, err := parseEvery(*every)
	if err != nil {
		return err
	}
	if err := fc.validate(); err != nil {
		return err
	}
	u, err := feed.NormalizeURL(fs.Arg(0))
	if err != nil {
		return err
	}
	title, n, err := feed.Probe(ctx, fc.client(feed.FeedTypes), u)
	if err != nil {
		return fmt.Errorf("check feed: %w", err)
	}
	reg, err := feed.OpenRegistry(*data)
	if err != nil {
		return err
	}
	f, err := reg.Add(u, d, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "following %s (%q, %d entries now), polled every %v by ragd serve --data %s\n", f.URL, title, n, f.Every, *data)
	return nil
}

func runFeedsList(e *env, args []string) error {
	fs := newFlagSet(e, "feeds list", "")
	data := fs.String("data", defaultDataDir, "data directory of the index, which keeps the feeds")
	asJSON := fs.Bool("json", false, "print the feeds as the API's JSON")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	reg, err := feed.OpenRegistry(*data)
	if err != nil {
		return err
	}
	feeds, err := reg.List()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(web.FeedsJSON(feeds))
	}
	if len(feeds) == 0 {
		fmt.Fprintf(e.stdout, "no feeds followed in %s (ragd feeds add URL)\n", *data)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tEVERY\tENTRIES\tLAST POLLED\tNEXT POLL\tSTATUS")
	for _, f := range feeds {
		last := "never"
		if !f.LastPolled.IsZero() {
			last = f.LastPolled.Local().Format(time.DateTime)
		}
		status := "ok"
		if f.Failures > 0 {
			status = fmt.Sprintf("%d failures: %s", f.Failures, f.LastError)
		}
		fmt.Fprintf(tw, "%s\t%v\t%d\t%s\t%s\t%s\n", f.URL, f.Every, f.Entries, last, f.NextPoll.Local().Format(time.DateTime), status)
	}
	return tw.Flush()
}

func runFeedsRemove(e *env, args []string) error {
	fs := newFlagSet(e, "feeds remove", "URL")
	data := fs.String("data", defaultDataDir, "data directory of the index, which keeps the feeds")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("give one feed URL: ragd feeds remove URL")
	}
	reg, err := feed.OpenRegistry(*data)
	if err != nil {
		return err
	}
	if err := reg.Remove(fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "no longer following %s; its articles stay in the index\n", fs.Arg(0))
	return nil
}
