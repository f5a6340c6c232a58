package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ragd/ragd/retrieval"
)

// Listing limits for GET /api/documents.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

func (s *Server) createDocument(c echo.Context) error {
	var req documentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	fromRequest := req.document
	if req.URL != "" {
		fromRequest = func() (retrieval.Document, error) { return s.fetchDocument(c, req) }
	}
	doc, err := fromRequest()
	if err != nil {
		return err
	}
	res, err := s.cfg.Writer.Ingest(c.Request().Context(), []retrieval.Document{doc})
	if err != nil {
		return err
	}
	s.metrics.ingestedResults(res)
	code := http.StatusOK
	if res[0].Status == retrieval.Added {
		code = http.StatusCreated
	}
	return c.JSON(code, documentCreated{ID: res[0].ID, Chunks: res[0].Chunks, Status: string(res[0].Status)})
}

// document validates a document request and converts it. Without an id, the
// id is derived from the content, so posting the same article twice is a
// no-op.
func (r documentRequest) document() (retrieval.Document, error) {
	switch {
	case strings.TrimSpace(r.Title) == "":
		return retrieval.Document{}, badRequest("title is required")
	case strings.TrimSpace(r.Text) == "":
		return retrieval.Document{}, badRequest("text is required")
	}
	d := retrieval.Document{ID: strings.TrimSpace(r.ID), Title: r.Title, Text: r.Text, Source: r.Source, Author: r.Author}
	if d.ID == "" {
		sum := sha256.Sum256([]byte(r.Title + "\x00" + r.Text))
		d.ID = "doc-" + hex.EncodeToString(sum[:8])
	}
	if r.Published != "" {
		t, err := ParseDate(r.Published)
		if err != nil {
			return d, badRequest("published: %v", err)
		}
		d.Published = t
	}
	return d, nil
}

func (s *Server) listDocuments(c echo.Context) error {
	offset, err := queryInt(c, "offset", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", defaultPageSize, 1, maxPageSize)
	if err != nil {
		return err
	}
	infos, total, err := s.cfg.Reader.List(c.Request().Context(), offset, limit)
	if err != nil {
		return err
	}
	out := documentList{Documents: make([]documentInfoJSON, len(infos)), Total: total, Offset: offset, Limit: limit}
	for i, d := range infos {
		out.Documents[i] = infoToJSON(d)
	}
	return c.JSON(http.StatusOK, out)
}

// queryInt reads an integer query parameter within [lo, hi].
func queryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s must be an integer between %d and %d", name, lo, hi)
	}
	return n, nil
}

func (s *Server) getDocument(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	d, err := s.cfg.Reader.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, documentToJSON(d))
}

func (s *Server) deleteDocument(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.cfg.Writer.Delete(c.Request().Context(), id); err != nil {
		return err
	}
	s.metrics.deleted.Inc()
	return c.JSON(http.StatusOK, map[string]any{"id": id, "deleted": true})
}

// idParam returns the document ID in the path, decoded. Echo routes on the
// escaped path when the request's escaping differs from Go's own (an ID
// with "&", "+", ":" or "/", as encodeURIComponent writes them) and then
// hands the parameter over still escaped; otherwise the path is decoded
// already, and decoding again would corrupt an ID holding "%".
func idParam(c echo.Context) (string, error) {
	id := c.Param("id")
	if c.Request().URL.RawPath == "" {
		return id, nil
	}
	dec, err := url.PathUnescape(id)
	if err != nil {
		return "", badRequest("document ID in the path is not valid percent-encoding")
	}
	return dec, nil
}
