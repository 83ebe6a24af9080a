package iac

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// User is an IAM user to match against what infrastructure as code manages.
type User struct {
	AccountID    string
	UserName     string
	UserID       string
	ARN          string
	AccessKeyIDs []string
	Tags         map[string]string
}

// Ownership says that infrastructure as code manages a user.
type Ownership struct {
	User      int    // index into the users given to Match
	Kind      string // KindTerraformState, KindTerraformConfig or KindCloudFormation
	File      string // the state or .tf file; empty for CloudFormation
	Line      int    // .tf only
	Address   string // Terraform address; for CloudFormation, STACK/LOGICAL-ID
	Type      string // Terraform resource type; AWS::IAM::User for CloudFormation
	Stack     string // CloudFormation only
	LogicalID string // CloudFormation only
	MatchedBy string // unique-id, arn, access-key-id, name-and-account, name, tags
	Note      string // what the reader should know, such as a stale unique ID
}

// KindCloudFormation marks an Ownership read from a user's tags.
const KindCloudFormation = "cloudformation"

// Change is what to do instead of deleting through the API: the sentence
// `remediate` prints for an owned user.
func (o Ownership) Change() string {
	switch o.Kind {
	case KindCloudFormation:
		return fmt.Sprintf("remove resource %s from CloudFormation stack %s and update the stack", o.LogicalID, o.Stack)
	case KindTerraformConfig:
		return fmt.Sprintf("remove %s (%s line %d) from the Terraform configuration and apply", o.Address, o.File, o.Line)
	}
	return fmt.Sprintf("remove %s from the Terraform configuration that owns state %s and apply (or `terraform state rm %s` to stop managing it)", o.Address, o.File, o.Address)
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// Match returns every ownership of users by resources and by CloudFormation
// tags, users in order.
func Match(users []User, resources []Resource) []Ownership {
	byName := map[string][]int{}
	byID := map[string][]int{}
	for i, u := range users {
		byName[strings.ToLower(u.UserName)] = append(byName[strings.ToLower(u.UserName)], i)
		if u.UserID != "" {
			byID[u.UserID] = append(byID[u.UserID], i)
		}
		for _, k := range u.AccessKeyIDs {
			byID[k] = append(byID[k], i)
		}
	}
	perUser := make([][]Ownership, len(users))
	for _, r := range resources {
		seen := map[int]bool{}
		own := func(i int, by, note string) {
			if seen[i] {
				return
			}
			seen[i] = true
			perUser[i] = append(perUser[i], Ownership{
				User: i, Kind: r.Kind, File: r.File, Line: r.Line, Address: r.Address, Type: r.Type,
				MatchedBy: by, Note: note,
			})
		}
		if r.UserID != "" {
			for _, i := range byID[r.UserID] {
				own(i, "unique-id", "")
			}
		}
		if r.AccessKeyID != "" {
			for _, i := range byID[r.AccessKeyID] {
				own(i, "access-key-id", "")
			}
		}
		if r.ARN != "" {
			for _, i := range byName[strings.ToLower(r.UserName)] {
				if users[i].ARN != "" && users[i].ARN == r.ARN {
					own(i, "arn", "")
				}
			}
		}
		if r.UserName == "" {
			continue
		}
		acct := arnAccount(r.ARN)
		for _, i := range byName[strings.ToLower(r.UserName)] {
			u := users[i]
			switch {
			case acct != "" && acct != u.AccountID:
				continue // another account's user of the same name
			case acct != "" && r.UserID != "" && u.UserID != "" && r.UserID != u.UserID:
				own(i, "name-and-account", fmt.Sprintf("the state records unique ID %s, the user has %s: the user was re-created since the state was written, and Terraform still manages it by name", r.UserID, u.UserID))
			case acct != "":
				own(i, "name-and-account", "")
			default:
				own(i, "name", "the resource does not say its account; check it is this account's")
			}
		}
	}
	for i, u := range users {
		if stack, logical, ok := CloudFormationOwner(u.Tags); ok {
			perUser[i] = append(perUser[i], Ownership{
				User: i, Kind: KindCloudFormation, Address: stack + "/" + logical, Type: "AWS::IAM::User",
				Stack: stack, LogicalID: logical, MatchedBy: "tags",
			})
		}
	}
	var out []Ownership
	for _, os := range perUser {
		out = append(out, os...)
	}
	return out
}

// readAtMost reads r whole, failing past limit bytes.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		return nil, errors.New("no size bound given")
	}
	b, err := io.ReadAll(&limitReader{r: r, left: limit})
	if errors.Is(err, errTooLarge) {
		return nil, fmt.Errorf("larger than %d bytes; a .tf file that large is generated data: leave it out of the search", limit)
	}
	return b, err
}
