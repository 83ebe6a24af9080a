package inventory

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// iamARN is an IAM ARN split into the parts this package checks.
type iamARN struct {
	Partition string
	Account   string // 12 digits, or "aws" for AWS-managed policies
	// Type is the resource type: "root", "user", "group", "role" or "policy".
	Type string
	Path string // "/" or "/division/"; empty for root
	Name string // the last path segment; empty for root
}

// parseIAMARN splits an IAM ARN (arn:PARTITION:iam::ACCOUNT:TYPE/PATH/NAME,
// or arn:PARTITION:iam::ACCOUNT:root). allowAWS accepts "aws" as the account,
// which only AWS-managed policies carry.
func parseIAMARN(s string, allowAWS bool) (iamARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return iamARN{}, fmt.Errorf("%q is not an ARN (want arn:aws:iam::ACCOUNT:user/NAME)", s)
	}
	a := iamARN{Partition: parts[1], Account: parts[4]}
	if !validPartition(a.Partition) {
		return iamARN{}, fmt.Errorf("ARN %q: unknown partition %q", s, a.Partition)
	}
	if parts[2] != "iam" {
		return iamARN{}, fmt.Errorf("ARN %q is not an IAM ARN (service %q)", s, parts[2])
	}
	if parts[3] != "" {
		return iamARN{}, fmt.Errorf("ARN %q: IAM ARNs have no region, found %q", s, parts[3])
	}
	if !(allowAWS && a.Account == "aws") && !validAccountID(a.Account) {
		return iamARN{}, fmt.Errorf("ARN %q: account %q is not a 12-digit account ID", s, a.Account)
	}
	res := parts[5]
	if res == "root" {
		a.Type = "root"
		return a, nil
	}
	typ, rest, ok := strings.Cut(res, "/")
	if !ok || rest == "" {
		return iamARN{}, fmt.Errorf("ARN %q: resource %q is not TYPE/NAME", s, res)
	}
	switch typ {
	case "user", "group", "role", "policy":
	default:
		return iamARN{}, fmt.Errorf("ARN %q: resource type %q is not user, group, role or policy", s, typ)
	}
	a.Type = typ
	i := strings.LastIndexByte(rest, '/')
	a.Path, a.Name = "/"+rest[:i+1], rest[i+1:]
	if a.Name == "" || strings.Contains(a.Path, "//") {
		return iamARN{}, fmt.Errorf("ARN %q: malformed path or empty name", s)
	}
	return a, nil
}

func validPartition(p string) bool {
	if p == "aws" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "aws-")
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}

func validAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// timestampLayouts are the forms AWS tools write instants in: RFC 3339 with
// "Z" or an offset (fractional seconds are accepted by Go for these layouts
// too), an offset without colon, and Python's str(datetime) with a space.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
}

var errNoOffset = errors.New("no time zone offset")

// earliestPlausible bounds dates from below: AWS accounts date from 2006, so
// anything much older (a zero time, the Unix epoch) is an exporter's bug.
var earliestPlausible = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

var errImplausible = fmt.Errorf("before %d: not a real IAM date", earliestPlausible.Year())

// parseTimestamp parses an ISO 8601 instant that carries its offset, in UTC.
// Instants without an offset are refused: guessing a zone would shift every
// last-use date by hours.
func parseTimestamp(s string) (time.Time, error) {
	var first error
	for _, layout := range timestampLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			if t.Before(earliestPlausible) {
				return time.Time{}, errImplausible
			}
			return t.UTC(), nil
		}
		if first == nil {
			first = err
		}
	}
	if _, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return time.Time{}, errNoOffset
	}
	return time.Time{}, first
}

// timestampHint explains a parseTimestamp error without Go's layout jargon.
func timestampHint(err error, example string) string {
	switch {
	case errors.Is(err, errNoOffset):
		return "no time zone offset; want ISO 8601 with offset, e.g. " + example
	case errors.Is(err, errImplausible):
		return err.Error()
	}
	return "want ISO 8601 with offset, e.g. " + example
}

// ValidUserID reports whether s meets IAM's contract for unique IDs (the
// idType shape of the IAM API model: pattern [\w]+, 16 to 128 characters).
// The AIDA prefix of real users is a convention, not part of the contract:
// emulators and other partitions use other prefixes.
func ValidUserID(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
