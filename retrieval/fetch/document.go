package fetch

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/retrieval/parse"
)

// ArticleTypes are the media types Document reads.
var ArticleTypes = []string{"text/html", "application/xhtml+xml", "application/pdf", "text/plain"}

// Document fetches the article at rawURL and returns it as ragd stores it:
// an HTML page read by ReadArticle (its ID and Source are the canonical
// URL), a PDF by parse.PDF, and plain text by the text parser (their ID
// and Source are the URL after redirects). Other media types give an
// error wrapping ErrContentType; the Client's own Accept list, if any, is
// checked first.
func (c *Client) Document(ctx context.Context, rawURL string) (retrieval.Document, error) {
	resp, err := c.Get(ctx, rawURL, Validators{})
	if err != nil {
		return retrieval.Document{}, err
	}
	final := *resp.URL
	final.Fragment = ""
	id := final.String()
	switch resp.MediaType {
	case "text/html", "application/xhtml+xml":
		a, err := ReadArticle(resp.Body, resp.Charset, &final)
		if err != nil {
			return retrieval.Document{}, fmt.Errorf("%s: %w", id, err)
		}
		d := a.Document
		d.Modified, d.Language, d.SiteName = a.Modified, a.Language, a.SiteName
		return d, nil
	case "application/pdf":
		d, err := parse.PDF(id, bytes.NewReader(resp.Body), int64(len(resp.Body)))
		if err != nil {
			return retrieval.Document{}, fmt.Errorf("%s: %w", id, err)
		}
		if d.Title == "" {
			d.Title = path.Base(final.Path)
		}
		d.Source = id
		return d, nil
	case "text/plain":
		if bytes.IndexByte(resp.Body[:min(len(resp.Body), 8<<10)], 0) >= 0 {
			return retrieval.Document{}, fmt.Errorf("%s: %w: text/plain holding binary data", id, ErrContentType)
		}
		d := parse.Text(id, string(resp.Body)) // cleaned of furniture
		d.Source = id
		return d, nil
	}
	return retrieval.Document{}, fmt.Errorf("%s: %w %q (want %s)", id, ErrContentType, resp.MediaType, strings.Join(ArticleTypes, ", "))
}
