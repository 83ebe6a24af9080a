package reports

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports/internal/reporttest"
	"github.com/dormant-iam/dormant/tables"
)

var (
	asOf      = reporttest.AsOf
	generated = reporttest.Generated
)

func at(s string) time.Time { return reporttest.Time(time.RFC3339, s) }

func finding(acct, name, id string) tables.Finding {
	return reporttest.User(acct, name, id, at("2024-01-15T09:30:00Z"))
}

// sampleFindings has every status and decision, every kind of value (zero
// and set times, unknown days, lists) and text that would be a formula in a
// spreadsheet.
func sampleFindings() []tables.Finding {
	root := finding("111111111111", tables.RootUserName, "")
	root.ARN, root.Path = "arn:aws:iam::111111111111:root", ""
	root.CreateDate = at("2015-03-01T00:00:00Z")
	root.PasswordState, root.PasswordLastUsed = tables.PasswordUsed, at("2026-09-01T08:00:00Z")
	root.MFAActive = true
	root.LastActivity, root.LastActivitySource, root.DaysInactive = root.PasswordLastUsed, tables.SourceConsole, 60
	root.Status, root.Decision = tables.StatusRoot, tables.DecisionReview
	root.Reasons = []string{"root user: reported apart", "console sign-in 2026-09-01"}

	alice := finding("111111111111", "alice", "AIDAALICE00000000001")
	alice.PasswordEnabled, alice.PasswordState = true, tables.PasswordUsed
	alice.PasswordLastUsed = at("2026-05-01T10:11:12Z")
	alice.Key1Active, alice.Key1LastRotated, alice.Key1LastUsed = true, at("2024-02-01T00:00:00Z"), at("2026-04-20T00:00:00Z")
	alice.LastActivity, alice.LastActivitySource, alice.DaysInactive = alice.PasswordLastUsed, tables.SourceConsole, 183
	alice.Status, alice.Decision = tables.StatusInactive, tables.DecisionDeactivate
	alice.Reasons = []string{"last activity 2026-05-01 (console) is before the window start 2026-08-03"}

	bob := finding("111111111111", "bob", "AIDABOB0000000000002")
	bob.ARN, bob.Path = "arn:aws:iam::111111111111:user/division/ops/bob", "/division/ops/"
	bob.Key1Active, bob.Key1LastRotated, bob.Key1LastUsed = true, at("2022-01-01T00:00:00Z"), at("2024-03-01T00:00:00Z")
	bob.CloudTrailFirstEvent, bob.CloudTrailLastEvent = at("2024-01-02T03:04:05Z"), at("2024-03-01T05:00:00Z")
	bob.CloudTrailEvents, bob.CloudTrailLastEventName = 1234, "GetObject"
	bob.LastActivity, bob.LastActivitySource, bob.DaysInactive = bob.CloudTrailLastEvent, tables.SourceCloudTrail, 974
	bob.Status, bob.Decision = tables.StatusInactive, tables.DecisionDelete
	bob.Reasons = []string{"inactive 974 days, more than delete-after 365", `last event "GetObject", via key 1`}

	carol := finding("222222222222", "carol", "AIDACAROL0000000003")
	carol.CreateDate, carol.PasswordState, carol.DaysInactive = at("2026-01-15T00:00:00Z"), tables.PasswordNever, 290
	carol.Status, carol.Decision = tables.StatusNeverUsed, tables.DecisionDeactivate
	carol.Reasons = []string{"never used since creation on 2026-01-15"}

	dave := finding("111111111111", "dave", "AIDADAVE000000000004")
	dave.Key1Active, dave.Key1LastRotated, dave.Key1LastUsed = true, at("2025-06-01T00:00:00Z"), at("2026-10-30T00:00:00Z")
	dave.Key2Active, dave.Key2LastRotated, dave.Key2LastUsed = true, at("2023-06-01T00:00:00Z"), at("2024-01-01T00:00:00Z")
	dave.LastActivity, dave.LastActivitySource, dave.DaysInactive = dave.Key1LastUsed, tables.SourceAccessKey, 2
	dave.Status, dave.Decision, dave.UnusedKeys = tables.StatusActive, tables.DecisionKeep, []int64{2}
	dave.Reasons = []string{"access key 1 used 2026-10-30", "access key 2 unused since 2024-01-01"}

	erin := finding("222222222222", "erin", "AIDAERIN000000000005")
	erin.CreateDate, erin.DaysInactive = at("2026-10-01T00:00:00Z"), 31
	erin.Key1Active, erin.Key1LastRotated = true, at("2026-10-01T00:00:00Z")
	erin.Status, erin.Decision, erin.UnusedKeys = tables.StatusNew, tables.DecisionKeep, []int64{1}
	erin.Reasons = []string{"created 2026-10-01, within the window"}

	frank := finding("111111111111", "frank", "AIDAFRANK00000000006")
	frank.Status, frank.Decision = tables.StatusExempt, tables.DecisionKeep
	frank.Exemption, frank.ExemptionOwner = "allowlist", "platform-team@example.com"
	// Free text from the allowlist YAML: a formula if a spreadsheet parsed it.
	frank.ExemptionReason = `=HYPERLINK("http://evil.example","vendor, legacy")`
	frank.ExemptionExpires = at("2027-01-01T00:00:00Z")
	frank.Reasons = []string{"allowlisted by platform-team@example.com until 2027-01-01"}

	grace := finding("111111111111", "grace", "AIDAGRACE00000000007")
	grace.PasswordEnabled, grace.PasswordState = true, tables.PasswordNoInformation
	grace.FailedConsoleLogins, grace.LastFailedConsoleLogin = 3, at("2026-10-20T01:02:03Z")
	grace.References = 2
	grace.Status, grace.Decision = tables.StatusReview, tables.DecisionReview
	grace.Reasons = []string{"3 failed console logins in the window", "named in 2 policies"}

	// Only in the credential report: no unique ID, no authorization details.
	ivan := finding("333333333333", "ivan", "")
	ivan.InAuthorizationDetails, ivan.CreateDate = false, time.Time{}
	ivan.Status, ivan.Decision = tables.StatusReview, tables.DecisionReview
	ivan.AllowlistExpired = true
	ivan.Reasons = []string{"missing from the authorization details (deleted since the report?)", "allowlist entry expired 2026-06-30"}

	// IAM names may contain = + - @: each would start a formula.
	var formulas []tables.Finding
	for i, name := range []string{"=1+2", "+15550100", "-2+3", "@SUM"} {
		f := finding("222222222222", name, fmt.Sprintf("AIDAFORMULA0000000%02d", i))
		f.PasswordEnabled, f.PasswordState, f.PasswordLastUsed = true, tables.PasswordUsed, at("2026-10-15T00:00:00Z")
		f.LastActivity, f.LastActivitySource, f.DaysInactive = f.PasswordLastUsed, tables.SourceConsole, 17
		f.Status, f.Decision = tables.StatusActive, tables.DecisionKeep
		f.Reasons = []string{"console sign-in 2026-10-15"}
		if i == 1 {
			// Active by the run's 90-day window, yet failing IAM.22 (45 days).
			f.PasswordLastUsed, f.LastActivity, f.DaysInactive = at("2026-09-02T00:00:00Z"), at("2026-09-02T00:00:00Z"), 60
			f.Reasons = []string{"console sign-in 2026-09-02"}
		}
		formulas = append(formulas, f)
	}

	out := []tables.Finding{root, alice, bob, dave, frank, grace, carol, erin}
	out = append(out, formulas...)
	return append(out, ivan)
}

func sampleInput() *Input {
	return &Input{
		Run: record.Run{
			RunID:       "run-20261101T030405Z",
			StartedAt:   generated,
			AsOf:        asOf,
			WindowDays:  90,
			ToolVersion: "v0.1.0-test",
			Settings: record.Settings{
				DeleteAfterDays:   365,
				ReportMaxAgeHours: (7 * 24 * time.Hour).Hours(),
				ExemptTag:         "dormant:exempt",
				Engine:            "local",
			},
			Accounts: []record.Account{
				{AccountID: "111111111111", Assessed: true, ReportGeneratedAt: at("2026-10-31T22:00:00Z")},
				// Ten days old at as-of: past the seven-day bound.
				{AccountID: "222222222222", Assessed: true, ReportGeneratedAt: at("2026-10-22T00:00:00Z")},
				{AccountID: "333333333333", Assessed: true, ReportGeneratedAt: at("2026-10-31T22:00:00Z")},
				{AccountID: "444444444444", Assessed: false, Error: "AssumeRole denied: AccessDenied"},
			},
			ReferenceChecks: []string{"iam", "s3", "kms"},
			Unchecked: []record.Unchecked{
				{AccountID: "111111111111", Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::locked-down", Region: "eu-west-1", Error: "AccessDenied: Access Denied"},
			},
		},
		Findings: sampleFindings(),
		Coverage: slices.Concat(
			// Cells per region and day for 111..., regions out of order on purpose.
			dailyCoverage("111111111111", "us-east-1", at("2026-07-01T00:00:00Z"), at("2026-10-31T23:59:00Z"), 5000),
			dailyCoverage("111111111111", "eu-west-1", at("2026-06-15T00:00:00Z"), at("2026-10-30T10:00:00Z"), 700),
			// The account as a whole for 222..., starting after the window start.
			[]tables.Coverage{{AccountID: "222222222222", FirstEvent: at("2026-09-01T00:00:00Z"), LastEvent: at("2026-10-31T12:00:00Z"), Events: 42}},
			// 333... has no CloudTrail data at all.
		),
		References: []tables.Reference{
			{AccountID: "111111111111", UserName: "grace", UserID: "AIDAGRACE00000000007", UserARN: "arn:aws:iam::111111111111:user/grace",
				Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::payroll", Region: "us-east-1", Location: "Principal", Match: "arn:aws:iam::111111111111:user/grace"},
			{AccountID: "111111111111", UserName: "grace", UserID: "AIDAGRACE00000000007", UserARN: "arn:aws:iam::111111111111:user/grace",
				Kind: "role trust policy", ResourceARN: "arn:aws:iam::111111111111:role/deploy", Location: "Condition", Match: "AIDAGRACE00000000007"},
		},
		Allowlist: []record.AllowEntry{
			{AccountID: "111111111111", UserName: "frank", Reason: "vendor, legacy", Owner: "platform-team@example.com", Expires: at("2027-01-01T00:00:00Z")},
			{AccountID: "333333333333", UserName: "ivan", Reason: "migration", Owner: "ops@example.com", Expires: at("2026-06-30T00:00:00Z")},
			{AccountID: "222222222222", UserName: "ghost", Reason: "left the company", Owner: "hr@example.com", Expires: at("2027-03-01T00:00:00Z")},
			{AccountID: "444444444444", UserName: "ci", Reason: "build system", Owner: "ci@example.com", Expires: at("2027-03-01T00:00:00Z")},
		},
		Inputs: []EvidenceFile{
			{Input: record.Input{Path: "inputs/111111111111/credential-report.csv", AccountID: "111111111111",
				Kind: "credential report", Source: "aws:111111111111", GeneratedAt: at("2026-10-31T22:00:00Z")}, SHA256: strings.Repeat("1", 64), Bytes: 2048},
			{Input: record.Input{Path: "inputs/allowlist.yaml", Kind: "allowlist", Source: "/etc/dormant/allowlist.yaml"}, SHA256: strings.Repeat("a", 64), Bytes: 512},
		},
		Queries: []QueryEvidence{
			{Query: record.Query{Engine: "athena", Name: "activity", QueryID: "6f1c9d0e-1111-2222-3333-444455556666", SQLFile: "queries/activity.sql",
				BytesScanned: 3 << 30, CostUSD: 0.0146, EngineTimeMS: 12345},
				SQL: "SELECT useridentity.principalid FROM cloudtrail WHERE eventtime >= '2026-08-03'"},
		},
	}
}

// largeInput is n synthetic findings across 20 accounts, every status.
func largeInput(n int) *Input {
	in := sampleInput()
	in.Findings = make([]tables.Finding, n)
	statuses := []struct{ status, decision string }{
		{tables.StatusActive, tables.DecisionKeep},
		{tables.StatusInactive, tables.DecisionDeactivate},
		{tables.StatusInactive, tables.DecisionDelete},
		{tables.StatusNeverUsed, tables.DecisionDeactivate},
		{tables.StatusNew, tables.DecisionKeep},
		{tables.StatusExempt, tables.DecisionKeep},
		{tables.StatusReview, tables.DecisionReview},
	}
	for i := range in.Findings {
		acct := fmt.Sprintf("%012d", 100000000000+i%20)
		f := finding(acct, fmt.Sprintf("user-%07d", i), fmt.Sprintf("AIDA%017d", i))
		s := statuses[i%len(statuses)]
		f.Status, f.Decision = s.status, s.decision
		f.PasswordEnabled = i%2 == 0
		f.PasswordLastUsed = asOf.Add(-time.Duration(i%900) * 24 * time.Hour)
		f.Key1Active, f.Key1LastRotated, f.Key1LastUsed = true, at("2023-01-01T00:00:00Z"), asOf.Add(-time.Duration(i%500)*time.Hour)
		f.CloudTrailLastEvent, f.CloudTrailEvents, f.CloudTrailLastEventName = f.Key1LastUsed, int64(i%1000), "ListBuckets"
		f.LastActivity, f.LastActivitySource, f.DaysInactive = f.PasswordLastUsed, tables.SourceConsole, int64(i%900)
		f.Reasons = []string{"last activity before the window start 2026-08-03", fmt.Sprintf("inactive %d days", i%900)}
		if s.status == tables.StatusActive {
			f.UnusedKeys = []int64{1}
		}
		in.Findings[i] = f
	}
	return in
}
