package inventory

import (
	"strconv"
	"strings"
)

// What to tell the user when an input file is unusable.
const (
	fixCredentialReport = "export it again with `aws iam generate-credential-report` then " +
		"`aws iam get-credential-report --output json > FILE` (or save the CSV exactly as returned)"
	fixAuthorizationDetails = "export it again with " +
		"`aws iam get-account-authorization-details --output json > FILE`"
)

// InputError is input that cannot be used: what is wrong, where it is (file,
// and line, column or JSON path), and what to do about it.
type InputError struct {
	File string // the file name as given
	// Part is the part of the file the location refers to, e.g. "Content" for
	// the base64 CSV inside the CLI's JSON; empty for the file itself.
	Part   string
	Line   int    // 1-based line, 0 when not known or not applicable
	Column int    // 1-based character column (JSON syntax errors), 0 when not applicable
	Field  string // CSV column ("column arn") or JSON path ("UserDetailList[3].Arn")
	Err    error  // what is wrong
	Fix    string // what to do about it
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Part != "" {
		b.WriteString(": ")
		b.WriteString(e.Part)
	}
	sep := ": "
	if e.Line > 0 {
		b.WriteString(sep + "line " + strconv.Itoa(e.Line))
		sep = ", "
		if e.Column > 0 {
			b.WriteString(sep + "column " + strconv.Itoa(e.Column))
		}
	}
	if e.Field != "" {
		b.WriteString(sep + e.Field)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid input")
	}
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }
