package findings

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadAllowlist(t *testing.T) {
	got, err := LoadAllowlist(filepath.Join("testdata", "allowlist-valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []AllowEntry{
		{
			AccountID: "111111111111", UserName: "build-bot", Reason: "legacy CI, replaced in Q3",
			Owner: "platform-team@example.com", Expires: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
		},
		{
			AccountID: "012345678901", UserName: "ops+audit@corp", Reason: "break-glass account",
			Owner: "security@example.com", Expires: time.Date(2027, 1, 15, 10, 0, 0, 0, time.UTC),
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadAllowlist:\n got %+v\nwant %+v", got, want)
	}

	empty, err := LoadAllowlist(filepath.Join("testdata", "allowlist-empty.yaml"))
	if err != nil || len(empty) != 0 {
		t.Errorf("empty allowlist: got %v, %v; want no entries, no error", empty, err)
	}
}

func TestLoadAllowlistErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string // every piece must appear in the error
		not  []string // and none of these
	}{
		{"allowlist-missing-field.yaml", []string{"allowlist-missing-field.yaml", "entry 2 (line 6)", "reason: missing or empty"}, []string{"entry 1"}},
		{"allowlist-bad-date.yaml", []string{"allowlist-bad-date.yaml", "entry 1 (line 1)", "line 5", "expires", `"31/12/2026" is not a date`, "YYYY-MM-DD"}, []string{"missing or empty"}},
		{"allowlist-bad-account.yaml", []string{"allowlist-bad-account.yaml", "entry 1 (line 1)", `account_id: "11111111111" must be 12 digits`}, nil},
		{"allowlist-unknown-field.yaml", []string{"entry 1", "line 5", `unknown field "expire"`, "expires: missing or empty"}, nil},
		{"allowlist-not-a-list.yaml", []string{"allowlist-not-a-list.yaml", "line 1", "must be a YAML list", "not a mapping"}, nil},
		{"allowlist-duplicate-field.yaml", []string{"entry 1", "line 3", "user_name: given twice"}, nil},
		{"allowlist-syntax.yaml", []string{"parsing allowlist", "allowlist-syntax.yaml", "line"}, nil},
		{"does-not-exist.yaml", []string{"reading allowlist", "does-not-exist.yaml", "no such file"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			entries, err := LoadAllowlist(filepath.Join("testdata", tt.file))
			if err == nil {
				t.Fatalf("got %d entries and no error, want an error", len(entries))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q should not contain %q", err, n)
				}
			}
		})
	}
}

func TestParseAllowlistShapes(t *testing.T) {
	tests := []struct {
		name, yaml string
		wantErr    string
		wantN      int
	}{
		{"null document", "~\n", "", 0},
		{"empty list", "[]\n", "", 0},
		{"entry not a mapping", "- just a string\n", "entry 1 (line 1): an entry must be a mapping", 0},
		{"list value", "- account_id: [\"111111111111\"]\n  user_name: a\n  reason: r\n  owner: o\n  expires: 2026-01-01\n", "account_id: must be a single value, not a list", 0},
		{"bad user name", "- account_id: \"111111111111\"\n  user_name: has space\n  reason: r\n  owner: o\n  expires: 2026-01-01\n", `user_name: "has space" is not an IAM user name`, 0},
		{"null owner", "- account_id: \"111111111111\"\n  user_name: a\n  reason: r\n  owner: ~\n  expires: 2026-01-01\n", "owner: missing or empty", 0},
		{"two documents", "[]\n---\n[]\n", "second YAML document", 0},
		{"alias", "- &e\n  account_id: \"111111111111\"\n  user_name: a\n  reason: r\n  owner: o\n  expires: 2026-01-01\n- *e\n", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAllowlist([]byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantN {
				t.Errorf("got %d entries, want %d", len(got), tt.wantN)
			}
		})
	}
}

func TestLoadAllowlistBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allowlist.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A comment line repeated past the bound: valid YAML, but no allowlist.
	line := []byte("# " + strings.Repeat("x", 1021) + "\n")
	for range maxAllowlistBytes/len(line) + 1 {
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = LoadAllowlist(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("LoadAllowlist of an oversized file: err = %v, want a refusal naming the file and the limit", err)
	}
}
