package parse_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval/parse"
	"github.com/ragd/ragd/retrieval/parse/pdftest"
)

func TestPDF(t *testing.T) {
	data := pdftest.Make("Annual report on coastal flooding", [][]string{
		{"Coastal flooding in 2024", "", "Sea levels along the east coast rose by four milli-", "metres, the agency said, and two towns were flooded.", "", "1"},
		{"Defences were raised in six places (Picture: Agency/PA)", "", "The agency will publish its plan for the next decade in May.", "2"},
	})
	doc, err := parse.PDF("report", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Annual report on coastal flooding" || doc.Author != "Test Desk" {
		t.Errorf("title %q, author %q", doc.Title, doc.Author)
	}
	for _, want := range []string{"four millimetres, the agency said, and two towns were flooded.", "plan for the next decade in May."} {
		if !strings.Contains(doc.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, doc.Text)
		}
	}
	for _, not := range []string{"Agency/PA", "\n1\n", "\n2"} {
		if strings.Contains(doc.Text, not) {
			t.Errorf("text holds %q:\n%q", not, doc.Text)
		}
	}
	if len(doc.Sections) != 2 || doc.Sections[0].Heading != "Page 1" || doc.Sections[1].Heading != "Page 2" {
		t.Fatalf("sections = %+v, want one per page", doc.Sections)
	}
	runes := []rune(doc.Text)
	if got := string(runes[doc.Sections[1].Start:doc.Sections[1].End]); !strings.HasPrefix(got, "The agency will publish") {
		t.Errorf("page 2 section starts %q", got)
	}
}

func TestPDFHeadlineWithoutTitle(t *testing.T) {
	data := pdftest.Make("", [][]string{{"Council approves new bridge over the Tyne", "", "The council voted on Tuesday to build a new footbridge, which will open in 2027."}})
	doc, err := parse.PDF("bridge", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Council approves new bridge over the Tyne" {
		t.Errorf("title = %q", doc.Title)
	}
}

func TestPDFRefused(t *testing.T) {
	scanned := pdftest.Make("Scanned letter", [][]string{nil, nil})
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"scanned", scanned, parse.ErrNoText},
		{"truncated", scanned[:len(scanned)/2], nil},
		{"not a pdf", []byte("hello, world"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse.PDF("x", bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("got %v, want an error (%v)", err, tc.want)
			}
		})
	}
	_, err := parse.PDF("x", bytes.NewReader(scanned), int64(len(scanned)))
	if err == nil || !strings.Contains(err.Error(), "OCR") {
		t.Errorf("scanned PDF error %q does not say what to do", err)
	}
}
