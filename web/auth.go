package web

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Scope is what an API key may do.
type Scope int

const (
	// ScopeRead allows searching, asking, reading documents and metrics.
	ScopeRead Scope = iota + 1
	// ScopeWrite allows everything ScopeRead does and adding and deleting
	// documents.
	ScopeWrite
)

// String returns the scope's name as the keys file writes it.
func (s Scope) String() string {
	switch s {
	case ScopeRead:
		return "read"
	case ScopeWrite:
		return "write"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// MinKeyLen is the shortest API key accepted, in bytes: a shorter one is
// guessable.
const MinKeyLen = 16

// ErrKeys reports a keys file that cannot be read as one.
var ErrKeys = errors.New("invalid API keys")

// key is one configured API key, kept as its SHA-256 so that comparisons
// take the same time whatever the length of the key presented.
type key struct {
	sum   [sha256.Size]byte
	scope Scope
	// id names the key in logs and rate limits without revealing it.
	id string
}

// Keys is a set of API keys. The zero value holds none, which turns
// authentication off.
type Keys struct {
	keys []key
}

// ParseKeys reads API keys, one "KEY SCOPE" pair a line, where SCOPE is
// read or write. Blank lines and lines starting with # are skipped; a
// comma also ends an entry, so that one environment variable can hold
// several ("k1 read,k2 write"). Errors name the entry and what is wrong
// with it, never the key.
func ParseKeys(r io.Reader) (Keys, error) {
	var ks Keys
	seen := make(map[[sha256.Size]byte]bool)
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		for entry := range strings.SplitSeq(sc.Text(), ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" || strings.HasPrefix(entry, "#") {
				continue
			}
			fields := strings.Fields(entry)
			if len(fields) != 2 {
				return Keys{}, fmt.Errorf("%w: line %d: want \"KEY SCOPE\", got %d fields", ErrKeys, line, len(fields))
			}
			var scope Scope
			switch fields[1] {
			case "read":
				scope = ScopeRead
			case "write":
				scope = ScopeWrite
			default:
				return Keys{}, fmt.Errorf("%w: line %d: scope %q is not read or write", ErrKeys, line, fields[1])
			}
			if len(fields[0]) < MinKeyLen {
				return Keys{}, fmt.Errorf("%w: line %d: key is shorter than %d characters", ErrKeys, line, MinKeyLen)
			}
			sum := sha256.Sum256([]byte(fields[0]))
			if seen[sum] {
				return Keys{}, fmt.Errorf("%w: line %d: key given twice", ErrKeys, line)
			}
			seen[sum] = true
			ks.keys = append(ks.keys, key{sum: sum, scope: scope, id: hex.EncodeToString(sum[:4])})
		}
	}
	if err := sc.Err(); err != nil {
		return Keys{}, fmt.Errorf("read API keys: %w", err)
	}
	return ks, nil
}

// Merge returns the keys of ks and o together, or an error if a key is in
// both.
func (ks Keys) Merge(o Keys) (Keys, error) {
	for _, k := range o.keys {
		if _, dup := ks.lookupSum(k.sum); dup {
			return Keys{}, fmt.Errorf("%w: key %s given twice", ErrKeys, k.id)
		}
	}
	return Keys{keys: append(append([]key(nil), ks.keys...), o.keys...)}, nil
}

// Len returns the number of keys.
func (ks Keys) Len() int { return len(ks.keys) }

// lookup returns the key matching the presented secret. Every key is
// compared, in constant time, so that the time taken says nothing about
// which key, or how much of one, matched.
func (ks Keys) lookup(secret string) (key, bool) {
	return ks.lookupSum(sha256.Sum256([]byte(secret)))
}

func (ks Keys) lookupSum(sum [sha256.Size]byte) (key, bool) {
	var found key
	ok := 0
	for _, k := range ks.keys {
		if subtle.ConstantTimeCompare(sum[:], k.sum[:]) == 1 {
			found, ok = k, 1
		}
	}
	return found, ok == 1
}

// bearer returns the token of an "Authorization: Bearer TOKEN" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get(echo.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// openRoute reports whether a request may be served without a key: the
// health check, and the chat page and its assets, which hold no data and
// must load for the page to ask for a key.
func openRoute(r *http.Request) bool {
	p := r.URL.Path
	return p == "/healthz" || p == "/" || strings.HasPrefix(p, "/static/")
}

// writeRoute reports whether a request changes the store or the followed
// feeds.
func writeRoute(r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, "/api/documents") && !strings.HasPrefix(r.URL.Path, "/api/feeds") {
		return false
	}
	return r.Method != http.MethodGet && r.Method != http.MethodHead
}

// keyContextKey is the echo.Context key of the request's API key.
const keyContextKey = "ragd.key"

// authenticate refuses requests without a valid key when keys are
// configured: 401 without one, 403 for a read key on a write route.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if s.cfg.Keys.Len() == 0 || openRoute(r) || r.Method == http.MethodOptions {
			return next(c)
		}
		unauthorized := func(msg string) error {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="ragd"`)
			return echo.NewHTTPError(http.StatusUnauthorized, msg)
		}
		secret, ok := bearer(r)
		if !ok {
			return unauthorized("an API key is required: send it as Authorization: Bearer KEY")
		}
		k, ok := s.cfg.Keys.lookup(secret)
		if !ok {
			return unauthorized("the API key is not valid")
		}
		if writeRoute(r) && k.scope < ScopeWrite {
			return echo.NewHTTPError(http.StatusForbidden, "this API key may only read: adding and deleting documents or feeds needs a write key")
		}
		c.Set(keyContextKey, k.id)
		return next(c)
	}
}
