package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ragd/ragd/retrieval"
)

// Query is a search query of a BEIR query set.
type Query struct {
	ID, Text string
}

// queryLine is one line of a BEIR queries.jsonl file.
type queryLine struct {
	ID   json.RawMessage `json:"_id"`
	Text string          `json:"text"`
}

// ReadQueries reads BEIR queries in JSONL, one {"_id": ..., "text": ...}
// a line; the ID may be a string or a number. Errors wrap ErrInvalid.
func ReadQueries(r io.Reader) ([]Query, error) {
	var out []Query
	err := readLines(r, func(_ int, b []byte) error {
		var ql queryLine
		if err := json.Unmarshal(b, &ql); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		id, err := jsonID(ql.ID)
		if err != nil {
			return err
		}
		out = append(out, Query{ID: id, Text: ql.Text})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read queries: %w", err)
	}
	return out, nil
}

// jsonID reads an ID written as a JSON string or number.
func jsonID(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil && strings.TrimSpace(s) != "" {
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil && n != "" {
		return n.String(), nil
	}
	return "", fmt.Errorf("%w: _id %s is not a non-empty string or a number", ErrInvalid, raw)
}

// Qrels holds relevance judgements by query ID.
type Qrels map[string]Relevance

// ReadQrels reads relevance judgements as BEIR writes them: tab- or
// space-separated lines "query-id corpus-id score" under a header line.
// TREC's four-column form "query-id iteration corpus-id score" is accepted
// too. A line whose score is not an integer is taken for a header when it
// is the first. Errors wrap ErrInvalid.
func ReadQrels(r io.Reader) (Qrels, error) {
	out := Qrels{}
	first := true
	err := readLines(r, func(_ int, b []byte) error {
		f := strings.Fields(string(b))
		header := first
		first = false
		var qid, did, score string
		switch len(f) {
		case 3:
			qid, did, score = f[0], f[1], f[2]
		case 4:
			qid, did, score = f[0], f[2], f[3]
		default:
			if header {
				return nil
			}
			return fmt.Errorf("%w: want 3 or 4 fields, got %d", ErrInvalid, len(f))
		}
		g, err := strconv.Atoi(score)
		if err != nil {
			if header {
				return nil
			}
			return fmt.Errorf("%w: score %q is not an integer", ErrInvalid, score)
		}
		if out[qid] == nil {
			out[qid] = Relevance{}
		}
		out[qid][did] = g
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read qrels: %w", err)
	}
	return out, nil
}

// Searcher ranks chunks for a query; every retrieval.Backend is one.
type Searcher interface {
	Search(ctx context.Context, req retrieval.SearchRequest) ([]retrieval.Hit, error)
}

var _ Searcher = retrieval.Backend(nil)

// Retrieval cut-offs: the ranks at which BEIR-style metrics are taken.
const (
	// NDCGDepth is the cut-off of nDCG and MRR.
	NDCGDepth = 10
	// RecallDepth is the cut-off of recall and the number of documents
	// each query tries to retrieve.
	RecallDepth = 100
)

// RetrievalOptions shape the searches of a retrieval evaluation.
type RetrievalOptions struct {
	// Mode, Fusion and DenseWeight pass through to retrieval.SearchRequest.
	Mode        retrieval.Mode
	Fusion      retrieval.Fusion
	DenseWeight float64
	// MaxQueries, when positive, evaluates only the first judged queries
	// in the order of the query set.
	MaxQueries int
}

// RetrievalResult is the outcome of one query.
type RetrievalResult struct {
	Query Query
	// Docs are the retrieved document IDs, best first.
	Docs []string
	// NDCG10, Recall100 and MRR10 are the query's metrics.
	NDCG10, Recall100, MRR10 float64
}

// RetrievalSummary holds the mean metrics of a retrieval evaluation.
type RetrievalSummary struct {
	// Queries counts the evaluated queries.
	Queries int
	// NDCG10 is the mean nDCG@10, Recall100 the mean recall@100 and MRR10
	// the mean reciprocal rank within the first 10 documents.
	NDCG10, Recall100, MRR10 float64
	// NDCG10SE is the standard error of the mean nDCG@10 over the queries:
	// how far another sample of queries of the same kind could move it.
	NDCG10SE float64
	// MeanDocs is the mean number of distinct documents retrieved per
	// query, which can fall short of RecallDepth when documents span
	// several chunks.
	MeanDocs float64
	// Search is the total time spent searching.
	Search time.Duration
}

// RetrievalReport is the evaluation of a query set.
type RetrievalReport struct {
	Summary RetrievalSummary
	Results []RetrievalResult
}

// RunRetrieval searches s for every query that qrels judges at least one
// document relevant for, in the order of queries, one at a time, and
// scores the document rankings. Other queries are skipped. Each search asks
// for retrieval.MaxK chunks, the most a search returns, and ranks documents
// by their best chunk, keeping the first RecallDepth.
func RunRetrieval(ctx context.Context, s Searcher, queries []Query, qrels Qrels, opt RetrievalOptions) (RetrievalReport, error) {
	var rep RetrievalReport
	var docs int
	for _, q := range queries {
		rel := qrels[q.ID]
		if rel.relevant() == 0 || strings.TrimSpace(q.Text) == "" {
			continue
		}
		if opt.MaxQueries > 0 && len(rep.Results) == opt.MaxQueries {
			break
		}
		start := time.Now()
		hits, err := s.Search(ctx, retrieval.SearchRequest{
			Query: q.Text, K: retrieval.MaxK, Mode: opt.Mode, Fusion: opt.Fusion, DenseWeight: opt.DenseWeight,
		})
		rep.Summary.Search += time.Since(start)
		if err != nil {
			return RetrievalReport{}, fmt.Errorf("query %s: %w", q.ID, err)
		}
		ranked := cutoff(DocumentRanking(hits), RecallDepth)
		res := RetrievalResult{
			Query: q, Docs: ranked,
			NDCG10:    NDCG(ranked, rel, NDCGDepth),
			Recall100: Recall(ranked, rel, RecallDepth),
			MRR10:     ReciprocalRank(ranked, rel, NDCGDepth),
		}
		rep.Results = append(rep.Results, res)
		rep.Summary.NDCG10 += res.NDCG10
		rep.Summary.Recall100 += res.Recall100
		rep.Summary.MRR10 += res.MRR10
		docs += len(ranked)
	}
	if n := len(rep.Results); n > 0 {
		ndcg := make([]float64, n)
		for i, r := range rep.Results {
			ndcg[i] = r.NDCG10
		}
		rep.Summary.NDCG10SE = StandardError(ndcg)
		rep.Summary.Queries = n
		rep.Summary.NDCG10 /= float64(n)
		rep.Summary.Recall100 /= float64(n)
		rep.Summary.MRR10 /= float64(n)
		rep.Summary.MeanDocs = float64(docs) / float64(n)
	}
	return rep, nil
}

// DocumentRanking turns chunk hits, best first, into document IDs ranked by
// their best chunk: the first occurrence of each document.
func DocumentRanking(hits []retrieval.Hit) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.DocID
	}
	return rankDocs(ids)
}
