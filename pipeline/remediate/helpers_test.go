package remediate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

const (
	mgmtID   = "111111111111"
	memberID = "222222222222"
	roleName = "OrganizationAccountAccessRole"
)

// Times are relative to the real clock: the SDK's credential cache and the
// fake's AssumeRole sessions both compare against it.
var (
	testNow  = time.Now().UTC().Truncate(time.Second)
	testAsOf = testNow.Add(-48 * time.Hour)
)

func ago(days int) time.Time { return testAsOf.AddDate(0, 0, -days) }

// env is an organization served by awsfake, with a working directory.
type env struct {
	t   *testing.T
	org *awsfake.Org
	srv *awsfake.Server
	dir string
}

func newEnv(t *testing.T, build func(org *awsfake.Org), opts ...awsfake.Option) *env {
	t.Helper()
	org := awsfake.NewOrg(mgmtID)
	org.AddAccount(memberID).AddRole(roleName)
	build(org)
	srv := awsfake.New(org, opts...)
	t.Cleanup(srv.Close)
	if err := srv.Err(); err != nil {
		t.Fatalf("invalid test organization: %v", err)
	}
	return &env{t: t, org: org, srv: srv, dir: t.TempDir()}
}

// clients is the production factory (caller's account directly, AssumeRole
// elsewhere) over real SDK clients pointed at the fake.
func (e *env) clients() ClientFactory {
	cfg := e.srv.AWSConfig(e.org.CallerCredentials())
	return newAWSClients(cfg, sts.NewFromConfig(cfg), AWSAccess{RoleName: roleName, SessionName: "dormant-test"})
}

// api is an IAM client acting in the management account.
func (e *env) api() *iam.Client { return e.srv.IAMClient(e.org.CallerCredentials()) }

// wrapped makes a factory whose clients are wrapped by wrap.
func (e *env) wrapped(wrap func(IAMAPI) IAMAPI) ClientFactory {
	inner := e.clients()
	return func(ctx context.Context, acct string) (IAMAPI, error) {
		api, err := inner(ctx, acct)
		if err != nil {
			return nil, err
		}
		return wrap(api), nil
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// remediator builds a Remediator with the env's clients (or factory).
func (e *env) remediator(out *syncBuffer, factory ClientFactory, opts ...Option) *Remediator {
	e.t.Helper()
	if factory == nil {
		factory = e.clients()
	}
	if out == nil {
		out = &syncBuffer{}
	}
	r, err := New(Deps{Clients: factory, Out: out, Now: time.Now}, opts...)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	return r
}

// run carries out the manifest and fails the test on a refused manifest.
func (e *env) run(path string, factory ClientFactory, opts ...Option) (*Result, string) {
	e.t.Helper()
	out := &syncBuffer{}
	res, err := e.remediator(out, factory, opts...).Run(context.Background(), path)
	if err != nil {
		e.t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return res, out.String()
}

// userState copies what a test checks of a live user (nil: gone).
type userState struct {
	ID, Path            string
	Keys                map[string]string // ID -> status
	Login               bool
	Groups, Attached    []string
	Inline              map[string]string
	Boundary            string
	Tags                map[string]string
	MFA, SSH, Certs, SC int
}

func (e *env) state(acct, name string) *userState {
	var s *userState
	e.srv.Do(func(o *awsfake.Org) {
		u := o.Account(acct).User(name)
		if u == nil {
			return
		}
		s = &userState{ID: u.UserID, Path: u.Path, Keys: map[string]string{}, Login: u.LoginProfile != nil,
			Groups: slices.Clone(u.Groups), Attached: slices.Clone(u.AttachedPolicyARNs), Inline: map[string]string{},
			Boundary: u.PermissionsBoundaryARN, Tags: map[string]string{}, MFA: len(u.MFADevices), SSH: len(u.SSHPublicKeys),
			Certs: len(u.SigningCertificates), SC: len(u.ServiceSpecificCredentials)}
		for _, k := range u.AccessKeys {
			s.Keys[k.ID] = k.Status
		}
		for _, p := range u.InlinePolicies {
			s.Inline[p.Name] = p.Document
		}
		for _, t := range u.Tags {
			s.Tags[t.Key] = t.Value
		}
		slices.Sort(s.Groups)
		slices.Sort(s.Attached)
	})
	return s
}

// mutations returns the mutating calls the fake answered in acct, as
// "Action target" strings (the user name when the call names nothing
// else), in order.
func (e *env) mutations(acct string) []string {
	var out []string
	for _, c := range e.srv.CallLog() {
		if !c.Mutating || c.AccountID != acct {
			continue
		}
		target := c.Params["UserName"]
		for _, k := range []string{"AccessKeyId", "CertificateId", "SSHPublicKeyId", "ServiceSpecificCredentialId", "SerialNumber", "PolicyName", "PolicyArn", "GroupName"} {
			if v := c.Params[k]; v != "" {
				target = v
			}
		}
		out = append(out, strings.TrimSpace(c.Action+" "+target))
	}
	return out
}

const (
	s3ReadDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::payments/a+b/*"}]}`
	logsDoc   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*","Condition":{"StringLike":{"aws:RequestTag/team":"pay%20ments"}}}}`
	deployDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:UpdateFunctionCode","Resource":"*"}]}`
	boundDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","logs:*"],"Resource":"*"}]}`
)

// fullUser gives a user one of everything IAM can attach to a user.
func fullUser(a *awsfake.Account, name string) *awsfake.User {
	u := a.AddUser(name, awsfake.UserPath("/payments/"), awsfake.UserCreated(ago(1400)),
		awsfake.UserTag("team", "payments"), awsfake.UserTag("cost-center", "42"))
	used := ago(600)
	u.SetPassword(ago(1390), &used)
	u.AddAccessKey(awsfake.KeyCreated(ago(1380)), awsfake.KeyLastUsed(ago(700), "us-east-1", "s3"))
	u.AddAccessKey(awsfake.KeyCreated(ago(1000)), awsfake.KeyInactive())
	u.AddSigningCertificate(ago(1300), true)
	u.AddSigningCertificate(ago(1200), false)
	u.AddSSHPublicKey(ago(1100), true)
	u.AddServiceSpecificCredential("codecommit.amazonaws.com", ago(1000), true)
	u.AddMFADevice(true, ago(1390))
	u.AddMFADevice(false, ago(1300))
	u.PutInlinePolicy("s3-read", s3ReadDoc)
	u.PutInlinePolicy("logs", logsDoc)
	u.AttachPolicy(a.AddPolicy(name+"-deploy", deployDoc).ARN)
	u.AttachPolicy("arn:aws:iam::aws:policy/ReadOnlyAccess")
	u.AddToGroup("developers")
	u.AddToGroup("oncall")
	u.SetPermissionsBoundary(a.AddPolicy("payments-boundary", boundDoc).ARN)
	return u
}

// plainUser has one active key and a password, both last used lastUse.
func plainUser(a *awsfake.Account, name string, lastUse time.Time) *awsfake.User {
	u := a.AddUser(name, awsfake.UserCreated(ago(900)))
	u.SetPassword(ago(890), &lastUse)
	u.AddAccessKey(awsfake.KeyCreated(ago(880)), awsfake.KeyLastUsed(lastUse, "eu-west-1", "ec2"))
	u.AddToGroup("readers")
	return u
}

// finding describes a fake user as the findings stage would.
func finding(acct string, u *awsfake.User, status, decision string) tables.Finding {
	f := tables.Finding{
		AccountID: acct, UserName: u.Name, UserID: u.UserID, ARN: u.ARN(acct), Path: u.Path, CreateDate: u.CreateDate,
		PasswordEnabled: u.LoginProfile != nil, PasswordState: tables.PasswordNA, Status: status, Decision: decision,
		InCredentialReport: true, InAuthorizationDetails: true, ReportGeneratedAt: testAsOf.Add(-time.Hour),
		Reasons: []string{"test finding: " + status},
	}
	if u.PasswordLastUsed != nil {
		f.PasswordLastUsed, f.PasswordState = *u.PasswordLastUsed, tables.PasswordUsed
	}
	last := f.PasswordLastUsed
	for i, k := range u.AccessKeys {
		var used time.Time
		if k.LastUsedDate != nil {
			used = *k.LastUsedDate
		}
		if used.After(last) {
			last = used
		}
		switch i {
		case 0:
			f.Key1Active, f.Key1LastRotated, f.Key1LastUsed = k.Status == awsfake.StatusActive, k.CreateDate, used
		case 1:
			f.Key2Active, f.Key2LastRotated, f.Key2LastUsed = k.Status == awsfake.StatusActive, k.CreateDate, used
		}
	}
	f.DaysInactive = -1
	if !last.IsZero() {
		f.LastActivity, f.LastActivitySource = last, tables.SourceConsole
		f.DaysInactive = int64(testAsOf.Sub(last) / (24 * time.Hour))
	}
	return f
}

// keyFinding is an active user with one unused key slot.
func keyFinding(acct string, u *awsfake.User, slot int) tables.Finding {
	f := finding(acct, u, tables.StatusActive, tables.DecisionKeep)
	f.UnusedKeys = []int64{int64(slot)}
	return f
}

// writeManifest builds (and signs) a manifest from findings.
func (e *env) writeManifest(findings ...tables.Finding) string {
	e.t.Helper()
	m, err := manifest.Build(manifest.Input{
		RunID: "run-test", GeneratedAt: testAsOf.Add(time.Hour), AsOf: testAsOf,
		WindowDays: 90, DeleteAfterDays: 365, Findings: findings,
	})
	if err != nil {
		e.t.Fatalf("building manifest: %v", err)
	}
	path := filepath.Join(e.dir, "remediation-manifest.json")
	if err := m.WriteFile(path); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func entryByLabel(t *testing.T, res *Result, label string) *EntryResult {
	t.Helper()
	for i := range res.Entries {
		if res.Entries[i].Entry == label {
			return &res.Entries[i]
		}
	}
	t.Fatalf("no entry %s in result", label)
	return nil
}

func stepCalls(er *EntryResult) []string {
	var out []string
	for _, s := range er.Steps {
		out = append(out, strings.TrimPrefix(s.Step.Call, "iam:"))
	}
	return out
}

func readJournalFile(t *testing.T, path string) []JournalRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := ReadJournal(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// hooked wraps an IAMAPI, running hooks around chosen calls.
type hooked struct {
	IAMAPI
	before func(call string) error // a non-nil error is returned instead of calling
	after  func(call string, err error)
}

func (h hooked) around(call string, fn func() error) error {
	if h.before != nil {
		if err := h.before(call); err != nil {
			return err
		}
	}
	err := fn()
	if h.after != nil {
		h.after(call, err)
	}
	return err
}

func (h hooked) DeleteSSHPublicKey(ctx context.Context, in *iam.DeleteSSHPublicKeyInput, o ...func(*iam.Options)) (out *iam.DeleteSSHPublicKeyOutput, err error) {
	err = h.around("DeleteSSHPublicKey", func() (e error) { out, e = h.IAMAPI.DeleteSSHPublicKey(ctx, in, o...); return })
	return out, err
}

func (h hooked) DetachUserPolicy(ctx context.Context, in *iam.DetachUserPolicyInput, o ...func(*iam.Options)) (out *iam.DetachUserPolicyOutput, err error) {
	err = h.around("DetachUserPolicy", func() (e error) { out, e = h.IAMAPI.DetachUserPolicy(ctx, in, o...); return })
	return out, err
}

func (h hooked) DeleteUser(ctx context.Context, in *iam.DeleteUserInput, o ...func(*iam.Options)) (out *iam.DeleteUserOutput, err error) {
	err = h.around("DeleteUser", func() (e error) { out, e = h.IAMAPI.DeleteUser(ctx, in, o...); return })
	return out, err
}

func (h hooked) TagUser(ctx context.Context, in *iam.TagUserInput, o ...func(*iam.Options)) (out *iam.TagUserOutput, err error) {
	err = h.around("TagUser", func() (e error) { out, e = h.IAMAPI.TagUser(ctx, in, o...); return })
	return out, err
}

// serviceFailure is a 500 as IAM sends it.
var serviceFailure = &smithy.GenericAPIError{Code: "ServiceFailure", Message: "injected by the test", Fault: smithy.FaultServer}

func (h hooked) DeleteLoginProfile(ctx context.Context, in *iam.DeleteLoginProfileInput, o ...func(*iam.Options)) (out *iam.DeleteLoginProfileOutput, err error) {
	err = h.around("DeleteLoginProfile", func() (e error) { out, e = h.IAMAPI.DeleteLoginProfile(ctx, in, o...); return })
	return out, err
}

func (h hooked) UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, o ...func(*iam.Options)) (out *iam.UpdateAccessKeyOutput, err error) {
	err = h.around("UpdateAccessKey", func() (e error) { out, e = h.IAMAPI.UpdateAccessKey(ctx, in, o...); return })
	return out, err
}

// iamRecords drops the journal's backup records, leaving the IAM calls.
func iamRecords(recs []JournalRecord) []JournalRecord {
	var out []JournalRecord
	for _, r := range recs {
		if r.Call != CallWriteBackup {
			out = append(out, r)
		}
	}
	return out
}
