package remediate

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// writeManifestWith builds a manifest from findings with the run's
// references and access keys.
func (e *env) writeManifestWith(refs []tables.Reference, keys []tables.AccessKey, findings ...tables.Finding) string {
	e.t.Helper()
	m, err := manifest.Build(manifest.Input{
		RunID: "run-test", GeneratedAt: testAsOf.Add(time.Hour), AsOf: testAsOf,
		WindowDays: 90, DeleteAfterDays: 365, Findings: findings, References: refs, AccessKeys: keys,
	})
	if err != nil {
		e.t.Fatalf("building manifest: %v", err)
	}
	path := filepath.Join(e.dir, "remediation-manifest.json")
	if err := m.WriteFile(path); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func iacManifest(e *env) string {
	u := e.org.Account(mgmtID).User("tf-bot")
	f := finding(mgmtID, u, tables.StatusInactive, tables.DecisionRemoveInIaC)
	ref := tables.Reference{AccountID: mgmtID, UserName: u.Name, UserID: u.UserID, UserARN: u.ARN(mgmtID), Kind: tables.RefKindTerraform,
		Location: "infra/prod.tfstate aws_iam_user.bot", Match: tables.IaCOwnershipMatch("aws_iam_user by unique-id", "remove aws_iam_user.bot from the Terraform configuration and apply")}
	return e.writeManifestWith([]tables.Reference{ref}, nil, f)
}

// TestRemoveInIaCNoIAMCall: a remove-in-iac entry makes no IAM call, dry or
// applied, and prints the change to make; --apply refuses it.
func TestRemoveInIaCNoIAMCall(t *testing.T) {
	e := newEnv(t, func(org *awsfake.Org) { plainUser(org.Account(mgmtID), "tf-bot", ago(400)) })
	path := iacManifest(e)
	before := e.state(mgmtID, "tf-bot")
	for _, apply := range []bool{false, true} {
		e.srv.ResetCalls()
		res, out := e.run(path, nil, WithApply(apply))
		if n := len(e.srv.CallLog()); n != 0 {
			t.Errorf("apply=%v: %d AWS calls for a remove-in-iac entry, want none: %+v", apply, n, e.srv.CallLog())
		}
		er := entryByLabel(t, res, mgmtID+"/tf-bot")
		if er.Action != ActionRemoveInIaC || !strings.Contains(out, "remove aws_iam_user.bot from the Terraform configuration and apply") {
			t.Errorf("apply=%v: action %s, output:\n%s", apply, er.Action, out)
		}
		want := OutcomePlanned
		if apply {
			want = OutcomeSkipped
		}
		if er.Outcome != want || (apply && !strings.Contains(er.Reason, "--ignore-iac")) {
			t.Errorf("apply=%v: outcome %s (%s), want %s", apply, er.Outcome, er.Reason, want)
		}
	}
	if after := e.state(mgmtID, "tf-bot"); after.Login != before.Login || len(after.Tags) != len(before.Tags) {
		t.Errorf("the user changed: %+v -> %+v", before, after)
	}
}

// TestRemoveInIaCIgnored: with --ignore-iac, --apply deactivates the user
// through IAM and the journal records that the IaC was ignored.
func TestRemoveInIaCIgnored(t *testing.T) {
	e := newEnv(t, func(org *awsfake.Org) { plainUser(org.Account(mgmtID), "tf-bot", ago(400)) })
	path := iacManifest(e)
	res, out := e.run(path, nil, WithApply(true), WithIgnoreIaC(true))
	er := entryByLabel(t, res, mgmtID+"/tf-bot")
	if er.Outcome != OutcomeDone || er.Action != ActionDeactivate {
		t.Fatalf("outcome %s/%s (%s)\n%s", er.Action, er.Outcome, er.Reason, out)
	}
	if st := e.state(mgmtID, "tf-bot"); st.Login || st.Tags[manifest.TagDeactivated] == "" {
		t.Errorf("not deactivated: %+v", st)
	}
	var ignored int
	for _, r := range readJournalFile(t, res.Journal) {
		if r.Call == CallIgnoreIaC && strings.Contains(r.Parameters["iac"].(string), "infra/prod.tfstate aws_iam_user.bot") {
			ignored++
		}
	}
	if ignored != 1 {
		t.Errorf("the journal records --ignore-iac %d times, want once", ignored)
	}
}

// TestKeyIDCrossCheck: an entry naming a key by ID acts only if the live
// key at that slot and creation date has that ID.
func TestKeyIDCrossCheck(t *testing.T) {
	e := newEnv(t, func(org *awsfake.Org) {
		u := plainUser(org.Account(mgmtID), "svc", testAsOf.Add(-24*time.Hour))
		u.AddAccessKey(awsfake.KeyCreated(ago(700)))
	})
	u := e.org.Account(mgmtID).User("svc")
	live := u.AccessKeys[1]
	f := keyFinding(mgmtID, u, 2)
	for _, tc := range []struct {
		id      string
		outcome Outcome
	}{
		{live.ID, OutcomePlanned},
		{"AKIAOTHERKEY00000001", OutcomeSkipped},
	} {
		path := e.writeManifestWith(nil, []tables.AccessKey{{AccountID: mgmtID, UserName: "svc", AccessKeyID: tc.id, CreateDate: live.CreateDate}}, f)
		res, out := e.run(path, nil)
		er := entryByLabel(t, res, mgmtID+"/svc access key 2")
		if er.Outcome != tc.outcome {
			t.Errorf("key ID %s: outcome %s (%s), want %s\n%s", tc.id, er.Outcome, er.Reason, tc.outcome, out)
		}
		if tc.outcome == OutcomeSkipped && !strings.Contains(er.Reason, tc.id) {
			t.Errorf("the skip does not name the manifest's key ID: %s", er.Reason)
		}
	}
}

// TestUserEntryKeyIDGone: a user entry whose key action names a key ID the
// user no longer has is skipped, naming the ID; with the live ID it goes on.
func TestUserEntryKeyIDGone(t *testing.T) {
	e := newEnv(t, func(org *awsfake.Org) { plainUser(org.Account(mgmtID), "idle", ago(200)) })
	u := e.org.Account(mgmtID).User("idle")
	f := finding(mgmtID, u, tables.StatusInactive, tables.DecisionDeactivate)
	k := u.AccessKeys[0]
	for _, tc := range []struct {
		id      string
		outcome Outcome
	}{
		{k.ID, OutcomePlanned},
		{"AKIAROTATEDAWAY00001", OutcomeSkipped},
	} {
		path := e.writeManifestWith(nil, []tables.AccessKey{{AccountID: mgmtID, UserName: "idle", AccessKeyID: tc.id, CreateDate: k.CreateDate}}, f)
		res, out := e.run(path, nil)
		er := entryByLabel(t, res, mgmtID+"/idle")
		if er.Outcome != tc.outcome || (tc.outcome == OutcomeSkipped && !strings.Contains(er.Reason, tc.id)) {
			t.Errorf("key ID %s: outcome %s (%s), want %s\n%s", tc.id, er.Outcome, er.Reason, tc.outcome, out)
		}
	}
}
