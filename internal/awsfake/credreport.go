package awsfake

import (
	"bytes"
	"encoding/csv"
	"sort"
	"strconv"
	"time"
)

// CredentialReportHeader is the credential report's header, AWS's 22 columns
// in AWS's order.
var CredentialReportHeader = []string{
	"user", "arn", "user_creation_time",
	"password_enabled", "password_last_used", "password_last_changed", "password_next_rotation",
	"mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// Special values of the credential report.
const (
	reportNA            = "N/A"
	reportNoInformation = "no_information"
	reportNotSupported  = "not_supported"
	reportRootUser      = "<root_account>"
)

// IAM began tracking password use on 2014-10-20 and access key use on
// 2015-04-22; earlier use is reported as if it never happened.
var (
	passwordTrackingStart = time.Date(2014, 10, 20, 0, 0, 0, 0, time.UTC)
	keyTrackingStart      = time.Date(2015, 4, 22, 0, 0, 0, 0, time.UTC)
)

// reportTime formats a report timestamp the way AWS writes it:
// 2017-06-10T02:35:07+00:00.
func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

func reportBool(b bool) string { return strconv.FormatBool(b) }

// CredentialReportCSV builds the account's credential report from its
// current state: the header, the root row, then one row per user in the
// account's order.
//
// Values follow the IAM User Guide and real reports:
//   - password_last_used is N/A for a user who never had a password,
//     no_information for a password never used (or not since 2014-10-20),
//     and keeps the last sign-in date after the password is removed;
//   - a key or certificate that exists shows its rotation date whether active
//     or not (as real reports do); missing ones are false/N/A;
//   - access key last-used columns are N/A when never used or used before
//     2015-04-22, and the region is N/A for non-regional services;
//   - the root row has not_supported for password_enabled,
//     password_last_changed and password_next_rotation.
func (a *Account) CredentialReportCSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	// The csv writer only fails on its io.Writer, and bytes.Buffer does not.
	_ = w.Write(CredentialReportHeader)
	_ = w.Write(a.rootRow())
	for _, u := range a.Users {
		_ = w.Write(a.userRow(u))
	}
	w.Flush()
	return buf.Bytes()
}

func (a *Account) rootRow() []string {
	row := []string{reportRootUser, arnPrefix(a.ID) + "root", reportTime(a.CreateDate), reportNotSupported}
	if t := a.Root.PasswordLastUsed; t != nil && !t.Before(passwordTrackingStart) {
		row = append(row, reportTime(*t))
	} else {
		row = append(row, reportNoInformation)
	}
	row = append(row, reportNotSupported, reportNotSupported, reportBool(a.Root.MFAActive))
	row = append(row, keyColumns(a.Root.AccessKeys)...)
	return append(row, certColumns(a.Root.SigningCertificates)...)
}

func (a *Account) userRow(u *User) []string {
	row := []string{u.Name, u.ARN(a.ID), reportTime(u.CreateDate), reportBool(u.LoginProfile != nil)}
	switch t := u.PasswordLastUsed; {
	case t != nil && !t.Before(passwordTrackingStart):
		row = append(row, reportTime(*t))
	case u.LoginProfile != nil:
		row = append(row, reportNoInformation)
	default:
		row = append(row, reportNA)
	}
	if lp := u.LoginProfile; lp != nil {
		changed := lp.PasswordLastChanged
		if changed.IsZero() {
			changed = lp.CreateDate
		}
		row = append(row, reportTime(changed))
		if a.PasswordMaxAgeDays > 0 {
			row = append(row, reportTime(changed.AddDate(0, 0, a.PasswordMaxAgeDays)))
		} else {
			row = append(row, reportNA)
		}
	} else {
		row = append(row, reportNA, reportNA)
	}
	row = append(row, reportBool(len(u.MFADevices) > 0))
	row = append(row, keyColumns(u.AccessKeys)...)
	return append(row, certColumns(u.SigningCertificates)...)
}

// keyColumns returns the ten access key columns; keys fill slots 1 and 2 in
// creation order.
func keyColumns(keys []*AccessKey) []string {
	sorted := append([]*AccessKey(nil), keys...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].CreateDate.Before(sorted[j].CreateDate) })
	var cols []string
	for slot := 0; slot < 2; slot++ {
		if slot >= len(sorted) {
			cols = append(cols, "false", reportNA, reportNA, reportNA, reportNA)
			continue
		}
		k := sorted[slot]
		cols = append(cols, reportBool(k.Status == StatusActive), reportTime(k.CreateDate))
		if k.LastUsedDate == nil || k.LastUsedDate.Before(keyTrackingStart) {
			cols = append(cols, reportNA, reportNA, reportNA)
			continue
		}
		region := k.LastUsedRegion
		if region == "" {
			region = reportNA
		}
		service := k.LastUsedService
		if service == "" {
			service = reportNA
		}
		cols = append(cols, reportTime(*k.LastUsedDate), region, service)
	}
	return cols
}

func certColumns(certs []*SigningCertificate) []string {
	sorted := append([]*SigningCertificate(nil), certs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].UploadDate.Before(sorted[j].UploadDate) })
	var cols []string
	for slot := 0; slot < 2; slot++ {
		if slot >= len(sorted) {
			cols = append(cols, "false", reportNA)
			continue
		}
		c := sorted[slot]
		cols = append(cols, reportBool(c.Status == StatusActive), reportTime(c.UploadDate))
	}
	return cols
}
