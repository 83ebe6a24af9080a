package awsfake

// Loading an Org from exported files, so that the fake serves exactly what a
// files-based run reads: the credential report verbatim, and the users,
// groups, roles and policies of the authorization details.

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strings"
	"time"
)

// AccountExport names one account's exported files.
type AccountExport struct {
	// CredentialReport is the report as GetCredentialReport returns it (CSV)
	// or as `aws iam get-credential-report --output json` prints it.
	CredentialReport string
	// AuthorizationDetails is `aws iam get-account-authorization-details
	// --output json` (all pages merged), or one complete page as JSON.
	AuthorizationDetails string
	// ReportGeneratedAt is the report's generation time when the file does
	// not carry one (a CSV), as --report-generated-at states it; a CSV
	// without it is refused, since a file's modification time proves nothing.
	ReportGeneratedAt time.Time
}

// FromFiles builds an Org from one credential report and one authorization
// details export per account, managementAccountID being one of them. The
// caller (the tool's own credentials, see [Org.CallerCredentials]) is
// arn:aws:iam::<management>:user/auditor.
//
// Each account serves:
//   - the credential report's CSV verbatim, already generated at its
//     generation time, and the same CSV again whenever a new report is
//     generated (Account.ReportTemplate), so a live run reads exactly the
//     file's rows;
//   - the authorization details' users, groups, roles and customer managed
//     policies with their IDs, dates, tags, boundaries and documents (AWS
//     managed policies join the Org's catalogue);
//   - for users found in both files, the report's credentials (password,
//     MFA, access keys with their last use, certificates), so GetUser,
//     ListAccessKeys and friends agree with the report. Access key IDs and
//     MFA serial numbers are made up: the exports do not carry them.
//
// Users only in the report (deleted since) exist only in the report.
func FromFiles(managementAccountID string, exports []AccountExport) (*Org, error) {
	o := &Org{ManagementAccountID: managementAccountID}
	for _, ex := range exports {
		if err := o.loadAccount(ex); err != nil {
			return nil, err
		}
	}
	if o.Account(managementAccountID) == nil {
		return nil, fmt.Errorf("loading exports: management account %s has no files among the %d accounts given", managementAccountID, len(exports))
	}
	o.AddCaller(managementAccountID, arnPrefix(managementAccountID)+"user/auditor")
	o.normalize()
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("loading exports: the files describe an inconsistent organization: %w", err)
	}
	return o, nil
}

// reportContent is the CSV a newly generated report holds.
func (a *Account) reportContent() []byte {
	if a.ReportTemplate != nil {
		return bytes.Clone(a.ReportTemplate)
	}
	return a.CredentialReportCSV()
}

func (o *Org) loadAccount(ex AccountExport) error {
	rep, err := readReport(ex.CredentialReport, ex.ReportGeneratedAt)
	if err != nil {
		return err
	}
	det, err := readDetails(ex.AuthorizationDetails)
	if err != nil {
		return err
	}
	acctID := rep.accountID
	if o.Account(acctID) != nil {
		return fmt.Errorf("loading exports: account %s is given twice (%s)", acctID, ex.CredentialReport)
	}
	a := o.AddAccount(acctID)
	if root := rep.rows[rootKey]; root != nil {
		if err := root.applyRoot(a); err != nil {
			return err
		}
	}
	a.PasswordMaxAgeDays = rep.passwordMaxAge()
	a.ReportTemplate = rep.csv
	a.CredentialReport = &CredentialReport{GeneratedTime: rep.generated, ReadyAt: rep.generated, Content: bytes.Clone(rep.csv)}
	return det.apply(o, a, rep)
}

// --- credential report -------------------------------------------------------

const rootKey = "<root_account>"

type exportedReport struct {
	file      string
	csv       []byte
	generated time.Time
	accountID string
	rows      map[string]*reportRecord // by user name; root under rootKey
}

type reportRecord struct {
	file string
	line int
	col  map[string]int
	rec  []string
}

func readReport(path string, generated time.Time) (*exportedReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading exports: %w", err)
	}
	rep := &exportedReport{file: path, csv: data, generated: generated}
	if body := bytes.TrimSpace(data); len(body) > 0 && body[0] == '{' {
		var cli struct {
			Content       string
			GeneratedTime string
		}
		if err := json.Unmarshal(data, &cli); err != nil {
			return nil, fmt.Errorf("loading exports: parsing credential report %s: %w", path, err)
		}
		if rep.csv, err = base64.StdEncoding.DecodeString(cli.Content); err != nil {
			return nil, fmt.Errorf("loading exports: credential report %s: Content is not base64: %w", path, err)
		}
		if cli.GeneratedTime != "" {
			if rep.generated, err = time.Parse(time.RFC3339, cli.GeneratedTime); err != nil {
				return nil, fmt.Errorf("loading exports: credential report %s: GeneratedTime: %w", path, err)
			}
		}
	}
	if err := rep.parse(); err != nil {
		return nil, err
	}
	if rep.generated.IsZero() {
		return nil, fmt.Errorf("loading exports: credential report %s carries no generation time (a CSV, or JSON without GeneratedTime); state it in AccountExport.ReportGeneratedAt", path)
	}
	// The API returns whole seconds.
	rep.generated = rep.generated.UTC().Truncate(time.Second)
	return rep, nil
}

func (rep *exportedReport) parse() error {
	r := csv.NewReader(bytes.NewReader(rep.csv))
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("loading exports: credential report %s: reading the header: %w", rep.file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"user", "arn", "user_creation_time"} {
		if _, ok := col[need]; !ok {
			return fmt.Errorf("loading exports: credential report %s: column %s missing from the header", rep.file, need)
		}
	}
	rep.rows = map[string]*reportRecord{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("loading exports: credential report %s: %w", rep.file, err)
		}
		line, _ := r.FieldPos(0)
		row := &reportRecord{file: rep.file, line: line, col: col, rec: rec}
		acct, ok := arnAccount(row.get("arn"))
		if !ok {
			return row.errorf("arn", "%q is not an IAM ARN", row.get("arn"))
		}
		if rep.accountID == "" {
			rep.accountID = acct
		} else if acct != rep.accountID {
			return row.errorf("arn", "account %s differs from account %s: a report covers one account", acct, rep.accountID)
		}
		rep.rows[row.get("user")] = row
	}
	if rep.accountID == "" {
		return fmt.Errorf("loading exports: credential report %s has no rows", rep.file)
	}
	return nil
}

// passwordMaxAge derives the password policy's rotation period from a row
// showing both password_last_changed and password_next_rotation.
func (rep *exportedReport) passwordMaxAge() int {
	for _, row := range rep.rows {
		changed, ok1 := row.date("password_last_changed")
		next, ok2 := row.date("password_next_rotation")
		if ok1 && ok2 && next.After(changed) {
			return int(math.Round(next.Sub(changed).Hours() / 24))
		}
	}
	return 0
}

func (row *reportRecord) get(name string) string {
	i, ok := row.col[name]
	if !ok || i >= len(row.rec) {
		return "N/A"
	}
	return strings.TrimSpace(row.rec[i])
}

func (row *reportRecord) errorf(column, format string, args ...any) error {
	return fmt.Errorf("loading exports: credential report %s: line %d, column %s: %s", row.file, row.line, column, fmt.Sprintf(format, args...))
}

// date reads a date column; N/A, no_information and not_supported are no date.
func (row *reportRecord) date(name string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, row.get(name))
	return t.UTC(), err == nil
}

func (row *reportRecord) isTrue(name string) bool { return strings.EqualFold(row.get(name), "true") }

func (row *reportRecord) text(name string) string {
	switch v := row.get(name); v {
	case "N/A", "no_information", "not_supported":
		return ""
	default:
		return v
	}
}

// accessKeys returns the keys the report shows (a key exists when its
// rotation date is set).
func (row *reportRecord) accessKeys() []*AccessKey {
	var keys []*AccessKey
	for _, n := range []string{"1", "2"} {
		p := "access_key_" + n + "_"
		rotated, ok := row.date(p + "last_rotated")
		if !ok {
			continue
		}
		k := &AccessKey{Status: status(row.isTrue(p + "active")), CreateDate: rotated}
		if used, ok := row.date(p + "last_used_date"); ok {
			k.LastUsedDate = &used
			k.LastUsedRegion = row.text(p + "last_used_region")
			k.LastUsedService = row.text(p + "last_used_service")
		}
		keys = append(keys, k)
	}
	return keys
}

func (row *reportRecord) certificates() []*SigningCertificate {
	var certs []*SigningCertificate
	for _, n := range []string{"1", "2"} {
		if uploaded, ok := row.date("cert_" + n + "_last_rotated"); ok {
			certs = append(certs, &SigningCertificate{Status: status(row.isTrue("cert_" + n + "_active")), UploadDate: uploaded})
		}
	}
	return certs
}

func (row *reportRecord) applyRoot(a *Account) error {
	created, ok := row.date("user_creation_time")
	if !ok {
		return row.errorf("user_creation_time", "%q is not a date", row.get("user_creation_time"))
	}
	a.CreateDate, a.JoinedTimestamp = created, created
	if t, ok := row.date("password_last_used"); ok {
		a.Root.PasswordLastUsed = &t
	}
	a.Root.MFAActive = row.isTrue("mfa_active")
	a.Root.AccessKeys = row.accessKeys()
	a.Root.SigningCertificates = row.certificates()
	return nil
}

// applyUser gives u the credentials its report row shows.
func (row *reportRecord) applyUser(a *Account, u *User) {
	if t, ok := row.date("password_last_used"); ok {
		u.PasswordLastUsed = &t
	}
	if row.isTrue("password_enabled") {
		changed, ok := row.date("password_last_changed")
		if !ok {
			changed = u.CreateDate
		}
		u.LoginProfile = &LoginProfile{CreateDate: changed, PasswordLastChanged: changed}
	}
	if row.isTrue("mfa_active") {
		u.MFADevices = []*MFADevice{{
			Virtual: true, EnableDate: u.CreateDate,
			SerialNumber: fmt.Sprintf("%smfa/%s", arnPrefix(a.ID), u.Name),
		}}
	}
	u.AccessKeys = row.accessKeys()
	u.SigningCertificates = row.certificates()
}

// arnAccount returns the account of an IAM ARN (arn:aws:iam::<account>:...).
func arnAccount(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return "", false
	}
	return parts[4], parts[4] != ""
}

// --- authorization details ---------------------------------------------------

type exportedDetails struct {
	file string
	page detailsPage
}

type detailsPage struct {
	UserDetailList []struct {
		Path                    string
		UserName                string
		UserId                  string
		Arn                     string
		CreateDate              string
		UserPolicyList          []exportedInline
		GroupList               []string
		AttachedManagedPolicies []exportedAttached
		PermissionsBoundary     *exportedBoundary
		Tags                    []Tag
	}
	GroupDetailList []struct {
		Path                    string
		GroupName               string
		GroupId                 string
		Arn                     string
		CreateDate              string
		GroupPolicyList         []exportedInline
		AttachedManagedPolicies []exportedAttached
	}
	RoleDetailList []struct {
		Path                     string
		RoleName                 string
		RoleId                   string
		Arn                      string
		CreateDate               string
		AssumeRolePolicyDocument json.RawMessage
		RolePolicyList           []exportedInline
		AttachedManagedPolicies  []exportedAttached
		PermissionsBoundary      *exportedBoundary
		Tags                     []Tag
		RoleLastUsed             *struct {
			LastUsedDate string
			Region       string
		}
	}
	Policies []struct {
		PolicyName        string
		PolicyId          string
		Arn               string
		Path              string
		DefaultVersionId  string
		IsAttachable      *bool
		Description       string
		CreateDate        string
		UpdateDate        string
		PolicyVersionList []struct {
			Document         json.RawMessage
			VersionId        string
			IsDefaultVersion bool
			CreateDate       string
		}
	}
	IsTruncated bool
	NextToken   string
}

type exportedInline struct {
	PolicyName     string
	PolicyDocument json.RawMessage
}

type exportedAttached struct {
	PolicyName string
	PolicyArn  string
}

type exportedBoundary struct {
	PermissionsBoundaryArn string
}

func readDetails(path string) (*exportedDetails, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading exports: %w", err)
	}
	d := &exportedDetails{file: path}
	if err := json.Unmarshal(data, &d.page); err != nil {
		return nil, fmt.Errorf("loading exports: parsing authorization details %s: %w", path, err)
	}
	if d.page.IsTruncated || d.page.NextToken != "" {
		return nil, fmt.Errorf("loading exports: authorization details %s are one page of several (IsTruncated or NextToken is set); export every page", path)
	}
	return d, nil
}

func (d *exportedDetails) errorf(where, format string, args ...any) error {
	return fmt.Errorf("loading exports: authorization details %s: %s: %s", d.file, where, fmt.Sprintf(format, args...))
}

// checkARN checks that an entity's ARN is the one the fake will render from
// its path and name, in the account of the credential report.
func (d *exportedDetails) checkARN(where, got, want string) error {
	if got == want {
		return nil
	}
	gotAcct, _ := arnAccount(got)
	if wantAcct, _ := arnAccount(want); gotAcct != wantAcct {
		return d.errorf(where+".Arn", "%s is in account %s, but the credential report given with it is account %s; give each account's two files together",
			got, gotAcct, wantAcct)
	}
	return d.errorf(where+".Arn", "%s does not match the entity's path and name (want %s)", got, want)
}

func (d *exportedDetails) time(where, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, d.errorf(where, "unparsable timestamp %q (want ISO 8601, e.g. 2013-10-14T18:32:25Z)", s)
	}
	return t.UTC(), nil
}

func (d *exportedDetails) document(where string, raw json.RawMessage) (string, error) {
	doc, err := policyDocumentText(raw)
	if err != nil {
		return "", d.errorf(where, "%v", err)
	}
	return doc, nil
}

func (d *exportedDetails) inline(where string, list []exportedInline) ([]*InlinePolicy, error) {
	var out []*InlinePolicy
	for i, p := range list {
		doc, err := d.document(fmt.Sprintf("%s[%d].PolicyDocument", where, i), p.PolicyDocument)
		if err != nil {
			return nil, err
		}
		out = append(out, &InlinePolicy{Name: p.PolicyName, Document: doc})
	}
	return out, nil
}

func attachedARNs(list []exportedAttached) []string {
	var out []string
	for _, p := range list {
		out = append(out, p.PolicyArn)
	}
	return out
}

func boundaryARN(b *exportedBoundary) string {
	if b == nil {
		return ""
	}
	return b.PermissionsBoundaryArn
}

// apply adds the export's entities to account a; rep supplies the users'
// credentials.
func (d *exportedDetails) apply(o *Org, a *Account, rep *exportedReport) error {
	pg := &d.page
	for i, w := range pg.Policies {
		where := fmt.Sprintf("Policies[%d]", i)
		p := &ManagedPolicy{Name: w.PolicyName, Path: pathOrRoot(w.Path), PolicyID: w.PolicyId, ARN: w.Arn,
			Description: w.Description, DefaultVersionID: w.DefaultVersionId, NotAttachable: w.IsAttachable != nil && !*w.IsAttachable}
		var err error
		if p.CreateDate, err = d.time(where+".CreateDate", w.CreateDate); err != nil {
			return err
		}
		if p.UpdateDate, err = d.time(where+".UpdateDate", w.UpdateDate); err != nil {
			return err
		}
		for j, v := range w.PolicyVersionList {
			vw := fmt.Sprintf("%s.PolicyVersionList[%d]", where, j)
			pv := &PolicyVersion{VersionID: v.VersionId}
			if pv.Document, err = d.document(vw+".Document", v.Document); err != nil {
				return err
			}
			if pv.CreateDate, err = d.time(vw+".CreateDate", v.CreateDate); err != nil {
				return err
			}
			if v.IsDefaultVersion && p.DefaultVersionID == "" {
				p.DefaultVersionID = v.VersionId
			}
			p.Versions = append(p.Versions, pv)
		}
		if strings.HasPrefix(w.Arn, "arn:aws:iam::aws:policy/") {
			if err := d.checkARN(where, w.Arn, "arn:aws:iam::aws:policy"+p.Path+p.Name); err != nil {
				return err
			}
			if o.awsManagedPolicy(w.Arn) == nil {
				o.AWSManagedPolicies = append(o.AWSManagedPolicies, p)
			}
			continue
		}
		if err := d.checkARN(where, w.Arn, arnPrefix(a.ID)+"policy"+p.Path+p.Name); err != nil {
			return err
		}
		a.Policies = append(a.Policies, p)
	}
	for i, w := range pg.GroupDetailList {
		where := fmt.Sprintf("GroupDetailList[%d]", i)
		g := &Group{Name: w.GroupName, Path: pathOrRoot(w.Path), GroupID: w.GroupId, AttachedPolicyARNs: attachedARNs(w.AttachedManagedPolicies)}
		if err := d.checkARN(where, w.Arn, g.ARN(a.ID)); err != nil {
			return err
		}
		var err error
		if g.CreateDate, err = d.time(where+".CreateDate", w.CreateDate); err != nil {
			return err
		}
		if g.InlinePolicies, err = d.inline(where+".GroupPolicyList", w.GroupPolicyList); err != nil {
			return err
		}
		a.Groups = append(a.Groups, g)
	}
	for i, w := range pg.RoleDetailList {
		where := fmt.Sprintf("RoleDetailList[%d]", i)
		r := &Role{Name: w.RoleName, Path: pathOrRoot(w.Path), RoleID: w.RoleId, Tags: w.Tags,
			AttachedPolicyARNs: attachedARNs(w.AttachedManagedPolicies), PermissionsBoundaryARN: boundaryARN(w.PermissionsBoundary)}
		if err := d.checkARN(where, w.Arn, r.ARN(a.ID)); err != nil {
			return err
		}
		var err error
		if r.CreateDate, err = d.time(where+".CreateDate", w.CreateDate); err != nil {
			return err
		}
		if r.AssumeRolePolicyDocument, err = d.document(where+".AssumeRolePolicyDocument", w.AssumeRolePolicyDocument); err != nil {
			return err
		}
		if r.InlinePolicies, err = d.inline(where+".RolePolicyList", w.RolePolicyList); err != nil {
			return err
		}
		if lu := w.RoleLastUsed; lu != nil && lu.LastUsedDate != "" {
			t, err := d.time(where+".RoleLastUsed.LastUsedDate", lu.LastUsedDate)
			if err != nil {
				return err
			}
			r.LastUsedDate, r.LastUsedRegion = &t, lu.Region
		}
		a.Roles = append(a.Roles, r)
	}
	for i, w := range pg.UserDetailList {
		where := fmt.Sprintf("UserDetailList[%d]", i)
		u := &User{Name: w.UserName, Path: pathOrRoot(w.Path), UserID: w.UserId, Tags: w.Tags,
			Groups: w.GroupList, AttachedPolicyARNs: attachedARNs(w.AttachedManagedPolicies),
			PermissionsBoundaryARN: boundaryARN(w.PermissionsBoundary), acct: a}
		if err := d.checkARN(where, w.Arn, u.ARN(a.ID)); err != nil {
			return err
		}
		var err error
		if u.CreateDate, err = d.time(where+".CreateDate", w.CreateDate); err != nil {
			return err
		}
		if u.InlinePolicies, err = d.inline(where+".UserPolicyList", w.UserPolicyList); err != nil {
			return err
		}
		if row := rep.rows[u.Name]; row != nil && row.get("arn") == w.Arn {
			row.applyUser(a, u)
		}
		a.Users = append(a.Users, u)
	}
	// Policies attached but not listed (an export filtered to users, say)
	// still have to exist for IAM to attach them; AWS managed ones are added
	// to the catalogue with a placeholder document.
	for _, arn := range a.referencedPolicies() {
		if o.managedPolicy(a, arn) != nil {
			continue
		}
		rest, ok := strings.CutPrefix(arn, "arn:aws:iam::aws:policy")
		if !ok {
			return d.errorf("AttachedManagedPolicies", "customer managed policy %s is attached but not among the Policies", arn)
		}
		cut := strings.LastIndex(rest, "/")
		o.AWSManagedPolicies = append(o.AWSManagedPolicies, &ManagedPolicy{
			Name: rest[cut+1:], Path: rest[:cut+1], ARN: arn,
			Versions: []*PolicyVersion{{VersionID: "v1", Document: `{"Version":"2012-10-17","Statement":[]}`}},
		})
	}
	return nil
}

// referencedPolicies lists every managed policy ARN attached to, or used as
// a boundary by, the account's users, groups and roles.
func (a *Account) referencedPolicies() []string {
	var out []string
	add := func(arns ...string) {
		for _, arn := range arns {
			if arn != "" {
				out = addString(out, arn)
			}
		}
	}
	for _, u := range a.Users {
		add(u.AttachedPolicyARNs...)
		add(u.PermissionsBoundaryARN)
	}
	for _, g := range a.Groups {
		add(g.AttachedPolicyARNs...)
	}
	for _, r := range a.Roles {
		add(r.AttachedPolicyARNs...)
		add(r.PermissionsBoundaryARN)
	}
	return out
}

func (o *Org) awsManagedPolicy(arn string) *ManagedPolicy {
	for _, p := range o.AWSManagedPolicies {
		if p.ARN == arn {
			return p
		}
	}
	return nil
}

// policyDocumentText turns a policy document as exports hold it (a JSON
// object as the CLI prints it, or the URL-encoded string the API returns)
// into JSON text.
func policyDocumentText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", errors.New("missing")
	}
	if raw[0] == '{' {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return "", fmt.Errorf("not valid JSON: %w", err)
		}
		return buf.String(), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New("a policy document must be a JSON object or a URL-encoded string")
	}
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") && json.Valid([]byte(t)) {
		return t, nil
	}
	dec, err := url.QueryUnescape(s)
	if err != nil {
		return "", fmt.Errorf("URL-decoding the document: %w", err)
	}
	if !json.Valid([]byte(dec)) {
		return "", errors.New("the URL-decoded document is not valid JSON")
	}
	return dec, nil
}
