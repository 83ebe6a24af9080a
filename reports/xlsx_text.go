package reports

import (
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// surrogateEscape is a literal _xHHHH_ naming a UTF-16 surrogate, which
// excelize drops from a cell's text instead of escaping (and IAM allows in
// a user name).
var surrogateEscape = regexp.MustCompile(`_x[dD][89a-fA-F][0-9a-fA-F]{2}_`)

// runLen keeps every rich-text run shorter than a _xHHHH_ sequence, so
// excelize leaves the runs' text as given.
const runLen = 6

// textValue is a text cell's value for the stream writer: the string
// itself, or, when excelize would drop part of it, the text with every
// underscore escaped as _x005F_ in runs too short to be rewritten, which
// readers decode back to the original.
func textValue(s string) any {
	if !surrogateEscape.MatchString(s) {
		return s
	}
	// Excel's limit on a cell's text, counted escaped; excelize truncates
	// plain strings at the same limit.
	units := 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if r == '_' {
			n = len("_x005F_")
		}
		if units += n; units > excelize.TotalCellChars {
			s = s[:i]
			break
		}
	}
	escaped := strings.ReplaceAll(s, "_", "_x005F_")
	r := []rune(escaped)
	runs := make([]excelize.RichTextRun, 0, len(r)/runLen+1)
	for len(r) > 0 {
		n := min(runLen, len(r))
		runs = append(runs, excelize.RichTextRun{Text: string(r[:n])})
		r = r[n:]
	}
	return runs
}
