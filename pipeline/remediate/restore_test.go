package remediate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

func (e *env) restore(path string, opts ...Option) (*RestoreResult, string) {
	e.t.Helper()
	out := &syncBuffer{}
	res, err := e.remediator(out, nil, opts...).Restore(context.Background(), path)
	if err != nil {
		e.t.Fatalf("Restore: %v\n%s", err, out.String())
	}
	return res, out.String()
}

func TestRestoreDeletedUser(t *testing.T) {
	var bob *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) {
		bob = fullUser(o.Account(memberID), "bob")
		bob.SetTag(manifest.TagDeactivated, "2026-01-01") // from an earlier deactivation
	})
	before := e.state(memberID, "bob")
	res, out := e.run(e.writeManifest(finding(memberID, bob, tables.StatusInactive, tables.DecisionDelete)), nil, WithApply(true))
	if err := res.Err(); err != nil || e.state(memberID, "bob") != nil {
		t.Fatalf("deleting bob: %v\n%s", err, out)
	}
	backup := filepath.Join(res.BackupDir, memberID, "bob.json")

	calls := e.srv.MutatingCalls()
	dry, dryOut := e.restore(backup)
	if e.srv.MutatingCalls() != calls {
		t.Fatalf("restore dry run made %d mutating calls", e.srv.MutatingCalls()-calls)
	}
	if err := dry.Err(); err != nil || !dry.Recreate || dry.NewUserID != "" {
		t.Fatalf("dry restore: %v recreate %v new %q\n%s", err, dry.Recreate, dry.NewUserID, dryOut)
	}
	wantCalls := []string{"CreateUser", "PutUserPermissionsBoundary", "PutUserPolicy", "PutUserPolicy", "AttachUserPolicy", "AttachUserPolicy",
		"AddUserToGroup", "AddUserToGroup", "TagUser"}
	var got []string
	for _, s := range dry.Steps {
		got = append(got, strings.TrimPrefix(s.Step.Call, "iam:"))
		if s.Result != StepPlanned {
			t.Errorf("dry step %s: %s", s.Step.Call, s.Result)
		}
	}
	if !slices.Equal(got, wantCalls) {
		t.Errorf("restore plan %q, want %q", got, wantCalls)
	}
	for _, want := range []string{"dry run", "would be re-created", "iam:CreateUser UserName=bob Path=/payments/", "cannot come back"} {
		if !strings.Contains(dryOut, want) {
			t.Errorf("dry output lacks %q:\n%s", want, dryOut)
		}
	}

	res2, out2 := e.restore(backup, WithApply(true))
	if err := res2.Err(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out2)
	}
	after := e.state(memberID, "bob")
	if after == nil {
		t.Fatal("bob was not re-created")
	}
	if after.ID == before.ID || res2.NewUserID != after.ID {
		t.Errorf("new unique ID %q (result %q), old %q: IAM gives a re-created user a new ID", after.ID, res2.NewUserID, before.ID)
	}
	if after.Path != before.Path || after.Boundary != before.Boundary || !slices.Equal(after.Groups, before.Groups) || !slices.Equal(after.Attached, before.Attached) {
		t.Errorf("restored %+v\nwas      %+v", after, before)
	}
	for name, doc := range before.Inline {
		if compactJSON(json.RawMessage(after.Inline[name])) != compactJSON(json.RawMessage(doc)) {
			t.Errorf("inline policy %s = %s, want %s", name, after.Inline[name], doc)
		}
	}
	if len(after.Inline) != len(before.Inline) {
		t.Errorf("inline policies %v", after.Inline)
	}
	wantTags := map[string]string{"team": "payments", "cost-center": "42"}
	if len(after.Tags) != len(wantTags) || after.Tags["team"] != "payments" || after.Tags["cost-center"] != "42" {
		t.Errorf("tags = %v, want %v (the deactivation tag dropped)", after.Tags, wantTags)
	}
	if len(after.Keys) != 0 || after.Login || after.MFA != 0 {
		t.Errorf("restore invented credentials: %+v", after)
	}
	cannot := strings.Join(res2.CannotRestore, "\n")
	for _, want := range []string{"access key", "console password", "virtual MFA device", "hardware or FIDO MFA device", "SSH public key", "signing certificate",
		"service-specific credential", "NEW unique ID (the old one was " + before.ID} {
		if !strings.Contains(cannot, want) {
			t.Errorf("cannot-restore list lacks %q:\n%s", want, cannot)
		}
	}
	if !strings.Contains(out2, "re-created with NEW unique ID "+after.ID) {
		t.Errorf("output does not give the new unique ID:\n%s", out2)
	}
	recs := readJournalFile(t, res.Journal)
	var created string
	for _, r := range recs {
		if r.Action == ActionRestore && r.Call == CallCreateUser {
			created = r.CreatedUserID
		}
	}
	if created != after.ID {
		t.Errorf("journal's CreateUser record has created_user_id %q, want %q", created, after.ID)
	}

	// Restoring again finds everything in place and recognizes its own
	// re-created user through the journal.
	calls = e.srv.MutatingCalls()
	res3, out3 := e.restore(backup, WithApply(true))
	if err := res3.Err(); err != nil || len(res3.Steps) != 0 || e.srv.MutatingCalls() != calls || res3.NewUserID != after.ID {
		t.Errorf("second restore: err %v, %d steps, %d calls, new ID %q\n%s", err, len(res3.Steps), e.srv.MutatingCalls()-calls, res3.NewUserID, out3)
	}

	// The re-created user is not the one in the manifest: remediation now
	// skips it.
	res4, _ := e.run(res.Manifest, nil, WithApply(true), WithJournal(filepath.Join(e.dir, "other.jsonl")))
	if er := res4.Entries[0]; er.Outcome != OutcomeSkipped || !strings.Contains(er.Reason, "re-created") {
		t.Errorf("remediating the restored user: %s (%s)", er.Outcome, er.Reason)
	}
}

func TestRestoreDeactivatedUser(t *testing.T) {
	var alice *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) {
		alice = plainUser(o.Account(mgmtID), "alice", ago(200))
		alice.AddAccessKey(awsfake.KeyCreated(ago(100)), awsfake.KeyInactive())
	})
	before := e.state(mgmtID, "alice")
	res, out := e.run(e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDeactivate)), nil, WithApply(true))
	if err := res.Err(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rres, rout := e.restore(filepath.Join(res.BackupDir, mgmtID, "alice.json"), WithApply(true))
	if err := rres.Err(); err != nil || rres.Recreate {
		t.Fatalf("restore: %v, recreate %v\n%s", err, rres.Recreate, rout)
	}
	after := e.state(mgmtID, "alice")
	if after.ID != before.ID || len(after.Tags) != 0 {
		t.Errorf("alice after restore = %+v", after)
	}
	for id, st := range before.Keys {
		if after.Keys[id] != st {
			t.Errorf("key %s is %s, was %s before remediation", id, after.Keys[id], st)
		}
	}
	var calls []string
	for _, s := range rres.Steps {
		calls = append(calls, strings.TrimPrefix(s.Step.Call, "iam:"))
	}
	if !slices.Equal(calls, []string{"UntagUser", "UpdateAccessKey"}) {
		t.Errorf("restore calls %q", calls)
	}
	if len(rres.CannotRestore) != 1 || !strings.Contains(rres.CannotRestore[0], "console password") {
		t.Errorf("cannot restore = %q, want only the password", rres.CannotRestore)
	}
}

func TestRestoreAccessKey(t *testing.T) {
	var dave *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) {
		dave = plainUser(o.Account(mgmtID), "dave", ago(1))
		dave.AddAccessKey(awsfake.KeyCreated(ago(500)))
	})
	path := e.writeManifest(keyFinding(mgmtID, dave, 2))
	res, _ := e.run(path, nil, WithApply(true))
	key2 := dave.AccessKeys[1].ID
	if e.state(mgmtID, "dave").Keys[key2] != awsfake.StatusInactive {
		t.Fatal("key 2 not deactivated")
	}
	e.srv.Do(func(o *awsfake.Org) { o.Account(mgmtID).User("dave").SetTag("team", "changed-by-owner") })
	rres, out := e.restore(filepath.Join(res.BackupDir, mgmtID, "dave.access-key-2.json"), WithApply(true))
	if err := rres.Err(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := e.state(mgmtID, "dave")
	if s.Keys[key2] != awsfake.StatusActive || s.Tags["team"] != "changed-by-owner" || len(rres.Steps) != 1 {
		t.Errorf("after restoring the key: %+v, %d steps (a key backup restores only the key)", s, len(rres.Steps))
	}

	// A deleted key cannot come back.
	e2 := newEnv(t, func(o *awsfake.Org) {
		dave = plainUser(o.Account(mgmtID), "dave", ago(1))
		dave.AddAccessKey(awsfake.KeyCreated(ago(500)))
	})
	res2, _ := e2.run(e2.writeManifest(keyFinding(mgmtID, dave, 2)), nil, WithApply(true), WithMode(ModeDelete))
	rres2, _ := e2.restore(filepath.Join(res2.BackupDir, mgmtID, "dave.access-key-2.json"), WithApply(true))
	if len(rres2.Steps) != 0 || len(rres2.CannotRestore) != 1 || !strings.Contains(rres2.CannotRestore[0], "secret cannot be recovered") {
		t.Errorf("restoring a deleted key: steps %d, cannot %q", len(rres2.Steps), rres2.CannotRestore)
	}
}

func TestRestoreRefusals(t *testing.T) {
	var bob *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { bob = plainUser(o.Account(mgmtID), "bob", ago(400)) })
	res, _ := e.run(e.writeManifest(finding(mgmtID, bob, tables.StatusInactive, tables.DecisionDelete)), nil, WithApply(true))
	backup := filepath.Join(res.BackupDir, mgmtID, "bob.json")
	// Someone else created a user named bob since.
	e.srv.Do(func(o *awsfake.Org) { o.Account(mgmtID).AddUser("bob") })
	_, err := e.remediator(nil, nil, WithApply(true)).Restore(context.Background(), backup)
	if err == nil || !strings.Contains(err.Error(), "does not merge into a different user") {
		t.Errorf("restore over another user: err = %v", err)
	}

	bad := filepath.Join(e.dir, "bad.json")
	data, _ := os.ReadFile(backup)
	os.WriteFile(bad, []byte(strings.Replace(string(data), BackupFormat, "dormant.backup/v0", 1)), 0o644)
	if _, err := ReadBackup(bad); err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("ReadBackup of another format: %v", err)
	}
	if _, err := ReadBackup(filepath.Join(e.dir, "missing.json")); err == nil {
		t.Error("ReadBackup of a missing file succeeded")
	}
}
