package remediate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// deleteActions is the order of calls a fullUser's deletion makes.
var deleteActions = []string{
	"DeleteLoginProfile",
	"DeleteAccessKey", "DeleteAccessKey",
	"DeleteSigningCertificate", "DeleteSigningCertificate",
	"DeleteSSHPublicKey",
	"DeleteServiceSpecificCredential",
	"DeactivateMFADevice", "DeactivateMFADevice",
	"DeleteVirtualMFADevice",
	"DeleteUserPolicy", "DeleteUserPolicy",
	"DetachUserPolicy", "DetachUserPolicy",
	"RemoveUserFromGroup", "RemoveUserFromGroup",
	"DeleteUserPermissionsBoundary",
	"DeleteUser",
}

func actionsOnly(muts []string) []string {
	out := make([]string, len(muts))
	for i, m := range muts {
		out[i], _, _ = strings.Cut(m, " ")
	}
	return out
}

func TestDeleteUserWithEverything(t *testing.T) {
	var bob *awsfake.User
	// The boundary blocking DeleteUser is unconfirmed for real IAM; the
	// stricter fake proves the order works either way.
	e := newEnv(t, func(o *awsfake.Org) { bob = fullUser(o.Account(mgmtID), "bob") }, awsfake.WithBoundaryBlocksDeleteUser())
	before := e.state(mgmtID, "bob")
	path := e.writeManifest(finding(mgmtID, bob, tables.StatusInactive, tables.DecisionDelete))
	backup := filepath.Join(e.dir, "backup-run-test", mgmtID, "bob.json")

	var backupBeforeChange atomic.Bool
	factory := e.wrapped(func(api IAMAPI) IAMAPI {
		return hooked{IAMAPI: api, before: func(call string) error {
			if call == "DeleteLoginProfile" {
				_, err := os.Stat(backup)
				backupBeforeChange.Store(err == nil)
			}
			return nil
		}}
	})
	res, out := e.run(path, factory, WithApply(true))
	if err := res.Err(); err != nil {
		t.Fatalf("Err() = %v\n%s", err, out)
	}
	er := entryByLabel(t, res, mgmtID+"/bob")
	if er.Outcome != OutcomeDone || er.Action != ActionDelete {
		t.Fatalf("outcome %s %s (%s)\n%s", er.Action, er.Outcome, er.Reason, out)
	}
	if !backupBeforeChange.Load() {
		t.Error("the backup did not exist when the first change (DeleteLoginProfile) was made")
	}
	if s := e.state(mgmtID, "bob"); s != nil {
		t.Errorf("bob still exists: %+v", s)
	}
	e.srv.Do(func(o *awsfake.Org) {
		if n := len(o.Account(mgmtID).UnassignedVirtualMFADevices); n != 0 {
			t.Errorf("%d virtual MFA devices left behind", n)
		}
	})
	muts := e.mutations(mgmtID)
	if got := actionsOnly(muts); !slices.Equal(got, deleteActions) {
		t.Errorf("mutating calls:\n got %q\nwant %q", got, deleteActions)
	}
	for _, c := range e.srv.CallLog() {
		if c.Mutating && c.ErrorCode != "" {
			t.Errorf("%s answered %s: the order must need no retry", c.Action, c.ErrorCode)
		}
	}

	b, err := ReadBackup(backup)
	if err != nil {
		t.Fatal(err)
	}
	if b.UserID != before.ID || b.Path != "/payments/" || b.Scope != ScopeUser || b.Action != ActionDelete || b.RunID != "run-test" ||
		b.ARN != "arn:aws:iam::"+mgmtID+":user/payments/bob" || b.LoginProfile == nil || b.PermissionsBoundary != before.Boundary {
		t.Errorf("backup header = %+v", b)
	}
	var keys []string
	for _, k := range b.AccessKeys {
		keys = append(keys, k.ID+"="+k.Status)
		if before.Keys[k.ID] != k.Status {
			t.Errorf("backup key %s status %s, live was %s", k.ID, k.Status, before.Keys[k.ID])
		}
	}
	if len(keys) != 2 {
		t.Errorf("backup keys = %v", keys)
	}
	var groups, attached []string
	groups = append(groups, b.Groups...)
	for _, p := range b.AttachedPolicies {
		attached = append(attached, p.ARN)
	}
	slices.Sort(groups)
	slices.Sort(attached)
	if !slices.Equal(groups, before.Groups) || !slices.Equal(attached, before.Attached) {
		t.Errorf("backup groups %v attached %v, want %v %v", groups, attached, before.Groups, before.Attached)
	}
	if len(b.InlinePolicies) != 2 {
		t.Fatalf("backup inline policies = %+v", b.InlinePolicies)
	}
	for _, p := range b.InlinePolicies {
		if compactJSON(p.Document) != compactJSON(json.RawMessage(before.Inline[p.Name])) {
			t.Errorf("inline policy %s backed up as %s, want %s (decoded)", p.Name, p.Document, before.Inline[p.Name])
		}
	}
	if len(b.Tags) != 2 || len(b.MFADevices) != 2 || len(b.SSHPublicKeys) != 1 || len(b.SigningCertificates) != 2 || len(b.ServiceSpecificCredentials) != 1 {
		t.Errorf("backup tags %v mfa %v ssh %v certs %v sc %v", b.Tags, b.MFADevices, b.SSHPublicKeys, b.SigningCertificates, b.ServiceSpecificCredentials)
	}
	virtual := 0
	for _, d := range b.MFADevices {
		if d.Virtual != strings.Contains(d.SerialNumber, ":mfa/") {
			t.Errorf("MFA %s virtual = %v", d.SerialNumber, d.Virtual)
		}
		if d.Virtual {
			virtual++
		}
	}
	if virtual != 1 {
		t.Errorf("%d virtual MFA devices in the backup, want 1", virtual)
	}

	recs := readJournalFile(t, res.Journal)
	// Issue 15: the backup's SHA-256 is journaled first, before any change.
	backupData, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(backupData); len(recs) == 0 || recs[0].Call != CallWriteBackup || recs[0].BackupSHA256 != hex.EncodeToString(sum[:]) ||
		recs[0].Target != mgmtID+"/bob.json" {
		t.Fatalf("journal does not start with the backup's SHA-256 %x: %+v", sum, recs[0])
	}
	recs = recs[1:]
	if len(recs) != len(deleteActions) {
		t.Fatalf("journal has %d records, want %d", len(recs), len(deleteActions))
	}
	for i, r := range recs {
		if r.Call != "iam:"+deleteActions[i] || r.Result != ResultOK || r.Account != mgmtID || r.User != "bob" || r.UserID != before.ID ||
			r.RunID != "run-test" || r.Action != ActionDelete || r.Time.IsZero() || r.Parameters == nil {
			t.Errorf("journal record %d = %+v", i, r)
		}
	}
	checkJournalLines(t, res.Journal)
	for _, want := range []string{"APPLYING", "iam:DeleteUser UserName=bob", "-> ok", "result: done", "backup written to " + backup} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// checkJournalLines reads the journal as generic JSON: every line is an
// object with the documented fields.
func checkJournalLines(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("journal line %d is not JSON: %v: %s", i+1, err, line)
		}
		for _, k := range []string{"time", "account", "user", "user_id", "call", "parameters", "result"} {
			if _, ok := m[k]; !ok {
				t.Errorf("journal line %d lacks %q: %s", i+1, k, line)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, m["time"].(string)); err != nil {
			t.Errorf("journal line %d time: %v", i+1, err)
		}
		if params, ok := m["parameters"].(map[string]any); !ok || len(params) == 0 {
			t.Errorf("journal line %d parameters = %v", i+1, m["parameters"])
		}
	}
}

func TestFakeRejectsWrongOrder(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*env, []Step) {
		e := newEnv(t, func(o *awsfake.Org) { fullUser(o.Account(mgmtID), "bob") }, awsfake.WithBoundaryBlocksDeleteUser())
		b, err := snapshot(ctx, e.api(), mgmtID, "bob", nil)
		if err != nil {
			t.Fatal(err)
		}
		return e, deletePlan(&manifest.Entry{}, b)
	}
	t.Run("IAM order is accepted", func(t *testing.T) {
		e, steps := setup(t)
		for _, s := range steps {
			if _, err := s.do(ctx, e.api()); err != nil {
				t.Fatalf("%s: %v", s.String(), err)
			}
		}
		if e.state(mgmtID, "bob") != nil {
			t.Fatal("bob still exists")
		}
	})
	// Deleting the user before any one kind of attachment is removed fails.
	for _, late := range []string{
		manifest.CallDeleteLoginProfile, manifest.CallDeleteAccessKey, manifest.CallDeleteSigningCertificate,
		manifest.CallDeleteSSHPublicKey, manifest.CallDeleteServiceSpecificCredential, manifest.CallDeactivateMFADevice,
		manifest.CallDeleteUserPolicy, manifest.CallDetachUserPolicy, manifest.CallRemoveUserFromGroup,
		manifest.CallDeleteUserPermissionsBoundary,
	} {
		t.Run(late+" after DeleteUser", func(t *testing.T) {
			e, steps := setup(t)
			for _, s := range steps {
				if s.Call == late || (late == manifest.CallDeactivateMFADevice && s.Call == manifest.CallDeleteVirtualMFADevice) {
					continue
				}
				_, err := s.do(ctx, e.api())
				if s.Call == manifest.CallDeleteUser {
					if errorCode(err) != codeDeleteConflict {
						t.Fatalf("DeleteUser with %s left undone: err = %v, want DeleteConflict", late, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", s.String(), err)
				}
			}
			t.Fatal("DeleteUser was never reached")
		})
	}
	t.Run("virtual MFA deleted before deactivation", func(t *testing.T) {
		e, steps := setup(t)
		for _, s := range steps {
			if s.Call == manifest.CallDeleteVirtualMFADevice {
				_, err := s.do(ctx, e.api())
				if errorCode(err) != codeDeleteConflict {
					t.Fatalf("DeleteVirtualMFADevice of an enabled device: err = %v, want DeleteConflict", err)
				}
				return
			}
		}
		t.Fatal("no virtual MFA step")
	})
}

func TestDryRunMakesNoChanges(t *testing.T) {
	var bob, alice, dave *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) {
		a := o.Account(mgmtID)
		bob = fullUser(a, "bob")
		alice = plainUser(a, "alice", ago(200))
		dave = plainUser(a, "dave", ago(1))
		dave.AddAccessKey(awsfake.KeyCreated(ago(500)))
	})
	path := e.writeManifest(
		finding(mgmtID, bob, tables.StatusInactive, tables.DecisionDelete),
		finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDeactivate),
		keyFinding(mgmtID, dave, 2),
	)
	res, out := e.run(path, nil)
	if n := e.srv.MutatingCalls(); n != 0 {
		t.Fatalf("dry run made %d mutating calls: %v", n, e.mutations(mgmtID))
	}
	if err := res.Err(); err != nil || res.Applied {
		t.Fatalf("Err() = %v, applied %v\n%s", err, res.Applied, out)
	}
	for _, er := range res.Entries {
		if er.Outcome != OutcomePlanned {
			t.Errorf("%s: %s (%s)", er.Entry, er.Outcome, er.Reason)
		}
	}
	if got := stepCalls(entryByLabel(t, res, mgmtID+"/bob")); !slices.Equal(got, deleteActions) {
		t.Errorf("bob's plan:\n got %q\nwant %q", got, deleteActions)
	}
	alicePlan := stepCalls(entryByLabel(t, res, mgmtID+"/alice"))
	if want := []string{"UpdateAccessKey", "DeleteLoginProfile", "TagUser"}; !slices.Equal(alicePlan, want) {
		t.Errorf("alice's plan = %q, want %q", alicePlan, want)
	}
	if got := stepCalls(entryByLabel(t, res, mgmtID+"/dave access key 2")); !slices.Equal(got, []string{"UpdateAccessKey"}) {
		t.Errorf("dave's plan = %q", got)
	}
	if _, err := os.Stat(res.BackupDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dry run wrote the backup directory %s (err %v)", res.BackupDir, err)
	}
	for _, want := range []string{"dry run, nothing will change", "would call", "why: ", "iam:DeleteUser UserName=bob", "Status=Inactive",
		"Tag:dormant:deactivated=" + testNow.Format(time.DateOnly), "[3/3]", "summary: 3 planned"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Entries print in manifest order: alice, bob, dave.
	if ia, ib := strings.Index(out, "/alice:"), strings.Index(out, "/bob:"); ia < 0 || ib < ia {
		t.Errorf("entries out of order:\n%s", out)
	}
}

func TestDeactivate(t *testing.T) {
	var alice, carol *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) {
		a := o.Account(mgmtID)
		alice = plainUser(a, "alice", ago(200))
		alice.AddAccessKey(awsfake.KeyCreated(ago(100)), awsfake.KeyInactive())
		carol = fullUser(a, "carol")
	})
	carolF := finding(mgmtID, carol, tables.StatusInactive, tables.DecisionDelete)
	path := e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDeactivate), carolF)
	before := e.state(mgmtID, "carol")

	res, out := e.run(path, nil, WithApply(true), WithMode(ModeDeactivate))
	if err := res.Err(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	today := testNow.Format(time.DateOnly)
	alicePlanned := ""
	m, err := manifest.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range m.Entries {
		if en.UserName == "alice" {
			alicePlanned = en.Actions[len(en.Actions)-1].Parameters[manifest.TagDeleteAfter]
		}
	}
	a := e.state(mgmtID, "alice")
	for id, st := range a.Keys {
		if st != awsfake.StatusInactive {
			t.Errorf("alice key %s is %s", id, st)
		}
	}
	if a.Login || a.Tags[manifest.TagDeactivated] != today || a.Tags[manifest.TagDeleteAfter] != alicePlanned || alicePlanned == "" {
		t.Errorf("alice = %+v, want no login profile, deactivated %s, delete-after %s (the manifest's)", a, today, alicePlanned)
	}
	// --mode deactivate downgraded carol's delete: she exists, disabled, and
	// is due for deletion after the grace period.
	c := e.state(mgmtID, "carol")
	if c == nil {
		t.Fatal("carol was deleted despite --mode deactivate")
	}
	grace := testNow.AddDate(0, 0, DefaultGraceDays).Format(time.DateOnly)
	if c.Login || c.Tags[manifest.TagDeactivated] != today || c.Tags[manifest.TagDeleteAfter] != grace {
		t.Errorf("carol = %+v, want deactivated %s, delete-after %s", c, today, grace)
	}
	if !slices.Equal(c.Groups, before.Groups) || c.MFA != before.MFA || len(c.Inline) != len(before.Inline) || c.Boundary != before.Boundary {
		t.Errorf("deactivation removed more than keys and password: before %+v after %+v", before, c)
	}
	ce := entryByLabel(t, res, mgmtID+"/carol")
	if ce.Action != ActionDeactivate || !slices.Contains(ce.Notes, "--mode deactivate: the delete entry is only deactivated") {
		t.Errorf("carol entry = %+v", ce)
	}
	// Only carol's active key was deactivated; the inactive one needed no call.
	var updates int
	for _, m := range e.mutations(mgmtID) {
		if strings.HasPrefix(m, "UpdateAccessKey") {
			updates++
		}
	}
	if updates != 2 {
		t.Errorf("%d UpdateAccessKey calls, want 2 (one active key each)", updates)
	}

	// --mode delete never upgrades a deactivate entry.
	e2 := newEnv(t, func(o *awsfake.Org) { alice = plainUser(o.Account(mgmtID), "alice", ago(200)) })
	res2, out2 := e2.run(e2.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDeactivate)), nil, WithApply(true), WithMode(ModeDelete))
	if err := res2.Err(); err != nil || e2.state(mgmtID, "alice") == nil {
		t.Fatalf("--mode delete on a deactivate entry: err %v, alice deleted = %v\n%s", err, e2.state(mgmtID, "alice") == nil, out2)
	}
}

func TestAccessKeyEntry(t *testing.T) {
	build := func(o *awsfake.Org) *awsfake.User {
		dave := plainUser(o.Account(mgmtID), "dave", ago(1))
		dave.AddAccessKey(awsfake.KeyCreated(ago(500)), awsfake.KeyLastUsed(ago(400), "us-east-1", "sts"))
		return dave
	}
	for _, mode := range []string{ModePlanned, ModeDelete} {
		t.Run("mode "+mode, func(t *testing.T) {
			var dave *awsfake.User
			e := newEnv(t, func(o *awsfake.Org) { dave = build(o) })
			key1, key2 := dave.AccessKeys[0].ID, dave.AccessKeys[1].ID
			res, out := e.run(e.writeManifest(keyFinding(mgmtID, dave, 2)), nil, WithApply(true), WithMode(mode))
			if err := res.Err(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			s := e.state(mgmtID, "dave")
			if s.Keys[key1] != awsfake.StatusActive || !s.Login || len(s.Tags) != 0 {
				t.Errorf("dave beyond key 2 changed: %+v", s)
			}
			want := []string{"UpdateAccessKey " + key2}
			if mode == ModeDelete {
				want = []string{"DeleteAccessKey " + key2}
				if _, ok := s.Keys[key2]; ok {
					t.Errorf("key 2 %s not deleted", key2)
				}
			} else if s.Keys[key2] != awsfake.StatusInactive {
				t.Errorf("key 2 %s is %s", key2, s.Keys[key2])
			}
			if got := e.mutations(mgmtID); !slices.Equal(got, want) {
				t.Errorf("mutations %q, want %q", got, want)
			}
			b, err := ReadBackup(filepath.Join(res.BackupDir, mgmtID, "dave.access-key-2.json"))
			if err != nil || b.Scope != ScopeAccessKey || b.TargetKeyID != key2 {
				t.Errorf("key backup = %+v, %v", b, err)
			}
		})
	}
	t.Run("no exact match", func(t *testing.T) {
		var dave *awsfake.User
		e := newEnv(t, func(o *awsfake.Org) { dave = build(o) })
		f := keyFinding(mgmtID, dave, 2)
		f.Key2LastRotated = f.Key2LastRotated.Add(time.Second) // the key was rotated since
		res, _ := e.run(e.writeManifest(f), nil, WithApply(true))
		er := res.Entries[0]
		if er.Outcome != OutcomeSkipped || !strings.Contains(er.Reason, "no live access key was created at") || e.srv.MutatingCalls() != 0 {
			t.Errorf("outcome %s (%s), %d mutating calls", er.Outcome, er.Reason, e.srv.MutatingCalls())
		}
	})
}

func TestRecheckSkips(t *testing.T) {
	tests := []struct {
		name   string
		change func(o *awsfake.Org, u *awsfake.User)
		want   string
	}{
		{"key used after as-of", func(o *awsfake.Org, u *awsfake.User) {
			t := testAsOf.Add(3 * time.Hour)
			u.AccessKeys[0].LastUsedDate = &t
		}, "was used " + testAsOf.Add(3*time.Hour).Format(time.RFC3339) + ", after the manifest's as-of"},
		{"password used after as-of", func(o *awsfake.Org, u *awsfake.User) {
			t := testAsOf.Add(time.Minute)
			u.PasswordLastUsed = &t
		}, "the password was used"},
		{"exemption tag added", func(o *awsfake.Org, u *awsfake.User) { u.SetTag("Dormant:Exempt", "TRUE") }, "exempt users are never remediated"},
		{"re-created user", func(o *awsfake.Org, u *awsfake.User) {
			a := o.Account(mgmtID)
			a.Users = slices.DeleteFunc(a.Users, func(x *awsfake.User) bool { return x == u })
			plainUser(a, u.Name, ago(300)) // same name, new unique ID
		}, "a re-created user is never touched"},
		{"user gone", func(o *awsfake.Org, u *awsfake.User) {
			a := o.Account(mgmtID)
			a.Users = slices.DeleteFunc(a.Users, func(x *awsfake.User) bool { return x == u })
		}, "no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var alice *awsfake.User
			e := newEnv(t, func(o *awsfake.Org) {
				alice = plainUser(o.Account(mgmtID), "alice", ago(200))
				plainUser(o.Account(mgmtID), "zed", ago(200))
			})
			var zed *awsfake.User
			e.srv.Do(func(o *awsfake.Org) { zed = o.Account(mgmtID).User("zed") })
			path := e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDelete),
				finding(mgmtID, zed, tables.StatusInactive, tables.DecisionDelete))
			e.srv.Do(func(o *awsfake.Org) { tt.change(o, o.Account(mgmtID).User("alice")) })
			res, out := e.run(path, nil, WithApply(true))
			er := entryByLabel(t, res, mgmtID+"/alice")
			if er.Outcome != OutcomeSkipped || !strings.Contains(er.Reason, tt.want) {
				t.Errorf("alice: %s (%s), want skipped: %s\n%s", er.Outcome, er.Reason, tt.want, out)
			}
			for _, c := range e.srv.CallLog() {
				if c.Mutating && c.Params["UserName"] != "zed" {
					t.Errorf("%s %v touched a user other than zed", c.Action, c.Params)
				}
			}
			if e.state(mgmtID, "alice") == nil && tt.name != "user gone" {
				t.Error("alice was deleted")
			}
			if e.state(mgmtID, "zed") != nil {
				t.Error("zed, who passed the re-check, was not deleted")
			}
			if _, err := os.Stat(filepath.Join(res.BackupDir, mgmtID, "alice.json")); er.Backup != "" || !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a skipped user got a backup %q (stat: %v)", er.Backup, err)
			}
			if !errors.Is(res.Err(), ErrIncomplete) || !strings.Contains(res.Err().Error(), "1 skipped") {
				t.Errorf("Err() = %v, want 1 skipped", res.Err())
			}
		})
	}
}

func TestManifestRefused(t *testing.T) {
	var alice *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { alice = plainUser(o.Account(mgmtID), "alice", ago(200)) })
	good := e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDeactivate))
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(name string, fn func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		fn(m)
		out, _ := json.MarshalIndent(m, "", "  ")
		p := filepath.Join(e.dir, name+".json")
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	entry := func(m map[string]any) map[string]any { return m["entries"].([]any)[0].(map[string]any) }
	// resign recomputes the digest of a hand-edited manifest, as a careless
	// editor with the tool at hand might.
	resign := func(p string) {
		raw, _ := os.ReadFile(p)
		var m manifest.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if err := m.Sign(); err != nil {
			t.Fatal(err)
		}
		f, _ := os.Create(p)
		defer f.Close()
		if err := m.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	tampered := edit("tampered", func(m map[string]any) { entry(m)["reasons"] = []any{"edited by hand"} })
	// unknown is a manifest of a later version, whose header digest is its
	// own; unknownMoved is one whose as_of was moved as well.
	unknown := edit("unknown", func(m map[string]any) { m["schema_version"] = "dormant.manifest/v9" })
	rehead := func(p string) {
		raw, _ := os.ReadFile(p)
		var m manifest.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		m.HeaderDigest, _ = m.ComputeHeaderDigest()
		out, _ := json.MarshalIndent(&m, "", "  ")
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rehead(unknown)
	unknownMoved := edit("unknown-moved", func(m map[string]any) {
		m["schema_version"] = "dormant.manifest/v9"
		m["as_of"] = testNow.Format(time.RFC3339)
	})
	// old is a manifest made 40 days ago (re-signed: issue 15 refuses an
	// as_of edited by hand, which is asOfEdited below).
	old := edit("old", func(m map[string]any) {
		m["as_of"] = testNow.AddDate(0, 0, -40).Format(time.RFC3339)
		m["generated_at"] = testNow.AddDate(0, 0, -40).Format(time.RFC3339)
	})
	resign(old)
	asOfEdited := edit("as-of-edited", func(m map[string]any) { m["as_of"] = testNow.Format(time.RFC3339) })
	generatedEdited := edit("generated-edited", func(m map[string]any) { m["generated_at"] = testNow.Format(time.RFC3339) })
	review := edit("review", func(m map[string]any) { entry(m)["evidence"].(map[string]any)["status"] = "review" })
	resign(review)
	exempt := edit("exempt", func(m map[string]any) { entry(m)["evidence"].(map[string]any)["status"] = "exempt" })
	resign(exempt)
	root := edit("root", func(m map[string]any) {
		entry(m)["user_name"] = "<root_account>"
		entry(m)["arn"] = "arn:aws:iam::" + mgmtID + ":root"
	})
	resign(root)
	decisionReview := edit("decision-review", func(m map[string]any) { entry(m)["decision"] = "review" })
	resign(decisionReview)

	tests := []struct {
		name    string
		path    string
		opts    []Option
		wantErr string // "" when accepted
	}{
		{"signed", good, nil, ""},
		{"tampered", tampered, nil, "digest does not match"},
		{"tampered, --allow-edited", tampered, []Option{WithAllowEdited(true)}, ""},
		{"unknown schema", unknown, nil, "unknown manifest schema version"},
		{"unknown schema, --allow-edited", unknown, []Option{WithAllowEdited(true)}, ""},
		{"unknown schema with as_of moved, --allow-edited", unknownMoved, []Option{WithAllowEdited(true)}, "header was edited"},
		{"too old", old, nil, "older than the maximum age 30d"},
		{"too old, --max-age 60d", old, []Option{WithMaxAge(60 * 24 * time.Hour)}, ""},
		{"as_of edited", asOfEdited, nil, "header was edited"},
		{"as_of edited, --allow-edited", asOfEdited, []Option{WithAllowEdited(true)}, "header was edited"},
		{"generated_at edited, --allow-edited", generatedEdited, []Option{WithAllowEdited(true)}, "header was edited"},
		{"review status, re-signed", review, []Option{WithAllowEdited(true)}, "evidence.status"},
		{"exempt status, re-signed", exempt, []Option{WithAllowEdited(true)}, "evidence.status"},
		{"root user, re-signed", root, []Option{WithAllowEdited(true)}, "user_name"},
		{"review decision, re-signed", decisionReview, []Option{WithAllowEdited(true)}, "decision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &syncBuffer{}
			res, err := e.remediator(out, nil, tt.opts...).Run(context.Background(), tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if res.Entries[0].Outcome != OutcomePlanned {
					t.Errorf("outcome %s (%s)", res.Entries[0].Outcome, res.Entries[0].Reason)
				}
				// Every run without a trust key warns it is unsigned; an edited
				// manifest must also say what --allow-edited let through.
				if strings.Contains(tt.name, "allow-edited") && (!slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "--allow-edited") }) || !strings.Contains(out.String(), "WARNING")) {
					t.Errorf("accepted an edited manifest without a warning:\n%s", out)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
	if n := e.srv.MutatingCalls(); n != 0 {
		t.Errorf("%d mutating calls", n)
	}
	if !errors.Is(func() error { _, err := e.remediator(nil, nil).Run(context.Background(), tampered); return err }(), manifest.ErrDigestMismatch) {
		t.Error("a tampered manifest's error does not wrap manifest.ErrDigestMismatch")
	}
}

func TestRefusal(t *testing.T) {
	base := manifest.Entry{Kind: manifest.KindUser, AccountID: mgmtID, UserName: "alice", UserID: "AIDAALICE0000000001",
		ARN: "arn:aws:iam::" + mgmtID + ":user/alice", Decision: manifest.DecisionDelete, Evidence: manifest.Evidence{Status: tables.StatusInactive}}
	tests := []struct {
		name   string
		modify func(e *manifest.Entry)
		want   string
	}{
		{"inactive user", func(*manifest.Entry) {}, ""},
		{"root name", func(e *manifest.Entry) { e.UserName = tables.RootUserName }, "root user"},
		{"root ARN", func(e *manifest.Entry) { e.ARN = "arn:aws:iam::" + mgmtID + ":root" }, "root user"},
		{"root status", func(e *manifest.Entry) { e.Evidence.Status = tables.StatusRoot }, "root"},
		{"exempt", func(e *manifest.Entry) { e.Evidence.Status = tables.StatusExempt }, "exempt users"},
		{"review", func(e *manifest.Entry) { e.Evidence.Status = tables.StatusReview }, "under review"},
		{"review decision", func(e *manifest.Entry) { e.Decision = tables.DecisionReview }, "only deactivate and delete"},
		{"keep decision", func(e *manifest.Entry) { e.Decision = tables.DecisionKeep }, "only deactivate and delete"},
		{"unknown kind", func(e *manifest.Entry) { e.Kind = "role" }, "kind"},
		{"key without slot", func(e *manifest.Entry) { e.Kind = manifest.KindAccessKey }, "key_slot"},
		{"no user ID", func(e *manifest.Entry) { e.UserID = "" }, "unique user ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.modify(&e)
			got := refusal(&e)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("refusal = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRecheckSkipsUseInWindow: a user or key is planned because nothing used
// it since the window start (as-of minus the window). IAM's own last-use
// dates, read live, that fall inside the window contradict the evidence (a
// credential report that lagged, a key used after it was generated, log files
// missing for the hour or region of the use): remediation skips the entry
// instead of acting on the stale plan. Use after as-of was already caught;
// use between the window start and as-of was not.
func TestRecheckSkipsUseInWindow(t *testing.T) {
	inWindow := ago(10) // the manifest's window is 90 days
	t.Run("user entry, key used in the window", func(t *testing.T) {
		var alice *awsfake.User
		e := newEnv(t, func(o *awsfake.Org) { alice = plainUser(o.Account(mgmtID), "alice", ago(200)) })
		path := e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDeactivate))
		e.srv.Do(func(o *awsfake.Org) { o.Account(mgmtID).User("alice").AccessKeys[0].LastUsedDate = &inWindow })
		res, out := e.run(path, nil, WithApply(true))
		er := entryByLabel(t, res, mgmtID+"/alice")
		if er.Outcome != OutcomeSkipped || !strings.Contains(er.Reason, "inside the manifest's window") || e.srv.MutatingCalls() != 0 {
			t.Errorf("alice: %s (%s), %d mutating calls; want skipped naming the window\n%s", er.Outcome, er.Reason, e.srv.MutatingCalls(), out)
		}
	})
	t.Run("user entry, password used in the window", func(t *testing.T) {
		var alice *awsfake.User
		e := newEnv(t, func(o *awsfake.Org) { alice = plainUser(o.Account(mgmtID), "alice", ago(200)) })
		path := e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDelete))
		e.srv.Do(func(o *awsfake.Org) { o.Account(mgmtID).User("alice").PasswordLastUsed = &inWindow })
		res, out := e.run(path, nil, WithApply(true))
		er := entryByLabel(t, res, mgmtID+"/alice")
		if er.Outcome != OutcomeSkipped || !strings.Contains(er.Reason, "the password was used") || e.srv.MutatingCalls() != 0 {
			t.Errorf("alice: %s (%s), %d mutating calls; want skipped\n%s", er.Outcome, er.Reason, e.srv.MutatingCalls(), out)
		}
	})
	t.Run("unused-key entry, the key used in the window", func(t *testing.T) {
		var bob *awsfake.User
		e := newEnv(t, func(o *awsfake.Org) {
			bob = plainUser(o.Account(mgmtID), "bob", ago(1))
			bob.AddAccessKey(awsfake.KeyCreated(ago(700)), awsfake.KeyLastUsed(ago(300), "us-east-1", "s3"))
		})
		path := e.writeManifest(keyFinding(mgmtID, bob, 2))
		e.srv.Do(func(o *awsfake.Org) { o.Account(mgmtID).User("bob").AccessKeys[1].LastUsedDate = &inWindow })
		res, out := e.run(path, nil, WithApply(true))
		if len(res.Entries) != 1 {
			t.Fatalf("%d entries\n%s", len(res.Entries), out)
		}
		er := res.Entries[0]
		if er.Outcome != OutcomeSkipped || !strings.Contains(er.Reason, "inside the manifest's window") || e.srv.MutatingCalls() != 0 {
			t.Errorf("bob's key 2: %s (%s), %d mutating calls; want skipped naming the window\n%s", er.Outcome, er.Reason, e.srv.MutatingCalls(), out)
		}
	})
}
