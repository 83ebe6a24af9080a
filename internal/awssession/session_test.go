package awssession

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/dormant-iam/dormant/internal/awsfake"
)

const (
	mgmtID   = "111111111111"
	memberID = "222222222222"
	roleOA   = "OrganizationAccountAccessRole"
)

// fakeOrg is a management account whose caller may assume roleOA in one
// member account, and a second member whose role wants an external ID.
func fakeOrg() *awsfake.Org {
	org := awsfake.NewOrg(mgmtID)
	org.AddAccount(memberID).AddRole(roleOA)
	org.AddAccount("333333333333").AddRole("audit", awsfake.RequireExternalID("ext-123"))
	return org
}

func startFake(t *testing.T, org *awsfake.Org, opts ...awsfake.Option) *awsfake.Server {
	t.Helper()
	srv := awsfake.New(org, opts...)
	t.Cleanup(srv.Close)
	if err := srv.Err(); err != nil {
		t.Fatal(err)
	}
	return srv
}

// hermeticEnv makes the SDK's default chain read only what the test writes:
// no ~/.aws, no AWS_* variables of the machine.
func hermeticEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

// TestLoadWithEndpointReachesTheFake loads the configuration the way every
// command does (a profile, an endpoint override) and identifies the caller
// through it.
func TestLoadWithEndpointReachesTheFake(t *testing.T) {
	org := fakeOrg()
	srv := startFake(t, org)
	dir := hermeticEnv(t)
	creds := org.CallerCredentials()
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[profile audit]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte("[audit]\naws_access_key_id = "+creds.AccessKeyID+"\naws_secret_access_key = "+creds.SecretAccessKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	set := Settings{Profile: "audit", EndpointURL: srv.URL()}
	cfg, err := Load(ctx, set)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || aws.ToString(cfg.BaseEndpoint) != srv.URL() {
		t.Errorf("region %q, endpoint %q: want the profile's eu-west-1 and %s", cfg.Region, aws.ToString(cfg.BaseEndpoint), srv.URL())
	}
	if !set.S3UsePathStyle() || (Settings{}).S3UsePathStyle() {
		t.Error("S3 path style must follow the endpoint override")
	}
	c, err := New(cfg).Caller(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Caller{Account: mgmtID, ARN: "arn:aws:iam::" + mgmtID + ":user/auditor", Partition: "aws"}); c != want {
		t.Errorf("caller %+v, want %+v", c, want)
	}

	// --region wins over the profile; neither gives us-east-1.
	if cfg, err := Load(ctx, Settings{Profile: "audit", Region: "ap-south-1"}); err != nil || cfg.Region != "ap-south-1" {
		t.Errorf("Load with --region: %q, %v", cfg.Region, err)
	}
	if cfg, err := Load(ctx, Settings{}); err != nil || cfg.Region != DefaultRegion || cfg.BaseEndpoint != nil {
		t.Errorf("Load with nothing set: region %q, endpoint %v, %v", cfg.Region, cfg.BaseEndpoint, err)
	}
}

func TestLoadUnknownProfile(t *testing.T) {
	hermeticEnv(t)
	_, err := Load(context.Background(), Settings{Profile: "nosuch"})
	for _, want := range []string{"loading AWS configuration", `"nosuch"`, "check --profile"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load with an unknown profile: %v, want it to say %q", err, want)
		}
	}
}

// TestCallerPartition takes the partition from the caller's ARN, so role
// ARNs in GovCloud and China name their own partition.
func TestCallerPartition(t *testing.T) {
	for _, tt := range []struct{ arn, partition string }{
		{"arn:aws:iam::" + memberID + ":user/auditor", "aws"},
		{"arn:aws-us-gov:iam::" + memberID + ":user/auditor", "aws-us-gov"},
		{"arn:aws-cn:sts::" + memberID + ":assumed-role/audit/session", "aws-cn"},
	} {
		t.Run(tt.partition, func(t *testing.T) {
			org := awsfake.NewOrg(mgmtID)
			org.AddAccount(memberID)
			caller := org.AddCaller(memberID, tt.arn)
			srv := startFake(t, org)
			ctx := context.Background()
			s := New(srv.AWSConfig(caller.Credentials()))
			c, err := s.Caller(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c.Partition != tt.partition || c.Account != memberID || c.ARN != tt.arn {
				t.Errorf("caller %+v, want partition %s of %s", c, tt.partition, tt.arn)
			}
			// A role elsewhere is asked for in the caller's partition (the
			// fake knows only "aws", so the others fail naming the ARN).
			_, err = s.CheckedCredentials(ctx, mgmtID, Role{Name: "audit", SessionName: "dormant-test"})
			if want := "assuming role arn:" + tt.partition + ":iam::" + mgmtID + ":role/audit"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("assuming a role: %v, want it to say %q", err, want)
			}
		})
	}
}

func TestCallerErrors(t *testing.T) {
	org := awsfake.NewOrg(mgmtID)
	srv := startFake(t, org)
	ctx := context.Background()
	_, err := New(srv.AWSConfig(aws.Credentials{AccessKeyID: "AKIANOTKNOWN", SecretAccessKey: "x"}, awsfake.WithMaxAttempts(1))).Caller(ctx)
	for _, want := range []string{"identifying the caller with sts:GetCallerIdentity", "InvalidClientTokenId", "check the credentials"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("unknown credentials: %v, want it to say %q", err, want)
		}
	}

	// An ARN that does not parse leaves the partition unknown: refused, not guessed.
	org2 := awsfake.NewOrg(mgmtID)
	bad := org2.AddCaller(mgmtID, "not-an-arn")
	srv2 := startFake(t, org2)
	_, err = New(srv2.AWSConfig(bad.Credentials())).Caller(ctx)
	if err == nil || !strings.Contains(err.Error(), `its ARN "not-an-arn" does not parse`) {
		t.Errorf("caller without an ARN: %v", err)
	}
}

// TestCredentialsPerAccount acts in each account with the credentials it
// needs: the caller's own at home, the member role elsewhere (with its
// external ID), each role assumed once.
func TestCredentialsPerAccount(t *testing.T) {
	org := fakeOrg()
	srv := startFake(t, org)
	ctx := context.Background()
	cfg := srv.AWSConfig(org.CallerCredentials())
	s := New(cfg)

	home, err := s.Credentials(ctx, mgmtID, Role{Name: roleOA, SessionName: "dormant-test"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := home.Retrieve(ctx); err != nil || v.AccessKeyID != org.CallerCredentials().AccessKeyID {
		t.Errorf("the caller's own account signs with %q, %v: want the caller's own credentials", v.AccessKeyID, err)
	}
	member := Role{Name: roleOA, SessionName: "dormant-test"}
	p, err := s.CheckedCredentials(ctx, memberID, member)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := s.CheckedCredentials(ctx, memberID, member); again != p {
		t.Error("the role's credentials are not cached per account")
	}
	if got := srv.Calls("AssumeRole"); got != 1 {
		t.Errorf("AssumeRole called %d times, want once", got)
	}
	if got := srv.Calls("GetCallerIdentity"); got != 1 {
		t.Errorf("GetCallerIdentity called %d times, want once", got)
	}
	v, err := p.Retrieve(ctx)
	if err != nil || !strings.HasPrefix(v.AccessKeyID, "ASIA") {
		t.Errorf("member credentials %q, %v: want temporary ASIA credentials", v.AccessKeyID, err)
	}

	ext := Role{Name: "audit", ExternalID: "ext-123", SessionName: "dormant-test"}
	if _, err := s.CheckedCredentials(ctx, "333333333333", ext); err != nil {
		t.Errorf("role with its external ID: %v", err)
	}
}

func TestCredentialsErrors(t *testing.T) {
	org := fakeOrg()
	srv := startFake(t, org)
	ctx := context.Background()
	s := New(srv.AWSConfig(org.CallerCredentials()))
	caller := "arn:aws:iam::" + mgmtID + ":user/auditor"
	for _, tt := range []struct {
		name    string
		account string
		role    Role
		want    []string
	}{
		{"no role name", memberID, Role{SessionName: "dormant-test"},
			[]string{"reaching account " + memberID, caller, "pass --role-name", "run with credentials of account " + memberID}},
		{"missing role", memberID, Role{Name: "nosuch", SessionName: "dormant-test"},
			[]string{"assuming role arn:aws:iam::" + memberID + ":role/nosuch", "AccessDenied", "check that role nosuch exists in account " + memberID, "lets " + caller + " assume it"}},
		{"wrong external ID", "333333333333", Role{Name: "audit", ExternalID: "wrong-id", SessionName: "dormant-test"},
			[]string{"assuming role arn:aws:iam::333333333333:role/audit", "with this external ID"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CheckedCredentials(ctx, tt.account, tt.role)
			for _, want := range tt.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want it to say %q", err, want)
				}
			}
		})
	}
}
