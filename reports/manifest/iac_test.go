package manifest

import (
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// TestBuildKeyIDsAndIaC: key actions name the key ID where the run knew it
// (slot and creation date stay), a remove-in-iac finding becomes an entry
// with its owner and change, and the document passes the schema.
func TestBuildKeyIDsAndIaC(t *testing.T) {
	in := testInput()
	in.AccessKeys = []tables.AccessKey{
		{AccountID: "111111111111", UserName: "alice", AccessKeyID: "AKIAALICEKEY00000001", CreateDate: day("2024-02-01")},
		{AccountID: "111111111111", UserName: "alice", AccessKeyID: "AKIAALICEKEY00000002", CreateDate: day("2025-01-01")},
		{AccountID: "111111111111", UserName: "dave", AccessKeyID: "AKIADAVEKEY000000002", CreateDate: day("2023-06-01")},
	}
	for i := range in.Findings {
		if in.Findings[i].UserName == "carol" {
			in.Findings[i].Decision = tables.DecisionRemoveInIaC
		}
	}
	in.References = []tables.Reference{
		{AccountID: "222222222222", UserName: "carol", UserID: "AIDACAROL0000000003", Kind: tables.RefKindTerraform,
			Location: "infra/prod.tfstate aws_iam_user.carol", Match: tables.IaCOwnershipMatch("aws_iam_user by unique-id", "remove aws_iam_user.carol and apply")},
		// A search hit is no owner.
		{AccountID: "222222222222", UserName: "carol", UserID: "AIDACAROL0000000003", Kind: tables.RefKindTerraform, Location: "infra/prod.tfstate:3 (name)", Match: "carol"},
	}
	m, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	byLabel := map[string]Entry{}
	for _, e := range m.Entries {
		byLabel[e.Label()] = e
	}
	alice := byLabel["111111111111/alice"]
	if alice.Actions[0].AccessKeyID != "AKIAALICEKEY00000001" || alice.Actions[1].AccessKeyID != "AKIAALICEKEY00000002" {
		t.Errorf("alice's key actions: %+v", alice.Actions)
	}
	dave := byLabel["111111111111/dave access key 2"]
	if dave.AccessKeyID != "AKIADAVEKEY000000002" || dave.Actions[0].AccessKeyID != dave.AccessKeyID || dave.KeySlot != 2 || dave.KeyLastRotated.IsZero() {
		t.Errorf("dave's key entry: %+v", dave)
	}
	if erin := byLabel["222222222222/erin access key 1"]; erin.AccessKeyID != "" {
		t.Errorf("erin's key ID is unknown, got %q", erin.AccessKeyID)
	}
	carol := byLabel["222222222222/carol"]
	if carol.Decision != DecisionRemoveInIaC || len(carol.IaC) != 1 || carol.IaC[0].Change != "remove aws_iam_user.carol and apply" || carol.IaC[0].Kind != "terraform" {
		t.Errorf("carol: %+v", carol)
	}
	// The shared plans were not written through.
	if bob := byLabel["111111111111/bob"]; bob.Actions[1].AccessKeyID != "" {
		t.Errorf("bob's delete plan carries a key ID: %+v", bob.Actions[1])
	}
	var buf strings.Builder
	if err := m.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Parse([]byte(buf.String()))
	if err != nil {
		t.Fatalf("the manifest does not pass its schema: %v", err)
	}
	if back.Entries[0].Label() == "" {
		t.Error("empty")
	}

	// Without its ownership reference a remove-in-iac finding is an error.
	in.References = in.References[1:]
	if _, err := Build(in); err == nil || !strings.Contains(err.Error(), "remove-in-iac") {
		t.Errorf("remove-in-iac without an owner: %v", err)
	}
}
