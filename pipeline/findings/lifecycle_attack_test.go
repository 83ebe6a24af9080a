package findings

import (
	"strings"

	"github.com/dormant-iam/dormant/reports/manifest"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// The dormant tags are writable by anyone with iam:TagUser: a tag that
// cannot be dormant's own (older than the user, or on a user of unknown
// age) never turns a user the activity rules keep into a deletion.
func TestForgedDeactivationTagNeverDeletes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		created time.Time
	}{
		{"created inside the window, after the tag's date", daysBefore(20)},
		{"created after the tag's date, before the window", ymd("2026-05-01")},
		{"created after as-of", asOf.Add(24 * time.Hour)},
		{"creation date unknown", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := baseUser()
			deactivatedOn("2026-01-01", "2026-02-01")(&u)
			u.CreateDate = tc.created
			got, err := Classify([]tables.User{u}, nil, fullCoverage(), nil, DefaultOptions(asOf))
			if err != nil {
				t.Fatal(err)
			}
			if d := got[0].Decision; d == tables.DecisionDelete || d == tables.DecisionDeactivate {
				t.Errorf("decision %s on a tag dated before the user existed; reasons %q", d, got[0].Reasons)
			}
		})
	}
}

// A user created inside the window keeps its grace even when its tags say
// dormant deactivated it after its creation and the delete-after is due.
func TestDeactivationTagOnNewUserNeverDeletes(t *testing.T) {
	u := baseUser()
	deactivatedOn("2026-10-15", "2026-10-20")(&u)
	u.CreateDate = daysBefore(20)
	got, err := Classify([]tables.User{u}, nil, fullCoverage(), nil, DefaultOptions(asOf))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Decision != tables.DecisionReview || !hasReason(got[0], "inside the window") {
		t.Errorf("decision %s, reasons %q; want review naming the window", got[0].Decision, got[0].Reasons)
	}
}

// A due deactivated user that infrastructure as code manages is removed in
// its code, and the run's manifest still builds: the plan must not fail the
// run (nor delete the user through IAM).
func TestDueDeactivatedManagedByIaC(t *testing.T) {
	u := baseUser()
	deactivatedOn("2026-08-01", "2026-10-01")(&u)
	refs := []tables.Reference{{AccountID: acct, UserName: u.UserName, UserID: uid, Kind: tables.RefKindTerraform,
		Location: "infra/prod.tfstate aws_iam_user.alice", Match: tables.IaCOwnershipMatch("aws_iam_user by unique-id", "remove aws_iam_user.alice and apply")}}
	got, err := Classify([]tables.User{u}, nil, fullCoverage(), refs, DefaultOptions(asOf))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Decision != tables.DecisionRemoveInIaC {
		t.Fatalf("decision %s, want %s; reasons %q", got[0].Decision, tables.DecisionRemoveInIaC, got[0].Reasons)
	}
	m, err := manifest.Build(manifest.Input{RunID: "run-x", AsOf: asOf, GeneratedAt: asOf, WindowDays: 90, DeleteAfterDays: 180,
		Findings: got, References: refs})
	if err != nil {
		t.Fatalf("building the manifest: %v", err)
	}
	if len(m.Entries) != 1 || m.Entries[0].Decision != manifest.DecisionRemoveInIaC {
		t.Fatalf("entries %+v", m.Entries)
	}
	var b strings.Builder
	if err := m.Encode(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := manifest.Parse([]byte(b.String())); err != nil {
		t.Errorf("the manifest does not pass its schema: %v", err)
	}
}

// The credential report can lag by hours: a deactivated user whose access
// key listing shows an Active key is not deleted on the report's word.
func TestDueDeactivatedWithActiveKeyListedIsReview(t *testing.T) {
	u := baseUser()
	deactivatedOn("2026-08-01", "2026-10-01")(&u)
	u.UserName = "Alice" // the listing names it in another case
	opts := DefaultOptions(asOf)
	opts.AccessKeys = []tables.AccessKey{
		{AccountID: acct, UserName: "alice", AccessKeyID: "AKIAALICE00000000001", Status: "Inactive", Source: "aws:" + acct},
		{AccountID: acct, UserName: "alice", AccessKeyID: "AKIAALICE00000000002", Status: "Active", Source: "aws:" + acct},
	}
	got, err := Classify([]tables.User{u}, nil, fullCoverage(), nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Decision != tables.DecisionReview || !hasReason(got[0], "AKIAALICE00000000002 (aws:"+acct+") Active") || hasReason(got[0], "AKIAALICE00000000001") {
		t.Errorf("decision %s, reasons %q; want review naming the active key only", got[0].Decision, got[0].Reasons)
	}
}
