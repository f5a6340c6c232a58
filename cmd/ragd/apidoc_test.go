package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// apiDoc is the API's documentation, whose marked examples this file
// checks against a live server.
const apiDoc = "../../docs/api.md"

// docExample is one request of docs/api.md with its documented response.
type docExample struct {
	line           int
	method, path   string
	header         http.Header
	body           string
	status         int
	response       string
	responseLineNo int
	// events says the response is a stream of server-sent events.
	events bool
}

// readDocExamples reads every example of the API documentation that follows
// a "<!-- check -->" line: an http block (request line, headers, a blank
// line, the body) and then a json block whose info string may give the
// status (200 when it does not), or a text block of server-sent events.
func readDocExamples(tb testing.TB, path string) []docExample {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	// block returns the fenced block starting at or after line i: its
	// info string, its lines and the line after it.
	block := func(i int) (info string, body []string, next int) {
		for i < len(lines) && !strings.HasPrefix(lines[i], "```") {
			if strings.TrimSpace(lines[i]) != "" {
				tb.Fatalf("%s:%d: text between a checked request and its block: %q", path, i+1, lines[i])
			}
			i++
		}
		if i == len(lines) {
			tb.Fatalf("%s: a checked example has no block", path)
		}
		info = strings.TrimPrefix(lines[i], "```")
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		return info, body, i + 1
	}
	var out []docExample
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "<!-- check -->" {
			continue
		}
		ex := docExample{line: i + 1, header: http.Header{}, status: 200}
		info, req, next := block(i + 1)
		if info != "http" || len(req) == 0 {
			tb.Fatalf("%s:%d: a checked example starts with a block of %q, want http", path, ex.line, info)
		}
		fields := strings.Fields(req[0])
		if len(fields) != 2 {
			tb.Fatalf("%s:%d: request line %q, want METHOD PATH", path, ex.line, req[0])
		}
		ex.method, ex.path = fields[0], fields[1]
		j := 1
		for ; j < len(req) && req[j] != ""; j++ {
			k, v, ok := strings.Cut(req[j], ":")
			if !ok {
				tb.Fatalf("%s:%d: header line %q", path, ex.line, req[j])
			}
			ex.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
		if j < len(req) {
			ex.body = strings.Join(req[j+1:], "\n")
		}
		ex.responseLineNo = next
		info, resp, next := block(next)
		infoFields := strings.Fields(info)
		if len(infoFields) == 0 || infoFields[0] != "json" && infoFields[0] != "text" {
			tb.Fatalf("%s:%d: a checked request is followed by a block of %q, want json or text (events)", path, ex.line, info)
		}
		ex.events = infoFields[0] == "text"
		if len(infoFields) > 1 {
			if ex.status, err = strconv.Atoi(infoFields[1]); err != nil {
				tb.Fatalf("%s:%d: status %q", path, ex.line, infoFields[1])
			}
		}
		ex.response = strings.Join(resp, "\n")
		out = append(out, ex)
		i = next - 1
	}
	return out
}

// TestAPIDocumentationMatchesTheServer sends every checked request of
// docs/api.md to a real ragd server holding the seed articles, in the
// document's order, and compares each documented response with the live
// one: the status, and every field's name and JSON type, nested. A field
// documented but not sent, or sent but not documented, fails.
func TestAPIDocumentationMatchesTheServer(t *testing.T) {
	examples := readDocExamples(t, apiDoc)
	if len(examples) < 10 {
		t.Fatalf("%s has %d checked examples, want every route's", apiDoc, len(examples))
	}
	base := startRagd(t)
	routes := map[string]bool{}
	for _, ex := range examples {
		name := fmt.Sprintf("%s %s (line %d)", ex.method, ex.path, ex.line)
		routes[ex.method+" "+strings.SplitN(ex.path, "?", 2)[0]] = true
		var documented any
		if !ex.events {
			if err := json.Unmarshal([]byte(ex.response), &documented); err != nil {
				t.Fatalf("%s: the documented response is not JSON: %v", name, err)
			}
		}
		req, err := http.NewRequest(ex.method, base+ex.path, strings.NewReader(ex.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = ex.header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != ex.status {
			t.Errorf("%s: status %d, documented %d: %s", name, resp.StatusCode, ex.status, data)
			continue
		}
		if ex.events {
			for _, d := range compareEvents(t, name, ex.response, string(data)) {
				t.Errorf("%s: %s", name, d)
			}
			continue
		}
		var live any
		if err := json.Unmarshal(data, &live); err != nil {
			t.Errorf("%s: the response is not JSON: %v", name, err)
			continue
		}
		for _, d := range compareShape("", documented, live) {
			t.Errorf("%s: %s", name, d)
		}
	}
	for _, want := range []string{"POST /api/documents", "GET /api/documents", "DELETE /api/documents/harbour-1", "POST /api/search", "POST /api/ask", "POST /v1/chat/completions", "GET /v1/models", "GET /healthz"} {
		if !routes[want] {
			t.Errorf("%s checks no %s", apiDoc, want)
		}
	}
}

// sseEvent is one server-sent event: its name ("" for a data-only event)
// and its data.
type sseEvent struct{ name, data string }

// parseEvents reads a stream of server-sent events, skipping comments.
func parseEvents(stream string) []sseEvent {
	var out []sseEvent
	for _, block := range strings.Split(strings.ReplaceAll(stream, "\r\n", "\n"), "\n\n") {
		var ev sseEvent
		has := false
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, "event:"):
				ev.name, has = strings.TrimSpace(strings.TrimPrefix(line, "event:")), true
			case strings.HasPrefix(line, "data:"):
				ev.data, has = strings.TrimSpace(strings.TrimPrefix(line, "data:")), true
			}
		}
		if has {
			out = append(out, ev)
		}
	}
	return out
}

// compareEvents lists the differences between a documented event stream
// and a live one: the events' names in order, and each event's data as
// compareShape compares JSON (data that is not JSON, such as [DONE], must
// be equal).
func compareEvents(tb testing.TB, name, documented, live string) []string {
	tb.Helper()
	doc, got := parseEvents(documented), parseEvents(live)
	names := func(evs []sseEvent) string {
		var n []string
		for _, e := range evs {
			n = append(n, orDefault(e.name, "message"))
		}
		return strings.Join(n, " ")
	}
	if names(doc) != names(got) {
		return []string{fmt.Sprintf("events %q, documented %q", names(got), names(doc))}
	}
	var diffs []string
	for i := range doc {
		var d, l any
		if err := json.Unmarshal([]byte(doc[i].data), &d); err != nil {
			if doc[i].data != got[i].data {
				diffs = append(diffs, fmt.Sprintf("event %d data %q, documented %q", i, got[i].data, doc[i].data))
			}
			continue
		}
		if err := json.Unmarshal([]byte(got[i].data), &l); err != nil {
			diffs = append(diffs, fmt.Sprintf("event %d (%s): data %q is not JSON", i, doc[i].name, got[i].data))
			continue
		}
		for _, diff := range compareShape(fmt.Sprintf("event %d (%s)", i, orDefault(doc[i].name, "message")), d, l) {
			diffs = append(diffs, diff)
		}
	}
	return diffs
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// compareShape lists the differences of field names and JSON types between
// a documented value and a live one. null matches any type (a field such
// as published is null or a string); the elements of an array are compared
// as one shape, the union of their fields.
func compareShape(path string, doc, live any) []string {
	if doc == nil || live == nil {
		return nil
	}
	if kd, kl := kind(doc), kind(live); kd != kl {
		return []string{fmt.Sprintf("%s is %s, documented as %s", orRoot(path), kl, kd)}
	}
	switch d := doc.(type) {
	case map[string]any:
		l := live.(map[string]any)
		var diffs []string
		for _, k := range sortedKeys(d) {
			if _, ok := l[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s is documented but not sent", path, k))
				continue
			}
			diffs = append(diffs, compareShape(path+"."+k, d[k], l[k])...)
		}
		for _, k := range sortedKeys(l) {
			if _, ok := d[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s is sent but not documented", path, k))
			}
		}
		return diffs
	case []any:
		l := live.([]any)
		if len(d) == 0 || len(l) == 0 {
			return nil
		}
		return compareShape(path+"[]", merge(d), merge(l))
	}
	return nil
}

// merge is the union of the elements of an array of objects, or its first
// element when they are not objects.
func merge(elems []any) any {
	m, ok := elems[0].(map[string]any)
	if !ok {
		return elems[0]
	}
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for _, e := range elems[1:] {
		if em, ok := e.(map[string]any); ok {
			for k, v := range em {
				if out[k] == nil {
					out[k] = v
				}
			}
		}
	}
	return out
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

func orRoot(path string) string {
	if path == "" {
		return "the body"
	}
	return path
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestCompareShape(t *testing.T) {
	tests := []struct {
		name, doc, live string
		want            []string
	}{
		{"same", `{"a":1,"b":[{"c":"x"}]}`, `{"a":2,"b":[{"c":"y"},{"c":"z"}]}`, nil},
		{"missing field", `{"a":1,"author":""}`, `{"a":1}`, []string{".author is documented but not sent"}},
		{"undocumented field", `{"a":1}`, `{"a":1,"usage":{}}`, []string{".usage is sent but not documented"}},
		{"wrong type", `{"a":"1"}`, `{"a":1}`, []string{".a is a number, documented as a string"}},
		{"null matches", `{"published":null}`, `{"published":"2026-01-15"}`, nil},
		{"nested in arrays", `{"hits":[{"x":1}]}`, `{"hits":[{"x":1,"y":2}]}`, []string{".hits[].y is sent but not documented"}},
		{"optional in some elements", `{"c":[{"h":[1,2]},{"n":1}]}`, `{"c":[{"n":1,"h":[1,2]},{"n":2}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc, live any
			json.Unmarshal([]byte(tt.doc), &doc)
			json.Unmarshal([]byte(tt.live), &live)
			got := compareShape("", doc, live)
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
