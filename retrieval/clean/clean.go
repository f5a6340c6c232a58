// Package clean removes page furniture from article text (navigation,
// "Related topics", newsletter and share prompts, video-player and ad
// residue, photo captions and credits) and finds the headline by its
// position and shape.
package clean

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ragd/ragd/retrieval"
)

// MaxHeadline is the longest line, in characters, taken for a headline.
const MaxHeadline = 200

// Document returns d with its furniture lines removed from Text and its
// Sections moved to match (a section left empty is dropped). Title becomes
// the headline found in the text when d has no title or its title is the
// text's first line (the title a plain-text parser derives); a title from
// the page's metadata is kept. A document whose every line is furniture is
// returned unchanged: refusing it is the store's decision, not the cleaner's.
func Document(d retrieval.Document) retrieval.Document {
	lines := splitLines(d.Text)
	keep := Keep(lines)
	kept := 0
	for _, k := range keep {
		if k {
			kept++
		}
	}
	if kept == 0 {
		return d
	}
	var b strings.Builder
	var spans []span
	old, out := 0, 0 // code point offsets into the old and new text
	wrote, blank, removed := false, true, false
	for i, l := range lines {
		n := utf8.RuneCountInString(l)
		isBlank := strings.TrimSpace(l) == ""
		switch {
		case !keep[i]:
			removed = true
		case isBlank && blank && removed:
			// A blank line that a removal left beside another, or first.
		default:
			if wrote {
				b.WriteByte('\n')
				out++
			}
			wrote = true
			b.WriteString(l)
			spans = append(spans, span{old: old, new: out, n: n})
			out += n
			blank = isBlank
			removed = removed && isBlank
		}
		old += n + 1
	}
	orig := d.Text
	d.Text = strings.TrimRightFunc(b.String(), unicode.IsSpace)
	d.Sections = remap(d.Sections, spans, utf8.RuneCountInString(d.Text))
	if h := Headline(splitLines(d.Text)); h != "" && (d.Title == "" || d.Title == firstLine(orig)) {
		d.Title = retrieval.DerivedTitle(h) // a long sentence cut as a long first line is
	}
	return d
}

// span maps n code points at old in the original text to new in the cleaned one.
type span struct{ old, new, n int }

// remap moves section offsets through spans, dropping emptied sections;
// limit is the cleaned text's length, which trailing space trimmed after
// the spans were taken may have made shorter than they say.
func remap(secs []retrieval.Section, spans []span, limit int) []retrieval.Section {
	if len(secs) == 0 {
		return secs
	}
	if len(spans) == 0 {
		return nil // nothing kept
	}
	at := func(pos int) int { // new offset of the first kept code point at or after pos
		for _, s := range spans {
			if pos < s.old+s.n {
				if pos <= s.old {
					return s.new
				}
				return s.new + pos - s.old
			}
		}
		last := spans[len(spans)-1]
		return last.new + last.n
	}
	out := secs[:0:0]
	for _, s := range secs {
		ns := retrieval.Section{Heading: s.Heading, Start: min(at(s.Start), limit), End: min(at(s.End), limit)}
		if ns.End > ns.Start {
			out = append(out, ns)
		}
	}
	return out
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

func firstLine(s string) string {
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// Keep reports, for each line of an article, whether it is text to keep
// (true) or furniture (false). Blank lines are kept.
func Keep(lines []string) []bool {
	keep := make([]bool, len(lines))
	norm := make([]string, len(lines))
	for i, l := range lines {
		keep[i] = true
		norm[i] = normalize(l)
	}
	content := 0 // non-blank lines
	for _, n := range norm {
		if n != "" {
			content++
		}
	}
	seen := 0
	for i, l := range lines {
		n := norm[i]
		if n == "" {
			continue
		}
		seen++
		switch {
		case trailerMarker(n) && seen > content/3:
			// Everything from here on is the page's links to other pages.
			for j := i; j < len(lines); j++ {
				keep[j] = false
			}
			return finishLabels(lines, norm, keep)
		case furniture(n), credit(l), isCaptionCredit(l):
			keep[i] = false
		case i+1 < len(lines) && isCaptionCredit(lines[i+1]) && captionText(l, lines[i+1]):
			// An image's alt text, repeated by the captioned credit after it.
			keep[i] = false
		}
	}
	return finishLabels(lines, norm, keep)
}

// finishLabels removes section labels ("UK", "Ukraine") standing above the
// headline at the top of the article: among its first three lines, those
// of label shape that a headline-shaped line follows.
func finishLabels(lines, norm []string, keep []bool) []bool {
	var top []int // the first three kept non-blank lines
	for i := range lines {
		if keep[i] && norm[i] != "" {
			if top = append(top, i); len(top) == 3 {
				break
			}
		}
	}
	for j, i := range top {
		if headlineShaped(strings.TrimSpace(lines[i])) {
			for _, k := range top[:j] {
				if isLabel(strings.TrimSpace(lines[k])) {
					keep[k] = false
				}
			}
			break
		}
	}
	return keep
}

// normalize lowercases a line and strips list markers, emoji, symbols and
// punctuation at its ends, for matching against the furniture phrases.
func normalize(l string) string {
	l = strings.TrimSpace(l)
	l = strings.TrimLeft(l, "-•·*|>» ")
	l = strings.TrimFunc(l, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == '\uFE0F' || r == '\u200D'
	})
	return strings.ToLower(strings.Join(strings.Fields(l), " "))
}

// phrases are whole lines that are page furniture, normalised.
var phrases = map[string]bool{
	// navigation and page chrome
	"skip to content": true, "skip to main content": true, "skip to navigation": true, "menu": true,
	"home": true, "search": true, "sign in": true, "log in": true, "login": true, "register": true,
	"back to top": true, "close": true, "loading": true, "print": true, "email": true, "copy link": true,
	"accept cookies": true, "accept all cookies": true, "manage cookies": true, "cookie settings": true,
	"top stories": true, "more stories": true, "up next": true, "latest news": true, "breaking news": true,
	"comments": true, "view comments": true, "show comments": true, "add a comment": true,
	// share prompts
	"share": true, "share this": true, "share this article": true, "share this story": true, "share article": true,
	"share on facebook": true, "share on twitter": true, "share on x": true, "share on whatsapp": true,
	"share on linkedin": true, "share via email": true, "tweet": true, "facebook": true, "twitter": true,
	"whatsapp": true, "linkedin": true, "reddit": true, "pinterest": true, "flipboard": true,
	// newsletter and subscription prompts
	"join our newsletter": true, "sign up to our newsletter": true, "sign up for our newsletter": true,
	"subscribe to our newsletter": true, "newsletter": true, "subscribe": true, "subscribe now": true,
	"sign up": true, "sign up now": true,
	// video-player residue
	"watchuson": true, "watch us on": true, "watch": true, "watch now": true, "watch live": true, "watch more": true,
	"play video": true, "play": true, "pause": true, "replay": true, "mute": true, "unmute": true, "video": true,
	"video unavailable": true, "this video can not be played": true, "this video cannot be played": true,
	"media caption": true, "video caption": true, "fullscreen": true, "listen": true, "listen to this article": true,
	// advertising residue
	"advertisement": true, "advert": true, "ad": true, "sponsored": true, "sponsored content": true,
	"story continues below advertisement": true, "article continues below": true, "continue reading below": true,
	"continue reading": true, "scroll to continue with content": true, "paid content": true, "promoted": true,
}

// trailers are lines after which a page lists other pages.
var trailers = map[string]bool{
	"related topics": true, "related articles": true, "related stories": true, "related content": true,
	"related": true, "more on this story": true, "you may also like": true, "you might also like": true,
	"recommended": true, "recommended for you": true, "most read": true, "most popular": true,
	"around the web": true, "more from this section": true, "read more": true, "read next": true,
	"trending": true, "trending now": true, "popular now": true,
}

func trailerMarker(n string) bool { return trailers[n] }

var (
	newsletterRe = regexp.MustCompile(`^(sign up|join|subscribe|get|receive|register)\b.*\b(newsletter|bulletin|briefing|inbox)`)
	followRe     = regexp.MustCompile(`^(follow|like) us on\b|^(click|tap) here to\b|^download (our|the) app\b|^get the app\b`)
	durationRe   = regexp.MustCompile(`^(duration )?\d{1,2}:\d{2}(:\d{2})?$`)
	shareRe      = regexp.MustCompile(`^share (this|on|via|with|the (story|article|page)|article|story|page)\b`)
	captionHdRe  = regexp.MustCompile(`^(image caption|image source|media caption|video caption|photo credit|image credit|picture credit|caption)\b`)
)

// furniture reports whether the normalised line n is a furniture phrase or
// a short prompt to share, follow or sign up.
func furniture(n string) bool {
	if phrases[n] {
		return true
	}
	words := strings.Count(n, " ") + 1
	switch {
	case words <= 16 && newsletterRe.MatchString(n):
		return true
	case words <= 12 && followRe.MatchString(n):
		return true
	case durationRe.MatchString(n):
		return true
	case words <= 12 && captionHdRe.MatchString(n):
		return true
	case words <= 8 && shareRe.MatchString(n):
		return true
	}
	return false
}

var (
	// creditParenRe matches a caption ending in a parenthesised credit:
	// "(Picture: Andrew Leyden/ Zuma)", "(Benjamin Cremel/PA)".
	creditParenRe = regexp.MustCompile(`\((?i:picture|photo|photograph|image|credit|pic|video|source)s?\s*:[^()]*\)\s*$|\([^()]*/\s*(?i:pa|ap|afp|epa|reuters|getty|getty images|zuma|zuma press|zuma press wire|alamy|shutterstock|bloomberg|anadolu|sipa|rex|dpa|xinhua|nurphoto)\b[^()]*\)\s*$`)
	// creditLineRe matches a line that is only a credit.
	creditLineRe = regexp.MustCompile(`^(?i:(photo|photograph|picture|image|pic|credit|photos|images)\s*(credit)?\s*:|getty images\b|(copyright|©)\s|source:\s*\S+(\s+\S+){0,5}$|the original article\s*:|all rights reserved|belongs to$)`)
)

// isCaptionCredit reports whether l is a photo caption ending in a credit.
func isCaptionCredit(l string) bool {
	l = strings.TrimSpace(l)
	return utf8.RuneCountInString(l) <= 400 && creditParenRe.MatchString(l)
}

// credit reports whether l is a line of credits only.
func credit(l string) bool {
	l = strings.TrimSpace(l)
	return utf8.RuneCountInString(l) <= 200 && creditLineRe.MatchString(l)
}

// captionText reports whether l, standing before the captioned credit
// next, is an image's alt text: the caption's own first words, or a line
// of five words or more with no final punctuation that names someone or
// something the caption names (a capitalised word of four letters or
// more). A short subheading above a picture is not taken.
func captionText(l, next string) bool {
	l = strings.TrimSpace(l)
	if l == "" || utf8.RuneCountInString(l) > 300 {
		return false
	}
	if strings.HasPrefix(strings.TrimSpace(next), l) {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(l)
	if strings.ContainsRune(".!?:\"”’'", last) || len(strings.Fields(l)) < 5 {
		return false
	}
	names := make(map[string]bool)
	for _, w := range strings.Fields(next) {
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) && utf8.RuneCountInString(w) >= 4 {
			names[strings.Trim(w, ",.;:()")] = true
		}
	}
	for _, w := range strings.Fields(l)[1:] { // the first word is capitalised anyway
		if names[strings.Trim(w, ",.;:()")] {
			return true
		}
	}
	first := strings.Fields(l)[0]
	return names[first] && first != "The" && first != "This"
}

// isLabel reports whether l is a section label: one to three words with
// capitals, no sentence punctuation.
func isLabel(l string) bool {
	words := strings.Fields(l)
	if len(words) == 0 || len(words) > 3 || utf8.RuneCountInString(l) > 30 {
		return false
	}
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) && !unicode.IsDigit(r) && w != "&" && w != "and" {
			return false
		}
	}
	return !strings.ContainsAny(l, ".,;:!?\"“”")
}

// headlineShaped reports whether l has a headline's shape: four to thirty
// words, at most MaxHeadline characters, starting with a capital or a digit
// or a quotation mark, not ending in a full stop, comma, colon or semicolon.
func headlineShaped(l string) bool {
	words := strings.Fields(l)
	if len(words) < 4 || len(words) > 30 || utf8.RuneCountInString(l) > MaxHeadline {
		return false
	}
	r, _ := utf8.DecodeRuneInString(l)
	if !unicode.IsUpper(r) && !unicode.IsDigit(r) && !strings.ContainsRune("\"“‘'", r) {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(l)
	return !strings.ContainsRune(".,;:", last)
}

// Headline returns an article's headline: the first headline-shaped line
// among its first four non-blank lines, else its first sentence, else "".
func Headline(lines []string) string {
	looked := 0
	first := ""
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if first == "" {
			first = l
		}
		if headlineShaped(l) {
			return l
		}
		if looked++; looked == 4 {
			break
		}
	}
	return firstSentence(first)
}

// firstSentence returns s up to and including its first full stop that is
// followed by a space and a capital, or all of s.
func firstSentence(s string) string {
	for i, r := range s {
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		rest := s[i+1:]
		if rest == "" {
			return s
		}
		if strings.HasPrefix(rest, " ") {
			next, _ := utf8.DecodeRuneInString(strings.TrimLeft(rest, " "))
			if unicode.IsUpper(next) || strings.ContainsRune("\"“‘", next) {
				return s[:i+1]
			}
		}
	}
	return s
}
