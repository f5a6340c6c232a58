package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/dedup"
	"github.com/ragd/ragd/retrieval/feed"
	"github.com/ragd/ragd/retrieval/fetch"
	"github.com/ragd/ragd/retrieval/rank"
)

// fetchConfig holds the flags of commands that fetch URLs.
type fetchConfig struct {
	AllowPrivate bool
	Timeout      time.Duration
	MaxBytes     int64
	PerHost      int
}

func (c *fetchConfig) register(fs *flagSet) {
	defer fs.group("fetch")()
	fs.BoolVar(&c.AllowPrivate, "fetch-allow-private", false, "let URLs reach loopback, private and link-local addresses (tests, intranets); refused otherwise")
	fs.DurationVar(&c.Timeout, "fetch-timeout", fetch.DefaultTimeout, "time limit of one page or feed fetch, redirects included")
	fs.Int64Var(&c.MaxBytes, "fetch-max-bytes", fetch.DefaultMaxBytes, "largest page, PDF or feed fetched, in bytes")
	fs.IntVar(&c.PerHost, "fetch-per-host", fetch.DefaultPerHost, "requests at once to one host")
}

func (c *fetchConfig) validate() error {
	switch {
	case c.Timeout <= 0:
		return fmt.Errorf("--fetch-timeout %v must be positive", c.Timeout)
	case c.MaxBytes < 1:
		return fmt.Errorf("--fetch-max-bytes %d must be positive", c.MaxBytes)
	case c.PerHost < 1:
		return fmt.Errorf("--fetch-per-host %d must be positive", c.PerHost)
	}
	return nil
}

// client builds the fetch client for the given media types.
func (c *fetchConfig) client(accept []string) *fetch.Client {
	return fetch.New(fetch.Config{AllowPrivate: c.AllowPrivate, Timeout: c.Timeout, MaxBytes: c.MaxBytes, PerHost: c.PerHost, Accept: accept})
}

// isURL reports whether an ingest argument is a URL rather than a path.
func isURL(arg string) bool {
	l := strings.ToLower(arg)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// storeScanner is what loadStories reads from the store.
type storeScanner interface {
	Scan(ctx context.Context, page int, fn func([]retrieval.Document) error) error
}

// loadStories builds the near-duplicate index of the stored documents.
// A document stored without a story ID (before ragd kept them) is given
// one here, in memory; it is stored with it when ingested again.
func loadStories(ctx context.Context, st storeScanner) (*dedup.Index, error) {
	ix := dedup.NewIndex(0)
	return ix, fillStories(ctx, st, ix)
}

// fillStories adds every stored document to ix, a page at a time: the
// texts of a page are signed on every core, then added in order.
func fillStories(ctx context.Context, st storeScanner, ix *dedup.Index) error {
	const page = 1000
	type signed struct {
		sig dedup.Signature
		ok  bool
	}
	err := st.Scan(ctx, page, func(docs []retrieval.Document) error {
		sigs := make([]signed, len(docs))
		var wg sync.WaitGroup
		next := make(chan int)
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := range next {
					sigs[i].sig, sigs[i].ok = dedup.Sign(docs[i].Text)
				}
			})
		}
		for i := range docs {
			if ctx.Err() != nil {
				break
			}
			next <- i
		}
		close(next)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		for i, d := range docs {
			if d.StoryID != "" {
				ix.SetSigned(d.ID, sigs[i].sig, sigs[i].ok, d.StoryID)
			} else {
				ix.AssignSigned(d.ID, sigs[i].sig, sigs[i].ok)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load stories: %w", err)
	}
	return nil
}

// storyRetriever is the store seen through one-passage-per-story search.
type storyRetriever struct {
	rank.Collapsing
	st retrieval.Backend
}

// IDF weighs query terms by the store's statistics.
func (r storyRetriever) IDF(terms []string) []float64 { return r.st.IDF(terms) }

// articleIngester stores what the feed poller and URL ingestion fetch.
type articleIngester interface {
	Ingest(ctx context.Context, docs []retrieval.Document) ([]retrieval.IngestResult, error)
}

// feedHandler returns the poller's handler: fetch each entry's article by
// its link with the article client, fill in what the page lacks from the
// feed (dates, author, title) and store it.
func feedHandler(c *fetch.Client, w articleIngester) feed.Handler {
	return func(ctx context.Context, e feed.Entry) error {
		d, err := c.Document(ctx, e.Link)
		if err != nil {
			return err
		}
		if d.Published.IsZero() {
			d.Published = e.Published
		}
		if d.Modified.IsZero() && e.Updated.After(e.Published) {
			d.Modified = e.Updated
		}
		if d.Author == "" {
			d.Author = e.Author
		}
		if d.Title == "" {
			d.Title = e.Title
		}
		_, err = w.Ingest(ctx, []retrieval.Document{d})
		return err
	}
}

// parseEvery reads a feed interval flag.
func parseEvery(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < feed.MinEvery || d > feed.MaxEvery || math.IsInf(float64(d), 0) {
		return 0, fmt.Errorf("--every %q must be a duration between %v and %v, such as 15m", s, feed.MinEvery, feed.MaxEvery)
	}
	return d, nil
}

// registerCollapse registers --collapse-duplicates, for the commands that
// search.
func (c *storeConfig) registerCollapse(fs *flagSet) {
	defer fs.group("duplicates")()
	fs.BoolVar(&c.Collapse, "collapse-duplicates", true, "return one passage per story, from its earliest copy; false shows every syndicated or edited copy")
}

// retriever is the store as searches see it: through one-passage-per-
// story collapsing when --collapse-duplicates is set.
func (c *storeConfig) retriever(st retrieval.Backend) interface {
	rank.Searcher
	IDF(terms []string) []float64
} {
	if !c.Collapse {
		return st
	}
	return storyRetriever{Collapsing: rank.Collapsing{Searcher: st}, st: st}
}

// news is what serve runs for news ingestion: the story-assigning writer,
// the article fetcher, the feeds and their poller.
type news struct {
	writer   dedup.Writer
	articles *fetch.Client
	feeds    *feed.Registry
	stop     func()
}

// startNews loads the stories of the stored documents and starts polling
// the feeds of the data directory in the background until ctx ends or
// stop is called.
func startNews(ctx context.Context, e *env, st retrieval.Backend, sc *storeConfig, fc *fetchConfig) (*news, error) {
	reg, err := feed.OpenRegistry(sc.Data)
	if err != nil {
		return nil, err
	}
	// The story index of a large store takes a while to build: the server
	// answers meanwhile, and writes wait for it (see dedup.Writer.Ready).
	stories, ready := dedup.NewIndex(0), make(chan struct{})
	n := &news{writer: dedup.Writer{Index: stories, Next: st, Ready: ready}, articles: fc.client(fetch.ArticleTypes), feeds: reg}
	p := &feed.Poller{Registry: reg, Client: fc.client(feed.FeedTypes), Handle: feedHandler(n.articles, n.writer), Logger: e.logger}
	pctx, cancel := context.WithCancel(ctx)
	loaded, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(loaded)
		defer close(ready)
		start := time.Now()
		if stats, err := st.Stats(pctx); err == nil {
			stories.Grow(stats.Documents)
		}
		if err := fillStories(pctx, st, stories); err != nil {
			if pctx.Err() == nil {
				e.logger.Warn("could not read the stored documents for the story index; new documents are grouped only with those read", "err", err)
			}
			return
		}
		debug.FreeOSMemory() // the texts read to sign them
		e.logger.Debug("story index ready", "documents", stories.Len(), "elapsed", time.Since(start).Round(time.Millisecond))
	}()
	go func() {
		defer close(done)
		_ = p.Run(pctx) // returns pctx's error when stopped
	}()
	n.stop = func() {
		cancel()
		<-done
		<-loaded
	}
	return n, nil
}

// fetchURLs reads the article at each URL, refusing two URLs that lead to
// one canonical article.
func fetchURLs(ctx context.Context, c *fetch.Client, urls []string) ([]retrieval.Document, error) {
	var out []retrieval.Document
	from := make(map[string]string)
	for _, u := range urls {
		d, err := c.Document(ctx, u)
		if err != nil {
			return nil, err
		}
		if err := retrieval.ValidateDocument(d); err != nil {
			return nil, fmt.Errorf("%s: %w", u, err)
		}
		if first, ok := from[d.ID]; ok {
			return nil, fmt.Errorf("%s and %s are one article, %s: give it once", first, u, d.ID)
		}
		from[d.ID] = u
		out = append(out, d)
	}
	return out, nil
}

// ingestFetched stores fetched articles, counting them into sum.
func ingestFetched(ctx context.Context, w articleIngester, docs []retrieval.Document, sum *ingestSummary) error {
	res, err := w.Ingest(ctx, docs)
	if err != nil {
		return err
	}
	sum.count(res)
	return nil
}
