package findings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/dormant-iam/dormant/record"
	"go.yaml.in/yaml/v3"
)

// AllowEntry exempts one user until Expires (package record holds the
// run's vocabulary, and says what each field means).
type AllowEntry = record.AllowEntry

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// IAM user names: 1-64 of letters, digits and +=,.@_- (IAM quotas page).
	userNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// allowFields lists the entry fields in the order errors mention them.
var allowFields = []string{"account_id", "user_name", "reason", "owner", "expires"}

// fieldError is a problem with one field of an entry.
type fieldError struct {
	Field string
	Msg   string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Msg }

// validateEntry returns every problem with one entry.
func validateEntry(e AllowEntry) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &fieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !accountIDPattern.MatchString(e.AccountID) {
		bad("account_id", "%q must be 12 digits (quote it in YAML to keep leading zeros)", e.AccountID)
	}
	if !userNamePattern.MatchString(e.UserName) {
		bad("user_name", "%q is not an IAM user name (1-64 letters, digits and +=,.@_-)", e.UserName)
	}
	if e.Reason == "" {
		bad("reason", "missing or empty: say why the user is kept")
	}
	if e.Owner == "" {
		bad("owner", "missing or empty: name who answers for the user")
	}
	if e.Expires.IsZero() {
		bad("expires", "missing or empty: give the date the exemption ends (YYYY-MM-DD)")
	}
	return errs
}

// LoadAllowlist reads an allowlist: a YAML list of entries
//
//   - account_id: "111111111111"
//     user_name: build-bot
//     reason: legacy CI, replaced in Q3
//     owner: platform-team@example.com
//     expires: 2026-12-31
//
// An empty file is an empty allowlist. Errors name the file, the entry (1-based),
// its line and the field.
func LoadAllowlist(path string) ([]AllowEntry, error) {
	data, err := readBounded(path, maxAllowlistBytes)
	if err != nil {
		return nil, fmt.Errorf("reading allowlist %s: %w", path, err)
	}
	entries, err := parseAllowlist(data)
	if err != nil {
		return nil, fmt.Errorf("parsing allowlist %s: %w", path, err)
	}
	return entries, nil
}

func parseAllowlist(data []byte) ([]AllowEntry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("line %d: a second YAML document: the allowlist is one list", extra.Line)
	}
	root := resolve(&doc)
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = resolve(root.Content[0])
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: the allowlist must be a YAML list of entries (- account_id: ...), not a %s", root.Line, kindName(root))
	}
	entries := make([]AllowEntry, 0, len(root.Content))
	var errs []error
	for i, item := range root.Content {
		e, entryErrs := parseEntry(resolve(item))
		if len(entryErrs) > 0 {
			// One line per problem, each naming its entry.
			for _, err := range entryErrs {
				errs = append(errs, fmt.Errorf("entry %d (line %d): %w", i+1, item.Line, err))
			}
			continue
		}
		entries = append(entries, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return entries, nil
}

func parseEntry(n *yaml.Node) (AllowEntry, []error) {
	var e AllowEntry
	if n.Kind != yaml.MappingNode {
		return e, []error{fmt.Errorf("an entry must be a mapping with %v, not a %s", allowFields, kindName(n))}
	}
	seen := make(map[string]bool, len(allowFields))
	var errs []error
	reported := make(map[string]bool) // fields with an error already, with its line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Errorf("line %d: a field name must be a plain string", k.Line))
			continue
		}
		if seen[key] {
			errs = append(errs, fmt.Errorf("line %d: %w", k.Line, &fieldError{Field: key, Msg: "given twice"}))
			continue
		}
		seen[key] = true
		if v.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Errorf("line %d: %w", v.Line, &fieldError{Field: key, Msg: "must be a single value, not a " + kindName(v)}))
			reported[key] = true
			continue
		}
		val := v.Value
		if v.Tag == "!!null" {
			val = ""
		}
		switch key {
		case "account_id":
			e.AccountID = val
		case "user_name":
			e.UserName = val
		case "reason":
			e.Reason = val
		case "owner":
			e.Owner = val
		case "expires":
			if val == "" {
				break
			}
			t, err := parseExpires(val)
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: %w", v.Line, &fieldError{Field: "expires", Msg: err.Error()}))
				reported["expires"] = true
				break
			}
			e.Expires = t
		default:
			errs = append(errs, fmt.Errorf("line %d: unknown field %q (fields are %v)", k.Line, key, allowFields))
		}
	}
	for _, err := range validateEntry(e) {
		var fe *fieldError
		if errors.As(err, &fe) && reported[fe.Field] {
			continue // already reported with its line
		}
		errs = append(errs, err)
	}
	return e, errs
}

// parseExpires accepts a date (midnight UTC: an entry expiring 2026-12-31
// stops exempting at 2026-12-31T00:00:00Z) or an RFC 3339 timestamp.
func parseExpires(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: use YYYY-MM-DD or RFC 3339 (2026-12-31T00:00:00Z)", s)
	}
	return t.UTC(), nil
}

// resolve follows YAML aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		return "single value"
	default:
		return "YAML node"
	}
}

// maxAllowlistBytes bounds the allowlist file: a list of exemptions a person
// reviews is kilobytes; anything near this is not an allowlist.
const maxAllowlistBytes = 16 << 20

// readBounded reads a regular file of at most max bytes, checking what is
// read as well as the size (a FIFO or a growing file has none up front).
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("the file is over the %d-byte limit for an allowlist: check that it is the allowlist", max)
	}
	return data, nil
}
