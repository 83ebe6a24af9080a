package awsfake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestThrottlingIsRetriedBySDK checks each service's throttling error is one
// the SDK's standard retryer recognizes and retries until success.
func TestThrottlingIsRetriedBySDK(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	org.AddAccount(memberID).AddRole("Audit")
	s := start(t, org, WithThrottling(3, "ListUsers", "AssumeRole", "ListAccounts", "GetAccountAuthorizationDetails"))
	creds := org.CallerCredentials()

	if _, err := s.IAMClient(creds).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers through 3 throttles: %v", err)
	}
	if _, err := s.AssumeRole(ctx, creds, "arn:aws:iam::"+memberID+":role/Audit", ""); err != nil {
		t.Fatalf("AssumeRole through 3 throttles: %v", err)
	}
	if _, err := s.OrganizationsClient(creds).ListAccounts(ctx, &organizations.ListAccountsInput{}); err != nil {
		t.Fatalf("ListAccounts through 3 throttles: %v", err)
	}
	for _, a := range []string{"ListUsers", "AssumeRole", "ListAccounts"} {
		if n := s.Calls(a); n != 4 {
			t.Errorf("%s attempts = %d, want 4 (3 throttled, 1 success)", a, n)
		}
	}
	// Unlisted actions are not throttled.
	if _, err := s.IAMClient(creds).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")}); errorCode(err) != "NoSuchEntity" || s.Calls("GetUser") != 1 {
		t.Errorf("GetUser: %v after %d attempts", err, s.Calls("GetUser"))
	}
	// Throttles are counted per account: the member account gets its own 3.
	mc, err := s.AssumeRole(ctx, creds, "arn:aws:iam::"+memberID+":role/Audit", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.IAMClient(mc).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatal(err)
	}
	if n := s.AccountCalls(memberID, "ListUsers"); n != 4 {
		t.Errorf("member ListUsers attempts = %d, want 4", n)
	}

	// With too few attempts the throttling error reaches the caller.
	_, err = s.IAMClient(creds, WithMaxAttempts(2)).GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	if errorCode(err) != "Throttling" || httpStatus(err) != 400 || errorMessage(err) != "Rate exceeded" {
		t.Errorf("exhausted retries: %v, want Throttling 400 Rate exceeded", err)
	}
}

func TestOrganizationsThrottlingCode(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	s := start(t, org, WithThrottling(1))
	_, err := s.OrganizationsClient(org.CallerCredentials(), WithMaxAttempts(1)).ListAccounts(ctx, &organizations.ListAccountsInput{})
	if errorCode(err) != "TooManyRequestsException" || httpStatus(err) != 429 {
		t.Errorf("got %v (HTTP %d), want TooManyRequestsException 429", err, httpStatus(err))
	}
	_, err = s.STSClient(org.CallerCredentials(), WithMaxAttempts(1)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if errorCode(err) != "Throttling" {
		t.Errorf("STS: %v, want Throttling", err)
	}
}

func TestDeniedIAMAccount(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	org.AddAccount(memberID).AddRole("Audit")
	org.AddAccount("333333333333").AddRole("Audit")
	s := start(t, org, WithDeniedIAM(memberID))
	creds, err := s.AssumeRole(ctx, org.CallerCredentials(), "arn:aws:iam::"+memberID+":role/Audit", "")
	if err != nil {
		t.Fatalf("AssumeRole is not denied by WithDeniedIAM: %v", err)
	}
	for name, call := range map[string]func() error{
		"ListUsers": func() error { _, err := s.IAMClient(creds).ListUsers(ctx, &iam.ListUsersInput{}); return err },
		"GenerateCredentialReport": func() error {
			_, err := s.IAMClient(creds).GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
			return err
		},
	} {
		err := call()
		if errorCode(err) != "AccessDenied" || httpStatus(err) != 403 {
			t.Errorf("%s in a denied account: %v, want AccessDenied 403", name, err)
		}
		if n := s.AccountCalls(memberID, name); n != 1 {
			t.Errorf("%s attempts = %d, AccessDenied must not be retried", name, n)
		}
	}
	// STS still answers in the denied account, and other accounts work.
	if _, err := s.STSClient(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity: %v", err)
	}
	other, err := s.AssumeRole(ctx, org.CallerCredentials(), "arn:aws:iam::333333333333:role/Audit", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.IAMClient(other).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("ListUsers in an allowed account: %v", err)
	}
}

func TestLatency(t *testing.T) {
	org := NewOrg(mgmtID)
	s := start(t, org, WithActionLatency("ListUsers", time.Minute))
	c := s.IAMClient(org.CallerCredentials(), WithMaxAttempts(1))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ListUsers with a minute of latency returned %v before a 100ms deadline", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if _, err := c.GetUser(ctx2, &iam.GetUserInput{UserName: aws.String("nobody")}); errorCode(err) != "NoSuchEntity" {
		t.Errorf("GetUser (no latency configured): %v", err)
	}
}

func TestInvalidOrgFailsEveryCall(t *testing.T) {
	tests := []struct {
		name  string
		build func() *Org
		want  string
	}{
		{"bad account ID", func() *Org { o := NewOrg(mgmtID); o.AddAccount("12345"); return o }, "account 12345: ID is not a 12-digit account ID"},
		{"three keys", func() *Org {
			o := NewOrg(mgmtID)
			u := o.Account(mgmtID).AddUser("k")
			u.AddAccessKey()
			u.AddAccessKey()
			u.AddAccessKey()
			return o
		}, `user "k": has 3 access keys; IAM allows at most 2 per user`},
		{"unknown group", func() *Org {
			o := NewOrg(mgmtID)
			o.Account(mgmtID).Users = append(o.Account(mgmtID).Users, &User{Name: "g", Groups: []string{"ghosts"}})
			return o
		}, `member of group "ghosts"`},
		{"unknown policy", func() *Org {
			o := NewOrg(mgmtID)
			o.Account(mgmtID).AddUser("p").AttachPolicy("arn:aws:iam::aws:policy/Nope")
			return o
		}, "attached policy arn:aws:iam::aws:policy/Nope does not exist"},
		{"bad inline JSON", func() *Org {
			o := NewOrg(mgmtID)
			o.Account(mgmtID).AddUser("j").PutInlinePolicy("x", "{")
			return o
		}, `inline policy "x": document is not valid JSON`},
		{"duplicate user", func() *Org {
			o := NewOrg(mgmtID)
			a := o.Account(mgmtID)
			a.Users = append(a.Users, &User{Name: "dup"}, &User{Name: "DUP"})
			return o
		}, "user name is used twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			org := tc.build()
			s := New(org)
			defer s.Close()
			if s.Err() == nil || !strings.Contains(s.Err().Error(), tc.want) {
				t.Fatalf("Err() = %v, want it to mention %q", s.Err(), tc.want)
			}
			_, err := s.IAMClient(org.CallerCredentials(), WithMaxAttempts(1)).ListUsers(context.Background(), &iam.ListUsersInput{})
			if errorCode(err) != "ServiceFailure" || !strings.Contains(errorMessage(err), tc.want) {
				t.Errorf("call against an invalid Org: %v", err)
			}
		})
	}
}
