package awsfake

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// gaadOrg has several of every entity GAAD returns, in the management
// account, so the caller's own credentials reach it.
func gaadOrg() *Org {
	org := NewOrg(mgmtID)
	a := org.Account(mgmtID)
	local := a.AddPolicy("Deploy", `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}}`)
	local.Versions = append(local.Versions, &PolicyVersion{VersionID: "v2", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"*"}]}`})
	local.DefaultVersionID = "v2"
	a.AddGroup("admins").AttachPolicy("arn:aws:iam::aws:policy/AdministratorAccess").PutInlinePolicy("deny-billing", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"aws-portal:*","Resource":"*"}}`)
	a.AddGroup("devs").AttachPolicy(local.ARN)
	for i := 0; i < 7; i++ {
		u := a.AddUser(fmt.Sprintf("user%02d", i))
		u.PutInlinePolicy("inline", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"s %d","Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`, i))
		u.AddToGroup("devs")
		if i == 0 {
			u.AddToGroup("admins").AttachPolicy("arn:aws:iam::aws:policy/ReadOnlyAccess").SetPermissionsBoundary(local.ARN).SetTag("team", "core")
		}
	}
	a.AddRole("Audit", TrustedBy("333333333333"), RequireExternalID("x-42"))
	a.AddRole("Deployer")
	return org
}

func TestGetAccountAuthorizationDetailsPaginationAndEncoding(t *testing.T) {
	ctx := context.Background()
	org := gaadOrg()
	s := start(t, org, WithPageSize(3))
	c := s.IAMClient(org.CallerCredentials())

	var users []iamtypes.UserDetail
	var groups []iamtypes.GroupDetail
	var roles []iamtypes.RoleDetail
	var policies []iamtypes.ManagedPolicyDetail
	pages := 0
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		n := len(out.UserDetailList) + len(out.GroupDetailList) + len(out.RoleDetailList) + len(out.Policies)
		if n > 3 {
			t.Errorf("page %d holds %d items, page size is 3", pages, n)
		}
		if out.IsTruncated != (out.Marker != nil) {
			t.Errorf("page %d: IsTruncated %v with Marker %v", pages, out.IsTruncated, out.Marker)
		}
		users = append(users, out.UserDetailList...)
		groups = append(groups, out.GroupDetailList...)
		roles = append(roles, out.RoleDetailList...)
		policies = append(policies, out.Policies...)
	}
	// 7 users, 2 groups, 2 roles, 1 local policy, 2 AWS managed policies in use.
	if len(users) != 7 || len(groups) != 2 || len(roles) != 2 || len(policies) != 3 {
		t.Fatalf("got %d users, %d groups, %d roles, %d policies; want 7, 2, 2, 3", len(users), len(groups), len(roles), len(policies))
	}
	if pages != 5 {
		t.Errorf("pages = %d, want 5 (14 items, 3 per page)", pages)
	}

	u0 := users[0]
	if aws.ToString(u0.UserName) != "user00" || !strings.HasPrefix(aws.ToString(u0.UserId), "AIDA") || len(aws.ToString(u0.UserId)) != 21 {
		t.Errorf("first user = %s %s", aws.ToString(u0.UserName), aws.ToString(u0.UserId))
	}
	raw := aws.ToString(u0.UserPolicyList[0].PolicyDocument)
	if !strings.HasPrefix(raw, "%7B%22Version%22%3A%222012-10-17%22") || strings.ContainsAny(raw, `{}" `) {
		t.Errorf("inline policy document is not URL-encoded as IAM sends it: %s", raw)
	}
	if !strings.Contains(raw, "%20") {
		t.Errorf("spaces must be encoded as %%20 (RFC 3986), got %s", raw)
	}
	doc, err := url.QueryUnescape(raw)
	if err != nil || doc != org.Account(mgmtID).User("user00").InlinePolicies[0].Document {
		t.Errorf("decoded document = %q (%v)", doc, err)
	}
	sort.Strings(u0.GroupList)
	if strings.Join(u0.GroupList, ",") != "admins,devs" {
		t.Errorf("GroupList = %v", u0.GroupList)
	}
	if len(u0.AttachedManagedPolicies) != 1 || aws.ToString(u0.AttachedManagedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("AttachedManagedPolicies = %+v", u0.AttachedManagedPolicies)
	}
	if u0.PermissionsBoundary == nil || aws.ToString(u0.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::"+mgmtID+":policy/Deploy" ||
		u0.PermissionsBoundary.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("PermissionsBoundary = %+v", u0.PermissionsBoundary)
	}
	if len(u0.Tags) != 1 || aws.ToString(u0.Tags[0].Key) != "team" {
		t.Errorf("Tags = %+v", u0.Tags)
	}
	if users[1].PermissionsBoundary != nil || len(users[1].Tags) != 0 {
		t.Errorf("user01 has no boundary or tags, got %+v %+v", users[1].PermissionsBoundary, users[1].Tags)
	}

	for _, r := range roles {
		trust, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument))
		if err != nil || !strings.Contains(trust, `"sts:AssumeRole"`) {
			t.Errorf("role %s trust policy = %q (%v)", aws.ToString(r.RoleName), trust, err)
		}
	}
	for _, g := range groups {
		if aws.ToString(g.GroupName) == "admins" {
			if d, _ := url.QueryUnescape(aws.ToString(g.GroupPolicyList[0].PolicyDocument)); !strings.Contains(d, "aws-portal:*") {
				t.Errorf("group inline policy = %q", d)
			}
		}
	}
	for _, p := range policies {
		switch aws.ToString(p.PolicyName) {
		case "Deploy":
			if len(p.PolicyVersionList) != 2 || aws.ToString(p.DefaultVersionId) != "v2" || !p.PolicyVersionList[1].IsDefaultVersion || p.PolicyVersionList[0].IsDefaultVersion {
				t.Errorf("Deploy versions = %+v", p.PolicyVersionList)
			}
			if aws.ToInt32(p.AttachmentCount) != 1 || aws.ToInt32(p.PermissionsBoundaryUsageCount) != 1 {
				t.Errorf("Deploy attachment count %d, boundary usage %d; want 1 and 1", aws.ToInt32(p.AttachmentCount), aws.ToInt32(p.PermissionsBoundaryUsageCount))
			}
			d, _ := url.QueryUnescape(aws.ToString(p.PolicyVersionList[0].Document))
			if !strings.HasPrefix(d, `{"Version": "2012-10-17"`) {
				t.Errorf("version document not preserved as written: %q", d)
			}
		case "AdministratorAccess", "ReadOnlyAccess":
		default:
			t.Errorf("unexpected policy %s (AWS managed policies are listed only when used)", aws.ToString(p.PolicyName))
		}
	}
}

func TestGetAccountAuthorizationDetailsFilter(t *testing.T) {
	ctx := context.Background()
	org := gaadOrg()
	s := start(t, org, WithPageSize(4))
	c := s.IAMClient(org.CallerCredentials())
	tests := []struct {
		filter                         []iamtypes.EntityType
		users, groups, roles, policies int
	}{
		{[]iamtypes.EntityType{iamtypes.EntityTypeUser}, 7, 0, 0, 0},
		{[]iamtypes.EntityType{iamtypes.EntityTypeRole, iamtypes.EntityTypeGroup}, 0, 2, 2, 0},
		{[]iamtypes.EntityType{iamtypes.EntityTypeLocalManagedPolicy}, 0, 0, 0, 1},
		{[]iamtypes.EntityType{iamtypes.EntityTypeAWSManagedPolicy}, 0, 0, 0, 2},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.filter), func(t *testing.T) {
			var u, g, r, p int
			pg := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{Filter: tc.filter})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				u, g, r, p = u+len(out.UserDetailList), g+len(out.GroupDetailList), r+len(out.RoleDetailList), p+len(out.Policies)
			}
			if u != tc.users || g != tc.groups || r != tc.roles || p != tc.policies {
				t.Errorf("got %d/%d/%d/%d, want %d/%d/%d/%d", u, g, r, p, tc.users, tc.groups, tc.roles, tc.policies)
			}
		})
	}
	_, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Marker: aws.String("not-a-marker")})
	if errorCode(err) != "ValidationError" || httpStatus(err) != 400 {
		t.Errorf("bad marker: %v", err)
	}
}

// TestListCallsPaginate checks every list call honours Marker, IsTruncated
// and MaxItems, with the server's small page size.
func TestListCallsPaginate(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	a := org.Account(mgmtID)
	u := a.AddUser("many")
	u.AddAccessKey(KeyCreated(date("2024-01-01T00:00:00Z")))
	u.AddAccessKey(KeyCreated(date("2025-01-01T00:00:00Z")))
	for i := 0; i < 3; i++ {
		u.AddMFADevice(i%2 == 0, date("2024-01-01T00:00:00Z"))
		u.AddSSHPublicKey(date("2024-01-01T00:00:00Z").Add(time.Duration(i)*time.Hour), true)
		u.AddServiceSpecificCredential("codecommit.amazonaws.com", date("2024-01-01T00:00:00Z").Add(time.Duration(i)*time.Hour), i != 1)
		u.PutInlinePolicy(fmt.Sprintf("p%d", i), `{"Version":"2012-10-17","Statement":[]}`)
		u.AddToGroup(fmt.Sprintf("g%d", i))
		u.SetTag(fmt.Sprintf("k%d", i), "v")
		a.AddUser(fmt.Sprintf("other%d", i))
	}
	u.AddSigningCertificate(date("2024-01-01T00:00:00Z"), true)
	u.AddSigningCertificate(date("2024-02-01T00:00:00Z"), false)
	for _, n := range []string{"AdministratorAccess", "ReadOnlyAccess", "SecurityAudit"} {
		u.AttachPolicy("arn:aws:iam::aws:policy/" + n)
	}
	s := start(t, org, WithPageSize(2))
	c := s.IAMClient(org.CallerCredentials())
	name := aws.String("many")

	type pager func(marker *string) (n int, truncated bool, next *string, err error)
	tests := []struct {
		action string
		want   int
		call   pager
	}{
		{"ListUsers", 4, func(m *string) (int, bool, *string, error) {
			o, err := c.ListUsers(ctx, &iam.ListUsersInput{Marker: m})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.Users), o.IsTruncated, o.Marker, nil
		}},
		{"ListAccessKeys", 2, func(m *string) (int, bool, *string, error) {
			o, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: name, Marker: m, MaxItems: aws.Int32(1)})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.AccessKeyMetadata), o.IsTruncated, o.Marker, nil
		}},
		{"ListMFADevices", 3, func(m *string) (int, bool, *string, error) {
			o, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: name, Marker: m})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.MFADevices), o.IsTruncated, o.Marker, nil
		}},
		{"ListSigningCertificates", 2, func(m *string) (int, bool, *string, error) {
			o, err := c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: name, Marker: m, MaxItems: aws.Int32(1)})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.Certificates), o.IsTruncated, o.Marker, nil
		}},
		{"ListSSHPublicKeys", 3, func(m *string) (int, bool, *string, error) {
			o, err := c.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: name, Marker: m})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.SSHPublicKeys), o.IsTruncated, o.Marker, nil
		}},
		{"ListServiceSpecificCredentials", 3, func(m *string) (int, bool, *string, error) {
			o, err := c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: name, Marker: m})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.ServiceSpecificCredentials), o.IsTruncated, o.Marker, nil
		}},
		{"ListUserPolicies", 3, func(m *string) (int, bool, *string, error) {
			o, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: name, Marker: m})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.PolicyNames), o.IsTruncated, o.Marker, nil
		}},
		{"ListAttachedUserPolicies", 3, func(m *string) (int, bool, *string, error) {
			o, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: name, Marker: m})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.AttachedPolicies), o.IsTruncated, o.Marker, nil
		}},
		{"ListGroupsForUser", 3, func(m *string) (int, bool, *string, error) {
			o, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: name, Marker: m})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.Groups), o.IsTruncated, o.Marker, nil
		}},
		{"ListUserTags", 3, func(m *string) (int, bool, *string, error) {
			o, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: name, Marker: m})
			if err != nil {
				return 0, false, nil, err
			}
			return len(o.Tags), o.IsTruncated, o.Marker, nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			total, pages := 0, 0
			var marker *string
			for {
				n, truncated, next, err := tc.call(marker)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				total += n
				if n > 2 {
					t.Errorf("page of %d items, page size is 2", n)
				}
				if !truncated {
					if next != nil {
						t.Errorf("last page carries Marker %q", *next)
					}
					break
				}
				if next == nil {
					t.Fatal("IsTruncated without Marker")
				}
				marker = next
			}
			if total != tc.want {
				t.Errorf("listed %d items, want %d", total, tc.want)
			}
			if pages < 2 {
				t.Errorf("listed in %d page(s); the page size should have split it", pages)
			}
			if n := s.Calls(tc.action); n != pages {
				t.Errorf("Calls(%s) = %d, want %d", tc.action, n, pages)
			}
		})
	}
}

func TestUserReads(t *testing.T) {
	ctx := context.Background()
	org := richOrg()
	org.Account(memberID).User("alice").SetPermissionsBoundary("arn:aws:iam::aws:policy/PowerUserAccess").SetTag("owner", "a@example.com")
	caller := org.AddCaller(memberID, "arn:aws:iam::"+memberID+":user/admin")
	s := start(t, org)
	c := s.IAMClient(caller.Credentials())
	alice := org.Account(memberID).User("alice")

	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ALICE")}) // names are case-insensitive
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.User.UserId) != alice.UserID || aws.ToString(got.User.Arn) != "arn:aws:iam::"+memberID+":user/alice" ||
		!got.User.CreateDate.Equal(alice.CreateDate) || !got.User.PasswordLastUsed.Equal(*alice.PasswordLastUsed) {
		t.Errorf("GetUser = %+v", got.User)
	}
	if got.User.PermissionsBoundary == nil || len(got.User.Tags) != 1 {
		t.Errorf("GetUser must return boundary and tags: %+v %+v", got.User.PermissionsBoundary, got.User.Tags)
	}
	lu, err := c.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range lu.Users {
		if u.PermissionsBoundary != nil || len(u.Tags) > 0 {
			t.Errorf("ListUsers does not return boundaries or tags, got them for %s", aws.ToString(u.UserName))
		}
		if aws.ToString(u.UserName) == "carol" && u.PasswordLastUsed != nil {
			t.Errorf("carol never used her password, ListUsers returned %v", u.PasswordLastUsed)
		}
	}
	if lp, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/eng/")}); err != nil || len(lp.Users) != 1 {
		t.Errorf("ListUsers /eng/: %v %v", lp, err)
	}

	used, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(alice.AccessKeys[0].ID)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(used.UserName) != "alice" || aws.ToString(used.AccessKeyLastUsed.Region) != "us-east-1" ||
		aws.ToString(used.AccessKeyLastUsed.ServiceName) != "s3" || !used.AccessKeyLastUsed.LastUsedDate.Equal(*alice.AccessKeys[0].LastUsedDate) {
		t.Errorf("GetAccessKeyLastUsed = %+v", used.AccessKeyLastUsed)
	}
	never, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(alice.AccessKeys[1].ID)})
	if err != nil {
		t.Fatal(err)
	}
	if never.AccessKeyLastUsed.LastUsedDate != nil || aws.ToString(never.AccessKeyLastUsed.ServiceName) != "N/A" || aws.ToString(never.AccessKeyLastUsed.Region) != "N/A" {
		t.Errorf("key used before tracking: %+v, want no date and N/A", never.AccessKeyLastUsed)
	}

	pol, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("nope")})
	if errorCode(err) != "NoSuchEntity" {
		t.Errorf("GetUserPolicy of a missing policy: %v %v", pol, err)
	}
	lp, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("alice")})
	if err != nil || !lp.LoginProfile.CreateDate.Equal(alice.LoginProfile.CreateDate) {
		t.Errorf("GetLoginProfile: %+v %v", lp, err)
	}
	_, err = c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("bob")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) || httpStatus(err) != 404 {
		t.Errorf("GetLoginProfile without a password: %v", err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{})
	if errorCode(err) != "ValidationError" {
		t.Errorf("GetUser without UserName as a non-user caller: %v, want ValidationError", err)
	}
	if s.MutatingCalls() != 0 {
		t.Errorf("reads made %d mutating calls", s.MutatingCalls())
	}
}

// TestSignedWithUserKey checks a request signed with a user's own key acts
// as that user, records the key's use, and fails once the key is inactive.
func TestSignedWithUserKey(t *testing.T) {
	ctx := context.Background()
	clock := newClock(date("2026-06-01T10:00:00Z"))
	org := NewOrg(mgmtID)
	u := org.Account(mgmtID).AddUser("bot")
	k := u.AddAccessKey()
	s := start(t, org, WithClock(clock.Now))
	c := s.IAMClient(k.Credentials())
	got, err := c.GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(got.User.UserName) != "bot" {
		t.Fatalf("GetUser as the user: %+v %v", got, err)
	}
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil || len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("ListAccessKeys as the user: %+v %v", keys, err)
	}
	var last *time.Time
	var service string
	s.Do(func(*Org) { last, service = k.LastUsedDate, k.LastUsedService })
	if last == nil || !last.Equal(clock.Now()) || service != "iam" {
		t.Errorf("key last used = %v %q, want now and iam", last, service)
	}
	id, err := s.STSClient(k.Credentials()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.UserId) != u.UserID || aws.ToString(id.Arn) != "arn:aws:iam::"+mgmtID+":user/bot" {
		t.Errorf("GetCallerIdentity: %+v %v", id, err)
	}

	admin := s.IAMClient(org.CallerCredentials())
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bot"), AccessKeyId: aws.String(k.ID), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{})
	if errorCode(err) != "InvalidClientTokenId" || httpStatus(err) != 403 {
		t.Errorf("request with an inactive key: %v, want InvalidClientTokenId 403", err)
	}
}
