package tables

import "testing"

// TestIaCChange: only a terraform or cloudformation reference whose Match
// IaCOwnershipMatch wrote is an ownership; a search hit in a .tf is not.
func TestIaCChange(t *testing.T) {
	own := Reference{Kind: RefKindTerraform, Match: IaCOwnershipMatch("aws_iam_user by unique-id", "remove aws_iam_user.x and apply")}
	if c, ok := own.IaCChange(); !ok || c != "remove aws_iam_user.x and apply" {
		t.Errorf("ownership: %q %v", c, ok)
	}
	for _, r := range []Reference{
		{Kind: RefKindTerraform, Match: "tf-managed"},
		{Kind: RefKindConfig, Match: own.Match},
		{Kind: RefKindCloudFormation, Match: IaCMatchPrefix + "tags"},
	} {
		if _, ok := r.IaCChange(); ok {
			t.Errorf("%+v taken for an ownership", r)
		}
	}
}
