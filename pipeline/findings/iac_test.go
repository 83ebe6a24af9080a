package findings

import (
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

func ownershipRef(kind, location, change string) tables.Reference {
	return tables.Reference{AccountID: acct, UserName: "alice", UserID: uid, UserARN: arn, Kind: kind,
		Location: location, Match: tables.IaCOwnershipMatch("aws_iam_user by unique-id", change)}
}

// TestClassifyRemoveInIaC: a user infrastructure as code manages that would
// be removed becomes remove-in-iac with the owner in its reasons; one that
// needs review or is in use keeps its decision; a code hit is a review.
func TestClassifyRemoveInIaC(t *testing.T) {
	tf := ownershipRef(tables.RefKindTerraform, "infra/terraform.tfstate aws_iam_user.alice", "remove aws_iam_user.alice from the Terraform configuration")
	cfn := ownershipRef(tables.RefKindCloudFormation, "stack payments, logical ID UploaderUser", "remove resource UploaderUser from CloudFormation stack payments and update the stack")
	hasReason := func(want string) func(t *testing.T, f tables.Finding) {
		return func(t *testing.T, f tables.Finding) {
			t.Helper()
			if !strings.Contains(strings.Join(f.Reasons, "\n"), want) {
				t.Errorf("no reason holding %q in %q", want, f.Reasons)
			}
		}
	}
	for _, tc := range []classifyCase{
		{
			name: "terraform-managed, never used: remove-in-iac", refs: []tables.Reference{tf},
			status: tables.StatusNeverUsed, decision: tables.DecisionRemoveInIaC, days: 1035,
			check: hasReason("terraform infra/terraform.tfstate aws_iam_user.alice: remove aws_iam_user.alice"),
		},
		{
			name: "cloudformation-managed: remove-in-iac naming the stack and logical ID", refs: []tables.Reference{cfn},
			status: tables.StatusNeverUsed, decision: tables.DecisionRemoveInIaC, days: 1035,
			check: hasReason("stack payments, logical ID UploaderUser"),
		},
		{
			name: "managed and named in a .env: review, never upgraded", refs: []tables.Reference{tf,
				{AccountID: acct, UserName: "alice", UserID: uid, Kind: tables.RefKindConfig, Location: "app/.env:1 (access-key-id)", Match: "AKIAIOSFODNN7EXAMPLE"}},
			status: tables.StatusReview, decision: tables.DecisionReview, days: 1035,
			check: hasReason("config: app/.env:1 (access-key-id) names the user"),
		},
		{
			name: "managed and active: keep", refs: []tables.Reference{tf},
			activity: []tables.Activity{{AccountID: acct, PrincipalID: uid, ARN: arn, UserName: "alice", FirstEvent: daysBefore(3), LastEvent: daysBefore(2), Events: 1}},
			status:   tables.StatusActive, decision: tables.DecisionKeep, days: 2,
			lastActivity: daysBefore(2), source: tables.SourceCloudTrail,
			check: hasReason("managed by infrastructure as code:"),
		},
		{
			name: "root is never remove-in-iac", user: func(u *tables.User) { u.IsRoot, u.UserName = true, tables.RootUserName }, refs: []tables.Reference{tf},
			status: tables.StatusRoot, decision: tables.DecisionKeep, days: 1035,
		},
	} {
		t.Run(tc.name, func(t *testing.T) { runCase(t, tc) })
	}
}
