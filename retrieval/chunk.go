package retrieval

import "time"

// Chunk is a passage of a document, the unit that is embedded and ranked.
type Chunk struct {
	ID      string
	DocID   string
	Index   int
	Text    string
	Section string
	// Start and End are code point offsets of Text in the document's Text.
	Start, End int
}

// IngestStatus says what Ingest did with one document.
type IngestStatus string

// The statuses of an ingested document.
const (
	Added     IngestStatus = "added"
	Updated   IngestStatus = "updated"
	Unchanged IngestStatus = "unchanged"
)

// IngestResult reports the outcome for one document.
type IngestResult struct {
	ID     string
	Chunks int
	Status IngestStatus
}

// StoredDocument is a document with its chunks as the store holds them.
type StoredDocument struct {
	Document
	Chunks []Chunk
}

// DocumentInfo summarises a stored document.
type DocumentInfo struct {
	ID, Title, Source, Author string
	Published                 time.Time
	Chunks                    int
	Chars                     int
}
