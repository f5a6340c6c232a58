package parse_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ragd/ragd/retrieval/parse"
)

// makePDF writes a PDF whose pages show the given lines in Helvetica, one
// text object per line as word processors write them, with an Info
// dictionary titled title (none when empty). A page given as nil holds
// only an image, as a scanner's page does.
func makePDF(tb testing.TB, title string, pages [][]string) []byte {
	tb.Helper()
	var objs []string // objects 1..n
	add := func(s string) int { objs = append(objs, s); return len(objs) }
	catalog := add("") // filled in below
	pagesObj := add("")
	font := add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	image := add("<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream")
	var kids []string
	for _, lines := range pages {
		var content strings.Builder
		if lines == nil {
			content.WriteString("q 500 0 0 700 50 50 cm /Im1 Do Q\n")
		}
		y := 740
		for _, l := range lines {
			if l == "" {
				y -= 18 // a blank line: a paragraph break
				continue
			}
			esc := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(l)
			fmt.Fprintf(&content, "BT /F1 11 Tf 72 %d Td (%s) Tj ET\n", y, esc)
			y -= 14
		}
		stream := add(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String()))
		page := add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> /Contents %d 0 R >>", pagesObj, font, image, stream))
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
	}
	objs[catalog-1] = fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pagesObj)
	objs[pagesObj-1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))
	info := 0
	if title != "" {
		info = add(fmt.Sprintf("<< /Title (%s) /Author (Test Desk) >>", title))
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	trailer := fmt.Sprintf("/Size %d /Root %d 0 R", len(objs)+1, catalog)
	if info != 0 {
		trailer += fmt.Sprintf(" /Info %d 0 R", info)
	}
	fmt.Fprintf(&b, "trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n", trailer, xref)
	return b.Bytes()
}

func TestPDF(t *testing.T) {
	data := makePDF(t, "Annual report on coastal flooding", [][]string{
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
	data := makePDF(t, "", [][]string{{"Council approves new bridge over the Tyne", "", "The council voted on Tuesday to build a new footbridge, which will open in 2027."}})
	doc, err := parse.PDF("bridge", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Council approves new bridge over the Tyne" {
		t.Errorf("title = %q", doc.Title)
	}
}

func TestPDFRefused(t *testing.T) {
	scanned := makePDF(t, "Scanned letter", [][]string{nil, nil})
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
