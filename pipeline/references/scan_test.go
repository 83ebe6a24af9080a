package references

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

func user(account, path, name, id string) tables.User {
	return tables.User{
		AccountID: account,
		UserName:  name,
		UserID:    id,
		ARN:       "arn:aws:iam::" + account + ":user" + path + name,
		Path:      path,
	}
}

// testUsers has names that are prefixes of others (alice, alice2,
// alice-admin), a user under a path, a user in a second account and a root row.
var testUsers = []tables.User{
	user(acctA, "/", "alice", "AIDAALICEEXAMPLE00001"),
	user(acctA, "/", "alice2", "AIDAALICE2EXAMPLE0002"),
	user(acctA, "/", "alice-admin", "AIDAALICEADMINEXAMPL3"),
	user(acctA, "/division/", "dave", "AIDADAVEEXAMPLE000004"),
	user(acctB, "/", "bob", "AIDABOBEXAMPLE0000005"),
	{AccountID: acctA, UserName: tables.RootUserName, ARN: "arn:aws:iam::" + acctA + ":root", IsRoot: true},
}

func arnOf(account, rest string) string { return "arn:aws:iam::" + account + ":" + rest }

var (
	aliceARN = arnOf(acctA, "user/alice")
	bobARN   = arnOf(acctB, "user/bob")
	daveARN  = arnOf(acctA, "user/division/dave")
	roleA    = arnOf(acctA, "role/app")
	roleB    = arnOf(acctB, "role/partner")
	groupA   = arnOf(acctA, "group/ops")
	policyA  = arnOf(acctA, "policy/shared")
)

func trust(account, role, doc string) tables.Policy {
	return tables.Policy{AccountID: account, Kind: "role_trust", OwnerARN: role, Document: doc}
}

func inline(kind, account, owner, name, doc string) tables.Policy {
	return tables.Policy{AccountID: account, Kind: kind, OwnerARN: owner, Name: name, Document: doc}
}

func managed(account, arn, version string, isDefault bool, doc string) tables.Policy {
	return tables.Policy{AccountID: account, Kind: "managed", OwnerARN: arn, Name: "shared", VersionID: version, IsDefault: isDefault, Document: doc}
}

// stmt wraps statement bodies into a policy document.
func stmt(bodies ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(bodies, ",") + `]}`
}

// ref is the part of a reference each case states: who, where, which text.
type ref struct {
	user, kind, resource, location, match string
}

func (r ref) String() string {
	return fmt.Sprintf("%s | %s | %s | %s | %s", r.user, r.kind, r.resource, r.location, r.match)
}

func TestScan(t *testing.T) {
	tests := []struct {
		name     string
		policies []tables.Policy
		want     []ref
	}{
		{
			name:     "trust policy principal as a string ARN",
			policies: []tables.Policy{trust(acctA, roleA, stmt(`{"Effect":"Allow","Principal":{"AWS":"`+aliceARN+`"},"Action":"sts:AssumeRole"}`))},
			want:     []ref{{"alice", KindRoleTrust, roleA, "Principal (statement 1)", aliceARN}},
		},
		{
			name: "trust policy in another account names a user by ARN in a list",
			policies: []tables.Policy{trust(acctB, roleB, stmt(
				`{"Sid":"Partners","Effect":"Allow","Principal":{"AWS":["`+aliceARN+`","`+bobARN+`"]},"Action":"sts:AssumeRole"}`))},
			want: []ref{
				{"alice", KindRoleTrust, roleB, "Principal (Sid Partners)", aliceARN},
				{"bob", KindRoleTrust, roleB, "Principal (Sid Partners)", bobARN},
			},
		},
		{
			name:     "trust policy principal by unique ID",
			policies: []tables.Policy{trust(acctA, roleA, stmt(`{"Effect":"Allow","Principal":{"AWS":"AIDAALICEEXAMPLE00001"},"Action":"sts:AssumeRole"}`))},
			want:     []ref{{"alice", KindRoleTrust, roleA, "Principal (statement 1)", "AIDAALICEEXAMPLE00001"}},
		},
		{
			name: "statement as a single object and principal as a single-string list",
			policies: []tables.Policy{trust(acctA, roleA,
				`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["`+daveARN+`"]},"Action":["sts:AssumeRole","sts:TagSession"]}}`)},
			want: []ref{{"dave", KindRoleTrust, roleA, "Principal (statement 1)", daveARN}},
		},
		{
			name: "everyone, accounts, services and federation name no user",
			policies: []tables.Policy{trust(acctA, roleA, stmt(
				`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`,
				`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`,
				`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","111111111111","222222222222"]},"Action":"sts:AssumeRole"}`,
				`{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}`,
				`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:saml-provider/alice"},"Action":"sts:AssumeRoleWithSAML"}`,
				`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/app/alice"},"Action":"sts:AssumeRole"}`,
				`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:federated-user/alice"},"Action":"sts:AssumeRole"}`))},
		},
		{
			name: "NotPrincipal",
			policies: []tables.Policy{trust(acctA, roleA, stmt(
				`{"Effect":"Deny","NotPrincipal":{"AWS":["`+aliceARN+`","arn:aws:iam::111111111111:root"]},"Action":"sts:AssumeRole"}`))},
			want: []ref{{"alice", KindRoleTrust, roleA, "NotPrincipal (statement 1)", aliceARN}},
		},
		{
			name: "Resource and NotResource in a role inline policy",
			policies: []tables.Policy{inline("role_inline", acctA, roleA, "rotate-keys", stmt(
				`{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"`+aliceARN+`"}`,
				`{"Effect":"Deny","Action":"iam:*","NotResource":["`+daveARN+`","arn:aws:s3:::bucket/*"]}`))},
			want: []ref{
				{"alice", KindRoleInline, roleA, "Resource (policy rotate-keys, statement 1)", aliceARN},
				{"dave", KindRoleInline, roleA, "NotResource (policy rotate-keys, statement 2)", daveARN},
			},
		},
		{
			name: "a longer name with the user's name as a prefix does not match",
			policies: []tables.Policy{inline("role_inline", acctA, roleA, "p", stmt(
				`{"Effect":"Allow","Action":"iam:GetUser","Resource":["arn:aws:iam::111111111111:user/alice-admin","arn:aws:iam::111111111111:user/alice2"]}`))},
			want: []ref{
				{"alice-admin", KindRoleInline, roleA, "Resource (policy p, statement 1)", arnOf(acctA, "user/alice-admin")},
				{"alice2", KindRoleInline, roleA, "Resource (policy p, statement 1)", arnOf(acctA, "user/alice2")},
			},
		},
		{
			name: "ARNs compare case-sensitively, and a pathless ARN does not name a user under a path",
			policies: []tables.Policy{inline("role_inline", acctA, roleA, "p", stmt(
				`{"Effect":"Allow","Action":"iam:GetUser","Resource":["arn:aws:iam::111111111111:user/Alice","arn:aws:iam::111111111111:user/dave","arn:aws:iam::111111111111:user/other/dave"]}`))},
		},
		{
			name: "account-wide user wildcard names every user of the account",
			policies: []tables.Policy{inline("group_inline", acctA, groupA, "helpdesk", stmt(
				`{"Effect":"Allow","Action":"iam:UpdateLoginProfile","Resource":"arn:aws:iam::111111111111:user/*"}`))},
			want: []ref{
				{"alice", KindGroupInline, groupA, "Resource (policy helpdesk, statement 1)", "arn:aws:iam::111111111111:user/*"},
				{"alice-admin", KindGroupInline, groupA, "Resource (policy helpdesk, statement 1)", "arn:aws:iam::111111111111:user/*"},
				{"alice2", KindGroupInline, groupA, "Resource (policy helpdesk, statement 1)", "arn:aws:iam::111111111111:user/*"},
				{"dave", KindGroupInline, groupA, "Resource (policy helpdesk, statement 1)", "arn:aws:iam::111111111111:user/*"},
			},
		},
		{
			name: "path wildcards: * spans '/', a path pattern only names users under it",
			policies: []tables.Policy{inline("role_inline", acctA, roleA, "p", stmt(
				`{"Effect":"Allow","Action":"iam:GetUser","Resource":["arn:aws:iam::111111111111:user/division/*","arn:aws:iam::111111111111:user/*/dave","arn:aws:iam::111111111111:user/*/alice"]}`))},
			want: []ref{
				{"dave", KindRoleInline, roleA, "Resource (policy p, statement 1)", "arn:aws:iam::111111111111:user/*/dave"},
				{"dave", KindRoleInline, roleA, "Resource (policy p, statement 1)", "arn:aws:iam::111111111111:user/division/*"},
			},
		},
		{
			name: "account wildcard names the user in every account, but only that name",
			policies: []tables.Policy{inline("role_inline", acctB, roleB, "p", stmt(
				`{"Effect":"Allow","Action":"iam:GetUser","Resource":["arn:aws:iam::*:user/alice","arn:*:iam::*:user/b?b"]}`))},
			want: []ref{
				{"alice", KindRoleInline, roleB, "Resource (policy p, statement 1)", "arn:aws:iam::*:user/alice"},
				{"bob", KindRoleInline, roleB, "Resource (policy p, statement 1)", "arn:*:iam::*:user/b?b"},
			},
		},
		{
			name: "? matches exactly one character, ${*} is a literal star",
			policies: []tables.Policy{inline("role_inline", acctA, roleA, "p", stmt(
				`{"Effect":"Allow","Action":"iam:GetUser","Resource":["arn:aws:iam::111111111111:user/alice?","arn:aws:iam::111111111111:user/alice${*}"]}`))},
			want: []ref{{"alice2", KindRoleInline, roleA, "Resource (policy p, statement 1)", "arn:aws:iam::111111111111:user/alice?"}},
		},
		{
			name: "values that name everything or nobody in particular",
			policies: []tables.Policy{inline("role_inline", acctA, roleA, "p", stmt(
				`{"Effect":"Allow","Action":"iam:*","Resource":["*","arn:aws:iam::111111111111:*","arn:aws:iam::*:*","arn:aws:iam::*","arn:aws:*:*:*:*","arn:*","arn:aws:iam::111111111111:user/${aws:username}","arn:aws:iam::111111111111:role/*"]}`,
				`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:username":["*","?*"]},"StringEquals":{"aws:username":"${aws:username}"}}}`))},
		},
		{
			name: "condition on aws:PrincipalArn: exact, ArnLike pattern, StringEquals keeps * literal",
			policies: []tables.Policy{trust(acctA, roleA, stmt(
				`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalArn":["`+daveARN+`","arn:aws:iam::111111111111:user/*"]}}}`,
				`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"ForAnyValue:ArnLikeIfExists":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/alice-*"}}}`))},
			want: []ref{
				{"alice-admin", KindRoleTrust, roleA, "Condition ForAnyValue:ArnLikeIfExists aws:PrincipalArn (statement 2)", "arn:aws:iam::111111111111:user/alice-*"},
				{"dave", KindRoleTrust, roleA, "Condition StringEquals aws:PrincipalArn (statement 1)", daveARN},
			},
		},
		{
			name: "condition on aws:username in the policy's account: exact, Like, IgnoreCase",
			policies: []tables.Policy{inline("role_inline", acctA, roleA, "p", stmt(
				`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice"}}}`,
				`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:UserName":["alice-*","alice"]}}}`,
				`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:username":"DAVE"}}}`,
				`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice-*"}}}`))},
			want: []ref{
				{"alice", KindRoleInline, roleA, "Condition StringEquals aws:username (policy p, statement 1)", "alice"},
				{"alice", KindRoleInline, roleA, "Condition StringLike aws:UserName (policy p, statement 2)", "alice"},
				{"alice-admin", KindRoleInline, roleA, "Condition StringLike aws:UserName (policy p, statement 2)", "alice-*"},
				{"dave", KindRoleInline, roleA, "Condition StringEqualsIgnoreCase aws:username (policy p, statement 3)", "DAVE"},
			},
		},
		{
			name: "aws:username in another account's policy names nobody there",
			policies: []tables.Policy{inline("role_inline", acctB, roleB, "p", stmt(
				`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":["alice","bob"]}}}`))},
			want: []ref{{"bob", KindRoleInline, roleB, "Condition StringEquals aws:username (policy p, statement 1)", "bob"}},
		},
		{
			name: "condition on aws:userid, numbers and booleans beside it",
			policies: []tables.Policy{managed(acctA, policyA, "v3", true, stmt(
				`{"Sid":"OnlyAlice","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:userid":["AIDAALICEEXAMPLE00001","AROAROLEEXAMPLE000009:*"]},"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":10}}}`))},
			want: []ref{{"alice", KindManaged, policyA, "Condition StringNotEquals aws:userid (v3, Sid OnlyAlice)", "AIDAALICEEXAMPLE00001"}},
		},
		{
			name: "managed policy: the default version counts, other versions do not",
			policies: []tables.Policy{
				managed(acctA, policyA, "v1", false, stmt(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"`+daveARN+`"}`)),
				managed(acctA, policyA, "v2", true, stmt(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"`+aliceARN+`"}`)),
			},
			want: []ref{{"alice", KindManaged, policyA, "Resource (v2, statement 1)", aliceARN}},
		},
		{
			name: "a user's own inline policy is no reference to it, but one naming another user is",
			policies: []tables.Policy{inline("user_inline", acctA, aliceARN, "self-service", stmt(
				`{"Effect":"Allow","Action":["iam:ChangePassword","iam:CreateAccessKey"],"Resource":"`+aliceARN+`"}`,
				`{"Effect":"Allow","Action":"iam:GetUser","Resource":["arn:aws:iam::*:user/${aws:username}","arn:aws:iam::111111111111:user/alice*"]}`,
				`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:userid":"AIDAALICEEXAMPLE00001"}}}`,
				`{"Effect":"Allow","Action":"iam:GetUser","Resource":"`+bobARN+`"}`))},
			want: []ref{
				{"alice-admin", KindUserInline, aliceARN, "Resource (policy self-service, statement 2)", "arn:aws:iam::111111111111:user/alice*"},
				{"alice2", KindUserInline, aliceARN, "Resource (policy self-service, statement 2)", "arn:aws:iam::111111111111:user/alice*"},
				{"bob", KindUserInline, aliceARN, "Resource (policy self-service, statement 4)", bobARN},
			},
		},
		{
			name: "group inline policy naming a member counts",
			policies: []tables.Policy{inline("group_inline", acctA, groupA, "members", stmt(
				`{"Effect":"Allow","Action":"iam:GetUser","Resource":"`+aliceARN+`"}`))},
			want: []ref{{"alice", KindGroupInline, groupA, "Resource (policy members, statement 1)", aliceARN}},
		},
		{
			name: "the same value twice in one place is one reference",
			policies: []tables.Policy{trust(acctA, roleA, stmt(
				`{"Effect":"Allow","Principal":{"AWS":["`+aliceARN+`","`+aliceARN+`"]},"Action":"sts:AssumeRole"}`))},
			want: []ref{{"alice", KindRoleTrust, roleA, "Principal (statement 1)", aliceARN}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, err := Scan(testUsers, tt.policies)
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			var got []ref
			for _, r := range refs {
				got = append(got, ref{r.UserName, r.Kind, r.ResourceARN, r.Location, r.Match})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("references:\n got: %s\nwant: %s", join(got), join(tt.want))
			}
		})
	}
}

func join(refs []ref) string {
	if len(refs) == 0 {
		return "(none)"
	}
	var b strings.Builder
	for _, r := range refs {
		b.WriteString("\n  " + r.String())
	}
	return b.String()
}

// TestScanReferenceRows checks the identity columns: the named user's account
// even when the policy is in another account, and IAM's empty region.
func TestScanReferenceRows(t *testing.T) {
	refs, err := Scan(testUsers, []tables.Policy{trust(acctB, roleB, stmt(
		`{"Effect":"Allow","Principal":{"AWS":"`+aliceARN+`"},"Action":"sts:AssumeRole"}`))})
	if err != nil {
		t.Fatal(err)
	}
	want := []tables.Reference{{
		AccountID: acctA, UserName: "alice", UserID: "AIDAALICEEXAMPLE00001", UserARN: aliceARN,
		Kind: KindRoleTrust, ResourceARN: roleB, Region: "", Location: "Principal (statement 1)", Match: aliceARN,
	}}
	if !slices.Equal(refs, want) {
		t.Errorf("got %+v\nwant %+v", refs, want)
	}
}

// TestScanOrder checks that output is sorted whatever the input order.
func TestScanOrder(t *testing.T) {
	policies := []tables.Policy{
		inline("role_inline", acctA, roleA, "z", stmt(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/*"}`)),
		trust(acctB, roleB, stmt(`{"Effect":"Allow","Principal":{"AWS":["`+bobARN+`","`+aliceARN+`"]},"Action":"sts:AssumeRole"}`)),
		inline("group_inline", acctA, groupA, "a", stmt(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"`+aliceARN+`"}`)),
	}
	first, err := Scan(testUsers, policies)
	if err != nil {
		t.Fatal(err)
	}
	reversed := slices.Clone(policies)
	slices.Reverse(reversed)
	users := slices.Clone(testUsers)
	slices.Reverse(users)
	second, err := Scan(users, reversed)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, second) {
		t.Errorf("order depends on input order:\n%+v\n%+v", first, second)
	}
	if !slices.IsSortedFunc(first, func(a, b tables.Reference) int {
		return strings.Compare(a.AccountID+"\x00"+a.UserName+"\x00"+a.Kind+"\x00"+a.ResourceARN+"\x00"+a.Location+"\x00"+a.Match,
			b.AccountID+"\x00"+b.UserName+"\x00"+b.Kind+"\x00"+b.ResourceARN+"\x00"+b.Location+"\x00"+b.Match)
	}) {
		t.Errorf("not sorted: %+v", first)
	}
	resorted := slices.Clone(first)
	slices.Reverse(resorted)
	SortReferences(resorted)
	if !slices.Equal(first, resorted) {
		t.Errorf("Scan's order differs from SortReferences':\n%+v\n%+v", first, resorted)
	}
	// Five users through the wildcard, alice and bob in the trust policy,
	// alice in the group policy.
	if len(first) != 8 {
		t.Errorf("got %d references, want 8: %+v", len(first), first)
	}
}

func TestScanErrors(t *testing.T) {
	good := stmt(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}`)
	tests := []struct {
		name     string
		users    []tables.User
		policies []tables.Policy
		want     []string // substrings of the error
	}{
		{
			name:     "invalid JSON in an inline policy",
			policies: []tables.Policy{inline("role_inline", acctA, roleA, "broken", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`)},
			want:     []string{`parsing role inline policy "broken" of ` + roleA, "unexpected end of JSON input"},
		},
		{
			name:     "invalid JSON in a non-default managed version",
			policies: []tables.Policy{managed(acctA, policyA, "v3", false, `{"Statement": [}`)},
			want:     []string{"parsing managed policy " + policyA + " version v3", "invalid character"},
		},
		{
			name:     "invalid trust policy",
			policies: []tables.Policy{trust(acctA, roleA, `not json`)},
			want:     []string{"parsing role trust policy of " + roleA},
		},
		{
			name:     "URL-encoded document",
			policies: []tables.Policy{trust(acctA, roleA, `%7B%22Version%22%3A%222012-10-17%22%7D`)},
			want:     []string{"parsing role trust policy of " + roleA, "URL-encoded"},
		},
		{
			name:     "empty document",
			policies: []tables.Policy{inline("user_inline", acctA, aliceARN, "empty", "  ")},
			want:     []string{`parsing user inline policy "empty" of ` + aliceARN, "empty"},
		},
		{
			name:     "no Statement",
			policies: []tables.Policy{inline("group_inline", acctA, groupA, "nostmt", `{"Version":"2012-10-17"}`)},
			want:     []string{`group inline policy "nostmt"`, "no Statement"},
		},
		{
			name:     "Resource of the wrong type",
			policies: []tables.Policy{inline("role_inline", acctA, roleA, "p", stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Effect":"Allow","Action":"s3:*","Resource":42}`))},
			want:     []string{"statement 2: Resource: must be a string or a list of strings"},
		},
		{
			name:     "Principal of the wrong type",
			policies: []tables.Policy{trust(acctA, roleA, stmt(`{"Effect":"Allow","Principal":{"AWS":[1]},"Action":"sts:AssumeRole"}`))},
			want:     []string{"statement 1: Principal: AWS: must be a string or a list of strings"},
		},
		{
			name:     "Condition of the wrong shape",
			policies: []tables.Policy{trust(acctA, roleA, stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":"x"}}`))},
			want:     []string{"statement 1: Condition: StringEquals must be an object of condition keys"},
		},
		{
			name:     "unknown kind",
			policies: []tables.Policy{{AccountID: acctA, Kind: "bucket", OwnerARN: "arn:aws:s3:::b", Name: "b", Document: good}},
			want:     []string{`unknown policy kind "bucket"`},
		},
		{
			name:     "no owner ARN",
			policies: []tables.Policy{{AccountID: acctA, Kind: "role_trust", Document: good}},
			want:     []string{"role trust policy in account 111111111111", "no owner ARN"},
		},
		{
			name:     "user without an IAM user ARN",
			users:    []tables.User{{AccountID: acctA, UserName: "x", ARN: "arn:aws:iam::111111111111:role/x"}},
			policies: []tables.Policy{trust(acctA, roleA, good)},
			want:     []string{`user "x" in account 111111111111`, "not an IAM user ARN"},
		},
		{
			name:     "user whose ARN names another account",
			users:    []tables.User{{AccountID: acctB, UserName: "x", ARN: "arn:aws:iam::111111111111:user/x"}},
			policies: []tables.Policy{trust(acctA, roleA, good)},
			want:     []string{`user "x" has account_id 222222222222`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := tt.users
			if users == nil {
				users = testUsers
			}
			_, err := Scan(users, tt.policies)
			if err == nil {
				t.Fatal("Scan succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestOrphans(t *testing.T) {
	policies := []tables.Policy{
		trust(acctA, roleA, stmt(
			`{"Effect":"Allow","Principal":{"AWS":["AIDAGONEEXAMPLE000001","AIDAALICEEXAMPLE00001","AROAGONEROLEEXAMPLE01"]},"Action":"sts:AssumeRole"}`)),
		trust(acctB, roleB, stmt(
			`{"Effect":"Deny","NotPrincipal":{"AWS":"AROAGONEROLEEXAMPLE02"},"Action":"sts:AssumeRole"}`)),
		inline("role_inline", acctA, roleA, "by-id", stmt(
			`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:userid":["AIDAGONEEXAMPLE000003","AROAUNKNOWNROLEXAMPL:*","AIDADAVEEXAMPLE000004"]}}}`)),
		managed(acctA, policyA, "v1", false, stmt(
			`{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:userid":"AIDAOLDVERSIONEXAMPL1"}}}`)),
		inline("role_inline", acctA, roleA, "broken", `{"Statement":[`),
		inline("role_inline", acctA, roleA, "words", stmt(
			`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::AIDAGONEEXAMPLE000009","Condition":{"StringEquals":{"aws:username":["AIDA","aidagoneexample000001"]}}}`)),
	}
	got := Orphans(testUsers, policies)
	want := []Orphan{
		{AccountID: acctA, Kind: KindManaged, ResourceARN: policyA, Location: "Condition StringEquals aws:userid (v1, statement 1)", UniqueID: "AIDAOLDVERSIONEXAMPL1"},
		{AccountID: acctA, Kind: KindRoleInline, ResourceARN: roleA, Location: "Condition StringLike aws:userid (policy by-id, statement 1)", UniqueID: "AIDAGONEEXAMPLE000003"},
		{AccountID: acctA, Kind: KindRoleTrust, ResourceARN: roleA, Location: "Principal (statement 1)", UniqueID: "AIDAGONEEXAMPLE000001"},
		{AccountID: acctA, Kind: KindRoleTrust, ResourceARN: roleA, Location: "Principal (statement 1)", UniqueID: "AROAGONEROLEEXAMPLE01"},
		{AccountID: acctB, Kind: KindRoleTrust, ResourceARN: roleB, Location: "NotPrincipal (statement 1)", UniqueID: "AROAGONEROLEEXAMPLE02"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("orphans:\n got: %+v\nwant: %+v", got, want)
	}
}

func TestPattern(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"user/*", "user/alice", true},
		{"user/*", "user/division/alice", true},
		{"user/*/alice", "user/alice", false},
		{"user/*/alice", "user/a/b/alice", true},
		{"user/alice", "user/alice2", false},
		{"user/alice*", "user/alice2", true},
		{"user/alice?", "user/alice", false},
		{"user/alice?", "user/alice2", true},
		{"user/a*e", "user/alice", true},
		{"user/a*e", "user/alicex", false},
		{"*a*b*c", "xxaxxbxxbxxc", true},
		{"*a*b*c", "xxaxxbxxbxxcd", false},
		{"", "", true},
		{"*", "", true},
		{"?", "", false},
	}
	for _, tt := range tests {
		p, ok := parseValue(tt.pattern, true)
		if !ok {
			t.Fatalf("parseValue(%q) failed", tt.pattern)
		}
		if got := p.match(tt.s); got != tt.want {
			t.Errorf("%q matching %q = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		v          string
		wild       bool
		ok         bool
		literal    string
		hasWild    bool
		onlyWildcs bool
	}{
		{"user/alice", true, true, "user/alice", false, false},
		{"user/*", true, true, "user/*", true, false},
		{"user/*", false, true, "user/*", false, false},
		{"user/${*}", true, true, "user/*", false, false},
		{"user/${?}${$}", true, true, "user/?$", false, false},
		{"user/${aws:username}", true, false, "", false, false},
		{"user/${aws:username, 'x'}", true, false, "", false, false},
		{"user/${unclosed", true, true, "user/${unclosed", false, false},
		{"*?*", true, true, "*?*", true, true},
	}
	for _, tt := range tests {
		p, ok := parseValue(tt.v, tt.wild)
		if ok != tt.ok {
			t.Errorf("parseValue(%q) ok = %v, want %v", tt.v, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if p.literal() != tt.literal || p.hasWildcard() != tt.hasWild || p.onlyWildcards() != tt.onlyWildcs {
			t.Errorf("parseValue(%q, %v) = %q wild=%v only=%v", tt.v, tt.wild, p.literal(), p.hasWildcard(), p.onlyWildcards())
		}
	}
}
