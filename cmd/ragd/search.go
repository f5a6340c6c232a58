package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ragd/ragd/retrieval"
	"github.com/ragd/ragd/web"
)

// filterFlags are the search filters on the command line.
type filterFlags struct {
	DocIDs, ExcludeDocIDs, Source, Author, From, To, Story string
}

func (f *filterFlags) register(fs *flagSet) {
	defer fs.group("filter")()
	fs.StringVar(&f.DocIDs, "doc-id", "", "only these documents (comma-separated ids)")
	fs.StringVar(&f.ExcludeDocIDs, "exclude-doc-id", "", "leave out these documents (comma-separated ids)")
	fs.StringVar(&f.Source, "source", "", "only documents with this source")
	fs.StringVar(&f.Author, "author", "", "only documents by this author")
	fs.StringVar(&f.From, "from", "", "only documents published on or after this date (YYYY-MM-DD)")
	fs.StringVar(&f.To, "to", "", "only documents published on or before this date (YYYY-MM-DD)")
	fs.StringVar(&f.Story, "story", "", "only the copies of this story (a story_id from search --json)")
}

func (f *filterFlags) filter() (retrieval.Filter, error) {
	wire := web.FiltersJSON{Source: f.Source, Author: f.Author, PublishedFrom: f.From, PublishedTo: f.To, StoryID: f.Story}
	wire.DocID = splitIDs(f.DocIDs)
	wire.ExcludeDocID = splitIDs(f.ExcludeDocIDs)
	out, err := wire.Filter()
	if err != nil {
		return out, fmt.Errorf("--%s", strings.Replace(strings.Replace(err.Error(), "published_from", "from", 1), "published_to", "to", 1))
	}
	return out, nil
}

// splitIDs splits a comma-separated list of document IDs, dropping blanks.
func splitIDs(s string) []string {
	var out []string
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func runSearch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "search", "QUERY")
	var sc storeConfig
	sc.register(fs)
	sc.registerRank(fs)
	var ff filterFlags
	ff.register(fs)
	k := fs.Int("k", web.DefaultK, "number of hits (1-100)")
	asJSON := fs.Bool("json", false, "print the hits as JSON")
	mode := fs.String("mode", "hybrid", "ranking: hybrid, lexical or dense")
	sc.registerCollapse(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if query == "" {
		return usagef("no query given: ragd search [flags] QUERY")
	}
	if *k < 1 || *k > retrieval.MaxK {
		return usagef("-k %d is outside 1..%d", *k, retrieval.MaxK)
	}
	m, err := retrieval.ParseMode(*mode)
	if err != nil {
		return usagef("--mode: %v", err)
	}
	filter, err := ff.filter()
	if err != nil {
		return usage(err)
	}
	sc.existing = true
	st, _, err := sc.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	hits, err := sc.retriever(st).Search(ctx, retrieval.SearchRequest{Query: query, K: *k, Filter: filter, Mode: m})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(web.SearchResponse{Hits: web.HitsJSON(hits)})
	}
	if len(hits) == 0 {
		fmt.Fprintln(e.stdout, "no hits")
		return nil
	}
	for i, h := range hits {
		fmt.Fprintf(e.stdout, "%2d. %.4f  %s  %s\n", i+1, h.Score, h.ID, h.Title)
		fmt.Fprintf(e.stdout, "    %s\n", excerpt(h.Text, 240))
	}
	return nil
}

// excerpt shortens text to about n characters on a word boundary.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + " …"
}
