// Package feed follows RSS, Atom and JSON feeds: it keeps the list of
// followed feeds and their polling state in a file, and polls each on a
// jittered schedule with conditional GETs, handing every new or updated
// entry to a function that fetches and stores its article.
package feed

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults and limits of a feed's polling interval.
const (
	DefaultEvery = 15 * time.Minute
	MinEvery     = 1 * time.Second
	MaxEvery     = 7 * 24 * time.Hour
	// StateFile is the name of the file, in the data directory, that holds
	// the followed feeds.
	StateFile = "feeds.json"
)

// Sentinel errors.
var (
	// ErrNotFound reports a feed that is not followed.
	ErrNotFound = errors.New("feed not followed")
	// ErrExists reports a feed that is followed already.
	ErrExists = errors.New("feed already followed")
	// ErrInvalid reports a bad feed URL or interval.
	ErrInvalid = errors.New("invalid feed")
)

// Feed is a followed feed and what ragd remembers of polling it.
type Feed struct {
	URL   string
	Every time.Duration
	Added time.Time
	// Title is the feed's own title, from its last successful poll.
	Title string
	// Validators of the last full response, for conditional GETs.
	ETag, LastModified string
	// LastPolled is when the feed was last polled, successfully or not;
	// NextPoll when it is due next.
	LastPolled, NextPoll time.Time
	// Failures counts polls that failed in a row; LastError is the last
	// one's message.
	Failures  int
	LastError string
	// Entries counts the entries stored from this feed.
	Entries int
	// Seen maps each handled entry's key (its GUID, else its link) to its
	// state.
	Seen map[string]Seen
}

// Seen is what is remembered of one handled entry.
type Seen struct {
	// Updated is the entry's updated (else published) date when it was
	// handled; a later date makes it handled again.
	Updated time.Time
	// At is when it was handled.
	At time.Time
	// Tries counts failed attempts; an entry is given up after MaxTries.
	Tries int
	// Err is the last failure's message; empty once handled.
	Err string
}

// MaxTries is how many polls in a row try an entry whose article cannot
// be fetched or stored before it is given up.
const MaxTries = 3

// done reports whether the entry needs no more attempts at its date.
func (s Seen) done() bool { return s.Err == "" || s.Tries >= MaxTries }

// Registry is the set of followed feeds, kept in a JSON file that every
// change rewrites atomically. Each change reads the file afresh under an
// exclusive lock, so that a 'ragd feeds add' and a serving ragd's polls do
// not undo each other.
type Registry struct {
	path string
	mu   sync.Mutex
}

// OpenRegistry returns the registry in the data directory dir, creating
// the directory if needed. The file is created by the first change.
func OpenRegistry(dir string) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open feeds: %w", err)
	}
	r := &Registry{path: filepath.Join(dir, StateFile)}
	if _, err := r.read(); err != nil {
		return nil, err
	}
	return r, nil
}

// NormalizeURL checks a feed URL and returns it in canonical form.
func NormalizeURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: %q is not an absolute http or https URL", ErrInvalid, raw)
	}
	u.Fragment = ""
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// Add follows the feed at rawURL, polled every every (0 means
// DefaultEvery); it is due at once.
func (r *Registry) Add(rawURL string, every time.Duration, now time.Time) (Feed, error) {
	u, err := NormalizeURL(rawURL)
	if err != nil {
		return Feed{}, err
	}
	every = cmp.Or(every, DefaultEvery)
	if every < MinEvery || every > MaxEvery {
		return Feed{}, fmt.Errorf("%w: interval %v is not between %v and %v", ErrInvalid, every, MinEvery, MaxEvery)
	}
	var out Feed
	err = r.update(func(feeds map[string]*Feed) error {
		if _, ok := feeds[u]; ok {
			return fmt.Errorf("add feed %s: %w", u, ErrExists)
		}
		f := &Feed{URL: u, Every: every, Added: now, NextPoll: now, Seen: map[string]Seen{}}
		feeds[u] = f
		out = *f
		return nil
	})
	return out, err
}

// Remove stops following the feed at rawURL. Its stored articles stay.
func (r *Registry) Remove(rawURL string) error {
	u, err := NormalizeURL(rawURL)
	if err != nil {
		return err
	}
	return r.update(func(feeds map[string]*Feed) error {
		if _, ok := feeds[u]; !ok {
			return fmt.Errorf("remove feed %s: %w", u, ErrNotFound)
		}
		delete(feeds, u)
		return nil
	})
}

// List returns the followed feeds ordered by URL.
func (r *Registry) List() ([]Feed, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	feeds, err := r.read()
	if err != nil {
		return nil, err
	}
	out := make([]Feed, 0, len(feeds))
	for _, f := range feeds {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Feed) int { return strings.Compare(a.URL, b.URL) })
	return out, nil
}

// Get returns the feed at rawURL.
func (r *Registry) Get(rawURL string) (Feed, error) {
	u, err := NormalizeURL(rawURL)
	if err != nil {
		return Feed{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	feeds, err := r.read()
	if err != nil {
		return Feed{}, err
	}
	f, ok := feeds[u]
	if !ok {
		return Feed{}, fmt.Errorf("feed %s: %w", u, ErrNotFound)
	}
	return *f, nil
}

// change applies fn to the stored state of the feed at u, if it is still
// followed (a feed removed meanwhile is left removed).
func (r *Registry) change(u string, fn func(f *Feed)) error {
	return r.update(func(feeds map[string]*Feed) error {
		if f, ok := feeds[u]; ok {
			if f.Seen == nil {
				f.Seen = map[string]Seen{}
			}
			fn(f)
		}
		return nil
	})
}

// update reads the file under the lock, applies fn and writes the result.
func (r *Registry) update(fn func(map[string]*Feed) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	unlock, err := lockFile(r.path + ".lock")
	if err != nil {
		return fmt.Errorf("lock feeds: %w", err)
	}
	defer unlock()
	feeds, err := r.read()
	if err != nil {
		return err
	}
	if err := fn(feeds); err != nil {
		return err
	}
	return r.write(feeds)
}

// stateFile is the file's JSON form.
type stateFile struct {
	Feeds []feedFile `json:"feeds"`
}

type feedFile struct {
	URL          string              `json:"url"`
	Every        string              `json:"every"`
	Added        time.Time           `json:"added"`
	Title        string              `json:"title,omitempty"`
	ETag         string              `json:"etag,omitempty"`
	LastModified string              `json:"last_modified,omitempty"`
	LastPolled   *time.Time          `json:"last_polled,omitempty"`
	NextPoll     time.Time           `json:"next_poll"`
	Failures     int                 `json:"failures,omitempty"`
	LastError    string              `json:"last_error,omitempty"`
	Entries      int                 `json:"entries"`
	Seen         map[string]seenFile `json:"seen,omitempty"`
}

type seenFile struct {
	Updated *time.Time `json:"updated,omitempty"`
	At      time.Time  `json:"at"`
	Tries   int        `json:"tries,omitempty"`
	Err     string     `json:"error,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func (r *Registry) read() (map[string]*Feed, error) {
	feeds := make(map[string]*Feed)
	b, err := os.ReadFile(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return feeds, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read feeds: %w", err)
	}
	var sf stateFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("read feeds: %s: %w", r.path, err)
	}
	for _, ff := range sf.Feeds {
		every, err := time.ParseDuration(ff.Every)
		if err != nil {
			return nil, fmt.Errorf("read feeds: %s: feed %s: every: %w", r.path, ff.URL, err)
		}
		f := &Feed{URL: ff.URL, Every: every, Added: ff.Added, Title: ff.Title, ETag: ff.ETag, LastModified: ff.LastModified,
			LastPolled: deref(ff.LastPolled), NextPoll: ff.NextPoll, Failures: ff.Failures, LastError: ff.LastError,
			Entries: ff.Entries, Seen: make(map[string]Seen, len(ff.Seen))}
		for k, s := range ff.Seen {
			f.Seen[k] = Seen{Updated: deref(s.Updated), At: s.At, Tries: s.Tries, Err: s.Err}
		}
		feeds[f.URL] = f
	}
	return feeds, nil
}

func (r *Registry) write(feeds map[string]*Feed) error {
	var sf stateFile
	sf.Feeds = []feedFile{}
	for _, f := range feeds {
		ff := feedFile{URL: f.URL, Every: f.Every.String(), Added: f.Added, Title: f.Title, ETag: f.ETag, LastModified: f.LastModified,
			LastPolled: timePtr(f.LastPolled), NextPoll: f.NextPoll, Failures: f.Failures, LastError: f.LastError,
			Entries: f.Entries, Seen: make(map[string]seenFile, len(f.Seen))}
		for k, s := range f.Seen {
			ff.Seen[k] = seenFile{Updated: timePtr(s.Updated), At: s.At, Tries: s.Tries, Err: s.Err}
		}
		sf.Feeds = append(sf.Feeds, ff)
	}
	slices.SortFunc(sf.Feeds, func(a, b feedFile) int { return strings.Compare(a.URL, b.URL) })
	b, err := json.MarshalIndent(sf, "", "  ")
	if err != nil {
		return fmt.Errorf("write feeds: %w", err)
	}
	return writeFileAtomic(r.path, append(b, '\n'))
}

// writeFileAtomic writes data to a temporary file, flushes it and renames
// it over path, so that readers and a crash see the old or the new state.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write feeds: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write feeds: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write feeds: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write feeds: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write feeds: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // the rename's directory entry; best effort where unsupported
		d.Close()
	}
	return nil
}
