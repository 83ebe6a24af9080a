package review

import (
	"context"
	"testing"

	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/tables"
)

// TestFromWorkbookKeyIDsAndIaC: a run whose plan names key IDs and IaC
// owners (taken from outside the findings) still rebuilds to its own
// digest, and the approved entries keep them.
func TestFromWorkbookKeyIDsAndIaC(t *testing.T) {
	in := fixture()
	var carol *tables.Finding
	for i := range in.Findings {
		switch f := &in.Findings[i]; f.UserName {
		case "carol":
			f.Decision, carol = tables.DecisionRemoveInIaC, f
		case "dave":
			in.AccessKeys = append(in.AccessKeys, tables.AccessKey{AccountID: f.AccountID, UserName: "dave", AccessKeyID: "AKIADAVEKEY000000002", CreateDate: f.Key2LastRotated})
		case "alice":
			in.AccessKeys = append(in.AccessKeys, tables.AccessKey{AccountID: f.AccountID, UserName: "alice", AccessKeyID: "AKIAALICEKEY00000001", CreateDate: f.Key1LastRotated})
		}
	}
	in.References = []tables.Reference{{AccountID: carol.AccountID, UserName: carol.UserName, UserID: carol.UserID, UserARN: carol.ARN,
		Kind: tables.RefKindCloudFormation, Location: "stack payments, logical ID Carol", Match: tables.IaCOwnershipMatch("tags", "remove resource Carol from CloudFormation stack payments and update the stack")}}
	r := newRunOf(t, in)
	reviewed := r.review(t,
		decide("carol", "", reports.ReviewApprove, "ticket SEC-7"),
		decide("dave", "2", reports.ReviewApprove, "retired job"),
	)
	m, _, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) != 2 || len(m.Entries[0].IaC) != 1 || m.Entries[1].AccessKeyID != "AKIADAVEKEY000000002" {
		t.Errorf("reviewed entries lost the plan's facts: %+v", m.Entries)
	}
}
