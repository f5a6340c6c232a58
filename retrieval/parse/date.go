package parse

import (
	"fmt"
	"strings"
	"time"
)

// dateLayouts are the date formats documents may use, most precise first.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02",
	"2006/01/02",
}

// parseDate parses a publication date in one of dateLayouts.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse date %q: want RFC 3339, YYYY-MM-DD or YYYY/MM/DD", s)
}
