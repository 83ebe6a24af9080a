package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// addFixtureSeeds seeds a fuzz target with every fixture matching the globs.
func addFixtureSeeds(f *testing.F, globs ...string) {
	for _, g := range globs {
		names, err := filepath.Glob(filepath.Join("testdata", g))
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

func FuzzParseCredentialReport(f *testing.F) {
	addFixtureSeeds(f, "credential-report-*", "broken-*.csv")
	f.Add([]byte(`{"Content":"","ReportFormat":"text/csv","GeneratedTime":"2026-11-01T06:00:00Z"}`))
	f.Add(reportCSV(map[string]string{colUser: `"a,b"`, colARN: `"arn:aws:iam::111111111111:user/x/a,b"`}))
	f.Add([]byte("user,arn\n\"unterminated"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ParseCredentialReport("fuzz.csv", data)
		if err != nil {
			if rep != nil {
				t.Fatal("report returned with an error")
			}
			if !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// What parses must satisfy what later stages rely on.
		if !validAccountID(rep.AccountID) || len(rep.Users) == 0 {
			t.Fatalf("account %q with %d users", rep.AccountID, len(rep.Users))
		}
		names := map[string]bool{}
		for _, u := range rep.Users {
			if u.AccountID != rep.AccountID || u.UserName == "" || !u.InCredentialReport || names[u.ARN] {
				t.Fatalf("bad row %+v", u)
			}
			names[u.ARN] = true
			switch u.PasswordState {
			case tables.PasswordUsed, tables.PasswordNever, tables.PasswordNoInformation, tables.PasswordNotSupported, tables.PasswordNA:
			default:
				t.Fatalf("password state %q", u.PasswordState)
			}
			if (u.PasswordState == tables.PasswordUsed) == u.PasswordLastUsed.IsZero() {
				t.Fatalf("state %q with last used %v", u.PasswordState, u.PasswordLastUsed)
			}
			if u.IsRoot != (u.UserName == tables.RootUserName) || (!u.IsRoot && !strings.HasSuffix(u.ARN, "/"+u.UserName)) {
				t.Fatalf("identity %q %q root %v", u.UserName, u.ARN, u.IsRoot)
			}
		}
		if _, _, err := Build([]*CredentialReport{rep}, nil); err != nil {
			t.Fatalf("Build refused a parsed report: %v", err)
		}
	})
}

func FuzzParseAuthorizationDetails(f *testing.F) {
	addFixtureSeeds(f, "authorization-details-*")
	f.Add([]byte(`{"UserDetailList":[{"UserName":"bob","UserId":"AIDADHODZDOCIS2JHTLGM","Arn":"arn:aws:iam::111111111111:user/bob","CreateDate":1381775545,"UserPolicyList":[{"PolicyName":"p","PolicyDocument":"%7B%7D"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseAuthorizationDetails("fuzz.json", data)
		if err != nil {
			if d != nil {
				t.Fatal("details returned with an error")
			}
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if d.AccountID != "" && !validAccountID(d.AccountID) {
			t.Fatalf("account %q", d.AccountID)
		}
		if _, err := MergeAuthorizationDetails(d, d); err != nil {
			t.Fatalf("merging a page with itself: %v", err)
		}
		d.IsTruncated = false
		users, policies, err := Build(nil, []*AuthorizationDetails{d})
		if err != nil {
			t.Fatalf("Build refused parsed details: %v", err)
		}
		if d.AccountID != "" && len(users) > len(d.Users) {
			t.Fatalf("%d rows from %d users", len(users), len(d.Users))
		}
		for _, p := range policies {
			if !strings.HasPrefix(p.Document, "{") {
				t.Fatalf("policy document %q", p.Document)
			}
		}
	})
}
