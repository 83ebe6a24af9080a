package awsfake

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestAssumeRoleRoutesIAMCallsToTheRoleAccount(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	org.Account(mgmtID).AddUser("mgmt-user")
	member := org.AddAccount(memberID)
	member.AddRole("OrganizationAccountAccessRole")
	member.AddUser("member-user")
	s := start(t, org)

	id, err := s.STSClient(org.CallerCredentials()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != mgmtID || aws.ToString(id.Arn) != "arn:aws:iam::"+mgmtID+":user/auditor" {
		t.Fatalf("caller identity: %+v %v", id, err)
	}

	out, err := s.STSClient(org.CallerCredentials()).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + memberID + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("dormant-inventory"),
	})
	if err != nil {
		t.Fatal(err)
	}
	akid := aws.ToString(out.Credentials.AccessKeyId)
	if !strings.HasPrefix(akid, "ASIA") || len(akid) != 20 || aws.ToString(out.Credentials.SessionToken) == "" {
		t.Errorf("temporary credentials = %+v", out.Credentials)
	}
	wantARN := "arn:aws:sts::" + memberID + ":assumed-role/OrganizationAccountAccessRole/dormant-inventory"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":dormant-inventory") {
		t.Errorf("AssumedRoleUser = %+v", out.AssumedRoleUser)
	}
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)}

	id, err = s.STSClient(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != memberID || aws.ToString(id.Arn) != wantARN {
		t.Fatalf("identity in the member account: %+v %v", id, err)
	}
	users, err := s.IAMClient(creds).ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(users.Users) != 1 || aws.ToString(users.Users[0].UserName) != "member-user" {
		t.Errorf("ListUsers with the role's credentials listed %+v, want the member account's user", users.Users)
	}
	if s.AccountCalls(memberID, "ListUsers") != 1 || s.AccountCalls(mgmtID, "ListUsers") != 0 {
		t.Errorf("ListUsers was not attributed to the member account")
	}

	// The session token must accompany the temporary key.
	noToken := creds
	noToken.SessionToken = ""
	if _, err := s.IAMClient(noToken).ListUsers(ctx, &iam.ListUsersInput{}); errorCode(err) != "InvalidClientTokenId" {
		t.Errorf("temporary key without its token: %v, want InvalidClientTokenId", err)
	}
	unknown := aws.Credentials{AccessKeyID: "AKIAUNKNOWNUNKNOWN00", SecretAccessKey: "x"}
	if _, err := s.IAMClient(unknown).ListUsers(ctx, &iam.ListUsersInput{}); errorCode(err) != "InvalidClientTokenId" || httpStatus(err) != 403 {
		t.Errorf("unknown key: %v, want InvalidClientTokenId 403", err)
	}
}

func TestAssumeRoleRefusals(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	member := org.AddAccount(memberID)
	member.AddRole("Audit")
	member.AddRole("External", RequireExternalID("secret-42"))
	member.AddRole("OtherTrust", TrustedBy("333333333333"))
	org.AddAccount("444444444444", Suspended()).AddRole("Audit")
	org.AddAccount("555555555555").AddRole("Audit")
	s := start(t, org, WithDeniedAssumeRole("555555555555"))
	c := s.STSClient(org.CallerCredentials())

	tests := []struct {
		name, arn, externalID string
		wantCode              string
	}{
		{"trusted", "arn:aws:iam::" + memberID + ":role/Audit", "", ""},
		{"external ID given", "arn:aws:iam::" + memberID + ":role/External", "secret-42", ""},
		{"external ID missing", "arn:aws:iam::" + memberID + ":role/External", "", "AccessDenied"},
		{"external ID wrong", "arn:aws:iam::" + memberID + ":role/External", "secret-43", "AccessDenied"},
		{"caller not trusted", "arn:aws:iam::" + memberID + ":role/OtherTrust", "", "AccessDenied"},
		{"no such role", "arn:aws:iam::" + memberID + ":role/Nope", "", "AccessDenied"},
		{"account outside the org", "arn:aws:iam::999999999999:role/Audit", "", "AccessDenied"},
		{"suspended account", "arn:aws:iam::444444444444:role/Audit", "", "AccessDenied"},
		{"denied account", "arn:aws:iam::555555555555:role/Audit", "", "AccessDenied"},
		{"malformed ARN", "arn:aws:iam::55:role/Audit", "", "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(tc.arn), RoleSessionName: aws.String("test")}
			if tc.externalID != "" {
				in.ExternalId = aws.String(tc.externalID)
			}
			_, err := c.AssumeRole(ctx, in)
			if got := errorCode(err); got != tc.wantCode {
				t.Fatalf("AssumeRole: %v, want code %q", err, tc.wantCode)
			}
			if tc.wantCode == "AccessDenied" {
				if httpStatus(err) != 403 || !strings.Contains(errorMessage(err), "is not authorized to perform: sts:AssumeRole on resource: "+tc.arn) {
					t.Errorf("AccessDenied answer: HTTP %d, %q", httpStatus(err), errorMessage(err))
				}
			}
		})
	}
	_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + memberID + ":role/Audit"), RoleSessionName: aws.String("bad name!")})
	if errorCode(err) != "ValidationError" {
		t.Errorf("invalid session name: %v, want ValidationError", err)
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + memberID + ":role/Audit"), RoleSessionName: aws.String("s"), DurationSeconds: aws.Int32(7200)})
	if errorCode(err) != "ValidationError" {
		t.Errorf("DurationSeconds above the role's maximum: %v, want ValidationError", err)
	}
}

func TestSessionExpires(t *testing.T) {
	ctx := context.Background()
	clock := newClock(date("2026-06-01T10:00:00Z"))
	org := NewOrg(mgmtID)
	org.AddAccount(memberID).AddRole("Audit")
	s := start(t, org, WithClock(clock.Now))
	creds, err := s.AssumeRole(ctx, org.CallerCredentials(), "arn:aws:iam::"+memberID+":role/Audit", "")
	if err != nil {
		t.Fatal(err)
	}
	if !creds.Expires.Equal(clock.Now().Add(time.Hour)) {
		t.Errorf("Expiration = %v, want one hour from now", creds.Expires)
	}
	clock.Advance(time.Hour)
	_, err = s.IAMClient(creds).ListUsers(ctx, &iam.ListUsersInput{})
	if errorCode(err) != "ExpiredToken" || httpStatus(err) != 403 {
		t.Errorf("expired session: %v, want ExpiredToken 403", err)
	}
}

// TestRoleChainingAndTrustByID checks a session can assume a role that
// trusts its role, and that a trust policy naming a unique ID matches it.
func TestRoleChainingAndTrustByID(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	m := org.AddAccount(memberID)
	hop := m.AddRole("Hop")
	m.AddRole("Target", TrustedBy(hop.ARN(memberID)))
	m.AddRole("ByID", TrustedBy(hop.RoleID))
	s := start(t, org)
	hopCreds, err := s.AssumeRole(ctx, org.CallerCredentials(), hop.ARN(memberID), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"Target", "ByID"} {
		if _, err := s.AssumeRole(ctx, hopCreds, "arn:aws:iam::"+memberID+":role/"+role, ""); err != nil {
			t.Errorf("chaining into %s: %v", role, err)
		}
	}
	if _, err := s.AssumeRole(ctx, org.CallerCredentials(), "arn:aws:iam::"+memberID+":role/Target", ""); errorCode(err) != "AccessDenied" {
		t.Errorf("management caller into a role trusting only Hop: %v, want AccessDenied", err)
	}
}
