package manifest

import (
	"time"

	"github.com/dormant-iam/dormant/reports/internal/reporttest"
	"github.com/dormant-iam/dormant/tables"
)

var (
	testAsOf      = reporttest.AsOf
	testGenerated = reporttest.Generated
)

func day(s string) time.Time { return reporttest.Time(time.DateOnly, s) }

func user(acct, name, id string) tables.Finding {
	return reporttest.User(acct, name, id, day("2024-01-15"))
}

// testFindings covers every status and decision the manifest must handle.
func testFindings() []tables.Finding {
	root := user("111111111111", tables.RootUserName, "")
	root.ARN = "arn:aws:iam::111111111111:root"
	root.Status, root.Decision = tables.StatusRoot, tables.DecisionReview
	root.Reasons = []string{"root user: reported apart"}

	// inactive, within delete-after: deactivate both keys and the password.
	alice := user("111111111111", "alice", "AIDAALICE00000000001")
	alice.PasswordEnabled, alice.PasswordState = true, tables.PasswordUsed
	alice.PasswordLastUsed = day("2026-05-01")
	alice.Key1Active, alice.Key1LastRotated, alice.Key1LastUsed = true, day("2024-02-01"), day("2026-04-20")
	alice.Key2Active, alice.Key2LastRotated = true, day("2025-01-01")
	alice.LastActivity, alice.LastActivitySource, alice.DaysInactive = day("2026-05-01"), tables.SourceConsole, 184
	alice.Status, alice.Decision = tables.StatusInactive, tables.DecisionDeactivate
	alice.Reasons = []string{"last activity 2026-05-01 (console) is before the window start 2026-08-03"}

	// inactive for longer than delete-after: delete.
	bob := user("111111111111", "bob", "AIDABOB0000000000002")
	bob.ARN = "arn:aws:iam::111111111111:user/division/ops/bob"
	bob.Path = "/division/ops/"
	bob.Key1Active, bob.Key1LastRotated, bob.Key1LastUsed = true, day("2022-01-01"), day("2024-03-01")
	bob.CloudTrailLastEvent = day("2024-03-01").Add(5 * time.Hour)
	bob.LastActivity, bob.LastActivitySource, bob.DaysInactive = bob.CloudTrailLastEvent, tables.SourceCloudTrail, 974
	bob.Status, bob.Decision = tables.StatusInactive, tables.DecisionDelete
	bob.Reasons = []string{"inactive 974 days, more than delete-after 365"}

	// never used, no credentials: deactivate is a tag only.
	carol := user("222222222222", "carol", "AIDACAROL0000000003")
	carol.PasswordState = tables.PasswordNever
	carol.DaysInactive = 290
	carol.CreateDate = day("2026-01-15")
	carol.Status, carol.Decision = tables.StatusNeverUsed, tables.DecisionDeactivate
	carol.Reasons = []string{"never used since creation on 2026-01-15"}

	// active, with an unused key 2: one access_key entry.
	dave := user("111111111111", "dave", "AIDADAVE000000000004")
	dave.Key1Active, dave.Key1LastRotated, dave.Key1LastUsed = true, day("2025-06-01"), day("2026-10-30")
	dave.Key2Active, dave.Key2LastRotated, dave.Key2LastUsed = true, day("2023-06-01"), day("2024-01-01")
	dave.LastActivity, dave.LastActivitySource, dave.DaysInactive = day("2026-10-30"), tables.SourceAccessKey, 2
	dave.Status, dave.Decision = tables.StatusActive, tables.DecisionKeep
	dave.UnusedKeys = []int64{2}
	dave.Reasons = []string{"access key 1 used 2026-10-30"}

	// new user whose only key was never used: key entry, not a user entry.
	erin := user("222222222222", "erin", "AIDAERIN000000000005")
	erin.CreateDate = day("2026-10-01")
	erin.Key1Active, erin.Key1LastRotated = true, day("2026-10-01")
	erin.DaysInactive = 31
	erin.Status, erin.Decision = tables.StatusNew, tables.DecisionKeep
	erin.UnusedKeys = []int64{1}
	erin.Reasons = []string{"created 2026-10-01, within the window"}

	// exempt with an unused key: never touched.
	frank := user("111111111111", "frank", "AIDAFRANK00000000006")
	frank.Key1Active, frank.Key1LastRotated = true, day("2020-01-01")
	frank.Status, frank.Decision = tables.StatusExempt, tables.DecisionKeep
	frank.Exemption, frank.ExemptionOwner = "allowlist", "platform-team"
	frank.UnusedKeys = []int64{1}
	frank.Reasons = []string{"allowlisted by platform-team until 2027-01-01"}

	// review: failed console logins; never in the manifest.
	grace := user("111111111111", "grace", "AIDAGRACE00000000007")
	grace.PasswordEnabled = true
	grace.FailedConsoleLogins = 3
	grace.Status, grace.Decision = tables.StatusReview, tables.DecisionReview
	grace.Reasons = []string{"3 failed console logins in the window"}

	// active, nothing unused.
	heidi := user("222222222222", "heidi", "AIDAHEIDI00000000008")
	heidi.PasswordEnabled, heidi.PasswordLastUsed = true, day("2026-10-31")
	heidi.Status, heidi.Decision = tables.StatusActive, tables.DecisionKeep
	heidi.Reasons = []string{"console sign-in 2026-10-31"}

	// Deliberately unsorted: Build sorts.
	return []tables.Finding{heidi, grace, frank, erin, dave, carol, bob, alice, root}
}

func testInput() Input {
	return Input{
		RunID:           "run-20261101T030405Z",
		GeneratedAt:     testGenerated,
		AsOf:            testAsOf,
		WindowDays:      90,
		DeleteAfterDays: 365,
		Findings:        testFindings(),
	}
}
