package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ragd/ragd/qa"
	"github.com/ragd/ragd/web"
)

func runAsk(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "ask", "QUESTION")
	var sc storeConfig
	sc.register(fs)
	sc.registerRank(fs)
	var ac answerConfig
	ac.register(fs)
	var lc llmConfig
	lc.register(fs)
	var ff filterFlags
	ff.register(fs)
	sc.registerCollapse(fs)
	k := fs.Int("k", qa.DefaultK, "passages to retrieve (1-50)")
	asJSON := fs.Bool("json", false, "print the answer as the API's JSON")
	if err := fs.parse(args); err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if question == "" {
		return usagef("no question given: ragd ask [flags] QUESTION")
	}
	if *k < 1 || *k > qa.MaxK {
		return usagef("-k %d is outside 1..%d", *k, qa.MaxK)
	}
	filter, err := ff.filter()
	if err != nil {
		return usage(err)
	}
	sc.existing = true
	st, answerer, err := openAnswerer(ctx, e, &sc, &ac, &lc)
	if err != nil {
		return err
	}
	defer st.Close()
	opt := qa.Options{K: *k, Filter: filter}
	// Without --json the answer is printed as it is produced: a generated
	// answer word by word as the model writes it.
	var streamed strings.Builder
	if !*asJSON {
		opt.OnDelta = func(delta string) {
			streamed.WriteString(delta)
			io.WriteString(e.stdout, delta)
		}
	}
	ans, err := answerer.Answer(ctx, question, opt)
	if streamed.Len() > 0 && (err != nil || *asJSON) {
		fmt.Fprintln(e.stdout)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(web.AnswerJSON(ans))
	}
	if got := squeeze(streamed.String()); !strings.HasSuffix(got, squeeze(ans.Text)) {
		// What the model wrote is not the answer: it said that it could not
		// answer, which ragd words its own way.
		if got != "" {
			fmt.Fprint(e.stdout, "\n\n")
		}
		fmt.Fprint(e.stdout, ans.Text)
	}
	fmt.Fprintln(e.stdout)
	if ans.Warning != "" {
		fmt.Fprintf(e.stderr, "warning: %s\n", ans.Warning)
	}
	if len(ans.Citations) > 0 {
		fmt.Fprintln(e.stdout)
	}
	for _, c := range ans.Citations {
		fmt.Fprintf(e.stdout, "[%d] %s — %s", c.N, c.Title, c.Source)
		if !c.Published.IsZero() {
			fmt.Fprintf(e.stdout, " (%s)", c.Published.Format("2 Jan 2006"))
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}

// squeeze returns s with every run of white space made one space, trimmed.
func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }
