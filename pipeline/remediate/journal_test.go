package remediate

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestJournalSurvivesACutLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "journal.jsonl")
	logger := slog.New(slog.DiscardHandler)
	rec := JournalRecord{Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), RunID: "r", Account: mgmtID, User: "alice", UserID: "AIDA1",
		Entry: mgmtID + "/alice", Action: ActionDelete, Call: "iam:DeleteLoginProfile", Parameters: map[string]any{"UserName": "alice"}, Result: ResultOK}
	j, err := openJournal(path, true, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.append(rec); err != nil {
		t.Fatal(err)
	}
	j.close()
	// A crash in the middle of the next line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-11-01T00:00:01Z","run_id":"r","acc`)
	f.Close()

	j, err = openJournal(path, true, logger)
	if err != nil {
		t.Fatalf("reopening a journal with a cut last line: %v", err)
	}
	ek := entryKey{"r", mgmtID, "AIDA1", mgmtID + "/alice", ActionDelete}
	if _, ok := j.stepDone(ek, "iam:DeleteLoginProfile", ""); !ok || !j.touched("r", mgmtID, "AIDA1") {
		t.Error("the complete record was not loaded")
	}
	rec.Call = "iam:DeleteUser"
	if err := j.append(rec); err != nil {
		t.Fatal(err)
	}
	j.close()
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "iam:DeleteUser") {
		t.Fatalf("journal after the crash, want the cut line dropped:\n%s", data)
	}
	j, err = openJournal(path, false, logger)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := j.doneCall(ek, "iam:DeleteUser"); !ok {
		t.Error("the record written after the cut line was not loaded")
	}

	// A damaged line in the middle is an error naming the line.
	os.WriteFile(path, []byte(lines[0]+"\nnot json\n"+lines[1]+"\n"), 0o644)
	if _, err := openJournal(path, false, logger); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("damaged journal: err = %v, want it to name line 2", err)
	}
	if _, err := ReadJournal(strings.NewReader("{\"bogus\":1}\n")); err == nil {
		t.Error("ReadJournal accepted an unknown field")
	}
}

func TestMatchKey(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	keys := []AccessKey{{ID: "A", CreateDate: t0}, {ID: "B", CreateDate: t0.Add(time.Hour)}, {ID: "C", CreateDate: t0.Add(time.Hour)}}
	tests := []struct {
		name    string
		keys    []AccessKey
		slot    int
		rotated time.Time
		want    string
		reason  string
	}{
		{"exact", keys[:2], 2, t0.Add(time.Hour), "B", ""},
		{"sub-second in the report", keys[:2], 1, t0.Add(900 * time.Millisecond), "A", ""},
		{"slot breaks a tie", keys, 3 - 1, t0.Add(time.Hour), "B", ""},
		{"tie outside the slot", keys, 1, t0.Add(time.Hour), "", "cannot tell which"},
		{"rotated since", keys[:2], 2, t0.Add(2 * time.Hour), "", "no live access key was created"},
		{"no keys", nil, 1, t0, "", "live keys: none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := matchKey(tt.keys, tt.slot, tt.rotated)
			if got.ID != tt.want || !strings.Contains(why, tt.reason) || (tt.reason == "") != (why == "") {
				t.Errorf("matchKey = %q, %q; want %q, %q", got.ID, why, tt.want, tt.reason)
			}
		})
	}
}

func TestDecodePolicyDocument(t *testing.T) {
	tests := []struct{ in, want string }{
		{"%7B%22a%22%3A%22b%2Bc%20d%22%7D", `{"a":"b+c d"}`},
		{`{"a":"100%"}`, `{"a":"100%"}`},             // already decoded: not decoded twice
		{"%7B%22a%22%3A%22x+y%22%7D", `{"a":"x+y"}`}, // a literal plus stays a plus
	}
	for _, tt := range tests {
		got, err := decodePolicyDocument(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("decodePolicyDocument(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if _, err := decodePolicyDocument("%7Bnot"); err == nil {
		t.Error("decoded a document that is not JSON")
	}
}

func TestVirtualMFA(t *testing.T) {
	for serial, want := range map[string]bool{
		"arn:aws:iam::111111111111:mfa/alice":             true,
		"arn:aws-us-gov:iam::111111111111:mfa/path/alice": true,
		"GAHT12345678": false,
		"arn:aws:iam::111111111111:u2f/user/alice/default-ABCDEFGHIJ": false,
	} {
		if got := virtualMFA(serial); got != want {
			t.Errorf("virtualMFA(%q) = %v", serial, got)
		}
	}
}
