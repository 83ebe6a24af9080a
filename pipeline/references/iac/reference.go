package iac

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dormant-iam/dormant/tables"
)

// Reference kinds for the References sheet.
const (
	RefTerraform      = tables.RefKindTerraform
	RefCloudFormation = tables.RefKindCloudFormation
)

// IsStateFile reports whether a file found by the search is a Terraform
// state to read with ReadState: *.tfstate. Backups (*.tfstate.backup) are an
// earlier state, not what Terraform manages now.
func IsStateFile(name string) bool {
	return strings.HasSuffix(strings.ToLower(path.Base(filepath.ToSlash(name))), ".tfstate")
}

// IsConfigFile reports whether a file found by the search is Terraform
// configuration to read with ReadConfig: *.tf (not .tf.json, which
// ReadConfig does not parse).
func IsConfigFile(name string) bool {
	return strings.HasSuffix(strings.ToLower(path.Base(filepath.ToSlash(name))), ".tf")
}

// Reference is the ownership as a References row for user u: Location says
// where the code is (state or .tf file and address, or the stack), Match
// what matched and the change to make (tables.IaCOwnershipMatch, which
// tells this row from a search hit in the same file).
func (o Ownership) Reference(u User) tables.Reference {
	r := tables.Reference{
		AccountID: u.AccountID,
		UserName:  u.UserName,
		UserID:    u.UserID,
		UserARN:   u.ARN,
		Kind:      RefTerraform,
	}
	how := o.Type + " by " + o.MatchedBy
	if o.Note != "" {
		how += ": " + o.Note
	}
	switch o.Kind {
	case KindCloudFormation:
		r.Kind = RefCloudFormation
		r.Location = "stack " + o.Stack + ", logical ID " + o.LogicalID
		r.Match = tables.IaCOwnershipMatch("tags "+TagStackName+"="+o.Stack, o.Change())
	case KindTerraformConfig:
		r.Location = o.File + ":" + strconv.Itoa(o.Line) + " " + o.Address
		r.Match = tables.IaCOwnershipMatch(how, o.Change())
	default:
		r.Location = o.File + " " + o.Address
		r.Match = tables.IaCOwnershipMatch(how, o.Change())
		if strings.HasPrefix(o.File, "s3://") {
			bucketKey := strings.TrimPrefix(o.File, "s3://")
			r.ResourceARN = "arn:aws:s3:::" + bucketKey
		}
	}
	return r
}

// FromTables makes the User to match from an inventory row and the access
// key IDs known for it (codesearch.Candidates gathers them).
func FromTables(u tables.User, keyIDs []string) User {
	out := User{AccountID: u.AccountID, UserName: u.UserName, UserID: u.UserID, ARN: u.ARN, AccessKeyIDs: keyIDs}
	if len(u.Tags) > 0 {
		out.Tags = make(map[string]string, len(u.Tags))
		for _, t := range u.Tags {
			out.Tags[t.Key] = t.Value
		}
	}
	return out
}
