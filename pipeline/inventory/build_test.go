package inventory

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

func parseReport(t *testing.T, name string) *CredentialReport {
	t.Helper()
	rep, err := ParseCredentialReport(name, readFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func usersByName(users []tables.User) map[string]tables.User {
	m := map[string]tables.User{}
	for _, u := range users {
		m[u.AccountID+"/"+u.UserName] = u
	}
	return m
}

func TestBuildFixtures(t *testing.T) {
	rep := parseReport(t, reportJSONFixture)
	det := loadPages(t, detailsFixture)[0]
	users, policies, err := Build([]*CredentialReport{rep}, []*AuthorizationDetails{det})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, u := range users {
		order = append(order, u.UserName)
	}
	// Sorted by name; dave is only in the report, frank only in the details.
	want := []string{"<root_account>", "alice", "bob", "carol", "ci-deployer", "dave", "eve+ops@example.com", "frank", "svc,reporting"}
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("users %q, want %q", order, want)
	}
	by := usersByName(users)
	generated := ts("2026-11-01T06:00:00Z")
	for _, u := range users {
		if u.AccountID != "111111111111" || !u.ReportGeneratedAt.Equal(generated) {
			t.Errorf("%s: account %q report generated %v", u.UserName, u.AccountID, u.ReportGeneratedAt)
		}
	}

	alice := by["111111111111/alice"]
	if !alice.InCredentialReport || !alice.InAuthorizationDetails || alice.UserID != "AIDAUJZDEGXDNCF32EPF3" ||
		!reflect.DeepEqual(alice.Groups, []string{"Admins"}) || !reflect.DeepEqual(alice.InlinePolicies, []string{"AllowManageOwnMFA"}) ||
		len(alice.Tags) != 2 || alice.Source != reportJSONFixture || alice.PasswordState != tables.PasswordUsed || !alice.Key1Active {
		t.Errorf("alice = %+v", alice)
	}
	// bob's path changed to /legacy/ after the report: joined by name, ARN and path from the details.
	bob := by["111111111111/bob"]
	if !bob.InAuthorizationDetails || bob.UserID != "AIDADHODZDOCIS2JHTLGM" || bob.ARN != "arn:aws:iam::111111111111:user/legacy/bob" ||
		bob.Path != "/legacy/" || bob.PasswordState != tables.PasswordNoInformation {
		t.Errorf("bob = %+v", bob)
	}
	carol := by["111111111111/carol"]
	if carol.PermissionsBoundary != "arn:aws:iam::111111111111:policy/boundaries/DeveloperBoundary" || carol.PasswordState != tables.PasswordNever {
		t.Errorf("carol = %+v", carol)
	}
	ci := by["111111111111/ci-deployer"]
	if ci.Path != "/automation/" || ci.UserID != "AIDA7V4SEH2KVJ72CEUVW" ||
		!reflect.DeepEqual(ci.AttachedPolicies, []string{"arn:aws:iam::111111111111:policy/ReadOnlyReports"}) ||
		!reflect.DeepEqual(ci.Tags, []tables.Tag{{Key: "owner", Value: "ci@example.com"}, {Key: "dormant:exempt", Value: "true"}}) {
		t.Errorf("ci-deployer = %+v", ci)
	}
	dave := by["111111111111/dave"]
	if !dave.InCredentialReport || dave.InAuthorizationDetails || dave.UserID != "" || dave.Path != "/" ||
		dave.PasswordState != tables.PasswordNotSupported || !dave.CreateDate.Equal(ts("2024-07-22T08:15:00Z")) {
		t.Errorf("dave = %+v", dave)
	}
	frank := by["111111111111/frank"]
	if frank.InCredentialReport || !frank.InAuthorizationDetails || frank.UserID != "AIDAR2WYOJFLJOOA7LQSA" ||
		frank.ARN != "arn:aws:iam::111111111111:user/frank" || frank.PasswordState != "" || frank.Source != detailsFixture ||
		!frank.CreateDate.Equal(ts("2026-11-01T09:12:44Z")) {
		t.Errorf("frank = %+v", frank)
	}
	root := by["111111111111/<root_account>"]
	if !root.IsRoot || root.InAuthorizationDetails {
		t.Errorf("root = %+v", root)
	}
	if u := by["111111111111/svc,reporting"]; !u.InAuthorizationDetails || u.UserID != "AIDA75EFR6EDT4SYWB5WK" {
		t.Errorf("svc,reporting = %+v", u)
	}

	kinds := map[string]int{}
	for _, p := range policies {
		kinds[p.Kind]++
		if p.AccountID != "111111111111" || strings.Contains(p.OwnerARN, ":iam::aws:") || !strings.HasPrefix(p.Document, "{") {
			t.Errorf("policy %+v", p)
		}
	}
	wantKinds := map[string]int{PolicyRoleTrust: 3, PolicyRoleInline: 1, PolicyGroupInline: 1, PolicyUserInline: 1, PolicyManaged: 3}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("policy kinds %v, want %v", kinds, wantKinds)
	}
	var trust, v1, v2 *tables.Policy
	for i, p := range policies {
		switch {
		case p.Kind == PolicyRoleTrust && p.OwnerARN == "arn:aws:iam::111111111111:role/deploy":
			trust = &policies[i]
		case p.Kind == PolicyManaged && p.Name == "ReadOnlyReports" && p.VersionID == "v1":
			v1 = &policies[i]
		case p.Kind == PolicyManaged && p.Name == "ReadOnlyReports" && p.VersionID == "v2":
			v2 = &policies[i]
		}
	}
	if trust == nil || !strings.Contains(trust.Document, `"AWS":"arn:aws:iam::111111111111:user/automation/ci-deployer"`) {
		t.Errorf("deploy trust policy = %+v", trust)
	}
	if v1 == nil || v1.IsDefault || !strings.Contains(v1.Document, `"Sid":"ReadReports"`) || v2 == nil || !v2.IsDefault {
		t.Errorf("ReadOnlyReports versions: v1 %+v v2 %+v", v1, v2)
	}
}

func TestBuildMergeRules(t *testing.T) {
	gen := ts("2026-11-01T00:00:00Z")
	report := func(name, account string, users ...tables.User) *CredentialReport {
		for i := range users {
			users[i].AccountID, users[i].InCredentialReport = account, true
		}
		return &CredentialReport{Name: name, AccountID: account, GeneratedAt: gen, Users: users}
	}
	details := func(name, account string, truncated bool, users ...UserDetail) *AuthorizationDetails {
		return &AuthorizationDetails{Name: name, AccountID: account, Users: users, IsTruncated: truncated}
	}
	const a1, a2 = "111111111111", "222222222222"
	arn := func(acct, p string) string { return "arn:aws:iam::" + acct + ":user" + p }
	rowX := tables.User{UserName: "x", ARN: arn(a1, "/team/x"), Path: "/team/", CreateDate: ts("2020-01-01T00:00:00Z"), PasswordState: tables.PasswordNA}
	detX := UserDetail{UserName: "x", UserId: "AIDAXXXXXXXXXXXXXXXXX", Arn: arn(a1, "/team/x"), Path: "/team/", CreateDate: ts("2020-01-01T00:00:01Z"),
		GroupList: []string{"g"}, UserPolicyList: []PolicyDetail{{PolicyName: "p", PolicyDocument: `{}`}}}

	tests := []struct {
		name    string
		reports []*CredentialReport
		details []*AuthorizationDetails
		wantErr []string
		check   func(t *testing.T, users []tables.User)
	}{
		{name: "exact ARN with path", reports: []*CredentialReport{report("r", a1, rowX)}, details: []*AuthorizationDetails{details("d", a1, false, detX)},
			check: func(t *testing.T, users []tables.User) {
				u := users[0]
				if len(users) != 1 || u.UserID != detX.UserId || !u.InCredentialReport || !u.InAuthorizationDetails ||
					!u.CreateDate.Equal(detX.CreateDate) || !reflect.DeepEqual(u.InlinePolicies, []string{"p"}) || u.Source != "r" {
					t.Errorf("users = %+v", users)
				}
			}},
		{name: "report only", reports: []*CredentialReport{report("r", a1, rowX)},
			check: func(t *testing.T, users []tables.User) {
				u := users[0]
				if len(users) != 1 || u.UserID != "" || u.InAuthorizationDetails || u.Path != "/team/" || !u.ReportGeneratedAt.Equal(gen) {
					t.Errorf("users = %+v", users)
				}
			}},
		{name: "details only", details: []*AuthorizationDetails{details("d", a1, false, detX)},
			check: func(t *testing.T, users []tables.User) {
				u := users[0]
				if len(users) != 1 || u.InCredentialReport || !u.InAuthorizationDetails || u.AccountID != a1 || u.Path != "/team/" ||
					u.Source != "d" || !u.ReportGeneratedAt.IsZero() || u.PasswordState != "" {
					t.Errorf("users = %+v", users)
				}
			}},
		{name: "same name in another account does not join", reports: []*CredentialReport{report("r", a1, rowX)},
			details: []*AuthorizationDetails{details("d", a2, false, UserDetail{UserName: "x", UserId: "AIDAYYYYYYYYYYYYYYYYY", Arn: arn(a2, "/x"), Path: "/"})},
			check: func(t *testing.T, users []tables.User) {
				if len(users) != 2 || users[0].AccountID != a1 || users[0].UserID != "" || users[1].AccountID != a2 || users[1].InCredentialReport {
					t.Errorf("users = %+v", users)
				}
			}},
		{name: "name fallback when the path changed", reports: []*CredentialReport{report("r", a1, rowX)},
			details: []*AuthorizationDetails{details("d", a1, false, UserDetail{UserName: "x", UserId: "AIDAZZZZZZZZZZZZZZZZZ", Arn: arn(a1, "/moved/x"), Path: "/moved/"})},
			check: func(t *testing.T, users []tables.User) {
				u := users[0]
				// The details carry no CreateDate here: the report's is kept.
				if len(users) != 1 || u.ARN != arn(a1, "/moved/x") || u.Path != "/moved/" || !u.CreateDate.Equal(rowX.CreateDate) || !u.InCredentialReport {
					t.Errorf("users = %+v", users)
				}
			}},
		{name: "root never joins", reports: []*CredentialReport{report("r", a1, tables.User{UserName: tables.RootUserName, ARN: "arn:aws:iam::" + a1 + ":root", IsRoot: true})},
			details: []*AuthorizationDetails{details("d", a1, false, UserDetail{UserName: tables.RootUserName, UserId: "AIDAQQQQQQQQQQQQQQQQQ", Arn: arn(a1, "/<root_account>"), Path: "/"})},
			check: func(t *testing.T, users []tables.User) {
				if len(users) != 2 || !users[0].IsRoot || users[0].InAuthorizationDetails || users[1].IsRoot || users[1].InCredentialReport {
					t.Errorf("users = %+v", users)
				}
			}},
		{name: "overlapping pages keep one", reports: []*CredentialReport{report("r", a1, rowX)},
			details: []*AuthorizationDetails{details("p1", a1, true, detX), details("p2", a1, false, detX)},
			check: func(t *testing.T, users []tables.User) {
				if len(users) != 1 || !users[0].InAuthorizationDetails {
					t.Errorf("users = %+v", users)
				}
			}},
		{name: "accounts sorted, then names", reports: []*CredentialReport{
			report("r2", a2, tables.User{UserName: "b", ARN: arn(a2, "/b")}, tables.User{UserName: "a", ARN: arn(a2, "/a")}),
			report("r1", a1, tables.User{UserName: "z", ARN: arn(a1, "/z")})},
			check: func(t *testing.T, users []tables.User) {
				var got []string
				for _, u := range users {
					got = append(got, u.AccountID+"/"+u.UserName)
				}
				if want := []string{a1 + "/z", a2 + "/a", a2 + "/b"}; !reflect.DeepEqual(got, want) {
					t.Errorf("order %v, want %v", got, want)
				}
			}},
		{name: "details without account add nothing", details: []*AuthorizationDetails{details("empty", "", false), nil},
			check: func(t *testing.T, users []tables.User) {
				if len(users) != 0 {
					t.Errorf("users = %+v", users)
				}
			}},
		{name: "two reports for one account", reports: []*CredentialReport{report("first.csv", a1), report("second.json", a1)},
			wantErr: []string{"first.csv", "second.json", "account 111111111111", "one report per account"}},
		{name: "report without account", reports: []*CredentialReport{{Name: "hand-made"}},
			wantErr: []string{"hand-made", "no account ID"}},
		{name: "truncated details", details: []*AuthorizationDetails{details("page-1.json", a1, true, detX)},
			wantErr: []string{"account 111111111111", "page-1.json", "incomplete", "without --max-items"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, _, err := Build(tt.reports, tt.details)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				if !strings.HasPrefix(err.Error(), "building inventory: ") {
					t.Errorf("error %q lacks the gerund prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, users)
		})
	}
}

// Build must not alias the inputs' slices: later edits to a row must not
// change the parsed details (the live source reuses them).
func TestBuildDoesNotAlias(t *testing.T) {
	det := loadPages(t, detailsFixture)[0]
	users, _, err := Build(nil, []*AuthorizationDetails{det})
	if err != nil {
		t.Fatal(err)
	}
	for i := range users {
		for j := range users[i].Groups {
			users[i].Groups[j] = "changed"
		}
		for j := range users[i].Tags {
			users[i].Tags[j].Value = "changed"
		}
	}
	if det.Users[0].GroupList[0] != "Admins" || det.Users[0].Tags[0].Value != "platform" {
		t.Errorf("Build aliased the details' slices")
	}
}
