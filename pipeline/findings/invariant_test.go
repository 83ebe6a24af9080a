package findings

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// TestInvariantNoRemovalWithoutProof is issue 13's invariant. It generates
// thousands of combinations of inputs, legal but incomplete, stale or odd
// (credential report absent, stale, of unknown age, newer than as-of, with
// only a lower bound, with missing columns; authorization details absent,
// filtered, missing the user; trail coverage full, partial, absent;
// allowlist names in any case, expired or not; user IDs of any legal form,
// shared, malformed; odd option values within range), and asserts for
// every one:
//
//   - Classify neither panics nor fails;
//   - days inactive is never below -1;
//   - a user with any sign of use on or after the window start is never
//     delete or deactivate;
//   - no user is inactive/never_used with decision delete or deactivate
//     unless a credential report of proven freshness lists
//     it, the authorization details were given and list it with its unique
//     ID, the inputs left no gap, and the trail covers the whole window;
//   - an unused key is planned only on the same report and inventory proof;
//   - no user without a credential report row passes a control, and
//     findings.csv is written;
//   - manifest.Build on the findings never fails its own checks.
//
// The oracle is computed here from the inputs, not from the classifier.
func TestInvariantNoRemovalWithoutProof(t *testing.T) {
	const scenarios = 4000
	r := rand.New(rand.NewPCG(13, 2026))
	var removals, keyPlans int
	for n := range scenarios {
		sc := genScenario(r)
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("scenario %d panicked: %v\n%s", n, p, sc)
				}
			}()
			got, err := Classify(sc.users, sc.activity, sc.coverage, sc.refs, sc.opts)
			if err != nil {
				t.Fatalf("scenario %d: Classify failed on legal input: %v\n%s", n, err, sc)
			}
			if len(got) != len(sc.users) {
				t.Fatalf("scenario %d: %d findings for %d users", n, len(got), len(sc.users))
			}
			for i := range got {
				f := &got[i]
				u := sc.userFor(f)
				if msg := sc.check(u, f); msg != "" {
					t.Fatalf("scenario %d, user %s/%s: %s\nfinding: status %s, decision %s, reasons %q\n%s",
						n, f.AccountID, f.UserName, msg, f.Status, f.Decision, f.Reasons, sc)
				}
				switch {
				case f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate:
					removals++
				case manifest.PlansKeys(f):
					keyPlans++
				}
			}
			// Unknown is not false: without a report row, no control passes;
			// and the findings report is written whatever the inputs.
			for i := range got {
				f := &got[i]
				if !f.InCredentialReport && reports.ControlResult(f, sc.opts.AsOf, 45) == reports.ControlPass {
					t.Fatalf("scenario %d, user %s/%s: IAM.22 passes without a credential report row\n%s", n, f.AccountID, f.UserName, sc)
				}
			}
			if err := reports.NewCSVWriter().Write(context.Background(), io.Discard, &reports.Input{Run: record.Run{AsOf: sc.opts.AsOf}, Findings: got}); err != nil {
				t.Fatalf("scenario %d: findings.csv not written: %v\n%s", n, err, sc)
			}
			_, err = manifest.Build(manifest.Input{
				RunID: "run-invariant", GeneratedAt: sc.opts.AsOf, AsOf: sc.opts.AsOf,
				WindowDays: sc.opts.WindowDays, DeleteAfterDays: sc.opts.DeleteAfterDays, Findings: got,
			})
			if err != nil {
				t.Fatalf("scenario %d: the manifest refused findings built from legal input: %v\n%s", n, err, sc)
			}
		}()
	}
	// The generator must reach the decisions it guards, or the test proves nothing.
	if removals < scenarios/20 || keyPlans < scenarios/100 {
		t.Errorf("only %d removals and %d key plans in %d scenarios: the generator no longer reaches them", removals, keyPlans, scenarios)
	}
	t.Logf("%d scenarios: %d removals, %d key plans", scenarios, removals, keyPlans)
}

// scenario is one generated run's inputs.
type scenario struct {
	users    []tables.User
	activity []tables.Activity
	coverage []tables.Coverage
	refs     []tables.Reference
	opts     Options
}

func (sc *scenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "options: as-of %s, window %d, delete-after %d, report max age %s, allowlist %+v\n",
		sc.opts.AsOf.Format(time.RFC3339), sc.opts.WindowDays, sc.opts.DeleteAfterDays, sc.opts.ReportMaxAge, sc.opts.Allowlist)
	for _, u := range sc.users {
		fmt.Fprintf(&b, "user %+v\n", u)
	}
	for _, a := range sc.activity {
		fmt.Fprintf(&b, "activity %+v\n", a)
	}
	for _, c := range sc.coverage {
		fmt.Fprintf(&b, "coverage %+v\n", c)
	}
	for _, ref := range sc.refs {
		fmt.Fprintf(&b, "reference %+v\n", ref)
	}
	return b.String()
}

// userFor finds the user a finding is of (users are distinct by account,
// name and ID in a scenario).
func (sc *scenario) userFor(f *tables.Finding) *tables.User {
	for i := range sc.users {
		u := &sc.users[i]
		if u.AccountID == f.AccountID && u.UserName == f.UserName && u.UserID == f.UserID && u.ARN == f.ARN {
			return u
		}
	}
	return nil
}

// check returns what is wrong with f, or "".
func (sc *scenario) check(u *tables.User, f *tables.Finding) string {
	if u == nil {
		return "finding of no input user"
	}
	if f.DaysInactive < -1 {
		return fmt.Sprintf("days inactive %d", f.DaysInactive)
	}
	removal := f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate
	if removal {
		// A deactivated user (lifecycle.go) is only ever deleted, when due.
		deactivated := f.Status == tables.StatusDeactivated && f.Decision == tables.DecisionDelete
		if f.Status != tables.StatusInactive && f.Status != tables.StatusNeverUsed && !deactivated {
			return "removal of a user whose status is " + f.Status
		}
		if t, what := sc.lastUse(u); !t.IsZero() && !t.Before(sc.opts.WindowStart()) {
			return fmt.Sprintf("removal of a user used %s (%s), on or after the window start", t.Format(time.RFC3339), what)
		}
		if why := sc.exempt(u); why != "" {
			return "removal of an exempt user: " + why
		}
		if why := sc.unproven(u); why != "" {
			return "removal without proof: " + why
		}
		if why := sc.uncovered(u.AccountID); why != "" {
			return "removal without trail coverage: " + why
		}
		if len(sc.refsOf(u)) > 0 {
			return "removal of a user a policy names"
		}
	}
	if manifest.PlansKeys(f) {
		if why := sc.unproven(u); why != "" {
			return "unused key planned without proof: " + why
		}
	}
	return ""
}

// lastUse is the latest sign of use the inputs hold for u, and where.
func (sc *scenario) lastUse(u *tables.User) (time.Time, string) {
	var last time.Time
	var what string
	see := func(t time.Time, w string) {
		if t.After(last) {
			last, what = t, w
		}
	}
	if u.PasswordState == tables.PasswordUsed {
		see(u.PasswordLastUsed, "password")
	}
	see(u.Key1LastUsed, "key 1")
	see(u.Key2LastUsed, "key 2")
	for _, a := range sc.activity {
		switch {
		case a.PrincipalID != "" && a.PrincipalID == u.UserID:
			see(a.LastEvent, "CloudTrail by unique ID")
		case a.PrincipalID == "" && a.ARN == u.ARN && !a.LastEvent.Before(u.CreateDate):
			see(a.LastEvent, "CloudTrail by ARN after creation")
		}
	}
	return last, what
}

func (sc *scenario) exempt(u *tables.User) string {
	for _, tg := range u.Tags {
		if tg.Key == sc.opts.ExemptTagKey && strings.EqualFold(tg.Value, "true") {
			return "tagged"
		}
	}
	for _, e := range sc.opts.Allowlist {
		if e.AccountID == u.AccountID && strings.EqualFold(e.UserName, u.UserName) && !e.Expires.Before(sc.opts.AsOf) {
			return "allowlisted as " + e.UserName
		}
	}
	return ""
}

// unproven says what of the report and inventory proof is missing for u.
func (sc *scenario) unproven(u *tables.User) string {
	asOf, maxAge := sc.opts.AsOf, sc.opts.ReportMaxAge
	switch {
	case !u.CredentialReportGiven || !u.InCredentialReport:
		return "no credential report row"
	case !u.ReportGeneratedAt.IsZero() && asOf.Sub(u.ReportGeneratedAt) > maxAge:
		return "report generated " + u.ReportGeneratedAt.Format(time.RFC3339)
	case u.ReportGeneratedAt.IsZero() && (u.ReportNotBefore.IsZero() || asOf.Sub(u.ReportNotBefore) > maxAge):
		return "report of unproven age"
	case !u.AuthorizationDetailsGiven || !u.InAuthorizationDetails || u.UserID == "":
		return "not in authorization details"
	case len(u.InputGaps) > 0:
		return "input gaps " + strings.Join(u.InputGaps, "; ")
	}
	for i := range sc.users {
		if o := &sc.users[i]; o != u && o.AccountID == u.AccountID && o.UserID == u.UserID {
			return "unique ID shared with " + o.UserName
		}
	}
	return ""
}

// uncovered says how the trail misses the window for the account, by the
// rule computed here from the cells: every region with records must have
// them on every day from the window start's day to the day before as-of,
// and the account's records must start at or before the window start.
func (sc *scenario) uncovered(account string) string {
	var first time.Time
	days := map[string]map[time.Time]bool{}
	for _, c := range sc.coverage {
		if c.AccountID != account {
			continue
		}
		if !c.FirstEvent.IsZero() && (first.IsZero() || c.FirstEvent.Before(first)) {
			first = c.FirstEvent
		}
		if days[c.Region] == nil {
			days[c.Region] = map[time.Time]bool{}
		}
		days[c.Region][c.Hour.Truncate(24*time.Hour)] = true
	}
	switch {
	case first.IsZero():
		return "none"
	case first.After(sc.opts.WindowStart()):
		return "starts " + first.Format(time.RFC3339)
	}
	lastDay := sc.opts.AsOf.Add(-24 * time.Hour).Truncate(24 * time.Hour)
	for region, seen := range days {
		for d := sc.opts.WindowStart().Truncate(24 * time.Hour); !d.After(lastDay); d = d.Add(24 * time.Hour) {
			if !seen[d] {
				return "gap in " + region + " on " + d.Format(time.DateOnly)
			}
		}
	}
	return ""
}

func (sc *scenario) refsOf(u *tables.User) []tables.Reference {
	var out []tables.Reference
	for _, ref := range sc.refs {
		if (ref.UserID != "" && ref.UserID == u.UserID) || (ref.UserARN != "" && ref.UserARN == u.ARN) {
			out = append(out, ref)
		}
	}
	return out
}

// genScenario draws one run: one or two accounts, one to four users.
func genScenario(r *rand.Rand) *scenario {
	sc := &scenario{}
	pick := func(n int) int { return r.IntN(n) }
	// Options: odd values within range.
	asOf := time.Date(2016+pick(15), time.Month(1+pick(12)), 1+pick(28), pick(24), pick(60), pick(60), 0, time.UTC)
	switch pick(40) {
	case 0:
		asOf = minAsOf
	case 1:
		asOf = maxAsOf.Add(-time.Second)
	}
	opts := DefaultOptions(asOf)
	switch pick(4) {
	case 0:
		opts.WindowDays = 1 + pick(3)
	case 1:
		opts.WindowDays = 1 + pick(3650)
	}
	switch pick(4) {
	case 0:
		opts.DeleteAfterDays = 1 + pick(3)
	case 1:
		opts.DeleteAfterDays = 1 + pick(maxDays)
	}
	switch pick(4) {
	case 0:
		opts.ReportMaxAge = time.Duration(1+pick(48)) * time.Hour
	case 1:
		opts.ReportMaxAge = time.Duration(1+pick(400)) * day
	}
	S := opts.WindowStart()
	// around draws a time near a reference point: before, at, or after it.
	around := func(ref time.Time) time.Time {
		switch pick(6) {
		case 0:
			return ref
		case 1:
			return ref.Add(-time.Second)
		case 2:
			return ref.Add(time.Duration(1+pick(1000)) * time.Hour)
		default:
			return ref.Add(-time.Duration(1+pick(20000)) * time.Hour)
		}
	}
	// anyTime is zero, near the window start, near as-of, or long ago.
	anyTime := func() time.Time {
		switch pick(5) {
		case 0:
			return time.Time{}
		case 1:
			return around(S)
		case 2:
			return around(asOf)
		case 3:
			return asOf.Add(-time.Duration(pick(24*365*12)) * time.Hour)
		default:
			return around(S.Add(-time.Duration(pick(24*400)) * time.Hour))
		}
	}

	accounts := []string{"111111111111", "222222222222"}[:1+pick(2)]
	type acctInputs struct {
		reportGiven, authGiven, filtered bool
		generated, notBefore             time.Time
	}
	inputs := map[string]acctInputs{}
	for _, acc := range accounts {
		in := acctInputs{reportGiven: pick(8) != 0, authGiven: pick(6) != 0, filtered: pick(8) == 0}
		if in.reportGiven {
			switch pick(8) {
			case 0: // CSV of unknown age
			case 1: // CSV with only the lower bound inside it
				in.notBefore = around(asOf.Add(-opts.ReportMaxAge))
			case 2: // newer than as-of
				in.generated = asOf.Add(time.Duration(1+pick(5000)) * time.Hour)
			case 3: // stale
				in.generated = asOf.Add(-opts.ReportMaxAge - time.Duration(1+pick(5000))*time.Minute)
			case 4: // stated, at the limit
				in.generated = asOf.Add(-opts.ReportMaxAge)
			default: // fresh JSON
				in.generated = asOf.Add(-time.Duration(pick(int(opts.ReportMaxAge/time.Minute)+1)) * time.Minute)
				if pick(3) == 0 {
					in.notBefore = in.generated.Add(-time.Duration(pick(100)) * time.Minute)
				}
			}
		}
		inputs[acc] = in
		// Coverage: absent, hourly cells for the whole window, or cells
		// with gap days, a late start behind one stray early record, a
		// missing last day, or a second region that starts late.
		full := func(region string) []tables.Coverage {
			return dailyCells(acc, region, S.Add(-time.Hour), asOf.Add(-time.Hour))
		}
		switch pick(7) {
		case 0:
		case 1: // gap days in the middle
			gapFrom := S.Truncate(24 * time.Hour).Add(time.Duration(1+pick(60)) * 24 * time.Hour)
			sc.coverage = append(sc.coverage, withoutDays(full("us-east-1"), gapFrom, gapFrom.Add(time.Duration(pick(5))*24*time.Hour))...)
		case 2: // one stray record before the window, the logs starting 20 days late
			sc.coverage = append(sc.coverage, dailyCells(acc, "us-east-1", S.Add(-2*time.Hour), S.Add(-2*time.Hour))...)
			sc.coverage = append(sc.coverage, dailyCells(acc, "us-east-1", S.Add(20*24*time.Hour), asOf.Add(-time.Hour))...)
		case 3: // the last days missing
			sc.coverage = append(sc.coverage, dailyCells(acc, "us-east-1", S.Add(-time.Hour), around(asOf.Add(-3*24*time.Hour)))...)
		default:
			sc.coverage = append(sc.coverage, full("us-east-1")...)
			if pick(3) == 0 {
				if pick(2) == 0 {
					sc.coverage = append(sc.coverage, full("eu-west-1")...)
				} else { // a second region that starts late: a gap in that region
					sc.coverage = append(sc.coverage, dailyCells(acc, "eu-west-1", around(S.Add(10*24*time.Hour)), asOf.Add(-time.Hour))...)
				}
			}
		}
	}

	for _, acc := range accounts {
		if in := inputs[acc]; in.reportGiven && pick(3) == 0 {
			sc.users = append(sc.users, tables.User{
				AccountID: acc, UserName: tables.RootUserName, ARN: "arn:aws:iam::" + acc + ":root", IsRoot: true,
				CreateDate: anyTime(), PasswordState: tables.PasswordNotSupported, PasswordLastUsed: anyTime(),
				InCredentialReport: true, CredentialReportGiven: true, AuthorizationDetailsGiven: in.authGiven,
				ReportGeneratedAt: in.generated, ReportNotBefore: in.notBefore,
			})
		}
	}

	nUsers := 1 + pick(4)
	for i := range nUsers {
		acc := accounts[pick(len(accounts))]
		in := inputs[acc]
		name := []string{"alice", "Alice", "svc-sftp-prod", "SVC-SFTP-PROD", "build.bot@corp", "x"}[pick(6)] + fmt.Sprint(i)
		id := []string{
			fmt.Sprintf("AIDA%016d", i),
			fmt.Sprintf("ABCDEFGHIJKLMNO%d", i), // moto and other issuers: no AIDA
			fmt.Sprintf("aida_%011d", i),
		}[pick(3)]
		if pick(30) == 0 {
			id = "AIDA0000000000000000" // shared with another user of the scenario
		}
		if pick(60) == 0 {
			id = "AIDA-BROKEN" // outside IAM's contract
		}
		u := tables.User{
			AccountID: acc, UserName: name, UserID: id,
			ARN: "arn:aws:iam::" + acc + ":user/" + name, Path: "/",
			CreateDate:                anyTime(),
			CredentialReportGiven:     in.reportGiven,
			AuthorizationDetailsGiven: in.authGiven,
			Source:                    "invariant",
		}
		if pick(40) == 0 {
			u.ARN = "arn:aws:iam::" + acc + ":user/" + strings.ToUpper(name) // ARN and name disagree in case
		}
		if in.reportGiven && pick(10) != 0 {
			u.InCredentialReport = true
			u.ReportGeneratedAt, u.ReportNotBefore = in.generated, in.notBefore
			switch pick(5) {
			case 0:
				u.PasswordEnabled, u.PasswordState, u.PasswordLastUsed = true, tables.PasswordUsed, anyTime()
			case 1:
				u.PasswordEnabled, u.PasswordState = true, tables.PasswordNever
			case 2:
				u.PasswordEnabled, u.PasswordState = true, tables.PasswordNoInformation
			case 3:
				u.PasswordState = tables.PasswordNotSupported
			default:
				u.PasswordState = tables.PasswordNA
			}
			u.MFAActive = pick(2) == 0
			if pick(2) == 0 {
				u.Key1Active, u.Key1LastRotated, u.Key1LastUsed = pick(5) != 0, anyTime(), anyTime()
			}
			if pick(3) == 0 {
				u.Key2Active, u.Key2LastRotated, u.Key2LastUsed = pick(5) != 0, anyTime(), anyTime()
			}
			if pick(10) == 0 {
				// A report without the last-used columns: the values read
				// as none, and the inventory says so.
				u.Key1LastUsed, u.Key2LastUsed = time.Time{}, time.Time{}
				u.InputGaps = append(u.InputGaps, "credential report lacks the access_key_N_last_used_* columns: key use unknown")
			}
		}
		if in.authGiven {
			if pick(12) == 0 {
				u.UserID = "" // missing from the authorization details
			} else {
				u.InAuthorizationDetails = true
				if pick(8) == 0 {
					u.Tags = []tables.Tag{{Key: opts.ExemptTagKey, Value: []string{"true", "TRUE", "false"}[pick(3)]}}
				}
			}
			if in.filtered {
				u.InputGaps = append(u.InputGaps, "authorization details have no RoleDetailList (an export filtered to users): trust policies not checked")
			}
		} else {
			u.UserID = ""
		}
		if !u.InCredentialReport && !u.InAuthorizationDetails {
			u.InCredentialReport = true // the inventory lists only users some input names
			u.CredentialReportGiven = true
		}
		sc.users = append(sc.users, u)

		// CloudTrail rows for the user: by unique ID, by ARN only, failed sign-ins.
		for range pick(3) {
			a := tables.Activity{AccountID: acc, ARN: u.ARN, UserName: name, LastEvent: anyTime(), Events: 1}
			if a.LastEvent.IsZero() {
				continue
			}
			a.FirstEvent = a.LastEvent.Add(-time.Hour)
			if pick(3) != 0 {
				a.PrincipalID = u.UserID
			}
			if pick(15) == 0 {
				a.FailedConsoleLogins, a.LastFailedConsoleLogin = 1, a.LastEvent
			}
			sc.activity = append(sc.activity, a)
		}
		if pick(12) == 0 {
			sc.refs = append(sc.refs, tables.Reference{AccountID: acc, UserName: name, UserID: u.UserID, UserARN: u.ARN,
				Kind: "role trust policy", ResourceARN: "arn:aws:iam::" + acc + ":role/r", Location: "Principal", Match: u.ARN})
		}
		// Allowlist entries: the name in any case, valid or expired, or for
		// another account.
		if pick(6) == 0 {
			e := AllowEntry{AccountID: acc, UserName: name, Reason: "kept", Owner: "owner@example.com", Expires: around(asOf)}
			switch pick(3) {
			case 0:
				e.UserName = strings.ToUpper(name)
			case 1:
				e.UserName = strings.ToLower(name)
			}
			if pick(5) == 0 {
				e.AccountID = "999999999999"
			}
			opts.Allowlist = append(opts.Allowlist, e)
		}
	}
	sc.opts = opts
	return sc
}
