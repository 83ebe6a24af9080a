package inventory

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// withoutColumns drops the named columns from a CSV built by reportCSV.
func withoutColumns(t *testing.T, csv []byte, drop ...string) []byte {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(csv), "\n"), "\n")
	header := strings.Split(lines[0], ",")
	var keep []int
	for i, h := range header {
		if !slices.Contains(drop, h) {
			keep = append(keep, i)
		}
	}
	var b bytes.Buffer
	for _, l := range lines {
		f := strings.Split(l, ",")
		var out []string
		for _, i := range keep {
			out = append(out, f[i])
		}
		b.WriteString(strings.Join(out, ",") + "\n")
	}
	return b.Bytes()
}

func hasGap(u tables.User, parts ...string) bool {
	for _, g := range u.InputGaps {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(g, p)
		}
		if ok {
			return true
		}
	}
	return false
}

var lastUsedColumns = []string{
	colKey1LastUsedDate, colKey1LastUsedRegion, colKey1LastUsedService,
	colKey2LastUsedDate, colKey2LastUsedRegion, colKey2LastUsedService,
}

// Item 4: a report without the six access_key_N_last_used_* columns must not
// make a key look never used: each existing key's last use is an input gap.
func TestMissingLastUsedColumnsAreGaps(t *testing.T) {
	csv := withoutColumns(t, reportCSV(
		map[string]string{colUser: "keys", colARN: "arn:aws:iam::111111111111:user/keys",
			colKey1Active: "true", colKey1LastRotated: "2021-01-01T00:00:00+00:00", colKey1LastUsedDate: "2026-10-01T00:00:00+00:00",
			colKey2Active: "false", colKey2LastRotated: "2021-02-01T00:00:00+00:00"},
		map[string]string{colUser: "nokeys", colARN: "arn:aws:iam::111111111111:user/nokeys"},
	), lastUsedColumns...)
	rep, err := ParseCredentialReport("cut.csv", csv)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.MissingColumns, lastUsedColumns) {
		t.Errorf("MissingColumns %v, want %v", rep.MissingColumns, lastUsedColumns)
	}
	by := usersByName(rep.Users)
	keys := by["111111111111/keys"]
	if !hasGap(keys, "cut.csv", "no column access_key_1_last_used_date", "access key 1 last use not assessed") ||
		!hasGap(keys, "cut.csv", "no column access_key_2_last_used_date", "access key 2 last use not assessed") {
		t.Errorf("keys: gaps %q, want key 1 and key 2 (an inactive key with a rotation date exists)", keys.InputGaps)
	}
	if nokeys := by["111111111111/nokeys"]; len(nokeys.InputGaps) != 0 {
		t.Errorf("nokeys has no key, so nothing is unknown; gaps %q", nokeys.InputGaps)
	}
	// The gaps survive the join, with the account's inputs stated.
	users, _, err := Build([]*CredentialReport{rep}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u := usersByName(users)["111111111111/keys"]; len(u.InputGaps) != 2 || !u.CredentialReportGiven || u.AuthorizationDetailsGiven {
		t.Errorf("after Build: %+v", u)
	}
}

// Without the rotation column an active key's creation is unknown too, and
// an inactive key may exist.
func TestMissingRotationColumnIsGap(t *testing.T) {
	csv := withoutColumns(t, reportCSV(
		map[string]string{colUser: "k", colARN: "arn:aws:iam::111111111111:user/k", colKey1Active: "true"},
	), colKey1LastRotated, colKey2LastRotated, colKey2LastUsedDate)
	rep, err := ParseCredentialReport("r.csv", csv)
	if err != nil {
		t.Fatal(err)
	}
	u := rep.Users[0]
	if !hasGap(u, "no column access_key_1_last_rotated", "access key 1 creation date") ||
		!hasGap(u, "no column access_key_2_last_used_date") || hasGap(u, "access_key_2_last_rotated") {
		t.Errorf("gaps %q", u.InputGaps)
	}
}

// The old (pre-2015) format is accepted, and its keys' last use is unknown.
func TestOldFormatKeysNotNeverUsed(t *testing.T) {
	rep := parseReport(t, "credential-report-222222222222-old-format.csv")
	heidi := usersByName(rep.Users)["222222222222/heidi"]
	if !hasGap(heidi, "access key 1 last use not assessed") || !hasGap(heidi, "access key 2 last use not assessed") {
		t.Errorf("heidi: gaps %q", heidi.InputGaps)
	}
}

// ReportNotBefore is the latest date in the report; the password rotation
// deadline is in the future by design and is not one.
func TestReportNotBefore(t *testing.T) {
	rep, err := ParseCredentialReport("r.csv", reportCSV(
		map[string]string{colUser: "a", colARN: "arn:aws:iam::111111111111:user/a", colPasswordEnabled: "true",
			colPasswordLastUsed: "2026-05-01T00:00:00+00:00", colPasswordLastChanged: "2026-01-01T00:00:00+00:00",
			colPasswordNextRotate: "2027-01-01T00:00:00+00:00"},
		map[string]string{colUser: "b", colARN: "arn:aws:iam::111111111111:user/b", colKey2Active: "true",
			colKey2LastRotated: "2025-01-01T00:00:00+00:00", colKey2LastUsedDate: "2026-06-30T12:00:00+00:00"},
	))
	if err != nil {
		t.Fatal(err)
	}
	if want := ts("2026-06-30T12:00:00Z"); !rep.NotBefore.Equal(want) {
		t.Errorf("NotBefore %v, want %v", rep.NotBefore, want)
	}
}

// detailsJSON is a minimal CLI export of account 111111111111 with the given
// lists (raw JSON by key).
func detailsJSON(lists map[string]string) []byte {
	var parts []string
	for _, k := range detailLists {
		if v, ok := lists[k]; ok {
			parts = append(parts, `"`+k+`": `+v)
		}
	}
	return []byte("{" + strings.Join(parts, ",") + `, "IsTruncated": false}`)
}

const zedDetail = `[{"Path":"/","UserName":"zed","UserId":"AIDAZEDZEDZEDZEDZEDZ","Arn":"arn:aws:iam::111111111111:user/zed","CreateDate":"2020-01-01T00:00:00Z"}]`

// Item 5: an export filtered to users has no RoleDetailList: the trust
// policies that may name a user are unseen, for every user of the account.
func TestFilteredAuthorizationDetailsAreGaps(t *testing.T) {
	det, err := ParseAuthorizationDetails("users-only.json", detailsJSON(map[string]string{"UserDetailList": zedDetail}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"GroupDetailList", "RoleDetailList", "Policies"}; !slices.Equal(det.MissingLists, want) {
		t.Errorf("MissingLists %v, want %v", det.MissingLists, want)
	}
	rep, err := ParseCredentialReport("r.csv", reportCSV(nil,
		map[string]string{colUser: "only-in-report", colARN: "arn:aws:iam::111111111111:user/only-in-report"}))
	if err != nil {
		t.Fatal(err)
	}
	users, _, err := Build([]*CredentialReport{rep}, []*AuthorizationDetails{det})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if !hasGap(u, "users-only.json", "no RoleDetailList", "role trust") || !hasGap(u, "no Policies") || !hasGap(u, "no GroupDetailList") {
			t.Errorf("%s: gaps %q", u.UserName, u.InputGaps)
		}
		if !u.AuthorizationDetailsGiven || !u.CredentialReportGiven {
			t.Errorf("%s: inputs given %v %v", u.UserName, u.CredentialReportGiven, u.AuthorizationDetailsGiven)
		}
	}
	// An export with every list, even empty ones, leaves nothing unknown.
	full, err := ParseAuthorizationDetails("full.json", detailsJSON(map[string]string{
		"UserDetailList": zedDetail, "GroupDetailList": "[]", "RoleDetailList": "[]", "Policies": "[]"}))
	if err != nil {
		t.Fatal(err)
	}
	users, _, err = Build(nil, []*AuthorizationDetails{full})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || len(users[0].InputGaps) != 0 {
		t.Errorf("complete export: %+v", users)
	}
}

// Item 5: every IAM role has a trust policy; a null one was dropped by the
// exporter, and a user it names would go unseen.
func TestNullTrustPolicyIsGap(t *testing.T) {
	for name, doc := range map[string]string{"null": `"AssumeRolePolicyDocument": null,`, "absent": ""} {
		t.Run(name, func(t *testing.T) {
			role := `[{"Path":"/","RoleName":"r","RoleId":"AROAROAROAROAROAROAR","Arn":"arn:aws:iam::111111111111:role/r",` + doc + `"CreateDate":"2020-01-01T00:00:00Z"}]`
			det, err := ParseAuthorizationDetails("d.json", detailsJSON(map[string]string{
				"UserDetailList": zedDetail, "GroupDetailList": "[]", "RoleDetailList": role, "Policies": "[]"}))
			if err != nil {
				t.Fatal(err)
			}
			users, _, err := Build(nil, []*AuthorizationDetails{det})
			if err != nil {
				t.Fatal(err)
			}
			if !hasGap(users[0], "d.json", "1 role(s) without a trust policy", "arn:aws:iam::111111111111:role/r", "not checked") {
				t.Errorf("gaps %q", users[0].InputGaps)
			}
		})
	}
}

// Item 7: creation dates that disagree between the two inputs are a gap
// naming both; the authorization details' date is kept.
func TestCreateDateDisagreementIsGap(t *testing.T) {
	rep, err := ParseCredentialReport("r.csv", reportCSV(map[string]string{colUserCreationTime: "2019-05-05T00:00:00+00:00"}))
	if err != nil {
		t.Fatal(err)
	}
	det, err := ParseAuthorizationDetails("d.json", detailsJSON(map[string]string{
		"UserDetailList": zedDetail, "GroupDetailList": "[]", "RoleDetailList": "[]", "Policies": "[]"}))
	if err != nil {
		t.Fatal(err)
	}
	users, _, err := Build([]*CredentialReport{rep}, []*AuthorizationDetails{det})
	if err != nil {
		t.Fatal(err)
	}
	zed := usersByName(users)["111111111111/zed"]
	if !zed.CreateDate.Equal(ts("2020-01-01T00:00:00Z")) {
		t.Errorf("CreateDate %v, want the authorization details' 2020-01-01", zed.CreateDate)
	}
	if !hasGap(zed, "r.csv says 2019-05-05T00:00:00Z", "d.json say 2020-01-01T00:00:00Z") || len(zed.InputGaps) != 1 {
		t.Errorf("gaps %q", zed.InputGaps)
	}
}

// Fractions of a second beyond the report's precision are no disagreement.
func TestCreateDateFractionsAgree(t *testing.T) {
	rep, err := ParseCredentialReport("r.csv", reportCSV(nil))
	if err != nil {
		t.Fatal(err)
	}
	det, err := ParseAuthorizationDetails("d.json", detailsJSON(map[string]string{
		"UserDetailList": strings.Replace(zedDetail, "00:00:00Z", "00:00:00.250Z", 1), "GroupDetailList": "[]", "RoleDetailList": "[]", "Policies": "[]"}))
	if err != nil {
		t.Fatal(err)
	}
	users, _, err := Build([]*CredentialReport{rep}, []*AuthorizationDetails{det})
	if err != nil {
		t.Fatal(err)
	}
	if zed := usersByName(users)["111111111111/zed"]; len(zed.InputGaps) != 0 {
		t.Errorf("gaps %q", zed.InputGaps)
	}
}

// Item 9: user IDs are checked against IAM's contract ([\w]+, 16 to 128
// characters), not against the AIDA convention.
func TestUserIDContract(t *testing.T) {
	withID := func(id string) []byte {
		return detailsJSON(map[string]string{"UserDetailList": strings.Replace(zedDetail, "AIDAZEDZEDZEDZEDZEDZ", id, 1)})
	}
	for _, id := range []string{"ABCDEFGHIJKLMNOPQRSTU", "ga3q4mzt7xrp2w9dk0h1", "AIDA_ABCDEFGHIJKLM", strings.Repeat("x", 128), "0123456789abcdef"} {
		if _, err := ParseAuthorizationDetails("moto.json", withID(id)); err != nil {
			t.Errorf("%q refused: %v", id, err)
		}
	}
	for _, id := range []string{"AIDA-ABCDEFGHIJKLM", "AIDAABCDEFGHIJK", strings.Repeat("x", 129), "AIDAABCDEFGHIJKLM\u00e9", "AIDA ABCDEFGHIJKLM"} {
		_, err := ParseAuthorizationDetails("edited.json", withID(id))
		checkInputError(t, err, "edited.json", "UserDetailList[0].UserId", "user zed", "16 to 128 letters, digits or underscores")
	}
}

// Item 11: a file over the limit is refused by name and size, whether its
// size is known up front or only while reading.
func TestReadInputBounded(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.json")
	if err := os.WriteFile(p, bytes.Repeat([]byte(" "), 101), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInput(context.Background(), p, 100); err == nil || !strings.Contains(err.Error(), p) ||
		!strings.Contains(err.Error(), "101 bytes") || !strings.Contains(err.Error(), "100-byte limit") {
		t.Errorf("error %v", err)
	}
	if data, err := ReadInput(context.Background(), p, 101); err != nil || len(data) != 101 {
		t.Errorf("at the limit: %d bytes, %v", len(data), err)
	}
	if _, err := LoadFiles(context.Background(), nil, []string{p}, WithMaxBytes(100)); err == nil || !strings.Contains(err.Error(), "loading authorization details") {
		t.Errorf("LoadFiles: %v", err)
	}
}
