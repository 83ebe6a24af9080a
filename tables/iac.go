package tables

import "strings"

// IaCMatchPrefix begins the Match of a reference that says infrastructure
// as code manages the user (a Terraform resource or a CloudFormation
// stack), as opposed to a text that only names it: the findings make the
// first remove-in-iac and the second a review.
const IaCMatchPrefix = "managed ("

// iacChangeSep separates, in such a Match, how the ownership was matched
// from the change that removes the user in its code.
const iacChangeSep = "); remove it in code: "

// IaCOwnershipMatch is the Match of an ownership reference: how it was
// matched (e.g. "aws_iam_user by unique-id") and the change to make.
func IaCOwnershipMatch(how, change string) string {
	return IaCMatchPrefix + how + iacChangeSep + change
}

// IaCChange returns the change to make in code when r is an ownership
// reference (Kind terraform or cloudformation, Match from IaCOwnershipMatch).
func (r Reference) IaCChange() (string, bool) {
	if r.Kind != RefKindTerraform && r.Kind != RefKindCloudFormation {
		return "", false
	}
	rest, ok := strings.CutPrefix(r.Match, IaCMatchPrefix)
	if !ok {
		return "", false
	}
	_, change, ok := strings.Cut(rest, iacChangeSep)
	return change, ok && change != ""
}

// Reference kinds of the code search and the IaC ownership (issue 18).
const (
	RefKindCode           = "code"
	RefKindConfig         = "config"
	RefKindTerraform      = "terraform"
	RefKindCloudFormation = "cloudformation"
)
