package remediate

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 15's attacks on the hand-off, each against the fake IAM.

// testKeys is a reviewer's signing key and the public key operations trust.
func testKeys(t *testing.T) (*signature.Ed25519Signer, *signature.Ed25519Verifier) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signature.NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.NewEd25519Verifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// rewrite decodes the manifest at path, lets fn change it, and writes it
// back; with resign it recomputes both digests, as anyone can.
func rewrite(t *testing.T, path string, resign bool, fn func(m *manifest.Manifest)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	fn(&m)
	if resign {
		if err := m.Sign(); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := m.Encode(f); err != nil {
		t.Fatal(err)
	}
}

// Editing as_of and generated_at made remediate delete a user who signed in
// after the real as-of: the re-check compared against the edited date.
func TestAttackEditedAsOfDeletesActiveUser(t *testing.T) {
	var alice *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { alice = plainUser(o.Account(mgmtID), "alice", ago(400)) })
	path := e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDelete))
	// Alice signs in after the run's as-of.
	e.srv.Do(func(o *awsfake.Org) {
		used := testAsOf.Add(time.Hour)
		o.Account(mgmtID).User("alice").PasswordLastUsed = &used
	})
	rewrite(t, path, false, func(m *manifest.Manifest) {
		m.AsOf, m.GeneratedAt = testNow, testNow
	})
	for _, opts := range [][]Option{nil, {WithAllowEdited(true)}} {
		_, err := e.remediator(nil, nil, append(opts, WithApply(true))...).Run(context.Background(), path)
		if !errors.Is(err, manifest.ErrHeaderEdited) {
			t.Errorf("options %d: Run = %v, want the edited header refused", len(opts), err)
		}
	}
	if e.state(mgmtID, "alice") == nil || len(e.mutations(mgmtID)) != 0 {
		t.Fatalf("alice, who signed in after the as-of, was changed: %v", e.mutations(mgmtID))
	}
}

// The same edit made a 35-day-old manifest pass --max-age.
func TestAttackEditedAsOfPassesMaxAge(t *testing.T) {
	var alice *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { alice = plainUser(o.Account(mgmtID), "alice", ago(400)) })
	path := e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDelete))
	rewrite(t, path, true, func(m *manifest.Manifest) {
		m.AsOf, m.GeneratedAt = testNow.AddDate(0, 0, -35), testNow.AddDate(0, 0, -35)
	})
	if _, err := e.remediator(nil, nil).Run(context.Background(), path); err == nil || !strings.Contains(err.Error(), "older than the maximum age") {
		t.Fatalf("a 35-day-old manifest: Run = %v, want it refused as too old", err)
	}
	rewrite(t, path, false, func(m *manifest.Manifest) {
		m.AsOf, m.GeneratedAt = testNow.Add(-time.Hour), testNow.Add(-time.Hour)
	})
	_, err := e.remediator(nil, nil, WithAllowEdited(true), WithApply(true)).Run(context.Background(), path)
	if !errors.Is(err, manifest.ErrHeaderEdited) {
		t.Fatalf("a 35-day-old manifest with its dates edited: Run = %v, want the edited header refused", err)
	}
	if n := e.srv.MutatingCalls(); n != 0 {
		t.Errorf("%d mutating calls", n)
	}
}

// Changing deactivate to delete and recomputing the digest is accepted by
// any checksum; only a signature by the trusted key stops it.
func TestAttackUpgradeWithRecomputedDigest(t *testing.T) {
	var alice *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { alice = plainUser(o.Account(mgmtID), "alice", ago(200)) })
	path := e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDeactivate))
	signer, trust := testKeys(t)
	if _, err := signature.SignFile(context.Background(), signer, path); err != nil {
		t.Fatal(err)
	}
	// The signed manifest is accepted with the trust key (dry run).
	if _, err := e.remediator(nil, nil, WithTrustKey(trust)).Run(context.Background(), path); err != nil {
		t.Fatalf("the signed manifest was refused: %v", err)
	}
	upgrade := func(m *manifest.Manifest) {
		m.Entries[0].Decision = manifest.DecisionDelete
		acts := make([]manifest.Action, len(manifest.DeleteOrder))
		for i, c := range manifest.DeleteOrder {
			acts[i] = manifest.Action{Call: c, Target: "alice", Why: "forged"}
		}
		m.Entries[0].Actions = acts
	}
	rewrite(t, path, true, upgrade)
	_, err := e.remediator(nil, nil, WithTrustKey(trust), WithApply(true)).Run(context.Background(), path)
	if !errors.Is(err, signature.ErrInvalid) {
		t.Fatalf("deactivate upgraded to delete with the digest recomputed: Run = %v, want the signature refused", err)
	}
	// Without a trust key it is accepted, but loudly called unsigned.
	res, err := e.remediator(nil, nil).Run(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "UNSIGNED") {
		t.Errorf("no unsigned warning: %q", res.Warnings)
	}
	// Another key's signature over the forged manifest does not help.
	other, _ := testKeys(t)
	if _, err := signature.SignFile(context.Background(), other, path); err != nil {
		t.Fatal(err)
	}
	if _, err := e.remediator(nil, nil, WithTrustKey(trust)).Run(context.Background(), path); !errors.Is(err, signature.ErrInvalid) {
		t.Fatalf("a manifest signed by another key: Run = %v, want it refused", err)
	}
	// A signed manifest is never carried out --allow-edited.
	if _, err := e.remediator(nil, nil, WithTrustKey(trust), WithAllowEdited(true)).Run(context.Background(), path); err == nil {
		t.Fatal("--allow-edited let a manifest signed by another key through")
	}
	if e.state(mgmtID, "alice") == nil || e.srv.MutatingCalls() != 0 {
		t.Fatalf("the forged manifest changed IAM: %v", e.mutations(mgmtID))
	}
}

// --allow-edited accepts an edited entry but never lets it delete.
func TestAllowEditedNeverDeletes(t *testing.T) {
	var alice *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { alice = plainUser(o.Account(mgmtID), "alice", ago(400)) })
	path := e.writeManifest(finding(mgmtID, alice, tables.StatusInactive, tables.DecisionDelete))
	rewrite(t, path, false, func(m *manifest.Manifest) { m.Entries[0].Reasons = []string{"edited"} })
	res, _ := e.run(path, nil, WithAllowEdited(true), WithApply(true))
	er := entryByLabel(t, res, mgmtID+"/alice")
	if er.Action != ActionDeactivate || er.Outcome != OutcomeDone {
		t.Fatalf("edited delete entry: action %s outcome %s (%s), want deactivated", er.Action, er.Outcome, er.Reason)
	}
	if e.state(mgmtID, "alice") == nil {
		t.Fatal("an edited manifest deleted alice")
	}
}

// A backup edited to add AdministratorAccess was restored as written.
func TestAttackEditedBackupRefused(t *testing.T) {
	var bob *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) { bob = plainUser(o.Account(memberID), "bob", ago(400)) })
	signer, trust := testKeys(t)
	res, out := e.run(e.writeManifest(finding(memberID, bob, tables.StatusInactive, tables.DecisionDelete)), nil,
		WithApply(true), WithSignKey(signer))
	if err := res.Err(); err != nil || e.state(memberID, "bob") != nil {
		t.Fatalf("deleting bob: %v\n%s", err, out)
	}
	backup := filepath.Join(res.BackupDir, memberID, "bob.json")
	orig, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	// The signed backup verifies with the trust key, and restores (dry run).
	if _, _, err := signature.VerifyFile(context.Background(), trust, backup); err != nil {
		t.Fatalf("the backup's signature: %v", err)
	}
	e.restore(backup, WithTrustKey(trust))

	var b Backup
	if err := json.Unmarshal(orig, &b); err != nil {
		t.Fatal(err)
	}
	b.AttachedPolicies = append(b.AttachedPolicies, Attached{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess"})
	edited, _ := json.MarshalIndent(&b, "", "  ")
	if err := os.WriteFile(backup, append(edited, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	calls := e.srv.MutatingCalls()
	for _, opts := range [][]Option{{WithApply(true)}, {WithApply(true), WithTrustKey(trust)}} {
		_, err := e.remediator(nil, nil, opts...).Restore(context.Background(), backup)
		if !errors.Is(err, ErrBackupUnrecorded) || !strings.Contains(err.Error(), "edited") {
			t.Errorf("restoring a backup with AdministratorAccess added: %v, want it refused as edited", err)
		}
	}
	// Nor does a backup with no journal record pass.
	if err := os.Remove(res.Journal); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(backup, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.remediator(nil, nil, WithApply(true)).Restore(context.Background(), backup); !errors.Is(err, ErrBackupUnrecorded) {
		t.Errorf("restoring a backup the journal does not record: %v", err)
	}
	if e.srv.MutatingCalls() != calls || e.state(memberID, "bob") != nil {
		t.Fatalf("a refused backup was restored")
	}
}

// --mode delete would delete the unused keys a signed plan only
// deactivates; with a trusted signature it is refused before any call.
func TestModeDeleteRefusedOnSignedPlan(t *testing.T) {
	var dave *awsfake.User
	e := newEnv(t, func(o *awsfake.Org) {
		dave = plainUser(o.Account(mgmtID), "dave", ago(1))
		dave.AddAccessKey(awsfake.KeyCreated(ago(500)), awsfake.KeyLastUsed(ago(400), "us-east-1", "sts"))
	})
	path := e.writeManifest(keyFinding(mgmtID, dave, 2))
	signer, trust := testKeys(t)
	if _, err := signature.SignFile(context.Background(), signer, path); err != nil {
		t.Fatal(err)
	}
	_, err := New(Deps{Clients: e.clients(), Out: &syncBuffer{}, Now: time.Now}, WithTrustKey(trust), WithApply(true), WithMode(ModeDelete))
	if err == nil || !strings.Contains(err.Error(), "signed plan") {
		t.Fatalf("--mode delete on a signed plan: New = %v, want a refusal", err)
	}
	if n := e.srv.MutatingCalls(); n != 0 {
		t.Errorf("%d mutating calls", n)
	}
	// The plan as signed is carried out: the key deactivated, not deleted.
	res, err := e.remediator(nil, nil, WithTrustKey(trust), WithApply(true)).Run(context.Background(), path)
	if err != nil || res.Err() != nil {
		t.Fatalf("the signed plan: %v, %v", err, res.Err())
	}
	if s := e.state(mgmtID, "dave"); s.Keys[dave.AccessKeys[1].ID] != awsfake.StatusInactive {
		t.Errorf("key 2 is %q, want Inactive", s.Keys[dave.AccessKeys[1].ID])
	}
}
