package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/dormant-iam/dormant/internal/parallel"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ValidationError lists every way a manifest breaks the schema's rules, each
// naming the field and, inside entries, the entry by index and account/user.
type ValidationError struct {
	Problems []string
}

// maxShown bounds the message; Problems keeps them all.
const maxShown = 20

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "manifest breaks %d rule(s) of %s:", len(e.Problems), SchemaVersion)
	for i, p := range e.Problems {
		if i == maxShown {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-maxShown)
			break
		}
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// Read parses the manifest at path and checks it against the schema's rules,
// the published JSON Schema and the cross-field rules it states in words. It
// does not check the digest: call Verify for that, so that a caller can
// tell an edited manifest (ErrDigestMismatch) from a malformed one.
func Read(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", path, err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", path, err)
	}
	return m, nil
}

// Parse is Read for bytes already in memory. Entries are checked one at a
// time, so a manifest of a hundred thousand entries is never held as generic
// JSON values all at once.
func Parse(data []byte) (*Manifest, error) {
	s, err := compiled()
	if err != nil {
		return nil, fmt.Errorf("compiling embedded schema: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("parsing JSON: the file is empty")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return nil, errors.New("the manifest is not a JSON object")
		}
		return nil, fmt.Errorf("parsing JSON: %w", locate(data, err))
	}
	if top == nil {
		return nil, errors.New("the manifest is not a JSON object")
	}
	if v, ok := top["schema_version"]; ok {
		var version string
		if json.Unmarshal(v, &version) == nil && version != SchemaVersion {
			return nil, unknownVersion(version)
		}
	}
	// The header, with the entries array emptied, against the whole schema.
	header := make(map[string]any, len(top))
	var entries []json.RawMessage
	for k, v := range top {
		if k == "entries" && bytes.HasPrefix(bytes.TrimSpace(v), []byte("[")) {
			if err := json.Unmarshal(v, &entries); err != nil {
				return nil, fmt.Errorf("parsing entries: %w", err)
			}
			header[k] = []any{}
			continue
		}
		val, err := jsonschema.UnmarshalJSON(bytes.NewReader(v))
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", k, err)
		}
		header[k] = val
	}
	probs := checkValue(s.root, header, "")
	// Then each entry against $defs/entry, across the cores.
	entryProbs := make([][]problem, len(entries))
	err = parallel.Each(len(entries), runtime.GOMAXPROCS(0), func(i int) error {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(entries[i]))
		if err != nil {
			return fmt.Errorf("parsing entries[%d]: %w", i, err)
		}
		entryProbs[i] = checkValue(s.entry, doc, "/entries/"+strconv.Itoa(i))
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range entryProbs {
		probs = append(probs, p...)
	}
	if len(probs) > 0 {
		return nil, schemaError(probs, rawLabel(entries))
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding manifest: %w", locate(data, err))
	}
	if probs := m.semanticProblems(); len(probs) > 0 {
		return nil, &ValidationError{Problems: probs}
	}
	return &m, nil
}

// Validate checks the manifest against every rule of its schema (the JSON
// Schema and the cross-field rules), but not the digest.
func (m *Manifest) Validate() error {
	if m.SchemaVersion != SchemaVersion {
		return unknownVersion(m.SchemaVersion)
	}
	s, err := compiled()
	if err != nil {
		return fmt.Errorf("compiling embedded schema: %w", err)
	}
	header := *m
	header.Entries = []Entry{}
	data, err := json.Marshal(&header)
	if err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("re-reading encoded manifest: %w", err)
	}
	probs := checkValue(s.root, doc, "")
	// Each entry in its canonical form against $defs/entry, across the cores.
	entryProbs := make([][]problem, len(m.Entries))
	err = parallel.Each(len(m.Entries), runtime.GOMAXPROCS(0), func(i int) error {
		b, err := json.Marshal(&m.Entries[i])
		if err != nil {
			return fmt.Errorf("encoding manifest: encoding entry %d: %w", i, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("re-reading encoded entry %d: %w", i, err)
		}
		entryProbs[i] = checkValue(s.entry, doc, "/entries/"+strconv.Itoa(i))
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range entryProbs {
		probs = append(probs, p...)
	}
	if len(probs) > 0 {
		return schemaError(probs, func(i int) string {
			if i < len(m.Entries) {
				return m.Entries[i].Label()
			}
			return ""
		})
	}
	if probs := m.semanticProblems(); len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	return nil
}

// Verify is what remediation and `dormant verify` require before trusting a
// manifest: a known schema version, every entry well-formed (Validate), and
// a digest that matches the entries. errors.Is tells ErrUnknownSchemaVersion
// and ErrDigestMismatch apart from a malformed manifest (*ValidationError).
func (m *Manifest) Verify() error {
	if err := m.Validate(); err != nil {
		return err
	}
	d, err := m.ComputeDigest()
	if err != nil {
		return err
	}
	hd, err := m.ComputeHeaderDigest()
	if err != nil {
		return err
	}
	return m.compareDigests(hd, d)
}

func unknownVersion(v string) error {
	return fmt.Errorf("%w %q: this build reads %q; use the dormant release that wrote the manifest, or regenerate it", ErrUnknownSchemaVersion, v, SchemaVersion)
}

// locate turns a JSON error's byte offset into a line and column.
func locate(data []byte, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

var entryPointer = regexp.MustCompile(`^/entries/([0-9]+)(/.*)?$`)

// schemaError names each problem by field, and inside entries by index and
// the entry's account/user so a reader can find it in the file.
func schemaError(probs []problem, label func(i int) string) error {
	out := make([]string, 0, len(probs))
	for _, p := range probs {
		out = append(out, describe(p.Pointer, p.Message, label))
	}
	return &ValidationError{Problems: out}
}

func describe(pointer, msg string, label func(i int) string) string {
	if mm := entryPointer.FindStringSubmatch(pointer); mm != nil {
		i, _ := strconv.Atoi(mm[1])
		where := "entries[" + mm[1] + "]"
		if l := label(i); l != "" {
			where += " (" + l + ")"
		}
		if field := fieldPath(mm[2]); field != "" {
			where += " " + field
		}
		return where + ": " + msg
	}
	if pointer == "" {
		return msg
	}
	return fieldPath(pointer) + ": " + msg
}

// fieldPath turns "/evidence/status" into "evidence.status" and "/actions/2/call" into "actions[2].call".
func fieldPath(ptr string) string {
	if ptr == "" {
		return ""
	}
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(part); err == nil {
			b.WriteString("[" + part + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(part)
	}
	return b.String()
}

func rawLabel(entries []json.RawMessage) func(i int) string {
	return func(i int) string {
		if i >= len(entries) {
			return ""
		}
		var id struct {
			AccountID any `json:"account_id"`
			UserName  any `json:"user_name"`
		}
		if json.Unmarshal(entries[i], &id) != nil {
			return ""
		}
		acct, _ := id.AccountID.(string)
		user, _ := id.UserName.(string)
		if acct == "" && user == "" {
			return ""
		}
		return acct + "/" + user
	}
}

var arnRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):user/(?:.+/)?([^/]+)$`)

// deactivateRank orders a deactivate user entry's calls: keys (slot 1, then
// 2), then the login profile, then the tag, which must come last so a user
// is only marked once it is actually disabled.
func deactivateRank(a Action) int {
	switch {
	case a.Call == CallUpdateAccessKey && a.Target == keySlotTarget(1):
		return 0
	case a.Call == CallUpdateAccessKey && a.Target == keySlotTarget(2):
		return 1
	case a.Call == CallDeleteLoginProfile:
		return 2
	case a.Call == CallTagUser:
		return 3
	}
	return -1
}

// entryKey is what makes an entry unique.
type entryKey struct {
	accountID, userID, kind string
	keySlot                 int
}

// semanticProblems checks the rules the JSON Schema states only in words.
func (m *Manifest) semanticProblems() []string {
	var out []string
	seen := make(map[entryKey]int, len(m.Entries))
	for i := range m.Entries {
		e := &m.Entries[i]
		// Only a problem needs the entry's name: built on demand.
		where := func() string { return fmt.Sprintf("entries[%d] (%s)", i, e.Label()) }
		if mm := arnRE.FindStringSubmatchIndex(e.ARN); mm == nil {
			out = append(out, fmt.Sprintf("%s arn: %q is not an IAM user ARN", where(), e.ARN))
		} else {
			acct, name := e.ARN[mm[2]:mm[3]], e.ARN[mm[4]:mm[5]]
			if acct != e.AccountID {
				out = append(out, fmt.Sprintf("%s arn: %q is in account %s, not account_id %s", where(), e.ARN, acct, e.AccountID))
			}
			if name != e.UserName {
				out = append(out, fmt.Sprintf("%s arn: %q names user %q, not user_name %q", where(), e.ARN, name, e.UserName))
			}
		}
		key := entryKey{e.AccountID, e.UserID, e.Kind, e.KeySlot}
		if j, dup := seen[key]; dup {
			out = append(out, fmt.Sprintf("%s: duplicates entries[%d]", where(), j))
		} else {
			seen[key] = i
		}
		switch {
		case e.Kind == KindAccessKey:
			if len(e.Actions) == 1 && e.Actions[0].Target != keySlotTarget(e.KeySlot) {
				out = append(out, fmt.Sprintf("%s actions[0].target: %q, want %q to match key_slot", where(), e.Actions[0].Target, keySlotTarget(e.KeySlot)))
			}
		case e.Kind == KindUser && e.Decision == DecisionRemoveInIaC && len(e.IaC) == 0:
			out = append(out, fmt.Sprintf("%s iac: a remove-in-iac entry names what manages the user", where()))
		case e.Kind == KindUser && (e.Decision == DecisionDeactivate || e.Decision == DecisionRemoveInIaC):
			last := -1
			for j, a := range e.Actions {
				r := deactivateRank(a)
				if r <= last {
					out = append(out, fmt.Sprintf("%s actions[%d]: %s on %q is out of order or repeated: a deactivation makes access key 1, access key 2, login profile, then tag calls, each at most once",
						where(), j, a.Call, a.Target))
				}
				last = max(last, r)
			}
			if n := len(e.Actions); n > 0 && e.Actions[n-1].Call != CallTagUser {
				out = append(out, fmt.Sprintf("%s actions: the last call is %s, want %s so that only a disabled user is marked deactivated", where(), e.Actions[n-1].Call, CallTagUser))
			}
		}
	}
	return out
}
