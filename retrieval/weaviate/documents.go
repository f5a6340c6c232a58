package weaviate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"

	"github.com/ragd/ragd/retrieval"
)

// Get returns a stored document with its chunks in order, or an error
// wrapping retrieval.ErrNotFound.
func (b *Backend) Get(ctx context.Context, id string) (retrieval.StoredDocument, error) {
	got, err := b.storedDocs(ctx, []string{id}, propTitle, propText, propSource, propAuthor, propPublished, propSections, propChunks,
		propModified, propLanguage, propSiteName, propStoryID)
	if err != nil {
		return retrieval.StoredDocument{}, fmt.Errorf("get %q: %w", id, err)
	}
	sd, ok := got[id]
	if !ok {
		return retrieval.StoredDocument{}, fmt.Errorf("get %q: %w", id, retrieval.ErrNotFound)
	}
	d, err := sd.document()
	if err != nil {
		return retrieval.StoredDocument{}, fmt.Errorf("get %q: %w", id, err)
	}
	var chunks []chunkObject
	where := filters.Where().WithPath([]string{propDocID}).WithOperator(filters.Equal).WithValueText(id)
	q := b.client.GraphQL().Get().WithClassName(b.chunks).WithFields(chunkFields(false)...).WithWhere(where).WithLimit(max(sd.Chunks, 1))
	if err := b.get(ctx, q, b.chunks, &chunks); err != nil {
		return retrieval.StoredDocument{}, fmt.Errorf("get %q: %w", id, err)
	}
	slices.SortFunc(chunks, func(a, b chunkObject) int { return cmp.Compare(a.Index, b.Index) })
	out := retrieval.StoredDocument{Document: d, Chunks: make([]retrieval.Chunk, len(chunks))}
	for i, c := range chunks {
		out.Chunks[i] = c.chunk()
	}
	return out, nil
}

// document converts a stored document object.
func (sd storedDoc) document() (retrieval.Document, error) {
	d := retrieval.Document{ID: sd.DocID, Title: sd.Title, Text: sd.Text, Source: sd.Source, Author: sd.Author,
		Language: sd.Language, SiteName: sd.SiteName, StoryID: sd.StoryID}
	var err error
	if d.Published, err = parseTime(sd.Published); err != nil {
		return d, err
	}
	if d.Modified, err = parseTime(sd.Modified); err != nil {
		return d, err
	}
	if sd.Sections != "" {
		var ss []sectionJSON
		if err := json.Unmarshal([]byte(sd.Sections), &ss); err != nil {
			return d, fmt.Errorf("decode the sections of %q: %w", sd.DocID, err)
		}
		for _, s := range ss {
			d.Sections = append(d.Sections, retrieval.Section{Heading: s.Heading, Start: s.Start, End: s.End})
		}
	}
	return d, nil
}

func parseTime(s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, fmt.Errorf("decode date %q: %w", *s, err)
	}
	return t.UTC(), nil
}

// MaxListWindow is the deepest a listing can reach (offset plus limit):
// Weaviate's default QUERY_MAXIMUM_RESULTS.
const MaxListWindow = 10000

// List returns documents ordered by ID, skipping offset and returning at
// most limit, with the total number of documents. Offset plus limit may not
// exceed MaxListWindow.
func (b *Backend) List(ctx context.Context, offset, limit int) ([]retrieval.DocumentInfo, int, error) {
	total, err := b.count(ctx, b.docs, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("list: %w", err)
	}
	offset = min(max(offset, 0), total)
	limit = min(max(limit, 0), total-offset)
	if limit == 0 {
		return []retrieval.DocumentInfo{}, total, nil
	}
	if offset+limit > MaxListWindow {
		return nil, 0, fmt.Errorf("list: %w: weaviate lists at most the first %d documents (offset %d + limit %d)", retrieval.ErrInvalid, MaxListWindow, offset, limit)
	}
	var got []storedDoc
	fields := []graphql.Field{{Name: propDocID}, {Name: propTitle}, {Name: propSource}, {Name: propAuthor}, {Name: propPublished}, {Name: propChunks}, {Name: propChars}}
	q := b.client.GraphQL().Get().WithClassName(b.docs).WithFields(fields...).
		WithSort(graphql.Sort{Path: []string{propDocID}, Order: graphql.Asc}).WithOffset(offset).WithLimit(limit)
	if err := b.get(ctx, q, b.docs, &got); err != nil {
		return nil, 0, fmt.Errorf("list: %w", err)
	}
	out := make([]retrieval.DocumentInfo, len(got))
	for i, sd := range got {
		p, err := parseTime(sd.Published)
		if err != nil {
			return nil, 0, fmt.Errorf("list: %w", err)
		}
		out[i] = retrieval.DocumentInfo{ID: sd.DocID, Title: sd.Title, Source: sd.Source, Author: sd.Author, Published: p, Chunks: sd.Chunks, Chars: sd.Chars}
	}
	return out, total, nil
}

// Scan calls fn with every stored document, without its chunks, at most
// page a call (MaxListWindow when page is out of 1..MaxListWindow), in the
// order of their object UUIDs: Weaviate's cursor, which reads each page in
// time proportional to the page however deep the scan, where sorted,
// offset queries end at the query window.
func (b *Backend) Scan(ctx context.Context, page int, fn func([]retrieval.Document) error) error {
	if page < 1 || page > MaxListWindow {
		page = MaxListWindow
	}
	fields := []graphql.Field{{Name: propDocID}}
	for _, p := range []string{propTitle, propText, propSource, propAuthor, propPublished, propSections, propModified, propLanguage, propSiteName, propStoryID} {
		fields = append(fields, graphql.Field{Name: p})
	}
	after := ""
	for {
		q := b.client.GraphQL().Get().WithClassName(b.docs).WithFields(fields...).WithLimit(page)
		if after != "" {
			q = q.WithAfter(after)
		}
		var got []storedDoc
		if err := b.get(ctx, q, b.docs, &got); err != nil {
			if errors.Is(err, errNoClass) {
				return nil // nothing ingested yet
			}
			return fmt.Errorf("scan: %w", err)
		}
		if len(got) == 0 {
			return nil
		}
		docs := make([]retrieval.Document, len(got))
		for i, sd := range got {
			d, err := sd.document()
			if err != nil {
				return fmt.Errorf("scan: %w", err)
			}
			docs[i] = d
		}
		if err := fn(docs); err != nil {
			return err
		}
		if len(got) < page {
			return nil
		}
		after = string(docUUID(got[len(got)-1].DocID))
	}
}

// count returns the number of objects of a collection that match where
// (all when nil).
func (b *Backend) count(ctx context.Context, class string, where *filters.WhereBuilder) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	q := b.client.GraphQL().Aggregate().WithClassName(class).
		WithFields(graphql.Field{Name: "meta", Fields: []graphql.Field{{Name: "count"}}})
	if where != nil {
		q = q.WithWhere(where)
	}
	resp, err := q.Do(ctx)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", class, classify(err))
	}
	if err := graphQLError(resp.Errors); err != nil {
		if errors.Is(err, errNoClass) {
			return 0, nil
		}
		return 0, fmt.Errorf("count %s: %w", class, err)
	}
	var got []struct {
		Meta struct {
			Count int `json:"count"`
		} `json:"meta"`
	}
	if err := decodeGet(resp, "Aggregate", class, &got); err != nil {
		return 0, err
	}
	if len(got) == 0 {
		return 0, nil
	}
	return got[0].Meta.Count, nil
}
