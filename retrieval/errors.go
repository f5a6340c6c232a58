package retrieval

import "errors"

// Sentinel errors returned by the store. Callers test them with errors.Is.
var (
	// ErrNotFound reports that no document has the requested ID.
	ErrNotFound = errors.New("document not found")
	// ErrInvalid reports a request or document the store cannot accept.
	ErrInvalid = errors.New("invalid input")
	// ErrEmbedderMismatch reports that the store was indexed with another embedding model.
	ErrEmbedderMismatch = errors.New("embedder does not match the index")
	// ErrLocked reports that another process has the store's data
	// directory open: two writers would each miss the other's changes.
	ErrLocked = errors.New("data directory in use")
	// ErrUnavailable reports that a remote backend (a Weaviate cluster)
	// could not be reached or could not serve the request now; the error
	// says why. Retrying later may succeed.
	ErrUnavailable = errors.New("backend unavailable")
)
