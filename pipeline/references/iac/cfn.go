package iac

import "strings"

// The tags CloudFormation puts on every resource it creates; the aws: prefix
// is reserved, so no one else can set or remove them.
const (
	TagStackName = "aws:cloudformation:stack-name"
	TagLogicalID = "aws:cloudformation:logical-id"
	TagStackID   = "aws:cloudformation:stack-id"
)

// CloudFormationOwner reads the stack (its name, else its ID) and logical ID
// from a user's tags; ok says a stack owns the user.
func CloudFormationOwner(tags map[string]string) (stack, logicalID string, ok bool) {
	stack = strings.TrimSpace(tags[TagStackName])
	if stack == "" {
		stack = strings.TrimSpace(tags[TagStackID])
	}
	if stack == "" {
		return "", "", false
	}
	return stack, tags[TagLogicalID], true
}
