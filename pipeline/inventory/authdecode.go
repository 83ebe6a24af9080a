package inventory

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// The wire structs mirror the API shape. The same struct reads the CLI's
// JSON and the Query API's XML (lists wrapped in <member>), and keeps the
// polymorphic fields raw so each is decoded with its own error path.
type wirePage struct {
	UserDetailList  []wireUser   `json:"UserDetailList" xml:"UserDetailList>member"`
	GroupDetailList []wireGroup  `json:"GroupDetailList" xml:"GroupDetailList>member"`
	RoleDetailList  []wireRole   `json:"RoleDetailList" xml:"RoleDetailList>member"`
	Policies        []wirePolicy `json:"Policies" xml:"Policies>member"`
	IsTruncated     bool         `json:"IsTruncated" xml:"IsTruncated"`
	Marker          string       `json:"Marker" xml:"Marker"`
	NextToken       string       `json:"NextToken" xml:"-"` // the CLI's, with --max-items
}

type wireUser struct {
	Path                    string
	UserName                string
	UserId                  string
	Arn                     string
	CreateDate              rawValue
	GroupList               []string           `xml:"GroupList>member"`
	AttachedManagedPolicies []wireAttached     `xml:"AttachedManagedPolicies>member"`
	UserPolicyList          []wirePolicyDetail `xml:"UserPolicyList>member"`
	PermissionsBoundary     *wireBoundary      `xml:"PermissionsBoundary"`
	Tags                    []wireTag          `xml:"Tags>member"`
}

type wireGroup struct {
	Path                    string
	GroupName               string
	GroupId                 string
	Arn                     string
	CreateDate              rawValue
	GroupPolicyList         []wirePolicyDetail `xml:"GroupPolicyList>member"`
	AttachedManagedPolicies []wireAttached     `xml:"AttachedManagedPolicies>member"`
}

type wireRole struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               rawValue
	AssumeRolePolicyDocument rawValue
	RolePolicyList           []wirePolicyDetail `xml:"RolePolicyList>member"`
	AttachedManagedPolicies  []wireAttached     `xml:"AttachedManagedPolicies>member"`
	PermissionsBoundary      *wireBoundary      `xml:"PermissionsBoundary"`
	Tags                     []wireTag          `xml:"Tags>member"`
	RoleLastUsed             *struct {
		LastUsedDate rawValue
		Region       string
	} `xml:"RoleLastUsed"`
}

type wirePolicy struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string
	CreateDate                    rawValue
	UpdateDate                    rawValue
	PolicyVersionList             []struct {
		Document         rawValue
		VersionId        string
		IsDefaultVersion bool
		CreateDate       rawValue
	} `xml:"PolicyVersionList>member"`
}

type wirePolicyDetail struct {
	PolicyName     string
	PolicyDocument rawValue
}

type wireAttached struct {
	PolicyName string
	PolicyArn  string
}

type wireBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

type wireTag struct {
	Key   string
	Value string
}

// xmlResponse is the Query API's XML envelope, for raw pages stored as returned.
type xmlResponse struct {
	XMLName xml.Name
	Result  wirePage `xml:"GetAccountAuthorizationDetailsResult"`
	Error   struct {
		Code    string
		Message string
	} `xml:"Error"`
}

// xmlPresence records which lists an XML page holds at all, which the
// wire struct (reading list members) cannot tell from empty lists.
type xmlPresence struct {
	Result struct {
		Users    *struct{} `xml:"UserDetailList"`
		Groups   *struct{} `xml:"GroupDetailList"`
		Roles    *struct{} `xml:"RoleDetailList"`
		Policies *struct{} `xml:"Policies"`
	} `xml:"GetAccountAuthorizationDetailsResult"`
}

// pageDecoder converts a wire page, checking every ARN and decoding every
// document, and remembers which entity first set the account.
type pageDecoder struct {
	name        string
	account     string
	accountPath string
}

func (d *pageDecoder) fail(path string, err error) error {
	return &InputError{File: d.name, Field: path, Err: err, Fix: fixAuthorizationDetails}
}

// arn checks an entity's ARN: an IAM ARN of the wanted type, in the same
// account as everything else in the file.
func (d *pageDecoder) arn(path, s, typ string) (iamARN, error) {
	if s == "" {
		return iamARN{}, d.fail(path, errors.New("missing"))
	}
	a, err := parseIAMARN(s, typ == "policy")
	if err != nil {
		return a, d.fail(path, err)
	}
	if a.Type != typ {
		return a, d.fail(path, fmt.Errorf("ARN %s is not a %s ARN", s, typ))
	}
	if a.Account == "aws" {
		return a, nil
	}
	if d.account == "" {
		d.account, d.accountPath = a.Account, path
	} else if a.Account != d.account {
		return a, d.fail(path, fmt.Errorf("account %s differs from account %s at %s: one export covers one account", a.Account, d.account, d.accountPath))
	}
	return a, nil
}

// entity checks a user's, group's or role's ARN (of type typ) and that the
// name (field kind+"Name") and path agree with it: the ARN is what the
// credential report is joined on.
func (d *pageDecoder) entity(path, typ, kind, arn, name, entityPath string) (iamARN, error) {
	a, err := d.arn(path+".Arn", arn, typ)
	if err != nil {
		return a, err
	}
	if name == "" {
		return a, d.fail(path+"."+kind+"Name", errors.New("missing"))
	}
	if a.Name != name {
		return a, d.fail(path+".Arn", fmt.Errorf("ARN names %q but %sName is %q", a.Name, kind, name))
	}
	if entityPath != "" && a.Path != entityPath {
		return a, d.fail(path+".Path", fmt.Errorf("path %q differs from the ARN's path %q", entityPath, a.Path))
	}
	return a, nil
}

func (d *pageDecoder) time(path string, v rawValue) (time.Time, error) {
	t, _, err := jsonTime(v.raw)
	if err != nil {
		return time.Time{}, d.fail(path, err)
	}
	return t, nil
}

func (d *pageDecoder) document(path string, v rawValue) (string, error) {
	if !v.present() {
		return "", nil
	}
	doc, err := decodePolicyDocument(v.raw)
	if err != nil {
		return "", d.fail(path, err)
	}
	return doc, nil
}

func (d *pageDecoder) inline(path string, list []wirePolicyDetail) ([]PolicyDetail, error) {
	var out []PolicyDetail
	for i, p := range list {
		pp := fmt.Sprintf("%s[%d]", path, i)
		if p.PolicyName == "" {
			return nil, d.fail(pp+".PolicyName", errors.New("missing"))
		}
		doc, err := d.document(pp+".PolicyDocument", p.PolicyDocument)
		if err != nil {
			return nil, err
		}
		out = append(out, PolicyDetail{PolicyName: p.PolicyName, PolicyDocument: doc})
	}
	return out, nil
}

func (d *pageDecoder) attached(path string, list []wireAttached) ([]AttachedPolicy, error) {
	var out []AttachedPolicy
	for i, p := range list {
		if _, err := d.arn(fmt.Sprintf("%s[%d].PolicyArn", path, i), p.PolicyArn, "policy"); err != nil {
			return nil, err
		}
		out = append(out, AttachedPolicy(p))
	}
	return out, nil
}

func (d *pageDecoder) boundary(path string, b *wireBoundary) (*AttachedPermissionsBoundary, error) {
	if b == nil || (b.PermissionsBoundaryArn == "" && b.PermissionsBoundaryType == "") {
		return nil, nil
	}
	if _, err := d.arn(path+".PermissionsBoundaryArn", b.PermissionsBoundaryArn, "policy"); err != nil {
		return nil, err
	}
	return &AttachedPermissionsBoundary{PermissionsBoundaryType: b.PermissionsBoundaryType, PermissionsBoundaryArn: b.PermissionsBoundaryArn}, nil
}

func tags(list []wireTag) []tables.Tag {
	var out []tables.Tag
	for _, t := range list {
		out = append(out, tables.Tag(t))
	}
	return out
}

func decodePage(name string, page *wirePage) (*AuthorizationDetails, error) {
	d := &pageDecoder{name: name}
	out := &AuthorizationDetails{Name: name, IsTruncated: page.IsTruncated || page.NextToken != "", Marker: page.Marker}
	for i, w := range page.UserDetailList {
		p := fmt.Sprintf("UserDetailList[%d]", i)
		a, err := d.entity(p, "user", "User", w.Arn, w.UserName, w.Path)
		if err != nil {
			return nil, err
		}
		if w.UserId == "" {
			return nil, d.fail(p+".UserId", fmt.Errorf("missing for user %s (the unique ID matches the user in CloudTrail)", w.UserName))
		}
		if !ValidUserID(w.UserId) {
			return nil, d.fail(p+".UserId", fmt.Errorf("user %s has unique ID %q, which breaks IAM's contract for IDs (16 to 128 letters, digits or underscores): the file was edited or is not IAM's",
				w.UserName, truncateText(w.UserId, 140)))
		}
		u := UserDetail{Path: a.Path, UserName: w.UserName, UserId: w.UserId, Arn: w.Arn, Tags: tags(w.Tags)}
		// Empty lists become nil, so JSON's [] and XML's absent element agree.
		if len(w.GroupList) > 0 {
			u.GroupList = w.GroupList
		}
		if u.CreateDate, err = d.time(p+".CreateDate", w.CreateDate); err != nil {
			return nil, err
		}
		if u.AttachedManagedPolicies, err = d.attached(p+".AttachedManagedPolicies", w.AttachedManagedPolicies); err != nil {
			return nil, err
		}
		if u.UserPolicyList, err = d.inline(p+".UserPolicyList", w.UserPolicyList); err != nil {
			return nil, err
		}
		if u.PermissionsBoundary, err = d.boundary(p+".PermissionsBoundary", w.PermissionsBoundary); err != nil {
			return nil, err
		}
		out.Users = append(out.Users, u)
	}
	for i, w := range page.GroupDetailList {
		p := fmt.Sprintf("GroupDetailList[%d]", i)
		a, err := d.entity(p, "group", "Group", w.Arn, w.GroupName, w.Path)
		if err != nil {
			return nil, err
		}
		g := GroupDetail{Path: a.Path, GroupName: w.GroupName, GroupId: w.GroupId, Arn: w.Arn}
		if g.CreateDate, err = d.time(p+".CreateDate", w.CreateDate); err != nil {
			return nil, err
		}
		if g.GroupPolicyList, err = d.inline(p+".GroupPolicyList", w.GroupPolicyList); err != nil {
			return nil, err
		}
		if g.AttachedManagedPolicies, err = d.attached(p+".AttachedManagedPolicies", w.AttachedManagedPolicies); err != nil {
			return nil, err
		}
		out.Groups = append(out.Groups, g)
	}
	for i, w := range page.RoleDetailList {
		p := fmt.Sprintf("RoleDetailList[%d]", i)
		a, err := d.entity(p, "role", "Role", w.Arn, w.RoleName, w.Path)
		if err != nil {
			return nil, err
		}
		r := RoleDetail{Path: a.Path, RoleName: w.RoleName, RoleId: w.RoleId, Arn: w.Arn, Tags: tags(w.Tags)}
		if r.CreateDate, err = d.time(p+".CreateDate", w.CreateDate); err != nil {
			return nil, err
		}
		if r.AssumeRolePolicyDocument, err = d.document(p+".AssumeRolePolicyDocument", w.AssumeRolePolicyDocument); err != nil {
			return nil, err
		}
		if r.AssumeRolePolicyDocument == "" {
			out.NoTrustPolicy = append(out.NoTrustPolicy, w.Arn)
		}
		if r.RolePolicyList, err = d.inline(p+".RolePolicyList", w.RolePolicyList); err != nil {
			return nil, err
		}
		if r.AttachedManagedPolicies, err = d.attached(p+".AttachedManagedPolicies", w.AttachedManagedPolicies); err != nil {
			return nil, err
		}
		if r.PermissionsBoundary, err = d.boundary(p+".PermissionsBoundary", w.PermissionsBoundary); err != nil {
			return nil, err
		}
		if w.RoleLastUsed != nil {
			lu := &RoleLastUsed{Region: w.RoleLastUsed.Region}
			if lu.LastUsedDate, err = d.time(p+".RoleLastUsed.LastUsedDate", w.RoleLastUsed.LastUsedDate); err != nil {
				return nil, err
			}
			r.RoleLastUsed = lu
		}
		out.Roles = append(out.Roles, r)
	}
	for i, w := range page.Policies {
		p := fmt.Sprintf("Policies[%d]", i)
		a, err := d.arn(p+".Arn", w.Arn, "policy")
		if err != nil {
			return nil, err
		}
		if w.PolicyName == "" {
			return nil, d.fail(p+".PolicyName", errors.New("missing"))
		}
		if a.Name != w.PolicyName {
			return nil, d.fail(p+".Arn", fmt.Errorf("ARN names %q but PolicyName is %q", a.Name, w.PolicyName))
		}
		mp := ManagedPolicyDetail{
			PolicyName: w.PolicyName, PolicyId: w.PolicyId, Arn: w.Arn, Path: a.Path, DefaultVersionId: w.DefaultVersionId,
			AttachmentCount: w.AttachmentCount, PermissionsBoundaryUsageCount: w.PermissionsBoundaryUsageCount,
			IsAttachable: w.IsAttachable, Description: w.Description,
		}
		if mp.CreateDate, err = d.time(p+".CreateDate", w.CreateDate); err != nil {
			return nil, err
		}
		if mp.UpdateDate, err = d.time(p+".UpdateDate", w.UpdateDate); err != nil {
			return nil, err
		}
		for j, v := range w.PolicyVersionList {
			vp := fmt.Sprintf("%s.PolicyVersionList[%d]", p, j)
			if v.VersionId == "" {
				return nil, d.fail(vp+".VersionId", errors.New("missing"))
			}
			pv := PolicyVersion{VersionId: v.VersionId, IsDefaultVersion: v.IsDefaultVersion}
			if pv.Document, err = d.document(vp+".Document", v.Document); err != nil {
				return nil, err
			}
			if pv.CreateDate, err = d.time(vp+".CreateDate", v.CreateDate); err != nil {
				return nil, err
			}
			mp.PolicyVersionList = append(mp.PolicyVersionList, pv)
		}
		out.Policies = append(out.Policies, mp)
	}
	out.AccountID = d.account
	return out, nil
}

// decodePolicyDocument turns a policy document in any of its forms into
// compact JSON: a JSON object (the CLI decodes documents), a URL-encoded
// string (RFC 3986, as the API and the Go SDK return it), or a string holding
// plain JSON.
func decodePolicyDocument(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		return compactObject(raw)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("a policy document must be a JSON object or a URL-encoded string, found %s", truncateText(string(raw), 40))
	}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		if doc, err := compactObject([]byte(t)); err == nil {
			return doc, nil
		}
	}
	dec, err := url.QueryUnescape(s)
	if err != nil {
		return "", fmt.Errorf("URL-decoding the policy document: %v", err)
	}
	doc, err := compactObject([]byte(dec))
	if err != nil {
		return "", fmt.Errorf("the URL-decoded policy document %v", err)
	}
	return doc, nil
}

func compactObject(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return "", fmt.Errorf("is not a JSON object: %s", truncateText(string(b), 40))
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return "", fmt.Errorf("is not valid JSON: %v", err)
	}
	return buf.String(), nil
}
