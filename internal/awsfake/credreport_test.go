package awsfake

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestCredentialReportCSVGolden(t *testing.T) {
	org := richOrg()
	org.normalize()
	golden(t, "credential-report.csv", org.Account(memberID).CredentialReportCSV())
}

func TestCredentialReportSpecialValues(t *testing.T) {
	org := richOrg()
	org.normalize()
	recs, err := csv.NewReader(bytes.NewReader(org.Account(memberID).CredentialReportCSV())).ReadAll()
	if err != nil {
		t.Fatalf("parsing generated report: %v", err)
	}
	if got, want := strings.Join(recs[0], ","), "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"; got != want {
		t.Fatalf("header:\n got %s\nwant %s", got, want)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		if len(r) != 22 {
			t.Fatalf("row %v has %d columns, want 22", r, len(r))
		}
		rows[r[0]] = r
	}
	tests := []struct {
		user, column, want string
	}{
		{"<root_account>", "arn", "arn:aws:iam::222222222222:root"},
		{"<root_account>", "user_creation_time", "2015-06-24T12:45:00+00:00"},
		{"<root_account>", "password_enabled", "not_supported"},
		{"<root_account>", "password_last_used", "2026-03-01T09:00:00+00:00"},
		{"<root_account>", "password_last_changed", "not_supported"},
		{"<root_account>", "password_next_rotation", "not_supported"},
		{"<root_account>", "mfa_active", "true"},
		{"<root_account>", "access_key_1_active", "false"},
		{"<root_account>", "access_key_1_last_rotated", "N/A"},
		{"alice", "password_enabled", "true"},
		{"alice", "password_last_used", "2026-05-30T07:15:00+00:00"},
		{"alice", "password_last_changed", "2025-12-01T08:00:00+00:00"},
		{"alice", "password_next_rotation", "2026-03-01T08:00:00+00:00"},
		{"alice", "mfa_active", "true"},
		{"alice", "access_key_1_active", "false"}, // the older, inactive key is slot 1
		{"alice", "access_key_1_last_rotated", "2014-03-01T00:00:00+00:00"},
		{"alice", "access_key_1_last_used_date", "N/A"}, // used before tracking began
		{"alice", "access_key_1_last_used_region", "N/A"},
		{"alice", "access_key_2_active", "true"},
		{"alice", "access_key_2_last_used_date", "2026-05-29T12:00:00+00:00"},
		{"alice", "access_key_2_last_used_region", "us-east-1"},
		{"alice", "access_key_2_last_used_service", "s3"},
		{"alice", "cert_1_active", "true"},
		{"alice", "cert_2_last_rotated", "N/A"},
		{"bob", "password_enabled", "false"},
		{"bob", "password_last_used", "2016-11-25T11:20:00+00:00"},
		{"bob", "password_last_changed", "N/A"},
		{"bob", "password_next_rotation", "N/A"},
		{"bob", "access_key_1_active", "false"},
		{"bob", "access_key_1_last_used_service", "N/A"},
		{"carol", "password_last_used", "no_information"},
		{"carol", "mfa_active", "false"},
		{"dave", "arn", "arn:aws:iam::222222222222:user/eng/dave"},
		{"dave", "password_last_used", "N/A"},
		{"dave", "access_key_1_last_used_region", "N/A"}, // IAM is not regional
		{"dave", "access_key_1_last_used_service", "iam"},
		{"dave", "access_key_2_active", "true"},
		{"dave", "access_key_2_last_used_date", "N/A"},
		{"dave", "cert_1_active", "false"},
		{"dave", "cert_1_last_rotated", "2021-05-05T00:00:00+00:00"},
		{"dave", "cert_2_active", "true"},
		{"frank,ops", "password_last_used", "no_information"}, // used before 2014-10-20
	}
	for _, tc := range tests {
		t.Run(tc.user+"/"+tc.column, func(t *testing.T) {
			row, ok := rows[tc.user]
			if !ok {
				t.Fatalf("no row for %s", tc.user)
			}
			if got := row[col[tc.column]]; got != tc.want {
				t.Errorf("%s %s = %q, want %q", tc.user, tc.column, got, tc.want)
			}
		})
	}
	if recs[1][0] != "<root_account>" {
		t.Errorf("first row is %q, want the root row", recs[1][0])
	}
}
