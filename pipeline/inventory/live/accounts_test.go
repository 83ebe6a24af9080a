package live

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/dormant-iam/dormant/internal/awsfake"
)

func resultIDs(rs []AccountInventory) []string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.AccountID)
	}
	return ids
}

// assumeRoleCalls returns the fake's AssumeRole calls' parameters.
func assumeRoleCalls(srv *awsfake.Server) []map[string]string {
	var out []map[string]string
	for _, c := range srv.CallLog() {
		if c.Action == "AssumeRole" {
			out = append(out, c.Params)
		}
	}
	return out
}

// TestOrgMode checks the Organization walk: ACTIVE accounts only, in
// ListAccounts order, the management account read with the caller's own
// credentials, and AssumeRole into the others with the external ID and the
// tool's session name.
func TestOrgMode(t *testing.T) {
	org, ids := memberOrg(3, awsfake.RequireExternalID("ext-4711"))
	suspended := "399999999999"
	org.AddAccount(suspended, awsfake.Suspended()).AddRole(roleOA)
	srv := startFake(t, org, awsfake.WithPageSize(2))
	var progress progressLog
	results := mustCollect(t, fakeSource(srv, org, WithOrg(), WithRole(roleOA, "ext-4711"), WithProgress(progress.record)))

	if got := resultIDs(results); !slices.Equal(got, ids) {
		t.Fatalf("accounts %v, want the ACTIVE ones in order %v", got, ids)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("account %s: %v", r.AccountID, r.Err)
			continue
		}
		if r.Report.AccountID != r.AccountID || r.Details.AccountID != r.AccountID {
			t.Errorf("account %s read report of %s and details of %s", r.AccountID, r.Report.AccountID, r.Details.AccountID)
		}
	}
	if users := results[0].Report.Users; len(users) != 2 || users[1].UserName != "admin" {
		t.Errorf("management account users %+v, want root and admin", users)
	}
	calls := assumeRoleCalls(srv)
	if len(calls) != len(ids)-1 {
		t.Errorf("%d AssumeRole calls, want one per member (%d)", len(calls), len(ids)-1)
	}
	for _, c := range calls {
		acct := strings.Split(c["RoleArn"], ":")[4]
		if acct == mgmtID || acct == suspended {
			t.Errorf("AssumeRole into %s", c["RoleArn"])
		}
		if c["RoleArn"] != "arn:aws:iam::"+acct+":role/"+roleOA || c["ExternalId"] != "ext-4711" || c["RoleSessionName"] != "dormant-inventory" {
			t.Errorf("AssumeRole parameters %v", c)
		}
	}
	if srv.AccountCalls(suspended, "GetCredentialReport") != 0 {
		t.Error("the suspended account was read")
	}
	if p, ok := progress.final()[suspended]; !ok || p.State != StateSkipped || p.Detail != "SUSPENDED" {
		t.Errorf("suspended account progress %+v, want skipped with its state", p)
	}
	if n := srv.Calls("ListAccounts"); n < 3 {
		t.Errorf("%d ListAccounts calls: pages of 2 accounts should need 3", n)
	}
}

// TestPartialFailure checks that an account denying AssumeRole (a wrong
// external ID) or IAM (an SCP) is reported, while the others complete.
func TestPartialFailure(t *testing.T) {
	org, ids := memberOrg(3, awsfake.RequireExternalID("right"))
	srv := startFake(t, org, awsfake.WithDeniedIAM(ids[2]))
	results, err := fakeSource(srv, org, WithAccounts(ids...), WithRole(roleOA, "wrong")).Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v; the management account was assessed, so no error", err)
	}
	if results[0].Err != nil {
		t.Errorf("management account: %v", results[0].Err)
	}
	for _, r := range results[1:] {
		var ae *AccountError
		if !errors.As(r.Err, &ae) || ae.Stage != StageAssumeRole || ae.Code != "AccessDenied" ||
			!containsAll(r.Err.Error(), r.AccountID, "with this external ID") {
			t.Errorf("account %s: %v, want AssumeRole AccessDenied with a hint", r.AccountID, r.Err)
		}
	}

	// With the right external ID only the SCP-denied account fails.
	results = mustCollect(t, fakeSource(srv, org, WithAccounts(ids...), WithRole(roleOA, "right")))
	for i, r := range results {
		var ae *AccountError
		switch {
		case i == 2:
			if !errors.As(r.Err, &ae) || ae.Code != "AccessDenied" || (ae.Stage != StageCredentialReport && ae.Stage != StageAuthorizationDetails) {
				t.Errorf("IAM-denied account: %v", r.Err)
			}
		case r.Err != nil:
			t.Errorf("account %s: %v", r.AccountID, r.Err)
		}
	}
}

// TestAccountsList checks an explicit list: its order, duplicates dropped,
// no Organizations call, and the caller's account read without AssumeRole.
func TestAccountsList(t *testing.T) {
	org, ids := memberOrg(2)
	srv := startFake(t, org)
	results := mustCollect(t, fakeSource(srv, org, WithAccounts(ids[2], mgmtID, ids[2]), WithRole(roleOA, "")))
	if got := resultIDs(results); !slices.Equal(got, []string{ids[2], mgmtID}) {
		t.Errorf("accounts %v", got)
	}
	if srv.Calls("ListAccounts")+srv.Calls("DescribeOrganization") != 0 {
		t.Error("Organizations was called without --org")
	}
	if calls := assumeRoleCalls(srv); len(calls) != 1 || !strings.Contains(calls[0]["RoleArn"], ids[2]) {
		t.Errorf("AssumeRole calls %v, want one into %s", calls, ids[2])
	}
	if calls := assumeRoleCalls(srv); calls[0]["ExternalId"] != "" {
		t.Errorf("an external ID was sent: %v", calls[0])
	}
}

// TestCallerAccountOnly checks the default scope: the caller's account,
// with no role needed.
func TestCallerAccountOnly(t *testing.T) {
	org, _ := memberOrg(2)
	srv := startFake(t, org)
	results := mustCollect(t, fakeSource(srv, org))
	if got := resultIDs(results); !slices.Equal(got, []string{mgmtID}) || results[0].Err != nil {
		t.Fatalf("results %v (%v), want the caller's account", got, results[0].Err)
	}
	if srv.Calls("AssumeRole") != 0 || srv.Calls("GetCallerIdentity") != 1 {
		t.Error("want one GetCallerIdentity and no AssumeRole")
	}
}

// TestSetupCallsThrottled checks that throttling of the calls made once per
// run (GetCallerIdentity, Organizations) and of AssumeRole is retried.
func TestSetupCallsThrottled(t *testing.T) {
	org, ids := memberOrg(2)
	srv := startFake(t, org, awsfake.WithThrottling(2, "GetCallerIdentity", "DescribeOrganization", "ListAccounts", "AssumeRole"))
	results := mustCollect(t, fakeSource(srv, org, WithOrg(), WithRole(roleOA, ""), withStandardRetryer))
	if len(results) != len(ids) {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("account %s: %v", r.AccountID, r.Err)
		}
	}
	for _, f := range []struct{ action, code string }{
		{"GetCallerIdentity", "Throttling"}, {"DescribeOrganization", "TooManyRequestsException"},
		{"ListAccounts", "TooManyRequestsException"}, {"AssumeRole", "Throttling"},
	} {
		if n := callsWithCode(srv, f.action, f.code); n < 2 {
			t.Errorf("%s answered %s %d times, want at least 2", f.action, f.code, n)
		}
	}
}

// TestCollectErrors checks the failures that stop the whole run before any
// account is read, and the run where no account could be assessed.
func TestCollectErrors(t *testing.T) {
	org, ids := memberOrg(2)
	member := org.Account(ids[1]).AddUser("member-auditor")
	memberKey := member.AddAccessKey()
	srv := startFake(t, org)
	cases := []struct {
		name  string
		creds aws.Credentials
		opts  []Option
		want  []string
	}{
		{"unknown credentials", aws.Credentials{AccessKeyID: "AKIAUNKNOWNUNKNOWN12", SecretAccessKey: "x"}, nil,
			[]string{"sts:GetCallerIdentity", "InvalidClientTokenId", "check the credentials"}},
		{"org from a member account", memberKey.Credentials(), []Option{WithOrg(), WithRole(roleOA, "")},
			[]string{"listing the Organization's accounts", "AccessDeniedException", "management account (" + mgmtID + ")"}},
		{"both org and accounts", org.CallerCredentials(), []Option{WithOrg(), WithAccounts(ids[1])}, []string{"give one of --accounts or --org"}},
		{"bad account ID", org.CallerCredentials(), []Option{WithAccounts("12345")}, []string{`"12345" is not a 12-digit AWS account ID`}},
		{"role missing", org.CallerCredentials(), []Option{WithAccounts(ids[1])}, []string{"account " + ids[1] + " is not the caller's", "give --role-name"}},
		{"external ID without role", org.CallerCredentials(), []Option{WithRole("", "abc")}, []string{"give --role-name too"}},
		{"bad role name", org.CallerCredentials(), []Option{WithRole("no spaces", "")}, []string{"is not an IAM role name"}},
		{"bad session name", org.CallerCredentials(), []Option{func(o *Options) { o.SessionName = "x" }}, []string{"session name"}},
		{"bad concurrency", org.CallerCredentials(), []Option{WithConcurrency(-1)}, []string{"concurrency -1"}},
		{"nothing assessed", org.CallerCredentials(), []Option{WithAccounts(ids[1], ids[2]), WithRole("NoSuchRole", "")},
			[]string{"none of the 2 account(s) could be assessed", "AccessDenied"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetCalls()
			src := New(srv.AWSConfig(tc.creds), append([]Option{testOptions}, tc.opts...)...)
			results, err := src.Collect(context.Background())
			if err == nil || !containsAll(err.Error(), tc.want...) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if tc.name == "nothing assessed" {
				if len(results) != 2 || results[0].Err == nil || results[1].Err == nil {
					t.Errorf("results %+v, want both accounts with their errors", results)
				}
				return
			}
			if results != nil {
				t.Errorf("results %+v with a run-stopping error", results)
			}
			for _, c := range srv.CallLog() {
				if c.Service == "iam" {
					t.Errorf("IAM was called (%s) although the run could not start", c.Action)
				}
			}
		})
	}
}

// TestWrongAccountCredentials checks that a report read with credentials
// acting in another account than the one asked for is refused, not
// attributed to the wrong account.
func TestWrongAccountCredentials(t *testing.T) {
	org, ids := memberOrg(1)
	srv := startFake(t, org)
	caller := org.CallerCredentials()
	o := applyOptions([]Option{testOptions, WithAccounts(ids...), WithRole(roleOA, "")})
	src := NewWithClients(Clients{
		STS:           srv.STSClient(caller),
		Organizations: srv.OrganizationsClient(caller),
		// Ignores the assumed role: every account is read as the caller.
		IAM: func(aws.CredentialsProvider) IAMAPI { return srv.IAMClient(caller) },
	}, WithOptions(o))
	results := mustCollect(t, src)
	var ae *AccountError
	if !errors.As(results[1].Err, &ae) || ae.Stage != StageParse || !strings.Contains(ae.Error(), "act in another account") {
		t.Errorf("member read with the management account's credentials: %v", results[1].Err)
	}
}

// TestNewFollowsSDKConfiguration checks what New builds from a loaded
// configuration: endpoints from AWS_ENDPOINT_URL (no BaseEndpoint in code),
// the adaptive retry mode with enough attempts, and AWS_MAX_ATTEMPTS
// honoured.
func TestNewFollowsSDKConfiguration(t *testing.T) {
	org, ids := memberOrg(1)
	srv := startFake(t, org)
	creds := org.CallerCredentials()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL())
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src := New(cfg, WithOrg(), WithRole(roleOA, ""))
	results := mustCollect(t, src)
	if len(results) != len(ids) || results[0].Err != nil || results[1].Err != nil {
		t.Fatalf("results %+v", results)
	}

	retryer := src.clients.IAM(nil).(*iam.Client).Options().Retryer
	if _, ok := retryer.(*retry.AdaptiveMode); !ok || retryer.MaxAttempts() != DefaultMaxAttempts {
		t.Errorf("IAM retryer %T with %d attempts, want the adaptive mode with %d", retryer, retryer.MaxAttempts(), DefaultMaxAttempts)
	}
	if r := src.clients.Organizations.(*organizations.Client).Options().Retryer; r.MaxAttempts() != DefaultMaxAttempts {
		t.Errorf("Organizations retryer makes %d attempts", r.MaxAttempts())
	}

	t.Setenv("AWS_MAX_ATTEMPTS", "4")
	if cfg, err = config.LoadDefaultConfig(ctx); err != nil {
		t.Fatal(err)
	}
	if n := New(cfg).clients.IAM(nil).(*iam.Client).Options().Retryer.MaxAttempts(); n != 4 {
		t.Errorf("AWS_MAX_ATTEMPTS=4 gives %d attempts", n)
	}
}

// stubIAM answers authorization-details pages as scripted, for server
// misbehaviour the fake does not produce; reports come from the fake.
type stubIAM struct {
	IAMAPI
	pages []*iam.GetAccountAuthorizationDetailsOutput
	n     int
}

func (s *stubIAM) GetAccountAuthorizationDetails(ctx context.Context, in *iam.GetAccountAuthorizationDetailsInput, _ ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := s.pages[min(s.n, len(s.pages)-1)]
	s.n++
	return p, nil
}

func TestAuthorizationDetailsPagingGuards(t *testing.T) {
	cases := []struct {
		name  string
		pages []*iam.GetAccountAuthorizationDetailsOutput
		want  string
	}{
		{"truncated without marker", []*iam.GetAccountAuthorizationDetailsOutput{{IsTruncated: true}}, "has no Marker"},
		{"marker repeats", []*iam.GetAccountAuthorizationDetailsOutput{
			{IsTruncated: true, Marker: aws.String("a")}, {IsTruncated: true, Marker: aws.String("b")}, {IsTruncated: true, Marker: aws.String("a")},
		}, "page 3 repeats an earlier Marker"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			org, _ := memberOrg(0)
			srv := startFake(t, org)
			caller := org.CallerCredentials()
			src := NewWithClients(Clients{
				STS: srv.STSClient(caller), Organizations: srv.OrganizationsClient(caller),
				IAM: func(aws.CredentialsProvider) IAMAPI { return &stubIAM{IAMAPI: srv.IAMClient(caller), pages: tc.pages} },
			}, testOptions)
			results, err := src.Collect(context.Background())
			var ae *AccountError
			if err == nil || !errors.As(results[0].Err, &ae) || ae.Stage != StageAuthorizationDetails || !strings.Contains(ae.Error(), tc.want) {
				t.Fatalf("error %v / %v, want an authorization-details error containing %q", err, results[0].Err, tc.want)
			}
		})
	}
}
