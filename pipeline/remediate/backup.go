package remediate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/internal/signature"
)

// BackupFormat identifies the backup file format.
const BackupFormat = "dormant.backup/v1"

// Backup scopes: what a remediation changed, and so what restore puts back.
const (
	ScopeUser      = "user"       // the user as a whole (deactivation or deletion)
	ScopeAccessKey = "access_key" // one access key of a user who stays
)

// Backup is everything remediation may remove from a user, taken live just
// before the first change. It is what `dormant restore` reads.
type Backup struct {
	Format  string    `json:"format"`
	TakenAt time.Time `json:"taken_at"`
	// RunID and ManifestDigest name the manifest the remediation carried out.
	RunID          string `json:"run_id"`
	ManifestDigest string `json:"manifest_digest"`
	Scope          string `json:"scope"`  // ScopeUser or ScopeAccessKey
	Action         string `json:"action"` // what remediation did: deactivate, delete, deactivate-key, delete-key
	// TargetKeyID is the key an access_key backup is about.
	TargetKeyID string `json:"target_key_id,omitempty"`

	AccountID           string         `json:"account_id"`
	UserName            string         `json:"user_name"`
	UserID              string         `json:"user_id"`
	ARN                 string         `json:"arn"`
	Path                string         `json:"path"`
	CreateDate          time.Time      `json:"create_date"`
	PermissionsBoundary string         `json:"permissions_boundary,omitempty"`
	Tags                []Tag          `json:"tags"`
	Groups              []string       `json:"groups"`
	AttachedPolicies    []Attached     `json:"attached_policies"`
	InlinePolicies      []InlinePolicy `json:"inline_policies"`
	// LoginProfile is nil when the user had no console password.
	LoginProfile               *LoginProfile       `json:"login_profile"`
	AccessKeys                 []AccessKey         `json:"access_keys"`
	MFADevices                 []MFADevice         `json:"mfa_devices"`
	SSHPublicKeys              []Credential        `json:"ssh_public_keys"`
	SigningCertificates        []Credential        `json:"signing_certificates"`
	ServiceSpecificCredentials []ServiceCredential `json:"service_specific_credentials"`
}

// Tag is an IAM tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Attached is an attached managed policy.
type Attached struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

// InlinePolicy is an inline policy with its document, decoded from IAM's URL
// encoding.
type InlinePolicy struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
}

// LoginProfile records that the user had a console password (the password
// itself is never retrievable).
type LoginProfile struct {
	CreateDate            time.Time `json:"create_date"`
	PasswordResetRequired bool      `json:"password_reset_required"`
}

// AccessKey is an access key's ID and state (its secret is never
// retrievable).
type AccessKey struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"` // Active or Inactive
	CreateDate time.Time `json:"create_date"`
}

// MFADevice is an MFA device enabled for the user.
type MFADevice struct {
	SerialNumber string    `json:"serial_number"`
	Virtual      bool      `json:"virtual"`
	EnableDate   time.Time `json:"enable_date"`
}

// Credential is an SSH public key or a signing certificate.
type Credential struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	UploadDate time.Time `json:"upload_date"`
}

// ServiceCredential is a service-specific credential (CodeCommit Git
// credentials and the like).
type ServiceCredential struct {
	ID              string    `json:"id"`
	ServiceName     string    `json:"service_name"`
	ServiceUserName string    `json:"service_user_name"`
	Status          string    `json:"status"`
	CreateDate      time.Time `json:"create_date"`
}

// virtualMFA says whether an MFA serial is a virtual device's: virtual
// devices are IAM resources with an ARN of type mfa/; hardware tokens have
// plain serials and FIDO keys u2f/ ARNs, and neither can be deleted.
func virtualMFA(serial string) bool {
	if !strings.HasPrefix(serial, "arn:") {
		return false
	}
	parts := strings.SplitN(serial, ":", 6)
	return len(parts) == 6 && strings.HasPrefix(parts[5], "mfa/")
}

// snapshot reads a user's full configuration. got is the user's GetUser
// answer when the caller already has it.
func snapshot(ctx context.Context, api IAMAPI, accountID, userName string, got *iam.GetUserOutput) (*Backup, error) {
	name := aws.String(userName)
	if got == nil {
		var err error
		if got, err = api.GetUser(ctx, &iam.GetUserInput{UserName: name}); err != nil {
			return nil, fmt.Errorf("reading user (iam:GetUser): %w", err)
		}
	}
	u := got.User
	if u == nil {
		return nil, errors.New("reading user (iam:GetUser): the answer has no user")
	}
	b := &Backup{
		Format: BackupFormat, AccountID: accountID,
		UserName: aws.ToString(u.UserName), UserID: aws.ToString(u.UserId), ARN: aws.ToString(u.Arn),
		Path: aws.ToString(u.Path), CreateDate: aws.ToTime(u.CreateDate).UTC(),
		Tags: []Tag{}, Groups: []string{}, AttachedPolicies: []Attached{}, InlinePolicies: []InlinePolicy{},
		AccessKeys: []AccessKey{}, MFADevices: []MFADevice{}, SSHPublicKeys: []Credential{},
		SigningCertificates: []Credential{}, ServiceSpecificCredentials: []ServiceCredential{},
	}
	if u.PermissionsBoundary != nil {
		b.PermissionsBoundary = aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn)
	}

	tags := iam.NewListUserTagsPaginator(api, &iam.ListUserTagsInput{UserName: name})
	for tags.HasMorePages() {
		page, err := tags.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing tags (iam:ListUserTags): %w", err)
		}
		for _, t := range page.Tags {
			b.Tags = append(b.Tags, Tag{aws.ToString(t.Key), aws.ToString(t.Value)})
		}
	}
	groups := iam.NewListGroupsForUserPaginator(api, &iam.ListGroupsForUserInput{UserName: name})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing groups (iam:ListGroupsForUser): %w", err)
		}
		for _, g := range page.Groups {
			b.Groups = append(b.Groups, aws.ToString(g.GroupName))
		}
	}
	attached := iam.NewListAttachedUserPoliciesPaginator(api, &iam.ListAttachedUserPoliciesInput{UserName: name})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing attached policies (iam:ListAttachedUserPolicies): %w", err)
		}
		for _, p := range page.AttachedPolicies {
			b.AttachedPolicies = append(b.AttachedPolicies, Attached{aws.ToString(p.PolicyName), aws.ToString(p.PolicyArn)})
		}
	}
	var inline []string
	names := iam.NewListUserPoliciesPaginator(api, &iam.ListUserPoliciesInput{UserName: name})
	for names.HasMorePages() {
		page, err := names.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing inline policies (iam:ListUserPolicies): %w", err)
		}
		inline = append(inline, page.PolicyNames...)
	}
	for _, pn := range inline {
		out, err := api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: name, PolicyName: aws.String(pn)})
		if err != nil {
			return nil, fmt.Errorf("reading inline policy %s (iam:GetUserPolicy): %w", pn, err)
		}
		doc, err := decodePolicyDocument(aws.ToString(out.PolicyDocument))
		if err != nil {
			return nil, fmt.Errorf("decoding inline policy %s: %w", pn, err)
		}
		b.InlinePolicies = append(b.InlinePolicies, InlinePolicy{Name: pn, Document: doc})
	}
	keys, err := listAccessKeys(ctx, api, userName)
	if err != nil {
		return nil, err
	}
	b.AccessKeys = keys
	mfa := iam.NewListMFADevicesPaginator(api, &iam.ListMFADevicesInput{UserName: name})
	for mfa.HasMorePages() {
		page, err := mfa.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing MFA devices (iam:ListMFADevices): %w", err)
		}
		for _, d := range page.MFADevices {
			serial := aws.ToString(d.SerialNumber)
			b.MFADevices = append(b.MFADevices, MFADevice{serial, virtualMFA(serial), aws.ToTime(d.EnableDate).UTC()})
		}
	}
	ssh := iam.NewListSSHPublicKeysPaginator(api, &iam.ListSSHPublicKeysInput{UserName: name})
	for ssh.HasMorePages() {
		page, err := ssh.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing SSH public keys (iam:ListSSHPublicKeys): %w", err)
		}
		for _, k := range page.SSHPublicKeys {
			b.SSHPublicKeys = append(b.SSHPublicKeys, Credential{aws.ToString(k.SSHPublicKeyId), string(k.Status), aws.ToTime(k.UploadDate).UTC()})
		}
	}
	certs := iam.NewListSigningCertificatesPaginator(api, &iam.ListSigningCertificatesInput{UserName: name})
	for certs.HasMorePages() {
		page, err := certs.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing signing certificates (iam:ListSigningCertificates): %w", err)
		}
		for _, c := range page.Certificates {
			b.SigningCertificates = append(b.SigningCertificates, Credential{aws.ToString(c.CertificateId), string(c.Status), aws.ToTime(c.UploadDate).UTC()})
		}
	}
	// ListServiceSpecificCredentials has a Marker but the SDK generates no
	// paginator for it.
	in := &iam.ListServiceSpecificCredentialsInput{UserName: name}
	for {
		page, err := api.ListServiceSpecificCredentials(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing service-specific credentials (iam:ListServiceSpecificCredentials): %w", err)
		}
		for _, c := range page.ServiceSpecificCredentials {
			b.ServiceSpecificCredentials = append(b.ServiceSpecificCredentials, ServiceCredential{
				ID: aws.ToString(c.ServiceSpecificCredentialId), ServiceName: aws.ToString(c.ServiceName),
				ServiceUserName: aws.ToString(c.ServiceUserName), Status: string(c.Status), CreateDate: aws.ToTime(c.CreateDate).UTC(),
			})
		}
		if !page.IsTruncated || aws.ToString(page.Marker) == "" || aws.ToString(page.Marker) == aws.ToString(in.Marker) {
			break
		}
		in.Marker = page.Marker
	}
	lp, err := api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: name})
	switch {
	case errorCode(err) == codeNoSuchEntity:
	case err != nil:
		return nil, fmt.Errorf("reading login profile (iam:GetLoginProfile): %w", err)
	case lp.LoginProfile != nil:
		b.LoginProfile = &LoginProfile{CreateDate: aws.ToTime(lp.LoginProfile.CreateDate).UTC(), PasswordResetRequired: lp.LoginProfile.PasswordResetRequired}
	}
	return b, nil
}

// listAccessKeys lists a user's keys in creation order, the credential
// report's slot order.
func listAccessKeys(ctx context.Context, api IAMAPI, userName string) ([]AccessKey, error) {
	keys := []AccessKey{}
	p := iam.NewListAccessKeysPaginator(api, &iam.ListAccessKeysInput{UserName: aws.String(userName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing access keys (iam:ListAccessKeys): %w", err)
		}
		for _, k := range page.AccessKeyMetadata {
			keys = append(keys, AccessKey{aws.ToString(k.AccessKeyId), string(k.Status), aws.ToTime(k.CreateDate).UTC()})
		}
	}
	slices.SortStableFunc(keys, func(a, b AccessKey) int {
		if c := a.CreateDate.Compare(b.CreateDate); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return keys, nil
}

// decodePolicyDocument undoes IAM's RFC 3986 URL encoding of policy
// documents (the SDK does not) and checks the result is JSON.
func decodePolicyDocument(enc string) (json.RawMessage, error) {
	doc := enc
	if !strings.HasPrefix(strings.TrimSpace(enc), "{") {
		// PathUnescape, not QueryUnescape: a '+' in a policy is a plus.
		var err error
		if doc, err = url.PathUnescape(enc); err != nil {
			return nil, fmt.Errorf("URL-decoding the document: %w", err)
		}
	}
	if !json.Valid([]byte(doc)) {
		return nil, errors.New("the document is not valid JSON")
	}
	return json.RawMessage(doc), nil
}

var unsafePath = regexp.MustCompile(`[^A-Za-z0-9._=+,@-]`)

// safeName makes s usable as one path element.
func safeName(s string) string {
	s = unsafePath.ReplaceAllString(s, "_")
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return s
}

// backupPath is where an entry's backup goes: <dir>/<account>/<user>.json,
// or <user>.access-key-<slot>.json for a key entry.
func backupPath(dir, accountID, userName string, keySlot int) string {
	file := safeName(userName) + ".json"
	if keySlot > 0 {
		file = safeName(userName) + ".access-key-" + strconv.Itoa(keySlot) + ".json"
	}
	return filepath.Join(dir, safeName(accountID), file)
}

// writeBackup writes b atomically and returns the SHA-256 (lowercase hex)
// of the bytes written, which the journal records.
func writeBackup(path string, b *Backup) (string, error) {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding backup %s: %w", path, err)
	}
	data = append(data, '\n')
	if err := atomicfile.WriteBytes(path, data); err != nil {
		return "", fmt.Errorf("writing backup %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// ReadBackup reads and checks a backup file.
func ReadBackup(path string) (*Backup, error) {
	b, _, err := readBackup(path)
	return b, err
}

// readBackup is ReadBackup that also returns the SHA-256 of the bytes it
// parsed, so what is checked against the journal is what is restored.
func readBackup(path string) (*Backup, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading backup %s: %w", path, err)
	}
	var b Backup
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, "", fmt.Errorf("parsing backup %s: %w", path, err)
	}
	if err := b.check(); err != nil {
		return nil, "", fmt.Errorf("checking backup %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	return &b, hex.EncodeToString(sum[:]), nil
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	userRE    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

func (b *Backup) check() error {
	var probs []string
	if b.Format != BackupFormat {
		probs = append(probs, fmt.Sprintf("format %q: this build reads %q", b.Format, BackupFormat))
	}
	if !accountRE.MatchString(b.AccountID) {
		probs = append(probs, fmt.Sprintf("account_id %q is not a 12-digit account ID", b.AccountID))
	}
	if !userRE.MatchString(b.UserName) {
		probs = append(probs, fmt.Sprintf("user_name %q is not an IAM user name", b.UserName))
	}
	if b.UserID == "" {
		probs = append(probs, "user_id is empty")
	}
	if b.Path == "" || !strings.HasPrefix(b.Path, "/") || !strings.HasSuffix(b.Path, "/") {
		probs = append(probs, fmt.Sprintf("path %q must begin and end with /", b.Path))
	}
	switch b.Scope {
	case ScopeUser:
	case ScopeAccessKey:
		if b.TargetKeyID == "" {
			probs = append(probs, "scope access_key without target_key_id")
		}
	default:
		probs = append(probs, fmt.Sprintf("scope %q: want %s or %s", b.Scope, ScopeUser, ScopeAccessKey))
	}
	for i, p := range b.InlinePolicies {
		if p.Name == "" || !json.Valid(p.Document) {
			probs = append(probs, fmt.Sprintf("inline_policies[%d] (%s): needs a name and a JSON document", i, p.Name))
		}
	}
	for i, t := range b.Tags {
		if t.Key == "" {
			probs = append(probs, fmt.Sprintf("tags[%d]: empty key", i))
		}
	}
	if len(probs) > 0 {
		return errors.New(strings.Join(probs, "; "))
	}
	return nil
}

// journalBackup records the backup just written at path, with its SHA-256
// and (given a signing key) its detached signature, so that restore can
// refuse a backup edited since.
func (r *Remediator) journalBackup(ctx context.Context, j *journal, path, sum string, b *Backup) error {
	if j.path == "" {
		return fmt.Errorf("backup %s was written but there is no journal to record its SHA-256 in: give --journal", path)
	}
	rel, err := j.backupRel(path)
	if err != nil {
		return err
	}
	rec := JournalRecord{Time: r.now().UTC(), RunID: b.RunID, Account: b.AccountID, User: b.UserName, UserID: b.UserID,
		Entry: "backup " + b.AccountID + "/" + b.UserName, Action: b.Action, Call: CallWriteBackup, Target: rel,
		Parameters: map[string]any{"Path": rel, "SHA256": sum}, Result: ResultOK, BackupSHA256: sum}
	if r.cfg.signKey != nil {
		if _, err := signature.SignFile(ctx, r.cfg.signKey, path); err != nil {
			return fmt.Errorf("signing backup %s: %w", path, err)
		}
		rec.BackupSignature = rel + signature.Suffix
	}
	if err := j.append(rec); err != nil {
		return fmt.Errorf("recording backup %s in the journal: %w", path, err)
	}
	return nil
}
