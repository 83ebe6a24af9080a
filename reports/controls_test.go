package reports

import (
	"strconv"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

func TestControlResult(t *testing.T) {
	day := 24 * time.Hour
	ago := func(d int) time.Time { return asOf.Add(-time.Duration(d) * day) }
	for _, tc := range []struct {
		name    string
		edit    func(f *tables.Finding)
		iam22   string
		iam8    string
		longest string // "" when unknown or no credential
	}{
		{"no credentials", func(f *tables.Finding) {}, ControlPass, ControlPass, ""},
		{"password used 44 days ago", func(f *tables.Finding) {
			f.PasswordEnabled, f.PasswordLastUsed = true, ago(44)
		}, ControlPass, ControlPass, "44"},
		{"password used exactly 45 days ago", func(f *tables.Finding) {
			f.PasswordEnabled, f.PasswordLastUsed = true, ago(45)
		}, ControlFail, ControlPass, "45"},
		{"password used 89 days ago", func(f *tables.Finding) {
			f.PasswordEnabled, f.PasswordLastUsed = true, ago(89)
		}, ControlFail, ControlPass, "89"},
		{"password used exactly 90 days ago", func(f *tables.Finding) {
			f.PasswordEnabled, f.PasswordLastUsed = true, ago(90)
		}, ControlFail, ControlFail, "90"},
		{"password never used, user created 50 days ago", func(f *tables.Finding) {
			f.PasswordEnabled, f.CreateDate = true, ago(50)
		}, ControlFail, ControlPass, "50"},
		{"password disabled but last used long ago", func(f *tables.Finding) {
			f.PasswordLastUsed = ago(400)
		}, ControlPass, ControlPass, ""},
		{"inactive key unused for years", func(f *tables.Finding) {
			f.Key1LastRotated, f.Key1LastUsed = ago(1000), ago(900)
		}, ControlPass, ControlPass, ""},
		{"active key never used, created 100 days ago", func(f *tables.Finding) {
			f.Key2Active, f.Key2LastRotated = true, ago(100)
		}, ControlFail, ControlFail, "100"},
		{"active key used yesterday, other active key unused 60 days", func(f *tables.Finding) {
			f.Key1Active, f.Key1LastRotated, f.Key1LastUsed = true, ago(500), ago(1)
			f.Key2Active, f.Key2LastRotated, f.Key2LastUsed = true, ago(500), ago(60)
		}, ControlFail, ControlPass, "60"},
		{"active key with no dates", func(f *tables.Finding) {
			f.Key1Active = true
		}, ControlUnknown, ControlUnknown, ""},
		{"undatable key does not hide a failing password", func(f *tables.Finding) {
			f.Key1Active = true
			f.PasswordEnabled, f.PasswordLastUsed = true, ago(200)
		}, ControlFail, ControlFail, ""},
		{"used after as-of counts as zero days", func(f *tables.Finding) {
			f.PasswordEnabled, f.PasswordLastUsed = true, asOf.Add(time.Hour)
		}, ControlPass, ControlPass, "0"},
		{"no credential report row: not assessed, never pass", func(f *tables.Finding) {
			f.InCredentialReport = false
		}, ControlNotAssessed, ControlNotAssessed, ""},
		{"no credential report row hides a stale password: not assessed", func(f *tables.Finding) {
			f.InCredentialReport = false
			f.PasswordEnabled, f.PasswordLastUsed = true, ago(400)
		}, ControlNotAssessed, ControlNotAssessed, ""},
		{"root", func(f *tables.Finding) {
			f.UserName, f.Status = tables.RootUserName, tables.StatusRoot
			f.PasswordEnabled, f.PasswordLastUsed = true, ago(400)
		}, ControlNA, ControlNA, "400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tables.Finding{AccountID: "111111111111", UserName: "u", CreateDate: ago(3000), InCredentialReport: true}
			tc.edit(&f)
			if got := ControlResult(&f, asOf, 45); got != tc.iam22 {
				t.Errorf("IAM.22 = %s, want %s", got, tc.iam22)
			}
			if got := ControlResult(&f, asOf, 90); got != tc.iam8 {
				t.Errorf("IAM.8 = %s, want %s", got, tc.iam8)
			}
			longest := ""
			if d, ok := longestUnused(&f, asOf); ok {
				longest = strconv.FormatInt(d, 10)
			}
			if longest != tc.longest {
				t.Errorf("longest unused = %q, want %q", longest, tc.longest)
			}
		})
	}
}

func TestKeyControlResult(t *testing.T) {
	f := tables.Finding{
		Key1Active: true, Key1LastRotated: asOf.AddDate(0, 0, -200), Key1LastUsed: asOf.AddDate(0, 0, -50),
		Key2Active: true, Key2LastRotated: asOf.AddDate(0, 0, -20),
	}
	if got := KeyControlResult(&f, 1, asOf, 45); got != ControlFail {
		t.Errorf("key 1, used 50 days ago, IAM.22 = %s", got)
	}
	if got := KeyControlResult(&f, 1, asOf, 90); got != ControlPass {
		t.Errorf("key 1, used 50 days ago, IAM.8 = %s", got)
	}
	if got := KeyControlResult(&f, 2, asOf, 45); got != ControlPass {
		t.Errorf("key 2, never used, created 20 days ago, IAM.22 = %s", got)
	}
}
