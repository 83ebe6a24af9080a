package inventory

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// AuthorizationDetails is the parsed output of GetAccountAuthorizationDetails
// for one account: the CLI's merged JSON, or one raw page. Policy documents
// are decoded to compact JSON text; timestamps are in UTC.
type AuthorizationDetails struct {
	Name      string // file name (names joined by ", " once pages are merged), for errors
	AccountID string // from the ARNs; empty when the export holds no account entity
	Users     []UserDetail
	Groups    []GroupDetail
	Roles     []RoleDetail
	Policies  []ManagedPolicyDetail // customer-managed and AWS-managed
	// IsTruncated says more pages exist: the page's IsTruncated, or a CLI
	// NextToken (--max-items). Merged pages are truncated only if all are.
	IsTruncated bool
	Marker      string
	// MissingLists names the lists (UserDetailList, GroupDetailList,
	// RoleDetailList, Policies) absent from the export, as a filtered export
	// (--filter User) leaves them out; merged pages miss a list only if every
	// page does. What those lists would say about a user is unknown.
	MissingLists []string
	// NoTrustPolicy lists the ARNs of roles given without their trust policy
	// (null or absent AssumeRolePolicyDocument): every IAM role has one, so
	// the exporter dropped it and who may assume the role is unknown.
	NoTrustPolicy []string
}

// detailLists are the lists of a complete export, in the API's order.
var detailLists = []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}

// UserDetail is an IAM user as GetAccountAuthorizationDetails describes it.
type UserDetail struct {
	Path                    string
	UserName                string
	UserId                  string
	Arn                     string
	CreateDate              time.Time
	GroupList               []string // group names
	AttachedManagedPolicies []AttachedPolicy
	UserPolicyList          []PolicyDetail
	PermissionsBoundary     *AttachedPermissionsBoundary
	Tags                    []tables.Tag
}

// GroupDetail is an IAM group as GetAccountAuthorizationDetails describes it.
type GroupDetail struct {
	Path                    string
	GroupName               string
	GroupId                 string
	Arn                     string
	CreateDate              time.Time
	GroupPolicyList         []PolicyDetail
	AttachedManagedPolicies []AttachedPolicy
}

// RoleDetail is an IAM role as GetAccountAuthorizationDetails describes it.
type RoleDetail struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               time.Time
	AssumeRolePolicyDocument string // decoded JSON
	RolePolicyList           []PolicyDetail
	AttachedManagedPolicies  []AttachedPolicy
	PermissionsBoundary      *AttachedPermissionsBoundary
	Tags                     []tables.Tag
	RoleLastUsed             *RoleLastUsed
}

// RoleLastUsed is when a role was last used, as IAM tracks it (400 days).
type RoleLastUsed struct {
	LastUsedDate time.Time
	Region       string
}

// ManagedPolicyDetail is a managed policy with all its versions.
type ManagedPolicyDetail struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string
	CreateDate                    time.Time
	UpdateDate                    time.Time
	PolicyVersionList             []PolicyVersion
}

// AWSManaged reports whether the policy is one of AWS's own (account "aws"
// in its ARN): it belongs to no account and cannot name our users.
func (p ManagedPolicyDetail) AWSManaged() bool {
	return strings.Contains(p.Arn, ":iam::aws:policy/")
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	Document         string // decoded JSON
	VersionId        string
	IsDefaultVersion bool
	CreateDate       time.Time
}

// PolicyDetail is an inline policy.
type PolicyDetail struct {
	PolicyName     string
	PolicyDocument string // decoded JSON
}

// AttachedPolicy is a managed policy attached to a user, group or role.
type AttachedPolicy struct {
	PolicyName string
	PolicyArn  string
}

// AttachedPermissionsBoundary is a user's or role's permissions boundary.
type AttachedPermissionsBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

// ParseAuthorizationDetails parses one authorization details file: the JSON
// `aws iam get-account-authorization-details` prints (all pages merged), one
// raw page as JSON (the SDK output marshalled, with IsTruncated and Marker),
// or one raw Query API XML page. name is used in errors.
func ParseAuthorizationDetails(name string, data []byte) (*AuthorizationDetails, error) {
	d, err := parseAuthorizationDetails(name, data)
	if err != nil {
		return nil, fmt.Errorf("parsing authorization details: %w", err)
	}
	return d, nil
}

func parseAuthorizationDetails(name string, data []byte) (*AuthorizationDetails, error) {
	// Errors count lines from the start of the file, so only the BOM is cut.
	data = bytes.TrimPrefix(data, utf8BOM)
	body := bytes.TrimLeft(data, " \t\r\n")
	if len(body) == 0 {
		return nil, &InputError{File: name, Err: errors.New("the file is empty"), Fix: fixAuthorizationDetails}
	}
	var page wirePage
	var missing []string
	switch body[0] {
	case '{':
		// Which lists are present, to tell a wrong file from an empty account.
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(data, &keys); err != nil {
			return nil, jsonError(name, data, err, fixAuthorizationDetails)
		}
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, jsonError(name, data, err, fixAuthorizationDetails)
		}
		found := false
		for _, k := range detailLists {
			if _, ok := keys[k]; ok {
				found = true
			} else {
				missing = append(missing, k)
			}
		}
		if !found {
			if _, ok := keys["Content"]; ok {
				return nil, &InputError{File: name, Err: errors.New("this is a credential report, not authorization details"),
					Fix: "pass it with --credential-report instead"}
			}
			return nil, &InputError{File: name, Err: errors.New(
				"none of UserDetailList, GroupDetailList, RoleDetailList or Policies is present: this is not an authorization details export"),
				Fix: fixAuthorizationDetails}
		}
	case '<':
		var resp xmlResponse
		if err := xml.Unmarshal(data, &resp); err != nil {
			ie := &InputError{File: name, Err: fmt.Errorf("not valid XML: %v", err), Fix: fixAuthorizationDetails}
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				ie.Line = se.Line
			}
			return nil, ie
		}
		switch resp.XMLName.Local {
		case "GetAccountAuthorizationDetailsResponse":
		case "ErrorResponse":
			return nil, &InputError{File: name, Err: fmt.Errorf("this is an AWS error response, not data: %s: %s", resp.Error.Code, resp.Error.Message),
				Fix: fixAuthorizationDetails}
		default:
			return nil, &InputError{File: name, Err: fmt.Errorf("root element <%s> is not <GetAccountAuthorizationDetailsResponse>", resp.XMLName.Local),
				Fix: fixAuthorizationDetails}
		}
		page = resp.Result
		var present xmlPresence
		if err := xml.Unmarshal(data, &present); err != nil {
			return nil, &InputError{File: name, Err: fmt.Errorf("not valid XML: %v", err), Fix: fixAuthorizationDetails}
		}
		for i, p := range []*struct{}{present.Result.Users, present.Result.Groups, present.Result.Roles, present.Result.Policies} {
			if p == nil {
				missing = append(missing, detailLists[i])
			}
		}
	case '[':
		return nil, &InputError{File: name, Err: errors.New("the document is an array, want the JSON object the AWS CLI prints"), Fix: fixAuthorizationDetails}
	default:
		return nil, &InputError{File: name, Err: errors.New("not JSON: want the JSON object the AWS CLI prints"), Fix: fixAuthorizationDetails}
	}
	d, err := decodePage(name, &page)
	if err != nil {
		return nil, err
	}
	d.MissingLists = missing
	return d, nil
}
