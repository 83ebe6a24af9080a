package reporttest

import (
	"time"

	"github.com/dormant-iam/dormant/tables"
)

var (
	// AsOf is the fixtures' as-of time.
	AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// Generated is when the fixtures' run made its reports.
	Generated = time.Date(2026, 11, 1, 3, 4, 5, 0, time.UTC)
)

// Time parses the fixture time s in layout. It panics on a malformed s: the
// fixtures are constants, so that is a mistake in a test.
func Time(layout, s string) time.Time {
	t, err := time.Parse(layout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// User returns the finding for an IAM user at path "/" that is in both the
// credential report (generated two hours before AsOf) and the authorization
// details, created at created, with no password and no activity; tests set
// the rest.
func User(acct, name, id string, created time.Time) tables.Finding {
	return tables.Finding{
		AccountID:              acct,
		UserName:               name,
		UserID:                 id,
		ARN:                    "arn:aws:iam::" + acct + ":user/" + name,
		Path:                   "/",
		CreateDate:             created,
		PasswordState:          tables.PasswordNA,
		DaysInactive:           -1,
		InCredentialReport:     true,
		InAuthorizationDetails: true,
		ReportGeneratedAt:      AsOf.Add(-2 * time.Hour),

		CredentialReportGiven:     true,
		AuthorizationDetailsGiven: true,
	}
}
