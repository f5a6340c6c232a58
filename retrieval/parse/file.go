// Package parse reads documents from the input formats ragd ingests: plain
// text, Markdown, HTML, PDF and JSON Lines, one file per format.
package parse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ragd/ragd/retrieval"
)

// ErrUnsupported reports a file whose type ReadFile cannot read.
var ErrUnsupported = errors.New("unsupported file type")

// ErrBinary is returned (wrapped) by ReadFile for a file that is not text:
// one with a NUL byte in its first 8 KiB, as Git decides.
var ErrBinary = errors.New("not a text file: it holds NUL bytes (binary, or UTF-16)")

// isBinary reports whether b looks like a binary file: a NUL byte in its
// first 8 KiB. Text in UTF-8 never holds one; images, archives and
// executables almost always do.
func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), 8<<10)], 0) >= 0
}

// ReadFile reads the documents of the file at path, by its extension (in any
// case): .txt (Text), .md and .markdown (Markdown), .html and .htm
// (HTML) and .pdf (PDF) hold one document whose ID is the file's base name
// without its extension; .jsonl (JSONL) holds any number. Any other extension
// gives an error wrapping ErrUnsupported. ReadFile sets no Source that the
// file itself does not give.
func ReadFile(path string) ([]retrieval.Document, error) {
	ext := filepath.Ext(path)
	id := strings.TrimSuffix(filepath.Base(path), ext)
	switch strings.ToLower(ext) {
	case ".txt", ".md", ".markdown":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		if isBinary(b) {
			return nil, fmt.Errorf("read file %s: %w", path, ErrBinary)
		}
		if strings.EqualFold(ext, ".txt") {
			return []retrieval.Document{Text(id, string(b))}, nil
		}
		return []retrieval.Document{Markdown(id, string(b))}, nil
	case ".html", ".htm":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		if isBinary(b) {
			return nil, fmt.Errorf("read file %s: %w", path, ErrBinary)
		}
		doc, err := HTML(id, bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("read file %s: %w", path, err)
		}
		return []retrieval.Document{doc}, nil
	case ".pdf":
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		doc, err := PDF(id, f, info.Size())
		if err != nil {
			return nil, fmt.Errorf("read file %s: %w", path, err)
		}
		return []retrieval.Document{doc}, nil
	case ".jsonl":
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		defer f.Close()
		var docs []retrieval.Document
		err = JSONL(f, func(d retrieval.Document) error {
			docs = append(docs, d)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read file %s: %w", path, err)
		}
		return docs, nil
	}
	return nil, fmt.Errorf("read file %s: %w", path, ErrUnsupported)
}
