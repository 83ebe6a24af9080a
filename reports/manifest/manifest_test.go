package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

func mustBuild(t *testing.T) *Manifest {
	t.Helper()
	m, err := Build(testInput())
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return m
}

// encoded builds the manifest for in and returns it as Encode writes it.
func encoded(t *testing.T, in Input) []byte {
	t.Helper()
	m, err := Build(in)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func calls(acts []Action) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = a.Call
		if a.Call == CallUpdateAccessKey {
			out[i] += "(" + a.Target + ")"
		}
	}
	return out
}

func TestBuildEntries(t *testing.T) {
	m := mustBuild(t)
	type want struct {
		kind, label, decision, status string
		calls                         []string
	}
	wants := []want{
		{KindUser, "111111111111/alice", DecisionDeactivate, tables.StatusInactive,
			[]string{"iam:UpdateAccessKey(access key 1)", "iam:UpdateAccessKey(access key 2)", CallDeleteLoginProfile, CallTagUser}},
		{KindUser, "111111111111/bob", DecisionDelete, tables.StatusInactive, DeleteOrder},
		{KindAccessKey, "111111111111/dave access key 2", DecisionDeactivate, tables.StatusActive,
			[]string{"iam:UpdateAccessKey(access key 2)"}},
		{KindUser, "222222222222/carol", DecisionDeactivate, tables.StatusNeverUsed, []string{CallTagUser}},
		{KindAccessKey, "222222222222/erin access key 1", DecisionDeactivate, tables.StatusNew,
			[]string{"iam:UpdateAccessKey(access key 1)"}},
	}
	if len(m.Entries) != len(wants) {
		var got []string
		for _, e := range m.Entries {
			got = append(got, e.Label())
		}
		t.Fatalf("entries = %q, want %d entries", got, len(wants))
	}
	for i, w := range wants {
		e := m.Entries[i]
		if e.Kind != w.kind || e.Label() != w.label || e.Decision != w.decision || e.Evidence.Status != w.status {
			t.Errorf("entry %d = %s %s %s %s, want %s %s %s %s", i, e.Kind, e.Label(), e.Decision, e.Evidence.Status,
				w.kind, w.label, w.decision, w.status)
		}
		if got := calls(e.Actions); !slices.Equal(got, w.calls) {
			t.Errorf("entry %d (%s) calls = %q, want %q", i, w.label, got, w.calls)
		}
		if len(e.Reasons) == 0 {
			t.Errorf("entry %d (%s) has no reasons", i, w.label)
		}
	}
	for _, e := range m.Entries {
		for _, never := range []string{"grace", "frank", "heidi", tables.RootUserName} {
			if e.UserName == never {
				t.Errorf("%s must never be in the manifest (entry %s)", never, e.Label())
			}
		}
	}
	if m.SchemaVersion != SchemaVersion || m.RunID != "run-20261101T030405Z" || !m.AsOf.Equal(testAsOf) ||
		!m.GeneratedAt.Equal(testGenerated) || m.WindowDays != 90 || m.DeleteAfterDays != 365 {
		t.Errorf("header = %+v", m)
	}
	if err := m.Verify(); err != nil {
		t.Errorf("Verify on a built manifest: %v", err)
	}
}

func TestBuildDetails(t *testing.T) {
	m := mustBuild(t)
	byLabel := map[string]Entry{}
	for _, e := range m.Entries {
		byLabel[e.Label()] = e
	}
	alice := byLabel["111111111111/alice"]
	tag := alice.Actions[len(alice.Actions)-1]
	if got := tag.Parameters[TagDeleteAfter]; got != "2027-05-01" {
		t.Errorf("alice delete-after = %q, want 2027-05-01 (last activity 2026-05-01 + 365 days)", got)
	}
	if got := byLabel["222222222222/carol"].Actions[0].Parameters[TagDeleteAfter]; got != "2027-01-15" {
		t.Errorf("carol delete-after = %q, want 2027-01-15 (created 2026-01-15 + 365 days)", got)
	}
	for _, a := range alice.Actions[:2] {
		if a.Parameters["Status"] != "Inactive" {
			t.Errorf("alice %s parameters = %v, want Status=Inactive", a.Target, a.Parameters)
		}
	}
	ev := alice.Evidence
	if ev.PasswordLastUsed == nil || !ev.PasswordLastUsed.Equal(day("2026-05-01")) || ev.Key2LastUsed != nil ||
		ev.Key1LastUsed == nil || ev.LastActivitySource != tables.SourceConsole || ev.DaysInactive != 184 || ev.CloudTrailLastEvent != nil {
		t.Errorf("alice evidence = %+v", ev)
	}
	dave := byLabel["111111111111/dave access key 2"]
	if dave.KeySlot != 2 || !dave.KeyLastRotated.Equal(day("2023-06-01")) {
		t.Errorf("dave key = slot %d rotated %v, want slot 2 rotated 2023-06-01", dave.KeySlot, dave.KeyLastRotated)
	}
	if !strings.Contains(dave.Reasons[0], "last used 2024-01-01") || !strings.Contains(dave.Reasons[0], "window start 2026-08-03") {
		t.Errorf("dave reason = %q", dave.Reasons[0])
	}
	if erin := byLabel["222222222222/erin access key 1"]; !strings.Contains(erin.Reasons[0], "never used") {
		t.Errorf("erin reason = %q", erin.Reasons[0])
	}
	bob := byLabel["111111111111/bob"]
	if bob.ARN != "arn:aws:iam::111111111111:user/division/ops/bob" || bob.KeySlot != 0 || !bob.KeyLastRotated.IsZero() {
		t.Errorf("bob = %+v", bob)
	}
	if !strings.Contains(bob.Actions[0].Why, "NoSuchEntity") {
		t.Errorf("bob has no password; DeleteLoginProfile why = %q, want it to expect NoSuchEntity", bob.Actions[0].Why)
	}
}

func TestBuildEmpty(t *testing.T) {
	in := testInput()
	in.Findings = nil
	raw := encoded(t, in)
	if !strings.Contains(string(raw), `"entries": []`) {
		t.Errorf("empty manifest encodes entries as %s, want []", raw)
	}
	if _, err := Parse(raw); err != nil {
		t.Errorf("Parse(empty manifest): %v", err)
	}
}

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name   string
		modify func(in *Input)
		want   string
	}{
		{"root with a decision", func(in *Input) {
			f := &in.Findings[8]
			f.Decision = tables.DecisionDelete
		}, "root user is never remediated"},
		{"review user with delete", func(in *Input) {
			in.Findings[1].Decision = tables.DecisionDelete
		}, "(111111111111/grace): decision delete contradicts status review"},
		{"exempt user with deactivate", func(in *Input) {
			f := &in.Findings[2]
			f.Status, f.Decision = tables.StatusInactive, tables.DecisionDeactivate
		}, "exempt users are never remediated"},
		{"no unique ID", func(in *Input) {
			in.Findings[7].UserID = ""
		}, "(111111111111/alice): no unique user ID"},
		{"unused key not active", func(in *Input) {
			in.Findings[4].Key2Active = false
		}, "access key 2 is listed as unused but is not active"},
		{"unused key without rotation time", func(in *Input) {
			in.Findings[3].Key1LastRotated = time.Time{}
		}, "access key 1 has no last-rotated time"},
		{"bad key slot", func(in *Input) {
			in.Findings[4].UnusedKeys = []int64{3}
		}, "unused key slot 3"},
		{"unknown decision", func(in *Input) {
			in.Findings[0].Decision = "remove"
		}, `unknown decision "remove"`},
		{"bad account ID", func(in *Input) {
			in.Findings[7].AccountID = "1111"
		}, `(1111/alice): the account ID "1111" is not 12 digits`},
		{"no reasons", func(in *Input) {
			in.Findings[6].Reasons = nil
		}, "(111111111111/bob): reasons: has 0 items, want at least 1"},
		{"ARN of another user", func(in *Input) {
			in.Findings[7].ARN = "arn:aws:iam::111111111111:user/mallory"
		}, `names user "mallory", not "alice"`},
		{"user name not UTF-8", func(in *Input) {
			in.Findings[7].UserName = "al\xffice"
		}, "user name \"al\\xffice\" is not valid UTF-8"},
		{"empty reason", func(in *Input) {
			in.Findings[6].Reasons = []string{"inactive", ""}
		}, "(111111111111/bob): reasons[1]: is empty"},
		{"reason not UTF-8", func(in *Input) {
			in.Findings[7].Reasons = append(in.Findings[7].Reasons, "owner \xfe")
		}, "is not valid UTF-8"},
		{"no run ID", func(in *Input) { in.RunID = "" }, "run ID is empty"},
		{"no as-of", func(in *Input) { in.AsOf = time.Time{} }, "as-of time is not set"},
		{"no window", func(in *Input) { in.WindowDays = 0 }, "at least one day"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput()
			tt.modify(&in)
			_, err := Build(in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	m := mustBuild(t)
	path := filepath.Join(t.TempDir(), "remediation-manifest.json")
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(); err != nil {
		t.Fatalf("Verify after Read: %v", err)
	}
	if !reflect.DeepEqual(got, m) {
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(m)
		t.Fatalf("read back differs:\n got %s\nwant %s", a, b)
	}
	// The digest covers entries, not layout: a re-indented file still verifies.
	data, _ := os.ReadFile(path)
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(compact.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Verify(); err != nil {
		t.Errorf("Verify after re-formatting: %v", err)
	}
}

func TestEncodeMatchesWholeDocument(t *testing.T) {
	for _, m := range []*Manifest{mustBuild(t), {SchemaVersion: SchemaVersion, RunID: "r"}} {
		checkEncodeMatchesWholeDocument(t, m)
	}
}

// checkEncodeMatchesWholeDocument: Encode, which writes entry by entry, gives
// the bytes encoding/json gives indenting the whole document at once.
func checkEncodeMatchesWholeDocument(t *testing.T, m *Manifest) {
	t.Helper()
	var got bytes.Buffer
	if err := m.Encode(&got); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.normalized()); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("Encode differs from encoding/json indenting the whole document:\n%s\n---\n%s", got.String(), want.String())
	}
}

func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := mustBuild(t).Encode(&a); err != nil {
		t.Fatal(err)
	}
	in := testInput()
	slices.Reverse(in.Findings)
	m, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Encode(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("the manifest depends on the order of findings:\n%s\n---\n%s", a.String(), b.String())
	}
}

// editEntry rewrites the manifest file at path through a generic JSON tree,
// as a person with a text editor would.
func editEntry(t *testing.T, path string, edit func(doc map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func entryAt(doc map[string]any, i int) map[string]any {
	return doc["entries"].([]any)[i].(map[string]any)
}

func TestTamperedManifest(t *testing.T) {
	m := mustBuild(t)
	path := filepath.Join(t.TempDir(), "m.json")
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	carol := slices.IndexFunc(m.Entries, func(e Entry) bool { return e.UserName == "carol" })

	// A coherent hand edit: carol is escalated from deactivate to delete,
	// with the delete steps. Every rule of the schema still holds; only the
	// digest tells.
	var deleteSteps []any
	for _, a := range newDeleteActions(false, tables.StatusNeverUsed) {
		deleteSteps = append(deleteSteps, map[string]any{"call": a.Call, "target": a.Target, "why": a.Why})
	}
	editEntry(t, path, func(doc map[string]any) {
		e := entryAt(doc, carol)
		e["decision"] = "delete"
		e["actions"] = deleteSteps
	})
	edited, err := Read(path)
	if err != nil {
		t.Fatalf("Read of a well-formed edit: %v", err)
	}
	err = edited.Verify()
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("Verify of an edited manifest = %v, want ErrDigestMismatch", err)
	}
	for _, want := range []string{"stored " + m.Digest, "re-sign"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Verify error %q does not contain %q", err, want)
		}
	}
	// Re-signing is the deliberate way to accept an edit.
	if err := edited.Sign(); err != nil {
		t.Fatal(err)
	}
	if err := edited.Verify(); err != nil {
		t.Fatalf("Verify after Sign: %v", err)
	}
	if edited.Digest == m.Digest || edited.Entries[carol].Decision != DecisionDelete {
		t.Errorf("re-signed manifest: digest %s, carol %s", edited.Digest, edited.Entries[carol].Decision)
	}
	if err := edited.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	reread, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := reread.Verify(); err != nil {
		t.Errorf("Verify of re-signed file: %v", err)
	}
}

func TestTamperKinds(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(doc map[string]any)
		digest bool   // Read passes; Verify fails on the digest
		want   string // Read fails with this
	}{
		{"decision changed alone", func(doc map[string]any) { entryAt(doc, 3)["decision"] = "delete" },
			false, "entries[3] (222222222222/carol) actions: has 1 items, want at least 12"},
		{"decision not allowed", func(doc map[string]any) { entryAt(doc, 0)["decision"] = "remove" },
			false, `entries[0] (111111111111/alice) decision: is "remove", want one of "deactivate", "delete"`},
		{"entry removed", func(doc map[string]any) {
			doc["entries"] = slices.Delete(doc["entries"].([]any), 1, 2)
		}, true, ""},
		{"reviewer comment added", func(doc map[string]any) { entryAt(doc, 0)["reviewer_comment"] = "approved" }, true, ""},
		{"evidence date moved", func(doc map[string]any) {
			entryAt(doc, 0)["evidence"].(map[string]any)["last_activity"] = "2026-01-01T00:00:00Z"
		}, true, ""},
		{"user ID swapped", func(doc map[string]any) { entryAt(doc, 0)["user_id"] = "AIDAOTHER0000000000X" }, true, ""},
		{"digest removed", func(doc map[string]any) { delete(doc, "digest") }, false, "digest: is required but missing"},
		{"digest garbled", func(doc map[string]any) { doc["digest"] = "md5:abc" }, false, `digest: "md5:abc" does not match`},
		{"unknown field", func(doc map[string]any) { entryAt(doc, 1)["force"] = true },
			false, "entries[1] (111111111111/bob) force: is not a known field"},
		{"schema version", func(doc map[string]any) { doc["schema_version"] = "dormant.manifest/v9" },
			false, `unknown manifest schema version "dormant.manifest/v9"`},
		{"actions reordered", func(doc map[string]any) {
			acts := entryAt(doc, 0)["actions"].([]any)
			acts[2], acts[3] = acts[3], acts[2]
		}, false, "entries[0] (111111111111/alice) actions[3]: iam:DeleteLoginProfile on \"login profile\" is out of order"},
		{"delete steps reordered", func(doc map[string]any) {
			acts := entryAt(doc, 1)["actions"].([]any)
			acts[9], acts[10] = acts[10], acts[9]
		}, false, `entries[1] (111111111111/bob) actions[9].call: is "iam:DeleteUserPermissionsBoundary", want "iam:RemoveUserFromGroup"`},
		{"key entry made a delete", func(doc map[string]any) { entryAt(doc, 2)["decision"] = "delete" },
			false, `entries[2] (111111111111/dave) decision: is "delete", want "deactivate"`},
		{"key slot on a user entry", func(doc map[string]any) { entryAt(doc, 0)["key_slot"] = 1 },
			false, "entries[0] (111111111111/alice) key_slot: is not allowed here"},
		{"key target mismatch", func(doc map[string]any) {
			entryAt(doc, 2)["actions"].([]any)[0].(map[string]any)["target"] = "access key 1"
		}, false, `actions[0].target: "access key 1", want "access key 2"`},
		{"review status smuggled in", func(doc map[string]any) {
			entryAt(doc, 0)["evidence"].(map[string]any)["status"] = "review"
		}, false, "entries[0] (111111111111/alice) evidence.status"},
		{"account of the ARN", func(doc map[string]any) { entryAt(doc, 0)["account_id"] = "999999999999" },
			false, `is in account 111111111111, not account_id 999999999999`},
		{"duplicate entry", func(doc map[string]any) {
			doc["entries"] = append(doc["entries"].([]any), entryAt(doc, 0))
		}, false, "entries[5] (111111111111/alice): duplicates entries[0]"},
		{"null entries", func(doc map[string]any) { doc["entries"] = nil }, false, "entries: is null, want array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.json")
			if err := mustBuild(t).WriteFile(path); err != nil {
				t.Fatal(err)
			}
			editEntry(t, path, tt.edit)
			m, err := Read(path)
			if tt.digest {
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if err := m.Verify(); !errors.Is(err, ErrDigestMismatch) {
					t.Fatalf("Verify = %v, want ErrDigestMismatch", err)
				}
				if err := m.Sign(); err != nil {
					t.Fatal(err)
				}
				if err := m.Verify(); err != nil {
					t.Fatalf("Verify after Sign: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Read accepted the edit")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Read error:\n%v\nwant it to name %s and contain %q", err, path, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"syntax", "{\n  \"schema_version\": \"dormant.manifest/v1\",\n  \"run_id\": ,\n}", "line 3, column"},
		{"not an object", `[]`, "not a JSON object"},
		{"trailing data", `{} {}`, "after top-level value"},
		{"empty", ``, "the file is empty"},
		{"wrong type", `{"schema_version":"dormant.manifest/v1","window_days":"90"}`, "window_days: is a string, want integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Read of a missing file = %v, want an error naming it", err)
	}
}

func TestVerifyInMemory(t *testing.T) {
	m := mustBuild(t)
	m.Entries[0].Decision = "delete"
	err := m.Verify()
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "entries[0] (111111111111/alice) actions") {
		t.Fatalf("Verify = %v, want a ValidationError naming entries[0]", err)
	}
	m = mustBuild(t)
	m.SchemaVersion = "1"
	if err := m.Verify(); !errors.Is(err, ErrUnknownSchemaVersion) {
		t.Errorf("Verify with schema version 1 = %v, want ErrUnknownSchemaVersion", err)
	}
	m = mustBuild(t)
	m.Digest = ""
	if err := m.Verify(); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Errorf("Verify of an unsigned manifest = %v", err)
	}
	if err := m.WriteFile(filepath.Join(t.TempDir(), "x.json")); err == nil {
		t.Errorf("WriteFile wrote an unsigned manifest")
	}
}

func TestDigestCanonical(t *testing.T) {
	m := mustBuild(t)
	data, err := m.CanonicalEntries()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("\n")) || bytes.Contains(data, []byte(`\u003c`)) || !bytes.HasPrefix(data, []byte(`[{"kind":"user","account_id":"111111111111"`)) {
		t.Errorf("canonical entries are not compact, schema-ordered JSON: %.120s", data)
	}
	var whole bytes.Buffer
	enc := json.NewEncoder(&whole)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.Entries); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, bytes.TrimSuffix(whole.Bytes(), []byte("\n"))) {
		t.Errorf("streamed canonical entries differ from encoding the array at once")
	}
	doc, err := m.CanonicalDocument()
	if err != nil {
		t.Fatal(err)
	}
	head, _ := m.CanonicalHeader()
	if want := append(append(append([]byte(nil), head[:len(head)-1]...), `,"entries":`...), append(data, '}')...); !bytes.Equal(doc, want) {
		t.Errorf("canonical document is not the header with the entries appended:\n%.300s", doc)
	}
	if !bytes.HasPrefix(doc, []byte(`{"schema_version":"dormant.manifest/v1","run_id":`)) || bytes.Contains(doc, []byte(`"digest"`)) {
		t.Errorf("canonical document is not the schema-ordered header without its digests: %.200s", doc)
	}
	sum := sha256.Sum256(doc)
	if d, _ := m.ComputeDigest(); d != DigestPrefix+hex.EncodeToString(sum[:]) {
		t.Errorf("digest %s is not the SHA-256 of the canonical document", d)
	}
	hsum := sha256.Sum256(head)
	if d, _ := m.ComputeHeaderDigest(); d != DigestPrefix+hex.EncodeToString(hsum[:]) {
		t.Errorf("header digest %s is not the SHA-256 of the canonical header", d)
	}
	empty := &Manifest{}
	if data, _ := empty.CanonicalEntries(); string(data) != "[]" {
		t.Errorf("canonical form of no entries = %q, want []", data)
	}
	// Issue 15: every header field is inside both digests (the old digest
	// covered the entries alone, so an edited as_of went unnoticed).
	d1, _ := m.ComputeDigest()
	h1, _ := m.ComputeHeaderDigest()
	for name, edit := range map[string]func(*Manifest){
		"run_id":            func(m *Manifest) { m.RunID = "other" },
		"as_of":             func(m *Manifest) { m.AsOf = m.AsOf.Add(time.Hour) },
		"generated_at":      func(m *Manifest) { m.GeneratedAt = m.GeneratedAt.Add(time.Second) },
		"window_days":       func(m *Manifest) { m.WindowDays++ },
		"delete_after_days": func(m *Manifest) { m.DeleteAfterDays++ },
		"reviewed_from":     func(m *Manifest) { m.ReviewedFrom = &Review{Workbook: "x.xlsx"} },
	} {
		c := *m
		edit(&c)
		d2, _ := c.ComputeDigest()
		h2, _ := c.ComputeHeaderDigest()
		if d2 == d1 || h2 == h1 {
			t.Errorf("editing %s left a digest unchanged: digest %v, header %v", name, d2 == d1, h2 == h1)
		}
	}
	if !strings.HasPrefix(d1, DigestPrefix) || len(d1) != len(DigestPrefix)+64 {
		t.Errorf("digest %s", d1)
	}
	m.Entries[0].Reasons[0] += " <edited>"
	if d3, _ := m.ComputeDigest(); d3 == d1 {
		t.Errorf("changing a reason did not change the digest")
	}
	if h3, _ := m.ComputeHeaderDigest(); h3 != h1 {
		t.Errorf("changing a reason changed the header digest")
	}
}

// An edited header is its own error, never ErrDigestMismatch, so that no
// flag that accepts an edited entry can accept a moved as-of (issue 15).
func TestVerifyEditedHeader(t *testing.T) {
	m := mustBuild(t)
	m.AsOf = m.AsOf.Add(48 * time.Hour)
	err := m.Verify()
	if !errors.Is(err, ErrHeaderEdited) || errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("Verify of a manifest with a moved as_of = %v, want ErrHeaderEdited only", err)
	}
	m = mustBuild(t)
	m.GeneratedAt = m.GeneratedAt.Add(-35 * 24 * time.Hour)
	if err := m.Verify(); !errors.Is(err, ErrHeaderEdited) {
		t.Errorf("Verify of a manifest with a moved generated_at = %v, want ErrHeaderEdited", err)
	}
	// Recomputing only the full digest does not hide a header edit.
	m = mustBuild(t)
	m.AsOf = m.AsOf.Add(time.Hour)
	m.Digest, _ = m.ComputeDigest()
	if err := m.Verify(); !errors.Is(err, ErrHeaderEdited) {
		t.Errorf("Verify with a recomputed digest but the old header digest = %v, want ErrHeaderEdited", err)
	}
	m = mustBuild(t)
	m.Entries[0].Reasons = append([]string(nil), m.Entries[0].Reasons...)
	m.Entries[0].Reasons[0] += " edited"
	if err := m.Verify(); !errors.Is(err, ErrDigestMismatch) || errors.Is(err, ErrHeaderEdited) {
		t.Errorf("Verify of an edited entry = %v, want ErrDigestMismatch", err)
	}
}
