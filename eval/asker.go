package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/web"
)

// Reply is what evaluation reads from one answer.
type Reply struct {
	// Text is the answer text.
	Text string
	// Abstained reports that ragd declined to answer.
	Abstained bool
	// Docs ranks document IDs: the cited documents in citation order, then
	// the other retrieved documents in rank order, each once.
	Docs []string
	// Evidence is the support score that abstention compared with its
	// threshold; reported so that the threshold can be calibrated on data.
	Evidence float64
	// Passages are the texts of the retrieved passages, in rank order.
	Passages []string
	// PassageDocs are the document IDs of Passages.
	PassageDocs []string
	// Generated reports an answer that the language model was asked for
	// (an answer it wrote or its "no answer").
	Generated bool
	// Verified reports a generated answer every sentence of which the
	// passages it cites support.
	Verified bool
}

// AskFunc asks ragd one question.
type AskFunc func(ctx context.Context, q Question) (Reply, error)

// Answerer answers a question in process; *qa.Answerer is one.
type Answerer interface {
	Answer(ctx context.Context, question string, opt qa.Options) (qa.Answer, error)
}

var _ Answerer = (*qa.Answerer)(nil)

// Local returns an AskFunc that answers with a, retrieving k passages (zero
// means qa.DefaultK).
func Local(a Answerer, k int) AskFunc {
	return func(ctx context.Context, q Question) (Reply, error) {
		opt := qa.Options{K: k, Filter: retrieval.Filter{ExcludeDocIDs: q.Exclude}}
		if !q.AsOf.IsZero() {
			opt.Filter.To = q.AsOf.Add(24*time.Hour - time.Nanosecond)
		}
		ans, err := a.Answer(ctx, q.Text, opt)
		if err != nil {
			return Reply{}, err
		}
		return ReplyFromAnswer(ans), nil
	}
}

// ReplyFromAnswer converts an in-process answer to a Reply.
func ReplyFromAnswer(a qa.Answer) Reply {
	cited := make([]string, len(a.Citations))
	for i, c := range a.Citations {
		cited[i] = c.DocID
	}
	passages := make([]string, len(a.Passages))
	texts := make([]string, len(a.Passages))
	for i, p := range a.Passages {
		passages[i], texts[i] = p.DocID, p.Text
	}
	verified := a.Generated && !a.Abstained && len(a.Sentences) > 0
	for _, s := range a.Sentences {
		verified = verified && s.Supported
	}
	return Reply{Text: a.Text, Abstained: a.Abstained, Docs: rankDocs(cited, passages), Evidence: a.Evidence, Passages: texts, PassageDocs: passages,
		Generated: a.Generated, Verified: verified}
}

// ReplyFromResponse converts an answer received over HTTP to a Reply.
func ReplyFromResponse(r web.AskResponse) Reply {
	cited := make([]string, len(r.Citations))
	for i, c := range r.Citations {
		cited[i] = c.DocID
	}
	passages := make([]string, len(r.Passages))
	texts := make([]string, len(r.Passages))
	for i, p := range r.Passages {
		passages[i], texts[i] = p.DocID, p.Text
	}
	return Reply{Text: r.Answer, Abstained: r.Abstained, Docs: rankDocs(cited, passages), Evidence: r.Evidence, Passages: texts, PassageDocs: passages}
}

// rankDocs concatenates document ID lists, keeping the first occurrence of
// each ID.
func rankDocs(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range lists {
		for _, id := range list {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// askBody is the request of POST /api/ask that evaluation sends.
type askBody struct {
	Question string      `json:"question"`
	K        int         `json:"k,omitempty"`
	Filters  *askFilters `json:"filters,omitempty"`
}

type askFilters struct {
	PublishedTo  string   `json:"published_to,omitempty"`
	ExcludeDocID []string `json:"exclude_doc_id,omitempty"`
}

// Remote returns an AskFunc that posts each question to POST /api/ask of the
// ragd server at baseURL with client, retrieving k passages (zero means the
// server's default).
func Remote(client *http.Client, baseURL string, k int) AskFunc {
	endpoint := strings.TrimRight(baseURL, "/") + "/api/ask"
	return func(ctx context.Context, q Question) (Reply, error) {
		ab := askBody{Question: q.Text, K: k}
		if !q.AsOf.IsZero() || len(q.Exclude) > 0 {
			ab.Filters = &askFilters{ExcludeDocID: q.Exclude}
			if !q.AsOf.IsZero() {
				ab.Filters.PublishedTo = q.AsOf.Format(time.DateOnly)
			}
		}
		body, err := json.Marshal(ab)
		if err != nil {
			return Reply{}, fmt.Errorf("ask: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return Reply{}, fmt.Errorf("ask: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return Reply{}, fmt.Errorf("ask: %w", err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			return Reply{}, fmt.Errorf("ask: read response: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			var e struct {
				Error string `json:"error"`
			}
			if json.Unmarshal(data, &e) == nil && e.Error != "" {
				return Reply{}, fmt.Errorf("ask: %s: %s", resp.Status, e.Error)
			}
			return Reply{}, fmt.Errorf("ask: %s", resp.Status)
		}
		var ar web.AskResponse
		if err := json.Unmarshal(data, &ar); err != nil {
			return Reply{}, fmt.Errorf("ask: decode response: %w", err)
		}
		if ar.Answer == "" && !ar.Abstained {
			return Reply{}, errors.New("ask: response has neither an answer nor an abstention")
		}
		return ReplyFromResponse(ar), nil
	}
}
