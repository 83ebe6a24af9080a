package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/tables"
)

// dir is the corpus, relative to this package.
const dir = "../../testdata/corpus"

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("reading corpus file: %v", err)
	}
	return b
}

func ts(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parsing test time %q: %v", s, err)
	}
	return v
}

// provenance reads PROVENANCE.md's table: corpus file -> SHA-256 listed.
func provenance(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "PROVENANCE.md"))
	if err != nil {
		t.Fatalf("opening the provenance file: %v", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			t.Fatalf("PROVENANCE.md: row %q has fewer than 2 cells", line)
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		sum := strings.Trim(strings.TrimSpace(cells[2]), "`")
		if _, dup := out[name]; dup {
			t.Errorf("PROVENANCE.md lists %s twice", name)
		}
		out[name] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the provenance file: %v", err)
	}
	return out
}

// Every corpus file is listed in PROVENANCE.md with the SHA-256 of its bytes,
// so a file edited after it was taken from its source (a rewrite rather than
// a wrap) fails here, and so does a file nobody recorded the origin of.
func TestProvenanceCoversEveryFileAsFound(t *testing.T) {
	listed := provenance(t)
	seen := map[string]bool{}
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "PROVENANCE.md" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		total += int64(len(b))
		sum := sha256.Sum256(b)
		want, ok := listed[rel]
		switch {
		case !ok:
			t.Errorf("%s is not listed in PROVENANCE.md: record its source repository, path, commit and license", rel)
		case want != hex.EncodeToString(sum[:]):
			t.Errorf("%s: SHA-256 is %x, PROVENANCE.md lists %s: corpus files are kept byte for byte as found", rel, sum, want)
		}
		seen[rel] = true
		return nil
	})
	if err != nil {
		t.Fatalf("walking the corpus: %v", err)
	}
	for name := range listed {
		if !seen[name] {
			t.Errorf("PROVENANCE.md lists %s, which is not in the corpus", name)
		}
	}
	if total > 2<<20 {
		t.Errorf("the corpus holds %d bytes; keep it under 2 MiB", total)
	}
}

// ---- Credential reports ----

// placeboTime decodes Custodian's datetime dict.
func placeboTime(t *testing.T, raw json.RawMessage) time.Time {
	t.Helper()
	var d struct {
		Class                                               string `json:"__class__"`
		Year, Month, Day, Hour, Minute, Second, Microsecond int
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.Class != "datetime" {
		t.Fatalf("decoding the placebo datetime %s: %v", raw, err)
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, d.Hour, d.Minute, d.Second, d.Microsecond*1000, time.UTC)
}

func userNamed(t *testing.T, users []tables.User, name string) tables.User {
	t.Helper()
	for _, u := range users {
		if u.UserName == name {
			return u
		}
	}
	t.Fatalf("no row for user %q", name)
	return tables.User{}
}

// custodianReport is Cloud Custodian's recorded GetCredentialReport answer
// for account 619193117841 (test_iam_user_unused_keys): a root user with an
// active access key and a signing certificate, users who never had a
// password, a password never used by a user created after IAM began
// tracking (2014-10-20), and a key used through a global service whose
// region the report gives as N/A.
func custodianReport(t *testing.T) (csv []byte, generated time.Time) {
	t.Helper()
	b := read(t, "iam/custodian-unused-keys.iam.GetCredentialReport_2.json")
	var doc struct {
		StatusCode int `json:"status_code"`
		Data       struct {
			Content       *string
			ReportFormat  string
			GeneratedTime json.RawMessage
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decoding the placebo recording: %v", err)
	}
	if doc.StatusCode != 200 || doc.Data.Content == nil || doc.Data.ReportFormat != "text/csv" {
		t.Fatalf("the placebo recording is not a text/csv GetCredentialReport answer: status %d, format %q", doc.StatusCode, doc.Data.ReportFormat)
	}
	return []byte(*doc.Data.Content), placeboTime(t, doc.Data.GeneratedTime)
}

func TestCustodianCredentialReport(t *testing.T) {
	csv, generated := custodianReport(t)
	rep, err := inventory.ParseCredentialReport("GetCredentialReport_2.csv", csv)
	if err != nil {
		t.Fatalf("ParseCredentialReport of a report AWS returned: %v", err)
	}
	if rep.AccountID != "619193117841" {
		t.Errorf("AccountID = %q, want 619193117841 (from the ARNs)", rep.AccountID)
	}
	// A bare CSV carries no generation time: nothing in it proves its age.
	if !rep.GeneratedAt.IsZero() {
		t.Errorf("GeneratedAt = %v for a bare CSV, want zero (unknown)", rep.GeneratedAt)
	}
	var names []string
	for _, u := range rep.Users {
		names = append(names, u.UserName)
		if !u.InCredentialReport {
			t.Errorf("%s: InCredentialReport = false for a report row", u.UserName)
		}
		if u.UserID != "" {
			t.Errorf("%s: UserID = %q; the credential report has no unique IDs", u.UserName, u.UserID)
		}
	}
	wantNames := []string{tables.RootUserName, "charmworld", "Hazmat", "kaleb", "kapilt", "rome", "syracuse", "tyre"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("rows = %q, want %q (file order, case kept)", names, wantNames)
	}

	root := userNamed(t, rep.Users, tables.RootUserName)
	if !root.IsRoot || root.ARN != "arn:aws:iam::619193117841:root" {
		t.Errorf("root row: IsRoot = %v, ARN = %q", root.IsRoot, root.ARN)
	}
	// password_enabled is not_supported for root, but password_last_used
	// gives the date root's password was last used: that is a use.
	if root.PasswordState != tables.PasswordUsed {
		t.Errorf("root PasswordState = %q, want %q: the report gives the date root's password was last used", root.PasswordState, tables.PasswordUsed)
	}
	if want := ts(t, "2016-11-25T14:19:48Z"); !root.PasswordLastUsed.Equal(want) {
		t.Errorf("root PasswordLastUsed = %v, want %v", root.PasswordLastUsed, want)
	}
	if !root.Key1Active || !root.Key1LastUsed.Equal(ts(t, "2015-07-04T15:09:00Z")) ||
		root.Key1LastUsedRegion != "us-east-1" || root.Key1LastUsedService != "s3" {
		t.Errorf("root key 1 = active %v, last used %v in %q by %q; want active, 2015-07-04T15:09:00Z, us-east-1, s3",
			root.Key1Active, root.Key1LastUsed, root.Key1LastUsedRegion, root.Key1LastUsedService)
	}
	// An inactive second key that exists: rotated, never used.
	if root.Key2Active || !root.Key2LastRotated.Equal(ts(t, "2007-10-13T16:49:50Z")) || !root.Key2LastUsed.IsZero() {
		t.Errorf("root key 2 = active %v, rotated %v, used %v; want inactive, rotated 2007-10-13T16:49:50Z, never used",
			root.Key2Active, root.Key2LastRotated, root.Key2LastUsed)
	}
	if !root.Cert1Active || root.Cert2Active || root.MFAActive {
		t.Errorf("root cert1 %v cert2 %v mfa %v; want true false false", root.Cert1Active, root.Cert2Active, root.MFAActive)
	}

	// No password: password_enabled false, password_last_used N/A.
	cw := userNamed(t, rep.Users, "charmworld")
	if cw.PasswordEnabled || cw.PasswordState != tables.PasswordNA || !cw.PasswordLastUsed.IsZero() {
		t.Errorf("charmworld password = enabled %v, state %q, last used %v; want disabled, %q, none",
			cw.PasswordEnabled, cw.PasswordState, cw.PasswordLastUsed, tables.PasswordNA)
	}
	if !cw.CreateDate.Equal(ts(t, "2012-01-29T21:54:13Z")) || !cw.Key1Active || !cw.Key1LastUsed.IsZero() {
		t.Errorf("charmworld created %v, key1 active %v used %v; want 2012-01-29T21:54:13Z, active, never used",
			cw.CreateDate, cw.Key1Active, cw.Key1LastUsed)
	}
	// no_information for a user created after 2014-10-20: never used.
	kaleb := userNamed(t, rep.Users, "kaleb")
	if !kaleb.PasswordEnabled || kaleb.PasswordState != tables.PasswordNever || !kaleb.PasswordLastUsed.IsZero() {
		t.Errorf("kaleb password = enabled %v, state %q, last used %v; want enabled, %q, none",
			kaleb.PasswordEnabled, kaleb.PasswordState, kaleb.PasswordLastUsed, tables.PasswordNever)
	}
	if !kaleb.PasswordLastChanged.Equal(ts(t, "2016-07-05T23:59:36Z")) {
		t.Errorf("kaleb PasswordLastChanged = %v, want 2016-07-05T23:59:36Z", kaleb.PasswordLastChanged)
	}
	// A key used through S3's global endpoint: the region is N/A, which is
	// no region at all, never the text "N/A".
	syr := userNamed(t, rep.Users, "syracuse")
	if !syr.Key1LastUsed.Equal(ts(t, "2016-11-25T14:22:00Z")) || syr.Key1LastUsedRegion != "" || syr.Key1LastUsedService != "s3" {
		t.Errorf("syracuse key1 last used %v in %q by %q; want 2016-11-25T14:22:00Z, no region, s3",
			syr.Key1LastUsed, syr.Key1LastUsedRegion, syr.Key1LastUsedService)
	}
	rome := userNamed(t, rep.Users, "rome")
	if !rome.Key1LastUsed.Equal(ts(t, "2016-11-25T09:38:00Z")) || rome.Key1LastUsedRegion != "us-east-1" || rome.Key1LastUsedService != "iam" {
		t.Errorf("rome key1 last used %v in %q by %q", rome.Key1LastUsed, rome.Key1LastUsedRegion, rome.Key1LastUsedService)
	}
	// Hazmat: the name's case is the user's own.
	if h := userNamed(t, rep.Users, "Hazmat"); h.ARN != "arn:aws:iam::619193117841:user/Hazmat" {
		t.Errorf("Hazmat ARN = %q", h.ARN)
	}

	// The latest timestamp inside the report (syracuse's key, 14:22:00) is a
	// lower bound of when it was generated; the API said 14:30:42.
	notBefore := ts(t, "2016-11-25T14:22:00Z")
	if notBefore.After(generated) {
		t.Fatalf("corpus check: the report's latest timestamp %v is after its GeneratedTime %v", notBefore, generated)
	}
	built, _, err := inventory.Build([]*inventory.CredentialReport{rep}, nil)
	if err != nil {
		t.Fatalf("Build of the report alone: %v", err)
	}
	if len(built) != len(rep.Users) {
		t.Fatalf("Build gave %d rows for %d report rows", len(built), len(rep.Users))
	}
	for _, u := range built {
		if !u.ReportNotBefore.Equal(notBefore) {
			t.Errorf("%s: ReportNotBefore = %v, want %v (the latest timestamp in the report)", u.UserName, u.ReportNotBefore, notBefore)
		}
		if !u.ReportGeneratedAt.IsZero() {
			t.Errorf("%s: ReportGeneratedAt = %v for a bare CSV, want zero (unknown)", u.UserName, u.ReportGeneratedAt)
		}
	}
}

// A bare CSV's age is unknown whatever its file time says: copying a months
// old report resets the file time, so the file time must never become the
// report's generation time (issue 13, item 1).
func TestCustodianCredentialReportFileTimeProvesNothing(t *testing.T) {
	csv, _ := custodianReport(t)
	path := filepath.Join(t.TempDir(), "credential-report.csv")
	if err := os.WriteFile(path, csv, 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := os.Chtimes(path, now, now); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.LoadFiles(context.Background(), []string{path}, nil)
	if err != nil {
		t.Fatalf("LoadFiles of a report without authorization details: %v", err)
	}
	if len(inv.Users) != 8 {
		t.Fatalf("LoadFiles gave %d rows, want 8", len(inv.Users))
	}
	for _, u := range inv.Users {
		if !u.ReportGeneratedAt.IsZero() {
			t.Errorf("%s: ReportGeneratedAt = %v from a bare CSV (the file's modification time); want zero: its age is unknown",
				u.UserName, u.ReportGeneratedAt)
		}
	}
}

// CloudMapper stores `collect`'s boto3 answer as JSON: GeneratedTime as an
// ISO string and Content as the report's text (boto3 decodes the blob), not
// the base64 the AWS CLI prints. The report is unambiguous (base64 has no
// ',' or '<'), and its GeneratedTime proves its age.
func TestCloudMapperCredentialReport(t *testing.T) {
	name := "iam/cloudmapper-demo.iam-get-credential-report.json"
	rep, err := inventory.ParseCredentialReport(name, read(t, name))
	if err != nil {
		t.Fatalf("ParseCredentialReport of boto3's GetCredentialReport answer (Content as text): %v", err)
	}
	if want := ts(t, "2019-05-07T15:40:22Z"); !rep.GeneratedAt.Equal(want) {
		t.Errorf("GeneratedAt = %v, want %v (GeneratedTime)", rep.GeneratedAt, want)
	}
	if rep.AccountID != "123456789012" || len(rep.Users) != 3 {
		t.Fatalf("account %q with %d rows, want 123456789012 with 3", rep.AccountID, len(rep.Users))
	}
	root := userNamed(t, rep.Users, tables.RootUserName)
	if !root.IsRoot || !root.MFAActive || root.PasswordState != tables.PasswordUsed || !root.Key1Active || !root.Key1LastUsed.Equal(ts(t, "2018-11-27T00:02:00Z")) ||
		root.Key1LastUsedService != "ecr" || !root.PasswordLastUsed.Equal(ts(t, "2019-03-03T16:58:16Z")) {
		t.Errorf("root row = %+v", root)
	}
	aud := userNamed(t, rep.Users, "auditor_tmp")
	if aud.PasswordEnabled || aud.PasswordState != tables.PasswordNA || !aud.Key1Active || !aud.Key1LastUsed.IsZero() ||
		!aud.CreateDate.Equal(ts(t, "2019-05-07T15:35:54Z")) {
		t.Errorf("auditor_tmp = password %v/%q, key1 active %v used %v, created %v; want no password, an unused active key, created 2019-05-07T15:35:54Z",
			aud.PasswordEnabled, aud.PasswordState, aud.Key1Active, aud.Key1LastUsed, aud.CreateDate)
	}
	u := userNamed(t, rep.Users, "user")
	if !u.PasswordEnabled || u.PasswordState != tables.PasswordUsed || !u.PasswordLastUsed.Equal(ts(t, "2018-05-07T15:35:54Z")) ||
		!u.Key2Active || !u.Key2LastUsed.Equal(ts(t, "2018-05-07T15:35:54Z")) || u.Key2LastUsedRegion != "us-east-1" || u.Key2LastUsedService != "s3" {
		t.Errorf("user = %+v", u)
	}
	built, _, err := inventory.Build([]*inventory.CredentialReport{rep}, nil)
	if err != nil {
		t.Fatalf("Build of the report alone: %v", err)
	}
	for _, r := range built {
		if !r.ReportGeneratedAt.Equal(rep.GeneratedAt) {
			t.Errorf("%s: ReportGeneratedAt = %v, want the report's GeneratedTime %v", r.UserName, r.ReportGeneratedAt, rep.GeneratedAt)
		}
		if want := ts(t, "2019-05-07T15:35:55Z"); !r.ReportNotBefore.Equal(want) {
			t.Errorf("%s: ReportNotBefore = %v, want %v (the latest timestamp in the report)", r.UserName, r.ReportNotBefore, want)
		}
	}
}

// Cloud Custodian's recording for account 644160558196 lists the user
// christopher twice, with different facts (one row: key unused, password
// no_information; the other: both used in November 2016). AWS writes one row
// per user; which row is true cannot be known, so the report must be refused
// at the second row, never read by picking one.
func TestCustodianCredentialReportDuplicateRow(t *testing.T) {
	b := read(t, "iam/custodian-account.iam.GetCredentialReport_1.json")
	var doc struct {
		Data struct{ Content string } `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decoding the placebo recording: %v", err)
	}
	_, err := inventory.ParseCredentialReport("GetCredentialReport_1.csv", []byte(doc.Data.Content))
	if err == nil {
		t.Fatal("a report listing user christopher twice, with different facts, was accepted; want it refused")
	}
	for _, want := range []string{"GetCredentialReport_1.csv", "line 10", "christopher"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q should name %q", err, want)
		}
	}
}

// ---- Authorization details ----

// cliDocOutput is the JSON after "Output::" in an AWS CLI example page.
func cliDocOutput(t *testing.T, rst []byte) []byte {
	t.Helper()
	_, after, ok := bytes.Cut(rst, []byte("Output::\n"))
	if !ok {
		t.Fatal("the CLI example has no Output:: block")
	}
	return after
}

// The AWS CLI's own example of get-account-authorization-details is one page
// (IsTruncated true, a Marker) whose groups carry AttachedManagedPolicies as
// an object, not the list the API returns. It proves neither the account's
// complete IAM state nor its own shape: dormant must refuse it, naming the
// file and the field, rather than read what it can.
func TestAWSCLIAuthorizationDetailsExample(t *testing.T) {
	name := "iam/aws-cli.get-account-authorization-details.rst"
	out := cliDocOutput(t, read(t, name))
	var probe struct {
		IsTruncated bool
		Marker      string
	}
	if err := json.Unmarshal(out, &probe); err != nil || !probe.IsTruncated || probe.Marker == "" {
		t.Fatalf("corpus check: the example is valid JSON with IsTruncated and a Marker: %v %+v", err, probe)
	}
	det, err := inventory.ParseAuthorizationDetails(name, out)
	if err == nil {
		// Read leniently, the page must still never pass as the whole account.
		if _, _, berr := inventory.Build(nil, []*inventory.AuthorizationDetails{det}); berr == nil {
			t.Fatal("the CLI example (IsTruncated true, group AttachedManagedPolicies an object) built an inventory; want it refused")
		}
		t.Fatal("ParseAuthorizationDetails accepted a group's AttachedManagedPolicies given as an object; want an error naming the field")
	}
	msg := err.Error()
	if !strings.Contains(msg, name) || !strings.Contains(msg, "AttachedManagedPolicies") {
		t.Errorf("error %q should name the file and the AttachedManagedPolicies field", msg)
	}
}

// Cloudsplaining's example export (a Python dump: CreateDate with a space)
// gives user BlakeBortles the UserId "BlakeBortles": 12 characters, where
// IAM's contract for a user ID is 16 to 128 word characters. Such an ID
// cannot be matched against CloudTrail's principalId, so the user's activity
// cannot be proven either way: the export is refused, naming the field, or
// the user carries an input gap that keeps it out of removal (issue 13,
// item 9: validate against the contract where inputs enter).
func TestCloudsplainingAuthorizationDetails(t *testing.T) {
	name := "iam/cloudsplaining-example_authz_v2.json"
	det, err := inventory.ParseAuthorizationDetails(name, read(t, name))
	if err != nil {
		if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "UserDetailList[0].UserId") {
			t.Errorf("error %q should name the file and UserDetailList[0].UserId", err)
		}
		return
	}
	if det.AccountID != "012345678901" || len(det.Users) != 1 || len(det.Roles) != 2 {
		t.Fatalf("account %q, %d users, %d roles; want 012345678901, 1, 2", det.AccountID, len(det.Users), len(det.Roles))
	}
	users, policies, err := inventory.Build(nil, []*inventory.AuthorizationDetails{det})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(users) != 1 {
		t.Fatalf("Build gave %d users, want 1", len(users))
	}
	u := users[0]
	if u.UserName != "BlakeBortles" || u.ARN != "arn:aws:iam::012345678901:user/BlakeBortles" ||
		!u.CreateDate.Equal(ts(t, "2019-12-18T19:10:08Z")) || !slices.Equal(u.Groups, []string{"GOAT"}) || !u.InAuthorizationDetails {
		t.Errorf("user row = %+v", u)
	}
	trusts := 0
	for _, p := range policies {
		if p.Kind == inventory.PolicyRoleTrust {
			trusts++
		}
	}
	if trusts != 2 {
		t.Errorf("%d role trust policies kept, want 2 (GOAT, MyOtherRole)", trusts)
	}
	gap := false
	for _, g := range u.InputGaps {
		if strings.Contains(strings.ToLower(g), "user id") || strings.Contains(g, "UserId") {
			gap = true
		}
	}
	if !gap {
		t.Errorf("user ID %q breaks IAM's contract (16 to 128 word characters) yet the row has no input gap (%q) and was not refused",
			u.UserID, u.InputGaps)
	}
}

// ---- CloudTrail ----

// wrapRecord makes a CloudTrail log file of a record as found: a
// {"Records":[...]} document stays as it is, a single record becomes
// {"Records":[<record>]}, and a JSON array of records {"Records":<array>}.
// The record's bytes are never changed.
func wrapRecord(t *testing.T, b []byte) []byte {
	t.Helper()
	trimmed := bytes.TrimSpace(b)
	var top map[string]json.RawMessage
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		return slices.Concat([]byte(`{"Records":`), b, []byte(`}`))
	case json.Unmarshal(trimmed, &top) == nil && top["Records"] != nil:
		return b
	}
	return slices.Concat([]byte(`{"Records":[`), b, []byte(`]}`))
}

// recordTime is the eventTime of the file's first record; for a file that is
// not valid JSON, the test gives it.
func recordTime(t *testing.T, logFile []byte) time.Time {
	t.Helper()
	var doc struct {
		Records []struct{ EventTime string }
	}
	if err := json.Unmarshal(logFile, &doc); err != nil || len(doc.Records) == 0 {
		t.Fatalf("corpus check: reading eventTime: %v", err)
	}
	return ts(t, doc.Records[0].EventTime)
}

// layOut writes a log file where CloudTrail delivers it:
// AWSLogs/<account>/<kind>/<region>/YYYY/MM/DD/<account>_<kind>_<region>_<time>_<rand>.json.gz.
func layOut(t *testing.T, root, kind, account, region string, at time.Time, name string, body []byte) string {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	base := account + "_" + kind + "_" + region + "_" + at.UTC().Format("20060102T1504Z") + "_" + hex.EncodeToString(sum[:8]) + ".json.gz"
	if kind == "CloudTrail-Digest" {
		base = account + "_CloudTrail-Digest_" + region + "_corpus-trail_" + region + "_" + at.UTC().Format("20060102T150405Z") + ".json.gz"
	}
	d := filepath.Join(root, "AWSLogs", account, kind, region, at.UTC().Format("2006/01/02"))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(d, base)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// runBoth runs the local engine with each scanner over root for a window of
// a day around at, and checks both give the same tables, or both fail; the
// errors are returned joined, so a check on the message sees each scanner's.
func runBoth(t *testing.T, root string, at time.Time) (*activity.Result, error) {
	t.Helper()
	q := activity.Query{Start: at.Add(-12 * time.Hour), End: at.Add(12 * time.Hour)}
	var (
		first    *activity.Result
		firstErr error
		errs     []error
	)
	for i, s := range local.Scanners() {
		eng := local.NewLocal(root, local.WithScanner(s), local.WithThreads(1), local.WithLogger(quiet()),
			local.WithTempDir(t.TempDir()))
		res, err := eng.Run(context.Background(), q)
		if err != nil {
			errs = append(errs, err)
		}
		if i == 0 {
			first, firstErr = res, err
			continue
		}
		if (err == nil) != (firstErr == nil) {
			t.Fatalf("scanner %s: error %v; scanner %s: error %v", local.Scanners()[0], firstErr, s, err)
		}
		if err != nil {
			continue
		}
		if !slices.EqualFunc(first.Activity, res.Activity, activityEqual) {
			t.Errorf("the scanners disagree on activity:\n%s: %+v\n%s: %+v", local.Scanners()[0], first.Activity, s, res.Activity)
		}
		if !slices.Equal(first.Coverage, res.Coverage) {
			t.Errorf("the scanners disagree on coverage:\n%s: %+v\n%s: %+v", local.Scanners()[0], first.Coverage, s, res.Coverage)
		}
	}
	return first, errors.Join(errs...)
}

func activityEqual(a, b tables.Activity) bool {
	return reflect.DeepEqual(a, b)
}

// use is what the activity table must say of a record that proves an IAM
// user's credential was used (or presented).
type use struct {
	account, principalID, arn, userName string
	consoleLogin                        bool
	key                                 string // long-term key seen, if any
}

// ctCase is one record of the corpus and what AWS's semantics say it is.
type ctCase struct {
	name    string
	file    string // under cloudtrail/
	account string // the AWSLogs/<account> folder CloudTrail delivers it to
	region  string // the region folder: the record's awsRegion
	kind    string // CloudTrail (default), CloudTrail-Insight, CloudTrail-Digest
	at      string // for files without records (digest): the delivery time

	user   *use   // the record is this IAM user's use
	failed *use   // the record is a failed console sign-in for this user name, not use
	root   string // the record is the account root's (this account), never a user's
	fails  bool   // root: a failed sign-in
	none   bool   // the record counts for no IAM user and no root
	errors bool   // the file is not valid JSON: the run must fail, naming the file
	nofile bool   // kind is a sibling of CloudTrail/: never read, no coverage
}

// ctCases are the corpus's CloudTrail files and what each must produce.
func ctCases() []ctCase {
	return []ctCase{
		{
			name: "IAMUser API call (IAM user guide, GetUserPolicy)", file: "iamug-getuserpolicy-iamuser.json",
			account: "444455556666", region: "us-east-2",
			user: &use{account: "444455556666", principalID: "AIDACKCEVSQ6C2EXAMPLE", arn: "arn:aws:iam::444455556666:user/JaneDoe", userName: "JaneDoe"},
		},
		{
			// Logged in the role owner's account (111122223333) as AWSAccount,
			// with the calling user's unique ID: it is that user's use, in the
			// caller's account.
			name: "AWSAccount cross-account AssumeRole (IAM user guide)", file: "iamug-assumerole-awsaccount.json",
			account: "111122223333", region: "us-east-2",
			user: &use{account: "777788889999", principalID: "AIDAQRSTUVWXYZEXAMPLE"},
		},
		{
			// The session issuer is a role, though the example gives it an
			// AIDA-shaped ID: a role session is never a user's use.
			name: "AssumedRole session (IAM user guide, DeleteBucket)", file: "iamug-deletebucket-assumedrole.json",
			account: "777788889999", region: "us-east-2", none: true,
		},
		{
			// Markdown escapes (\.) inside the JSON: not a log file CloudTrail
			// could write. Skipping it silently could hide a user's use.
			name: "invalid JSON (IAM user guide sign-in success)", file: "iamug-consolelogin-success-badescape.json",
			account: "111122223333", region: "us-east-2", at: "2014-07-16T15:49:27Z", errors: true,
		},
		{
			// A SAML federated session: no IAM user's credential was used.
			name: "SAMLUser AssumeRoleWithSAML (IAM user guide, 2019)", file: "iamug2019-assumerolewithsaml-samluser.json",
			account: "444455556666", region: "us-east-2", none: true,
		},
		{
			name: "WebIdentityUser AssumeRoleWithWebIdentity (IAM user guide, 2019)", file: "iamug2019-assumerolewithwebidentity-webidentityuser.json",
			account: "444455556666", region: "us-east-2", none: true,
		},
		{
			name: "IAMUser failed console sign-in (IAM user guide)", file: "iamug-consolelogin-failure.json",
			account: "111122223333", region: "us-east-2",
			failed: &use{account: "111122223333", principalID: "AIDACKCEVSQ6C2EXAMPLE", arn: "arn:aws:iam::111122223333:user/JaneDoe", userName: "JaneDoe"},
		},
		{
			// The name typed matches no user: nobody's sign-in.
			name: "failed sign-in under an unknown name (HIDDEN_DUE_TO_SECURITY_REASONS)", file: "iamug-consolelogin-unknown-username.json",
			account: "123456789012", region: "us-east-2", none: true,
		},
		{
			name: "IAMUser console sign-in success (CloudTrail user guide)", file: "ctug-consolelogin-iamuser-success.json",
			account: "111122223333", region: "us-east-2",
			user: &use{account: "111122223333", principalID: "AIDACKCEVSQ6C2EXAMPLE", arn: "arn:aws:iam::111122223333:user/anaya", userName: "anaya", consoleLogin: true},
		},
		{
			// The example gives root an AIDA-shaped principalId; root's use is
			// the account's own row, never that of a user with the ID.
			name: "Root console sign-in success (CloudTrail user guide)", file: "ctug-consolelogin-root-success.json",
			account: "111122223333", region: "us-east-1", root: "111122223333",
		},
		{
			name: "Root failed console sign-in (CloudTrail user guide)", file: "ctug-consolelogin-root-failure.json",
			account: "111122223333", region: "us-east-1", root: "111122223333", fails: true,
		},
		{
			// A call that failed (TrailNotFoundException) still presented the
			// user's key: it proves the credential is in use.
			name: "IAMUser call that failed (CloudTrail user guide, UpdateTrail)", file: "ctug-updatetrail-error.json",
			account: "123456789012", region: "us-east-2",
			user: &use{account: "123456789012", principalID: "EX_PRINCIPAL_ID", arn: "arn:aws:iam::123456789012:user/Alice", userName: "Alice"},
		},
		{
			name: "Insights events (CloudTrail user guide)", file: "ctug-insights.json",
			account: "123456789012", region: "us-east-1", kind: "CloudTrail-Insight", nofile: true,
		},
		{
			name: "digest file (CloudTrail user guide)", file: "ctug-digest.json",
			account: "111122223333", region: "us-east-2", kind: "CloudTrail-Digest", at: "2015-08-17T15:01:31Z", nofile: true,
		},
		{
			name: "AWSService call (KMS developer guide, WorkMail Encrypt)", file: "kmsdg-workmail-encrypt-awsservice.json",
			account: "111122223333", region: "eu-west-1", none: true,
		},
		{
			// Identity Center users appear as "Unknown" in older records; the
			// record's accountId is not an account ID, so the folder is ours.
			name: "Unknown (Identity Center user, SSO user guide)", file: "ssoug-portal-unknown.json",
			account: "111122223333", region: "us-east-1", none: true,
		},
		{
			name: "IdentityCenterUser (IAM Identity Center user guide, ListApplications)", file: "sso-listapplications-identitycenteruser.json",
			account: "111122223333", region: "us-east-1", none: true,
		},
		{
			// A GetFederationToken session is its issuing IAM user's use.
			name: "FederatedUser session (Stratus Red Team detonation)", file: "stratus-federateduser-getcalleridentity.json",
			account: "742491224508", region: "ap-isob-east-1r",
			user: &use{account: "742491224508", principalID: "AIDAN7SEM6PEVTNQR8M4",
				arn: "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user", userName: "stratus-red-team-user-federation-user"},
		},
		{
			// Denied, but only after AWS authenticated the user's key: an
			// attempt proves the credential is in use.
			name: "IAMUser AccessDenied (Stratus Red Team detonation)", file: "stratus-iamuser-assumerole-accessdenied.json",
			account: "321848314756", region: "apiso-westcentral-3r",
			user: &use{account: "321848314756", principalID: "AIDA2Q68JMYYLLXFIRZ7", arn: "arn:aws:iam::321848314756:user/christophe",
				userName: "christophe", key: "AKIAMJ2320ZAXACWCPJI"},
		},
	}
}

func TestCloudTrailRecords(t *testing.T) {
	cases := ctCases()
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.file] = true
		t.Run(c.name, func(t *testing.T) {
			raw := read(t, filepath.Join("cloudtrail", c.file))
			kind := c.kind
			if kind == "" {
				kind = "CloudTrail"
			}
			var at time.Time
			var body []byte
			switch {
			case kind == "CloudTrail-Digest":
				body = raw // a digest file is delivered as it is
				at = ts(t, c.at)
			case c.errors:
				body = wrapRecord(t, raw)
				at = ts(t, c.at)
				if json.Valid(body) {
					t.Fatalf("corpus check: %s is valid JSON", c.file)
				}
			default:
				body = wrapRecord(t, raw)
				at = recordTime(t, body)
			}
			root := t.TempDir()
			path := layOut(t, root, kind, c.account, c.region, at, c.file, body)

			res, err := runBoth(t, root, at)
			if c.errors {
				if err == nil {
					t.Fatalf("the run read %s (not valid JSON) without an error; want the file refused", c.file)
				}
				for _, msg := range strings.Split(err.Error(), "\n") {
					if !strings.Contains(msg, filepath.Base(path)) {
						t.Errorf("error %q should name the file %s", msg, filepath.Base(path))
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("running the local engine: %v", err)
			}
			if c.nofile {
				if len(res.Activity) != 0 || len(res.Coverage) != 0 {
					t.Errorf("%s under %s/ was read: activity %+v, coverage %+v", c.file, kind, res.Activity, res.Coverage)
				}
				return
			}
			// The trail was running: the record is coverage whoever made it.
			var covEvents int64
			for _, cv := range res.Coverage {
				covEvents += cv.Events
				if !cv.FirstEvent.Equal(at) || !cv.LastEvent.Equal(at) {
					t.Errorf("coverage %+v, want first and last event %v", cv, at)
				}
			}
			if covEvents != 1 {
				t.Errorf("coverage counts %d records, want 1: %+v", covEvents, res.Coverage)
			}
			checkActivity(t, c, at, res.Activity)
		})
	}
	// Every CloudTrail file of the corpus has a stated meaning.
	entries, err := os.ReadDir(filepath.Join(dir, "cloudtrail"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !covered[e.Name()] {
			t.Errorf("cloudtrail/%s has no case in TestCloudTrailRecords: say what it must produce", e.Name())
		}
	}
}

func checkActivity(t *testing.T, c ctCase, at time.Time, rows []tables.Activity) {
	t.Helper()
	switch {
	case c.none:
		if len(rows) != 0 {
			t.Errorf("the record counts for a principal; want nobody's activity: %+v", rows)
		}
	case c.root != "":
		if len(rows) != 1 {
			t.Fatalf("activity = %+v, want one row for the account root", rows)
		}
		r := rows[0]
		if r.AccountID != c.root || r.ARN != "arn:aws:iam::"+c.root+":root" || r.UserName != tables.RootUserName || r.PrincipalID != "" {
			t.Errorf("root row = %+v; want account %s, its root ARN, %s, and no user's principal ID", r, c.root, tables.RootUserName)
		}
		if c.fails {
			if r.Events != 0 || r.FailedConsoleLogins != 1 || !r.LastFailedConsoleLogin.Equal(at) || !r.FirstEvent.IsZero() {
				t.Errorf("root row = %+v; want one failed sign-in at %v and no use", r, at)
			}
		} else if r.Events != 1 || r.ConsoleLogins != 1 || !r.LastEvent.Equal(at) || r.FailedConsoleLogins != 0 {
			t.Errorf("root row = %+v; want one successful sign-in at %v", r, at)
		}
	case c.failed != nil:
		if len(rows) != 1 {
			t.Fatalf("activity = %+v, want one row for %s's failed sign-in", rows, c.failed.userName)
		}
		r := rows[0]
		if r.AccountID != c.failed.account || r.PrincipalID != c.failed.principalID || r.ARN != c.failed.arn || r.UserName != c.failed.userName {
			t.Errorf("row = %+v; want %+v", r, *c.failed)
		}
		if r.Events != 0 || !r.FirstEvent.IsZero() || !r.LastEvent.IsZero() || r.ConsoleLogins != 0 ||
			r.FailedConsoleLogins != 1 || !r.LastFailedConsoleLogin.Equal(at) {
			t.Errorf("row = %+v; a failed sign-in is counted apart (1 at %v) and is no use", r, at)
		}
	case c.user != nil:
		var mine []tables.Activity
		for _, r := range rows {
			if r.PrincipalID == c.user.principalID {
				mine = append(mine, r)
			}
		}
		if len(mine) != 1 || len(rows) != 1 {
			t.Fatalf("activity = %+v, want exactly one row, for principal %s", rows, c.user.principalID)
		}
		r := mine[0]
		if r.AccountID != c.user.account || r.ARN != c.user.arn || r.UserName != c.user.userName {
			t.Errorf("row = %+v; want account %s, ARN %q, user %q", r, c.user.account, c.user.arn, c.user.userName)
		}
		if r.Events != 1 || !r.FirstEvent.Equal(at) || !r.LastEvent.Equal(at) || r.FailedConsoleLogins != 0 {
			t.Errorf("row = %+v; want one use at %v", r, at)
		}
		want := int64(0)
		if c.user.consoleLogin {
			want = 1
		}
		if r.ConsoleLogins != want {
			t.Errorf("ConsoleLogins = %d, want %d", r.ConsoleLogins, want)
		}
		if c.user.key != "" && !slices.Contains(r.AccessKeyIDs, c.user.key) {
			t.Errorf("AccessKeyIDs = %q, want %s among them", r.AccessKeyIDs, c.user.key)
		}
	default:
		t.Fatalf("case %q states no expectation", c.name)
	}
}

// The corpus as one trail: every record delivered where CloudTrail puts it,
// read in one run. Records of different identity types that share IDs (the
// documentation reuses AIDACKCEVSQ6C2EXAMPLE for root, anaya and JaneDoe, and
// AIDAQRSTUVWXYZEXAMPLE for a user and a role) must not borrow each other's
// use: a user's activity is keyed by account and unique ID, root's by the
// account, and sessions of roles count for nobody.
func TestCloudTrailCorpusAsOneTrail(t *testing.T) {
	root := t.TempDir()
	var records int64
	for _, c := range ctCases() {
		if c.errors {
			continue // one file that is not JSON fails the whole run (TestCloudTrailRecords)
		}
		raw := read(t, filepath.Join("cloudtrail", c.file))
		kind, body := c.kind, wrapRecord(t, raw)
		var at time.Time
		switch kind {
		case "CloudTrail-Digest":
			body, at = raw, ts(t, c.at)
		case "":
			kind = "CloudTrail"
			records++
			fallthrough
		default:
			at = recordTime(t, body)
		}
		layOut(t, root, kind, c.account, c.region, at, c.file, body)
	}
	q := activity.Query{Start: ts(t, "2014-01-01T00:00:00Z"), End: ts(t, "2025-01-01T00:00:00Z")}
	for _, s := range local.Scanners() {
		t.Run(s, func(t *testing.T) {
			eng := local.NewLocal(root, local.WithScanner(s), local.WithThreads(2), local.WithLogger(quiet()),
				local.WithTempDir(t.TempDir()))
			res, err := eng.Run(context.Background(), q)
			if err != nil {
				t.Fatalf("running the local engine over the corpus trail: %v", err)
			}
			var covered int64
			for _, cv := range res.Coverage {
				covered += cv.Events
			}
			if covered != records {
				t.Errorf("coverage counts %d records, want %d (every record under CloudTrail/, none of Insight's or the digest's)", covered, records)
			}
			type key struct{ account, pid, arn string }
			got := map[key]tables.Activity{}
			for _, r := range res.Activity {
				k := key{r.AccountID, r.PrincipalID, ""}
				if r.PrincipalID == "" {
					k.arn = r.ARN
				}
				got[k] = r
			}
			type counts struct{ events, logins, failed int64 }
			want := map[key]counts{
				{"444455556666", "AIDACKCEVSQ6C2EXAMPLE", ""}:          {events: 1}, // JaneDoe's GetUserPolicy
				{"777788889999", "AIDAQRSTUVWXYZEXAMPLE", ""}:          {events: 1}, // the cross-account AssumeRole, not the role session
				{"111122223333", "AIDACKCEVSQ6C2EXAMPLE", ""}:          {1, 1, 1},   // anaya's sign-in, JaneDoe's failure; not root's
				{"111122223333", "", "arn:aws:iam::111122223333:root"}: {1, 1, 1},   // root's sign-in and failure
				{"123456789012", "EX_PRINCIPAL_ID", ""}:                {events: 1}, // Alice's failed UpdateTrail
				{"742491224508", "AIDAN7SEM6PEVTNQR8M4", ""}:           {events: 1}, // the federated session's issuer
				{"321848314756", "AIDA2Q68JMYYLLXFIRZ7", ""}:           {events: 1}, // christophe's denied AssumeRole
			}
			for k, w := range want {
				r, ok := got[k]
				if !ok {
					t.Errorf("no activity row for %+v", k)
					continue
				}
				if g := (counts{r.Events, r.ConsoleLogins, r.FailedConsoleLogins}); g != w {
					t.Errorf("%+v: events, console logins, failed sign-ins = %+v, want %+v (row %+v)", k, g, w, r)
				}
			}
			for k, r := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected activity row %+v", r)
				}
			}
		})
	}
}

// What a careful user expects of the two records the brief singles out: a
// denied call and a federated session prove the IAM user's credential is in
// use, so a user whose credential report shows an active key never used
// (a removal candidate on the report alone) is active once the trail is read.
func TestCloudTrailUseKeepsTheUserActive(t *testing.T) {
	for _, c := range ctCases() {
		if c.file != "stratus-iamuser-assumerole-accessdenied.json" && c.file != "stratus-federateduser-getcalleridentity.json" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			body := wrapRecord(t, read(t, filepath.Join("cloudtrail", c.file)))
			at := recordTime(t, body)
			root := t.TempDir()
			layOut(t, root, "CloudTrail", c.account, c.region, at, c.file, body)
			asOf := at.Add(24 * time.Hour)
			opts := findings.DefaultOptions(asOf)
			res, err := local.NewLocal(root, local.WithThreads(1), local.WithLogger(quiet())).
				Run(context.Background(), activity.Query{Start: opts.WindowStart(), End: asOf})
			if err != nil {
				t.Fatalf("running the local engine: %v", err)
			}
			// The inventory row is the test's: the record gives the user's
			// ID, ARN and name; the report (proven fresh at as-of) shows an
			// active key never used, by a user created a year earlier.
			user := tables.User{
				AccountID: c.user.account, UserName: c.user.userName, UserID: c.user.principalID, ARN: c.user.arn, Path: "/",
				CreateDate: at.AddDate(-1, 0, 0), PasswordState: tables.PasswordNA, Key1Active: true, Key1LastRotated: at.AddDate(-1, 0, 0),
				ReportGeneratedAt: asOf, ReportNotBefore: at.AddDate(-1, 0, 0), InCredentialReport: true, InAuthorizationDetails: true,
				CredentialReportGiven: true, AuthorizationDetailsGiven: true, Source: "corpus test",
			}
			got, err := findings.Classify([]tables.User{user}, res.Activity, res.Coverage, nil, opts)
			if err != nil {
				t.Fatalf("Classify: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("Classify gave %d findings, want 1", len(got))
			}
			f := got[0]
			if f.Status != tables.StatusActive || f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate {
				t.Errorf("%s: status %q, decision %q (reasons %q); want active: the record at %v proves the credential is in use",
					f.UserName, f.Status, f.Decision, f.Reasons, at)
			}
			if !f.CloudTrailLastEvent.Equal(at) || f.CloudTrailEvents != 1 {
				t.Errorf("finding's CloudTrail evidence = last %v, %d events; want %v, 1", f.CloudTrailLastEvent, f.CloudTrailEvents, at)
			}
		})
	}
}
