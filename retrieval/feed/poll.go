package feed

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/ragd/ragd/retrieval/fetch"
)

// Polling limits.
const (
	// MaxBackoff caps the wait after failed polls.
	MaxBackoff = 24 * time.Hour
	// Jitter is the share of the interval by which each poll is moved at
	// random, earlier or later, so that feeds added together spread out.
	Jitter = 0.1
	// forgetAfter is how long an entry that left its feed is remembered.
	forgetAfter = 30 * 24 * time.Hour
	// rescan is how often Run looks for feeds added by another process.
	rescan = 5 * time.Second
)

// FeedTypes are the media types a feed response may have.
var FeedTypes = []string{
	"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
	"application/xml", "text/xml", "application/rdf+xml", "text/plain", "text/html",
}

// Entry is a feed entry to fetch and store.
type Entry struct {
	// Feed is the URL of the feed it came from.
	Feed string
	// Key identifies it within its feed: its GUID, else its link.
	Key   string
	Link  string
	Title string
	// Published and Updated are the feed's dates for it, if given.
	Published, Updated time.Time
	Author             string
}

// Handler fetches and stores an entry's article.
type Handler func(ctx context.Context, e Entry) error

// Getter fetches a URL with a conditional GET; *fetch.Client is one.
type Getter interface {
	Get(ctx context.Context, rawURL string, v fetch.Validators) (*fetch.Response, error)
}

// Poller polls the feeds of a Registry.
type Poller struct {
	Registry *Registry
	// Client fetches the feeds themselves.
	Client Getter
	// Handle stores each new or updated entry.
	Handle Handler
	// Logger reports polls and failed entries; nil discards.
	Logger *slog.Logger
	// Rand moves polls by up to Jitter; nil uses a random source.
	Rand *rand.Rand
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
}

// Result says what one poll did.
type Result struct {
	NotModified bool
	// Entries is how many entries the feed listed, New how many of them
	// were handled, and Failed how many could not be.
	Entries, New, Failed int
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// Run polls every feed when it is due until ctx ends, and returns ctx's
// error. A failed poll is logged and retried later with backoff.
func (p *Poller) Run(ctx context.Context) error {
	for {
		feeds, err := p.Registry.List()
		if err != nil {
			p.logger().Error("list feeds", "err", err)
		}
		now := p.now()
		wait := rescan
		for _, f := range feeds {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if f.NextPoll.After(now) {
				wait = min(wait, f.NextPoll.Sub(now))
				continue
			}
			res, err := p.Poll(ctx, f.URL)
			switch {
			case errors.Is(err, context.Canceled) && ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				p.logger().Warn("poll feed", "feed", f.URL, "err", err)
			case res.New > 0 || res.Failed > 0:
				p.logger().Info("polled feed", "feed", f.URL, "entries", res.Entries, "new", res.New, "failed", res.Failed)
			}
			wait = 0 // look again at once: the poll took time
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

// Poll polls the feed at rawURL once, now, whether due or not: a
// conditional GET, then each entry not handled before (or updated since)
// handed to Handle, oldest first. The entry state is saved after each
// entry and the feed's validators only after all, so that a crash
// neither loses an entry nor handles one twice.
func (p *Poller) Poll(ctx context.Context, rawURL string) (Result, error) {
	f, err := p.Registry.Get(rawURL)
	if err != nil {
		return Result{}, err
	}
	var res Result
	start := p.now()
	v := fetch.Validators{ETag: f.ETag, LastModified: f.LastModified}
	for _, s := range f.Seen {
		if !s.done() {
			v = fetch.Validators{} // an entry to try again: the feed is needed whole
			break
		}
	}
	resp, err := p.Client.Get(ctx, f.URL, v)
	if err == nil && resp.NotModified {
		res.NotModified = true
		return res, p.finish(f, start, nil, nil)
	}
	var parsed *gofeed.Feed
	if err == nil {
		parsed, err = gofeed.NewParser().Parse(bytes.NewReader(resp.Body))
		if err != nil {
			err = fmt.Errorf("parse feed %s: %w", f.URL, err)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		return res, errors.Join(err, p.finish(f, start, nil, err))
	}
	entries := entriesOf(f.URL, parsed)
	res.Entries = len(entries)
	for _, e := range entries {
		s, ok := f.Seen[e.Key]
		if ok && s.done() && !e.date().After(s.Updated) {
			continue
		}
		herr := p.Handle(ctx, e)
		if herr != nil && ctx.Err() != nil {
			return res, ctx.Err() // not tried: the next run tries it again
		}
		next := Seen{Updated: e.date(), At: p.now()}
		if herr != nil {
			res.Failed++
			next.Tries = s.Tries + 1
			if !ok || !s.Updated.Equal(e.date()) {
				next.Tries = 1
			}
			next.Err = herr.Error()
			p.logger().Warn("feed entry", "feed", f.URL, "link", e.Link, "try", next.Tries, "err", herr)
		} else {
			res.New++
		}
		f.Seen[e.Key] = next
		if err := p.Registry.change(f.URL, func(sf *Feed) {
			sf.Seen[e.Key] = next
			if herr == nil {
				sf.Entries++
			}
		}); err != nil {
			return res, err
		}
	}
	return res, p.finish(f, start, &finished{resp: resp, feed: parsed, keys: entries}, nil)
}

// finished is what a successful full poll learnt.
type finished struct {
	resp *fetch.Response
	feed *gofeed.Feed
	keys []Entry
}

// finish records a poll's outcome and schedules the next one.
func (p *Poller) finish(f Feed, at time.Time, ok *finished, failed error) error {
	return p.Registry.change(f.URL, func(sf *Feed) {
		sf.LastPolled = at
		if failed != nil {
			sf.Failures++
			sf.LastError = failed.Error()
			sf.NextPoll = at.Add(p.jitter(backoff(sf.Every, sf.Failures)))
			return
		}
		sf.Failures, sf.LastError = 0, ""
		sf.NextPoll = at.Add(p.jitter(sf.Every))
		if ok == nil { // not modified
			return
		}
		sf.ETag, sf.LastModified = ok.resp.Validators.ETag, ok.resp.Validators.LastModified
		if t := strings.TrimSpace(ok.feed.Title); t != "" {
			sf.Title = t
		}
		listed := make(map[string]bool, len(ok.keys))
		for _, e := range ok.keys {
			listed[e.Key] = true
		}
		for k, s := range sf.Seen {
			if !listed[k] && at.Sub(s.At) > forgetAfter {
				delete(sf.Seen, k)
			}
		}
	})
}

// backoff is the wait after failures polls failed in a row: the interval
// doubled for each, at most MaxBackoff (and never less than the interval).
func backoff(every time.Duration, failures int) time.Duration {
	d := every
	for range min(failures, 16) {
		if d *= 2; d >= MaxBackoff {
			return max(MaxBackoff, every)
		}
	}
	return d
}

// jitter moves d by up to Jitter of itself, earlier or later.
func (p *Poller) jitter(d time.Duration) time.Duration {
	r := rand.Float64
	if p.Rand != nil {
		r = p.Rand.Float64
	}
	return time.Duration(float64(d) * (1 + Jitter*(2*r()-1)))
}

// date is the entry's updated date, else its published date.
func (e Entry) date() time.Time { return cmp.Or(e.Updated, e.Published) }

// entriesOf lists a parsed feed's entries that have a link, oldest first.
func entriesOf(feedURL string, f *gofeed.Feed) []Entry {
	base, _ := url.Parse(feedURL)
	var out []Entry
	for _, it := range f.Items {
		link := strings.TrimSpace(it.Link)
		if link == "" && len(it.Links) > 0 {
			link = strings.TrimSpace(it.Links[0])
		}
		if link == "" {
			continue
		}
		if u, err := base.Parse(link); err == nil {
			link = u.String() // a relative link is relative to the feed
		}
		e := Entry{Feed: feedURL, Key: cmp.Or(strings.TrimSpace(it.GUID), link), Link: link, Title: strings.TrimSpace(it.Title)}
		if it.PublishedParsed != nil {
			e.Published = *it.PublishedParsed
		}
		if it.UpdatedParsed != nil {
			e.Updated = *it.UpdatedParsed
		}
		var names []string
		for _, a := range it.Authors {
			if a != nil && a.Name != "" {
				names = append(names, a.Name)
			}
		}
		e.Author = strings.Join(names, ", ")
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.date().Compare(b.date()) })
	return out
}

// Probe fetches and parses the feed at rawURL once, without recording
// anything, and returns its title and how many entries with links it
// lists: the check 'ragd feeds add' makes before following a feed.
func Probe(ctx context.Context, c Getter, rawURL string) (title string, entries int, err error) {
	resp, err := c.Get(ctx, rawURL, fetch.Validators{})
	if err != nil {
		return "", 0, err
	}
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(resp.Body))
	if err != nil {
		return "", 0, fmt.Errorf("%w: %s is not an RSS, Atom or JSON feed: %v", ErrInvalid, rawURL, err)
	}
	return strings.TrimSpace(parsed.Title), len(entriesOf(rawURL, parsed)), nil
}
