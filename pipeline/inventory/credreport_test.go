package inventory

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

const reportFixture = "credential-report-111111111111.csv"

func TestParseCredentialReportCSVFixture(t *testing.T) {
	data := readFixture(t, reportFixture)
	rep, err := ParseCredentialReport(reportFixture, data)
	if err != nil {
		t.Fatal(err)
	}
	if rep.AccountID != "111111111111" || rep.Format != FormatCSV || !rep.GeneratedAt.IsZero() || !bytes.Equal(rep.CSV, data) {
		t.Errorf("report = account %q format %q generated %v csv %d bytes", rep.AccountID, rep.Format, rep.GeneratedAt, len(rep.CSV))
	}
	want := []tables.User{
		{
			UserName: "<root_account>", ARN: "arn:aws:iam::111111111111:root", IsRoot: true,
			CreateDate: ts("2012-03-14T09:21:44Z"), PasswordState: tables.PasswordUsed, PasswordLastUsed: ts("2026-09-30T07:12:03Z"),
			MFAActive: true,
		},
		{
			UserName: "alice", ARN: "arn:aws:iam::111111111111:user/alice", Path: "/", CreateDate: ts("2019-02-11T10:03:27Z"),
			PasswordEnabled: true, PasswordState: tables.PasswordUsed, PasswordLastUsed: ts("2026-10-28T14:55:01Z"),
			PasswordLastChanged: ts("2025-11-02T08:00:00Z"), MFAActive: true,
			Key1Active: true, Key1LastRotated: ts("2025-11-02T08:05:13Z"), Key1LastUsed: ts("2026-10-30T22:14:00Z"),
			Key1LastUsedRegion: "eu-west-1", Key1LastUsedService: "ec2",
		},
		{
			// Created before tracking began: no_information means unknown.
			UserName: "bob", ARN: "arn:aws:iam::111111111111:user/bob", Path: "/", CreateDate: ts("2013-06-20T16:40:11Z"),
			PasswordEnabled: true, PasswordState: tables.PasswordNoInformation, PasswordLastChanged: ts("2013-06-20T16:40:11Z"),
		},
		{
			// Created after tracking began: no_information means never used.
			UserName: "carol", ARN: "arn:aws:iam::111111111111:user/carol", Path: "/", CreateDate: ts("2025-04-01T12:00:00Z"),
			PasswordEnabled: true, PasswordState: tables.PasswordNever, PasswordLastChanged: ts("2025-04-01T12:00:05Z"),
		},
		{
			// A path, no password, a key used in S3 (region N/A), a key never used, a certificate.
			UserName: "ci-deployer", ARN: "arn:aws:iam::111111111111:user/automation/ci-deployer", Path: "/automation/",
			CreateDate: ts("2021-08-09T13:45:50Z"), PasswordState: tables.PasswordNA,
			Key1Active: true, Key1LastRotated: ts("2024-01-15T09:30:00Z"), Key1LastUsed: ts("2026-10-31T03:02:00Z"),
			Key1LastUsedRegion: "", Key1LastUsedService: "s3",
			Key2Active: true, Key2LastRotated: ts("2026-02-01T10:00:00Z"),
			Cert1Active: true,
		},
		{
			// not_supported written for a user without password.
			UserName: "dave", ARN: "arn:aws:iam::111111111111:user/dave", Path: "/", CreateDate: ts("2024-07-22T08:15:00Z"),
			PasswordState: tables.PasswordNotSupported,
		},
		{
			UserName: "svc,reporting", ARN: "arn:aws:iam::111111111111:user/svc,reporting", Path: "/", CreateDate: ts("2022-11-30T18:20:00Z"),
			PasswordState: tables.PasswordNA, Key1Active: true, Key1LastRotated: ts("2022-11-30T18:21:00Z"),
			Key1LastUsed: ts("2026-06-01T11:11:11Z"), Key1LastUsedRegion: "us-east-1", Key1LastUsedService: "sts",
		},
		{
			UserName: "eve+ops@example.com", ARN: "arn:aws:iam::111111111111:user/eve+ops@example.com", Path: "/",
			CreateDate: ts("2023-03-03T03:03:03Z"), PasswordEnabled: true, PasswordState: tables.PasswordUsed,
			PasswordLastUsed: ts("2025-12-24T17:00:00Z"), PasswordLastChanged: ts("2023-03-03T03:05:00Z"), MFAActive: true,
			Key1LastRotated: ts("2023-03-03T03:06:00Z"), Key1LastUsed: ts("2024-05-05T05:05:05Z"),
			Key1LastUsedRegion: "us-west-2", Key1LastUsedService: "iam",
		},
	}
	if len(rep.Users) != len(want) {
		t.Fatalf("got %d users, want %d", len(rep.Users), len(want))
	}
	for i, w := range want {
		w.AccountID = "111111111111"
		w.InCredentialReport = true
		w.Source = reportFixture
		if diff := diffUser(rep.Users[i], w); diff != "" {
			t.Errorf("user %d (%s): %s", i, w.UserName, diff)
		}
	}
}

// diffUser compares two rows field by field and describes the differences.
func diffUser(got, want tables.User) string {
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if bytes.Equal(g, w) {
		return ""
	}
	var gm, wm map[string]any
	json.Unmarshal(g, &gm)
	json.Unmarshal(w, &wm)
	var b strings.Builder
	for k, wv := range wm {
		if gv := gm[k]; fmt.Sprint(gv) != fmt.Sprint(wv) {
			fmt.Fprintf(&b, "%s = %v, want %v; ", k, gv, wv)
		}
	}
	return b.String()
}

const reportJSONFixture = "credential-report-111111111111.json"

// The CLI JSON fixture is the CSV fixture as `aws iam get-credential-report`
// prints it; -update regenerates it from the CSV.
func TestParseCredentialReportCLIJSON(t *testing.T) {
	csvData := readFixture(t, reportFixture)
	if *update {
		doc := fmt.Sprintf("{\n    \"Content\": %q,\n    \"ReportFormat\": \"text/csv\",\n    \"GeneratedTime\": \"2026-11-01T06:00:00+00:00\"\n}\n",
			base64.StdEncoding.EncodeToString(csvData))
		writeFixture(t, reportJSONFixture, []byte(doc))
	}
	rep, err := ParseCredentialReport(reportJSONFixture, readFixture(t, reportJSONFixture))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Format != FormatCLIJSON || !rep.GeneratedAt.Equal(ts("2026-11-01T06:00:00Z")) || rep.GeneratedAt.Location() != time.UTC {
		t.Errorf("format %q generated %v", rep.Format, rep.GeneratedAt)
	}
	if !bytes.Equal(rep.CSV, csvData) {
		t.Errorf("decoded CSV differs from %s", reportFixture)
	}
	plain, err := ParseCredentialReport(reportFixture, csvData)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Users) != len(plain.Users) {
		t.Fatalf("%d users from JSON, %d from CSV", len(rep.Users), len(plain.Users))
	}
	for i := range plain.Users {
		w := plain.Users[i]
		w.Source = reportJSONFixture
		w.ReportGeneratedAt = rep.GeneratedAt
		if d := diffUser(rep.Users[i], w); d != "" {
			t.Errorf("user %s: %s", w.UserName, d)
		}
	}
}

func TestParseCredentialReportOldFormat(t *testing.T) {
	const name = "credential-report-222222222222-old-format.csv"
	rep, err := ParseCredentialReport(name, readFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if rep.AccountID != "222222222222" || len(rep.Users) != 3 {
		t.Fatalf("account %q, %d users", rep.AccountID, len(rep.Users))
	}
	root, grace, heidi := rep.Users[0], rep.Users[1], rep.Users[2]
	if !root.IsRoot || root.PasswordState != tables.PasswordNoInformation {
		t.Errorf("root: IsRoot %v state %q (created 2014-05-02, no_information)", root.IsRoot, root.PasswordState)
	}
	if grace.PasswordState != tables.PasswordUsed || !grace.PasswordLastUsed.Equal(ts("2015-02-03T10:20:30Z")) ||
		!grace.Key1Active || !grace.Key1LastRotated.Equal(ts("2014-08-01T09:06:00Z")) ||
		!grace.Key1LastUsed.IsZero() || grace.Key1LastUsedRegion != "" || grace.Key1LastUsedService != "" {
		t.Errorf("grace = %+v", grace)
	}
	if !heidi.Key2Active || !heidi.Key2LastRotated.Equal(ts("2015-03-01T08:00:00Z")) || heidi.PasswordState != tables.PasswordNA {
		t.Errorf("heidi = %+v", heidi)
	}
}

func TestPasswordStates(t *testing.T) {
	tests := []struct {
		name, created, lastUsed, enabled string
		wantState                        string
		wantUsed                         time.Time
	}{
		{"date", "2020-01-01T00:00:00+00:00", "2026-10-01T10:00:00+00:00", "true", tables.PasswordUsed, ts("2026-10-01T10:00:00Z")},
		{"date with non-UTC offset", "2020-01-01T00:00:00+00:00", "2026-10-01T12:00:00+02:00", "true", tables.PasswordUsed, ts("2026-10-01T10:00:00Z")},
		{"fractional seconds", "2020-01-01T00:00:00+00:00", "2026-10-01T10:00:00.250+00:00", "true", tables.PasswordUsed, ts("2026-10-01T10:00:00.25Z")},
		{"no_information after tracking began", "2020-01-01T00:00:00+00:00", "no_information", "true", tables.PasswordNever, time.Time{}},
		{"no_information on the day tracking began", "2014-10-20T00:00:00+00:00", "no_information", "true", tables.PasswordNever, time.Time{}},
		{"no_information the day before", "2014-10-19T23:59:59+00:00", "no_information", "true", tables.PasswordNoInformation, time.Time{}},
		{"no_information before, offset crossing midnight", "2014-10-20T01:00:00+02:00", "no_information", "true", tables.PasswordNoInformation, time.Time{}},
		{"N/A", "2020-01-01T00:00:00+00:00", "N/A", "false", tables.PasswordNA, time.Time{}},
		{"not_supported from an exporter", "2020-01-01T00:00:00+00:00", "not_supported", "false", tables.PasswordNotSupported, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ParseCredentialReport("r.csv", reportCSV(map[string]string{
				colUserCreationTime: tt.created, colPasswordLastUsed: tt.lastUsed, colPasswordEnabled: tt.enabled}))
			if err != nil {
				t.Fatal(err)
			}
			u := rep.Users[0]
			if u.PasswordState != tt.wantState || !u.PasswordLastUsed.Equal(tt.wantUsed) {
				t.Errorf("state %q used %v, want %q %v", u.PasswordState, u.PasswordLastUsed, tt.wantState, tt.wantUsed)
			}
			if !u.PasswordLastUsed.IsZero() && u.PasswordLastUsed.Location() != time.UTC {
				t.Errorf("PasswordLastUsed %v not in UTC", u.PasswordLastUsed)
			}
		})
	}
}

func TestCredentialReportValues(t *testing.T) {
	tests := []struct {
		name  string
		over  map[string]string
		check func(u tables.User) bool
	}{
		{"uppercase booleans", map[string]string{colMFAActive: "TRUE", colKey1Active: "TRUE", colCert2Active: "TRUE"},
			func(u tables.User) bool { return u.MFAActive && u.Key1Active && u.Cert2Active }},
		{"mixed-case booleans", map[string]string{colPasswordEnabled: "True", colKey2Active: "tRUE", colCert1Active: "False"},
			func(u tables.User) bool { return u.PasswordEnabled && u.Key2Active && !u.Cert1Active }},
		{"N/A key columns", map[string]string{colKey1Active: "false"},
			func(u tables.User) bool {
				return u.Key1LastRotated.IsZero() && u.Key1LastUsed.IsZero() && u.Key1LastUsedRegion == "" && u.Key1LastUsedService == ""
			}},
		{"moto's not_supported region and service", map[string]string{colKey2Active: "true", colKey2LastUsedDate: "2026-01-02T03:04:05+00:00",
			colKey2LastUsedRegion: "not_supported", colKey2LastUsedService: "not_supported"},
			func(u tables.User) bool {
				return u.Key2LastUsed.Equal(ts("2026-01-02T03:04:05Z")) && u.Key2LastUsedRegion == "" && u.Key2LastUsedService == ""
			}},
		{"key used in a non-regional service", map[string]string{colKey1Active: "true", colKey1LastUsedDate: "2026-01-02T03:04:05+00:00",
			colKey1LastUsedRegion: "N/A", colKey1LastUsedService: "s3"},
			func(u tables.User) bool { return u.Key1LastUsedRegion == "" && u.Key1LastUsedService == "s3" }},
		{"path derived from the ARN", map[string]string{colUser: "x", colARN: "arn:aws:iam::111111111111:user/a/b/x"},
			func(u tables.User) bool { return u.Path == "/a/b/" && u.UserName == "x" && !u.IsRoot }},
		{"GovCloud partition", map[string]string{colARN: "arn:aws-us-gov:iam::111111111111:user/zed"},
			func(u tables.User) bool { return u.AccountID == "111111111111" }},
		{"root row", map[string]string{colUser: "<root_account>", colARN: "arn:aws:iam::111111111111:root", colPasswordEnabled: "not_supported",
			colPasswordLastChanged: "not_supported", colPasswordNextRotate: "not_supported", colPasswordLastUsed: "not_supported"},
			func(u tables.User) bool {
				return u.IsRoot && u.Path == "" && !u.PasswordEnabled && u.PasswordState == tables.PasswordNotSupported
			}},
		{"spaces around values", map[string]string{colMFAActive: " true ", colUserCreationTime: " 2020-01-01T00:00:00+00:00"},
			func(u tables.User) bool { return u.MFAActive && u.CreateDate.Equal(ts("2020-01-01T00:00:00Z")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ParseCredentialReport("r.csv", reportCSV(tt.over))
			if err != nil {
				t.Fatal(err)
			}
			if u := rep.Users[0]; !tt.check(u) {
				t.Errorf("unexpected row %+v", u)
			}
		})
	}
}

func TestCredentialReportFormatDetails(t *testing.T) {
	row := map[string]string{}
	t.Run("BOM and CRLF", func(t *testing.T) {
		data := append([]byte("\xEF\xBB\xBF"), bytes.ReplaceAll(reportCSV(row, map[string]string{colUser: "yan", colARN: "arn:aws:iam::111111111111:user/yan"}), []byte("\n"), []byte("\r\n"))...)
		rep, err := ParseCredentialReport("r.csv", data)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Users) != 2 || rep.Users[1].UserName != "yan" {
			t.Errorf("users = %+v", rep.Users)
		}
	})
	t.Run("columns in another order and unknown extra column", func(t *testing.T) {
		data := []byte("arn,user,extra_future_column,user_creation_time,password_enabled,password_last_used,mfa_active,access_key_1_active,access_key_2_active\n" +
			"arn:aws:iam::111111111111:user/zed,zed,whatever,2020-01-01T00:00:00+00:00,false,N/A,true,false,false\n")
		rep, err := ParseCredentialReport("r.csv", data)
		if err != nil {
			t.Fatal(err)
		}
		if u := rep.Users[0]; u.UserName != "zed" || !u.MFAActive || u.PasswordState != tables.PasswordNA {
			t.Errorf("row = %+v", u)
		}
	})
	t.Run("CLI JSON without GeneratedTime", func(t *testing.T) {
		doc := fmt.Sprintf(`{"Content":%q,"ReportFormat":"text/csv"}`, base64.StdEncoding.EncodeToString(reportCSV(row)))
		rep, err := ParseCredentialReport("r.json", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if !rep.GeneratedAt.IsZero() || rep.Format != FormatCLIJSON {
			t.Errorf("GeneratedAt %v format %q", rep.GeneratedAt, rep.Format)
		}
	})
	t.Run("SDK output marshalled to JSON", func(t *testing.T) {
		// json.Marshal of GetCredentialReportOutput: Content []byte is base64, GeneratedTime RFC 3339.
		doc := fmt.Sprintf(`{"Content":%q,"GeneratedTime":"2026-11-01T06:00:00.123Z","ReportFormat":"text/csv","ResultMetadata":{}}`,
			base64.StdEncoding.EncodeToString(reportCSV(row)))
		rep, err := ParseCredentialReport("r.json", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if !rep.GeneratedAt.Equal(ts("2026-11-01T06:00:00.123Z")) || rep.Users[0].ReportGeneratedAt != rep.GeneratedAt {
			t.Errorf("GeneratedAt %v", rep.GeneratedAt)
		}
	})
}

func TestParseCredentialReportErrors(t *testing.T) {
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	good := reportCSV(map[string]string{})
	tests := []struct {
		name string
		file string // a fixture under testdata, or
		data []byte // inline content
		want []string
	}{
		{name: "wrong header", file: "broken-wrong-header.csv",
			want: []string{"broken-wrong-header.csv: line 1", "wrong header", "not an IAM credential report", "export it again"}},
		{name: "truncated", file: "broken-truncated.csv",
			want: []string{"broken-truncated.csv: line 6", "truncated", "get-credential-report"}},
		{name: "bad date", file: "broken-bad-date.csv",
			want: []string{"broken-bad-date.csv: line 5, column user_creation_time", `unparsable date "4/1/2025 12:00"`}},
		{name: "bad ARN account", file: "broken-bad-arn-account.csv",
			want: []string{"broken-bad-arn-account.csv: line 4, column arn", `account "11111111111" is not a 12-digit account ID`}},
		{name: "empty", data: nil, want: []string{"r.csv: the file is empty"}},
		{name: "whitespace only", data: []byte("\n \n"), want: []string{"r.csv: the file is empty"}},
		{name: "header only", data: []byte(strings.Join(CredentialReportColumns, ",") + "\n"),
			want: []string{"r.csv: ", "header but no rows"}},
		{name: "wrong header after blank lines", data: []byte("\n\nUserName,Arn,CreateDate\n"),
			want: []string{"r.csv: line 3: wrong header"}},
		{name: "missing required column", data: []byte("user,arn,user_creation_time,password_enabled,password_last_used,access_key_1_active,access_key_2_active\n"),
			want: []string{"r.csv: line 1", "required column(s) mfa_active missing"}},
		{name: "duplicate column", data: []byte("user,arn,arn,user_creation_time\n"),
			want: []string{"r.csv: line 1", `column "arn" appears twice`}},
		{name: "short row", data: append(append([]byte(nil), good...), "\nzed2,arn:aws:iam::111111111111:user/zed2,2020-01-01T00:00:00+00:00"...),
			want: []string{"r.csv: line 3", "different number of fields"}},
		{name: "long row", data: append(append([]byte(nil), good...), ",extra"...),
			want: []string{"r.csv: line 2", "different number of fields"}},
		{name: "unterminated quote", data: append(append([]byte(nil), good...), "\n\"svc,rep"...),
			want: []string{"r.csv: line 3", "never closed", "truncated"}},
		{name: "stray quote", data: append(append([]byte(nil), good...), "\nz\"ed,x"...),
			want: []string{"r.csv: line 3", "stray quote"}},
		{name: "date without offset", data: reportCSV(map[string]string{colKey1LastUsedDate: "2026-01-02T03:04:05"}),
			want: []string{"r.csv: line 2, column access_key_1_last_used_date", "no time zone offset"}},
		{name: "bad date in password_last_used", data: reportCSV(map[string]string{colPasswordLastUsed: "yesterday"}),
			want: []string{"r.csv: line 2, column password_last_used", `"yesterday"`}},
		{name: "bad date in cert column", data: reportCSV(map[string]string{colCert2LastRotated: "2026-13-01T00:00:00+00:00"}),
			want: []string{"r.csv: line 2, column cert_2_last_rotated"}},
		{name: "zero date", data: reportCSV(map[string]string{colUserCreationTime: "0001-01-01T00:00:00+00:00"}),
			want: []string{"r.csv: line 2, column user_creation_time", "before 2000"}},
		{name: "bad boolean", data: reportCSV(map[string]string{colMFAActive: "yes"}),
			want: []string{"r.csv: line 2, column mfa_active", `"yes" is not a boolean`}},
		{name: "not_supported outside password_enabled", data: reportCSV(map[string]string{colKey1Active: "not_supported"}),
			want: []string{"line 2, column access_key_1_active"}},
		{name: "not an IAM ARN", data: reportCSV(map[string]string{colARN: "arn:aws:sts::111111111111:assumed-role/x/zed"}),
			want: []string{"line 2, column arn", "not an IAM ARN"}},
		{name: "not an ARN", data: reportCSV(map[string]string{colARN: "zed"}),
			want: []string{"line 2, column arn", "not an ARN"}},
		{name: "role ARN", data: reportCSV(map[string]string{colARN: "arn:aws:iam::111111111111:role/zed"}),
			want: []string{"line 2, column arn", "not a user ARN"}},
		{name: "ARN of another user", data: reportCSV(map[string]string{colARN: "arn:aws:iam::111111111111:user/zack"}),
			want: []string{"line 2, column arn", `names user "zack" but column user says "zed"`}},
		{name: "root row with user ARN", data: reportCSV(map[string]string{colUser: "<root_account>"}),
			want: []string{"line 2, column arn", "want arn:aws:iam::111111111111:root"}},
		{name: "empty user", data: reportCSV(map[string]string{colUser: ""}),
			want: []string{"line 2, column user", "empty user name"}},
		{name: "two accounts", data: reportCSV(map[string]string{}, map[string]string{colUser: "x", colARN: "arn:aws:iam::222222222222:user/x"}),
			want: []string{"r.csv: line 3, column arn", "account 222222222222 differs from account 111111111111 on line 2"}},
		{name: "same user twice", data: reportCSV(map[string]string{}, map[string]string{}),
			want: []string{"r.csv: line 3, column arn", "appears again (first on line 2)"}},
		{name: "same name twice in other case", data: reportCSV(map[string]string{}, map[string]string{colUser: "ZED", colARN: "arn:aws:iam::111111111111:user/ZED"}),
			want: []string{"line 3, column user", `"ZED" appears again`}},
		{name: "CLI JSON truncated", data: []byte(`{"Content": "dXNlcixh`),
			want: []string{"r.csv: line 1, column", "truncated"}},
		{name: "CLI JSON bad base64", data: []byte(`{"Content": "not base64!!", "ReportFormat": "text/csv"}`),
			want: []string{"r.csv: Content: not valid base64"}},
		{name: "CLI JSON without Content", data: []byte(`{"ReportFormat": "text/csv"}`),
			want: []string{"r.csv: Content: missing"}},
		{name: "CLI JSON Content not a string", data: []byte("{\n  \"Content\": 42\n}"),
			want: []string{"r.csv: line 2, column", "Content: found number, want a string"}},
		{name: "CLI JSON other format", data: []byte(`{"Content": "", "ReportFormat": "text/html"}`),
			want: []string{"r.csv: ReportFormat", `"text/html" is not text/csv`}},
		{name: "CLI JSON bad GeneratedTime", data: []byte(fmt.Sprintf(`{"Content": %q, "GeneratedTime": "last tuesday"}`, b64(good))),
			want: []string{"r.csv: GeneratedTime", `unparsable timestamp "last tuesday"`}},
		{name: "CLI JSON with broken CSV inside", data: []byte(fmt.Sprintf(`{"Content": %q}`, b64(reportCSV(map[string]string{colMFAActive: "maybe"})))),
			want: []string{"r.csv: Content: line 2, column mfa_active"}},
		{name: "CLI JSON with empty Content", data: []byte(`{"Content": ""}`),
			want: []string{"r.csv: Content: no header row"}},
		{name: "authorization details given as a report", data: []byte(`{"UserDetailList": []}`),
			want: []string{"authorization details export, not a credential report", "--authorization-details"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, data := "r.csv", tt.data
			if tt.file != "" {
				name, data = tt.file, readFixture(t, tt.file)
			}
			rep, err := ParseCredentialReport(name, data)
			if rep != nil {
				t.Errorf("got a report along with the error")
			}
			checkInputError(t, err, tt.want...)
			if err != nil && !strings.HasPrefix(err.Error(), "parsing credential report: ") {
				t.Errorf("error %q lacks the gerund prefix", err)
			}
		})
	}
}
