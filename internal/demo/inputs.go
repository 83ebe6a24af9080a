package demo

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

// reportHeader is the credential report's header, exactly as AWS writes it.
var reportHeader = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
	"access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active",
	"cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func dateOrNA(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return fmtReport(t)
}

func keyCols(k keySlot) []string {
	if !k.exists {
		return []string{"false", "N/A", "N/A", "N/A", "N/A"}
	}
	if k.lastUsed.IsZero() {
		return []string{boolStr(k.active), fmtReport(k.rotated), "N/A", "N/A", "N/A"}
	}
	return []string{boolStr(k.active), fmtReport(k.rotated), fmtReport(k.lastUsed), k.region, k.service}
}

// reportCSV renders the account's credential report.
func (o *org) reportCSV(a *account) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rows := [][]string{reportHeader}
	root := a.root
	rootUsed := "no_information"
	if !root.pwNoInfo {
		rootUsed = fmtReport(root.pwLastUsed)
	}
	rows = append(rows, []string{root.name, root.arn, fmtReport(root.created), "not_supported", rootUsed, "not_supported", "not_supported",
		"true", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"})
	for _, u := range a.users {
		if !u.inReport {
			continue
		}
		row := []string{u.name, u.arn, fmtReport(u.created), boolStr(u.pwEnabled)}
		if u.pwEnabled {
			used := "no_information"
			if !u.pwNoInfo {
				used = fmtReport(u.pwLastUsed)
			}
			next := "N/A"
			if a.idx == 0 {
				// The first account has a 90-day password expiry policy.
				next = fmtReport(u.pwChanged.Add(90 * day))
			}
			row = append(row, used, fmtReport(u.pwChanged), next)
		} else {
			row = append(row, "N/A", "N/A", "N/A")
		}
		row = append(row, boolStr(u.mfa))
		row = append(row, keyCols(u.keys[0])...)
		row = append(row, keyCols(u.keys[1])...)
		row = append(row, "false", "N/A", "false", "N/A")
		rows = append(rows, row)
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeCredentialReport writes the JSON `aws iam get-credential-report`
// prints (base64 Content and GeneratedTime): a bare CSV carries no
// generation time, so its users could never be removal candidates and the
// demo's ground truth would not hold.
func (o *org) writeCredentialReport(dir string, a *account) (string, error) {
	data, err := o.reportCSV(a)
	if err != nil {
		return "", fmt.Errorf("rendering credential report for account %s: %w", a.id, err)
	}
	rel := filepath.Join("inputs", "credential-report-"+a.id+".json")
	out := struct {
		Content       string `json:"Content"`
		ReportFormat  string `json:"ReportFormat"`
		GeneratedTime string `json:"GeneratedTime"`
	}{base64.StdEncoding.EncodeToString(data), "text/csv", fmtReport(a.reportAt)}
	if data, err = cliJSON(out); err != nil {
		return "", fmt.Errorf("rendering credential report for account %s: %w", a.id, err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, rel), data); err != nil {
		return "", err
	}
	return rel, nil
}

// cliJSON indents like the AWS CLI (4 spaces, no HTML escaping).
func cliJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// --- authorization details ---------------------------------------------------

type gaadAttached struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

type gaadInline struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
}

type gaadTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type gaadBoundary struct {
	PermissionsBoundaryType string `json:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `json:"PermissionsBoundaryArn"`
}

type gaadUser struct {
	Path                    string         `json:"Path"`
	UserName                string         `json:"UserName"`
	UserID                  string         `json:"UserId"`
	Arn                     string         `json:"Arn"`
	CreateDate              string         `json:"CreateDate"`
	UserPolicyList          []gaadInline   `json:"UserPolicyList,omitempty"`
	GroupList               []string       `json:"GroupList"`
	AttachedManagedPolicies []gaadAttached `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *gaadBoundary  `json:"PermissionsBoundary,omitempty"`
	Tags                    []gaadTag      `json:"Tags,omitempty"`
}

type gaadGroup struct {
	Path                    string         `json:"Path"`
	GroupName               string         `json:"GroupName"`
	GroupID                 string         `json:"GroupId"`
	Arn                     string         `json:"Arn"`
	CreateDate              string         `json:"CreateDate"`
	GroupPolicyList         []gaadInline   `json:"GroupPolicyList"`
	AttachedManagedPolicies []gaadAttached `json:"AttachedManagedPolicies"`
}

type gaadRoleRef struct {
	Path                     string          `json:"Path"`
	RoleName                 string          `json:"RoleName"`
	RoleID                   string          `json:"RoleId"`
	Arn                      string          `json:"Arn"`
	CreateDate               string          `json:"CreateDate"`
	AssumeRolePolicyDocument json.RawMessage `json:"AssumeRolePolicyDocument"`
}

type gaadInstanceProfile struct {
	Path                string        `json:"Path"`
	InstanceProfileName string        `json:"InstanceProfileName"`
	InstanceProfileID   string        `json:"InstanceProfileId"`
	Arn                 string        `json:"Arn"`
	CreateDate          string        `json:"CreateDate"`
	Roles               []gaadRoleRef `json:"Roles"`
}

type gaadLastUsed struct {
	LastUsedDate string `json:"LastUsedDate,omitempty"`
	Region       string `json:"Region,omitempty"`
}

type gaadRole struct {
	Path                     string                `json:"Path"`
	RoleName                 string                `json:"RoleName"`
	RoleID                   string                `json:"RoleId"`
	Arn                      string                `json:"Arn"`
	CreateDate               string                `json:"CreateDate"`
	AssumeRolePolicyDocument json.RawMessage       `json:"AssumeRolePolicyDocument"`
	InstanceProfileList      []gaadInstanceProfile `json:"InstanceProfileList"`
	RolePolicyList           []gaadInline          `json:"RolePolicyList"`
	AttachedManagedPolicies  []gaadAttached        `json:"AttachedManagedPolicies"`
	Tags                     []gaadTag             `json:"Tags,omitempty"`
	RoleLastUsed             gaadLastUsed          `json:"RoleLastUsed"`
}

type gaadVersion struct {
	Document         json.RawMessage `json:"Document"`
	VersionID        string          `json:"VersionId"`
	IsDefaultVersion bool            `json:"IsDefaultVersion"`
	CreateDate       string          `json:"CreateDate"`
}

type gaadPolicy struct {
	PolicyName                    string        `json:"PolicyName"`
	PolicyID                      string        `json:"PolicyId"`
	Arn                           string        `json:"Arn"`
	Path                          string        `json:"Path"`
	DefaultVersionID              string        `json:"DefaultVersionId"`
	AttachmentCount               int           `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int           `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool          `json:"IsAttachable"`
	Description                   string        `json:"Description,omitempty"`
	CreateDate                    string        `json:"CreateDate"`
	UpdateDate                    string        `json:"UpdateDate"`
	PolicyVersionList             []gaadVersion `json:"PolicyVersionList"`
}

// docJSON renders a policy document as a JSON object (the CLI's form) or as
// the URL-encoded string the API and the SDKs return.
func docJSON(d policyDoc, encoded bool) (json.RawMessage, error) {
	if !encoded {
		return json.Marshal(d)
	}
	pretty, err := json.MarshalIndent(d, "", "    ")
	if err != nil {
		return nil, err
	}
	return json.Marshal(rfc3986Escape(string(pretty)))
}

func attachedList(arns []string) []gaadAttached {
	out := []gaadAttached{}
	for _, a := range arns {
		out = append(out, gaadAttached{PolicyName: a[strings.LastIndexByte(a, '/')+1:], PolicyArn: a})
	}
	return out
}

func inlineList(docs []namedDoc) ([]gaadInline, error) {
	out := []gaadInline{}
	for _, d := range docs {
		j, err := docJSON(d.doc, d.encoded)
		if err != nil {
			return nil, err
		}
		out = append(out, gaadInline{PolicyName: d.name, PolicyDocument: j})
	}
	return out, nil
}

func tagList(ts []tag) []gaadTag {
	var out []gaadTag
	for _, t := range ts {
		out = append(out, gaadTag(t))
	}
	return out
}

// selfService is the inline policy some users carry: it names the user
// through ${aws:username}, which is not a reference to any user.
var selfService = policyDoc{Version: "2012-10-17", Statement: []statement{{
	Sid: "ManageOwnCredentials", Effect: "Allow",
	Action:   []string{"iam:ChangePassword", "iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:GetUser"},
	Resource: "arn:aws:iam::*:user/${aws:username}",
}}}

// writeAuthorizationDetails streams the account's GetAccountAuthorizationDetails
// output, as `aws iam get-account-authorization-details` prints it (pages
// merged, no Marker).
func (o *org) writeAuthorizationDetails(dir string, a *account) (string, error) {
	rel := filepath.Join("inputs", "authorization-details-"+a.id+".json")
	path := filepath.Join(dir, rel)
	err := atomicfile.Write(path, func(w io.Writer) error {
		first := true
		list := func(name string, n int, item func(i int) (any, error)) error {
			sep := ",\n"
			if first {
				sep, first = "{\n", false
			}
			if _, err := fmt.Fprintf(w, "%s    %q: [", sep, name); err != nil {
				return err
			}
			for i := 0; i < n; i++ {
				v, err := item(i)
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				enc.SetIndent("        ", "    ")
				if err := enc.Encode(v); err != nil {
					return err
				}
				lead := "\n        "
				if i > 0 {
					lead = ",\n        "
				}
				if _, err := io.WriteString(w, lead); err != nil {
					return err
				}
				if _, err := w.Write(bytes.TrimRight(buf.Bytes(), "\n")); err != nil {
					return err
				}
			}
			closing := "]"
			if n > 0 {
				closing = "\n    ]"
			}
			_, err := io.WriteString(w, closing)
			return err
		}
		users := slices.DeleteFunc(slices.Clone(a.users), func(u *user) bool { return !u.inGAAD })
		if err := list("UserDetailList", len(users), func(i int) (any, error) { return o.gaadUser(users[i]) }); err != nil {
			return err
		}
		if err := list("GroupDetailList", len(a.groups), func(i int) (any, error) { return gaadGroupOf(a.groups[i]) }); err != nil {
			return err
		}
		if err := list("RoleDetailList", len(a.roles), func(i int) (any, error) { return o.gaadRoleOf(a, a.roles[i]) }); err != nil {
			return err
		}
		if err := list("Policies", len(a.policies), func(i int) (any, error) { return gaadPolicyOf(a.policies[i]) }); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\n}\n")
		return err
	})
	if err != nil {
		return "", fmt.Errorf("writing authorization details %s: %w", path, err)
	}
	return rel, nil
}

func (o *org) gaadUser(u *user) (any, error) {
	g := gaadUser{Path: u.path, UserName: u.name, UserID: u.id, Arn: u.arn, CreateDate: fmtCLI(u.created),
		GroupList: append([]string{}, u.groups...), AttachedManagedPolicies: attachedList(u.attached), Tags: tagList(u.tags)}
	if u.selfPol {
		il, err := inlineList([]namedDoc{{name: "self-service", doc: selfService, encoded: u.idx%3 == 0}})
		if err != nil {
			return nil, err
		}
		g.UserPolicyList = il
	}
	if u.boundary != "" {
		g.PermissionsBoundary = &gaadBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: u.boundary}
	}
	return g, nil
}

func gaadGroupOf(g *group) (any, error) {
	il, err := inlineList(g.inline)
	if err != nil {
		return nil, err
	}
	return gaadGroup{Path: g.path, GroupName: g.name, GroupID: g.id, Arn: g.arn, CreateDate: fmtCLI(g.created), GroupPolicyList: il, AttachedManagedPolicies: attachedList(g.attached)}, nil
}

func (o *org) gaadRoleOf(a *account, ro *role) (any, error) {
	trust, err := docJSON(ro.trust, ro.encoded)
	if err != nil {
		return nil, err
	}
	il, err := inlineList(ro.inline)
	if err != nil {
		return nil, err
	}
	g := gaadRole{Path: ro.path, RoleName: ro.name, RoleID: ro.id, Arn: ro.arn, CreateDate: fmtCLI(ro.created), AssumeRolePolicyDocument: trust,
		InstanceProfileList: []gaadInstanceProfile{}, RolePolicyList: il, AttachedManagedPolicies: attachedList(ro.attached)}
	if ro.style == styleEC2 {
		r := newRNG(o.seed, tagAccount, uint64(a.idx), uint64(len(ro.id)), uint64(ro.created.Unix()))
		g.InstanceProfileList = []gaadInstanceProfile{{Path: "/", InstanceProfileName: ro.name, InstanceProfileID: newID(r, "AIPA", 17),
			Arn: "arn:aws:iam::" + a.id + ":instance-profile/" + ro.name, CreateDate: fmtCLI(ro.created),
			Roles: []gaadRoleRef{{Path: ro.path, RoleName: ro.name, RoleID: ro.id, Arn: ro.arn, CreateDate: fmtCLI(ro.created), AssumeRolePolicyDocument: trust}}}}
	}
	if !ro.lastUsed.IsZero() {
		g.RoleLastUsed = gaadLastUsed{LastUsedDate: fmtCLI(ro.lastUsed), Region: ro.lastUsedRegion}
	}
	if ro.style == styleService {
		g.Tags = nil
	} else if strings.HasPrefix(ro.name, "app-") {
		g.Tags = []gaadTag{{Key: "Owner", Value: "platform-team@example.com"}}
	}
	return g, nil
}

func gaadPolicyOf(p *managedPolicy) (any, error) {
	g := gaadPolicy{PolicyName: p.name, PolicyID: p.id, Arn: p.arn, Path: p.path, AttachmentCount: p.attachments,
		PermissionsBoundaryUsageCount: p.boundaryUses, IsAttachable: true, Description: p.description,
		CreateDate: fmtCLI(p.created), UpdateDate: fmtCLI(p.updated), PolicyVersionList: []gaadVersion{}}
	for _, v := range p.versions {
		d, err := docJSON(v.doc, v.encoded)
		if err != nil {
			return nil, err
		}
		if v.isDefault {
			g.DefaultVersionID = v.id
		}
		g.PolicyVersionList = append(g.PolicyVersionList, gaadVersion{Document: d, VersionID: v.id, IsDefaultVersion: v.isDefault, CreateDate: fmtCLI(v.created)})
	}
	return g, nil
}

// --- allowlist ----------------------------------------------------------------

// writeAllowlist writes allowlist.yaml: a list of {account_id, user_name,
// reason, owner, expires}. Strings are double-quoted (account IDs must stay
// strings, leading zeros included); expires is a plain YAML date.
func (o *org) writeAllowlist(path string) error {
	entries := slices.Clone(o.allow)
	slices.SortFunc(entries, func(x, y allowEntry) int {
		return strings.Compare(x.AccountID+"\x00"+x.UserName, y.AccountID+"\x00"+y.UserName)
	})
	var b []byte
	b = append(b, "# Users that must not be remediated, each with a reason, an owner and an expiry date.\n"...)
	b = append(b, "# An entry past its expiry date no longer exempts the user.\n"...)
	if len(entries) == 0 {
		b = append(b, "[]\n"...)
	}
	for _, e := range entries {
		b = append(b, "- account_id: "...)
		b = appendJSONString(b, e.AccountID)
		b = append(b, "\n  user_name: "...)
		b = appendJSONString(b, e.UserName)
		b = append(b, "\n  reason: "...)
		b = appendJSONString(b, e.Reason)
		b = append(b, "\n  owner: "...)
		b = appendJSONString(b, e.Owner)
		b = append(b, "\n  expires: "...)
		b = e.Expires.AppendFormat(b, "2006-01-02")
		b = append(b, '\n')
	}
	return atomicfile.WriteBytes(path, b)
}
