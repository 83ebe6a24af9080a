package changes

import (
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

const acct = "111111111111"

var (
	q1 = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	q2 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	q3 = time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
)

func finding(name, id, status, decision string) tables.Finding {
	return tables.Finding{AccountID: acct, UserName: name, UserID: id, ARN: "arn:aws:iam::" + acct + ":user/" + name, Status: status, Decision: decision}
}

func user(name, id string, tags ...tables.Tag) tables.User {
	return tables.User{AccountID: acct, UserName: name, UserID: id, ARN: "arn:aws:iam::" + acct + ":user/" + name,
		InCredentialReport: true, InAuthorizationDetails: true, CredentialReportGiven: true, AuthorizationDetailsGiven: true, Tags: tags}
}

func byName(rows []tables.Change) map[string]tables.Change {
	m := map[string]tables.Change{}
	for _, r := range rows {
		m[r.UserName+"/"+r.Kind] = r
	}
	return m
}

func TestCompare(t *testing.T) {
	deactTags := []tables.Tag{{Key: tables.TagDeactivated, Value: "2026-08-10"}, {Key: tables.TagDeleteAfter, Value: "2027-08-10"}}
	q1Run := Run{ID: "r1", AsOf: q1, Findings: []tables.Finding{
		finding("old-open", "AIDAOLDOPEN", tables.StatusInactive, tables.DecisionDeactivate),
	}}
	q2Run := Run{ID: "r2", AsOf: q2, Findings: []tables.Finding{
		finding("old-open", "AIDAOLDOPEN", tables.StatusInactive, tables.DecisionDelete),
		finding("open", "AIDAOPEN", tables.StatusNeverUsed, tables.DecisionDeactivate),
		finding("gone", "AIDAGONE", tables.StatusInactive, tables.DecisionDelete),
		finding("again", "AIDAAGAIN", tables.StatusInactive, tables.DecisionDeactivate),
		finding("parked", "AIDAPARKED", tables.StatusInactive, tables.DecisionDeactivate),
		finding("spared", "AIDASPARED", tables.StatusInactive, tables.DecisionDeactivate),
		finding("fresh", "AIDAFRESH", tables.StatusActive, tables.DecisionKeep),
		finding("reborn", "AIDAREBORN1", tables.StatusInactive, tables.DecisionDelete),
	}}
	exempt := finding("spared", "AIDASPARED", tables.StatusExempt, tables.DecisionKeep)
	exempt.Exemption, exempt.ExemptionOwner, exempt.ExemptionExpires = "allowlist", "ops", q3.AddDate(0, 0, 200)
	expiring := finding("soon", "AIDASOON", tables.StatusExempt, tables.DecisionKeep)
	expiring.Exemption, expiring.ExemptionOwner, expiring.ExemptionExpires = "allowlist", "ops", q3.AddDate(0, 0, 30)
	cur := Run{ID: "r3", AsOf: q3, Findings: []tables.Finding{
		finding("old-open", "AIDAOLDOPEN", tables.StatusInactive, tables.DecisionDelete),
		finding("open", "AIDAOPEN", tables.StatusReview, tables.DecisionReview),
		finding("again", "AIDAAGAIN", tables.StatusActive, tables.DecisionKeep),
		finding("parked", "AIDAPARKED", tables.StatusInactive, tables.DecisionDeactivate),
		exempt, expiring,
		finding("fresh", "AIDAFRESH", tables.StatusInactive, tables.DecisionDeactivate),
		finding("reborn", "AIDAREBORN2", tables.StatusNew, tables.DecisionKeep),
	}}
	users := []tables.User{user("old-open", "AIDAOLDOPEN"), user("open", "AIDAOPEN"), user("again", "AIDAAGAIN"),
		user("parked", "AIDAPARKED", deactTags...), user("spared", "AIDASPARED"), user("soon", "AIDASOON"),
		user("fresh", "AIDAFRESH"), user("reborn", "AIDAREBORN2")}
	hist := []Run{q1Run, q2Run}
	got := byName(Compare(Input{Previous: q2Run, Listings: Listings(hist), Current: cur, Users: users}))

	check := func(key, resolved string, age int64, reason string) {
		t.Helper()
		c, ok := got[key]
		if !ok {
			t.Errorf("no %s row; rows: %v", key, got)
			return
		}
		if c.Resolved != resolved || c.AgeDays != age || !strings.Contains(c.Reason, reason) {
			t.Errorf("%s: resolution %q age %d reason %q; want %q, %d, containing %q", key, c.Resolved, c.AgeDays, c.Reason, resolved, age, reason)
		}
	}
	check("old-open/open", "", int64(q3.Sub(q1)/(24*time.Hour)), "listed since 2026-08-01")
	check("open/open", "", int64(q3.Sub(q2)/(24*time.Hour)), "holds it for review")
	check("gone/resolved", tables.ResolvedDeleted, -1, "AIDAGONE is gone")
	check("again/resolved", tables.ResolvedActive, -1, "used again")
	check("parked/resolved", tables.ResolvedDeactivated, -1, "2026-08-10")
	check("spared/resolved", tables.ResolvedExempted, -1, "allowlist")
	check("fresh/new", "", 0, "previous run listed it as active (keep)")
	check("reborn/resolved", tables.ResolvedDeleted, -1, "same name exists with unique ID AIDAREBORN2")
	check("soon/exception_expiring", "", -1, "before the next quarter")
	if _, ok := got["spared/exception_expiring"]; ok {
		t.Error("an exemption ending after the next quarter is listed as expiring")
	}
	if len(got) != 9 {
		t.Errorf("%d rows, want 9: %v", len(got), got)
	}

	// Without the account in this run nothing is claimed.
	none := Compare(Input{Previous: q2Run, Current: Run{ID: "r3", AsOf: q3}})
	for _, c := range none {
		if c.Kind != tables.ChangeNotAssessed {
			t.Errorf("%s: %s with no inventory for its account, want not_assessed", c.UserName, c.Kind)
		}
	}
}

func TestTrendPoint(t *testing.T) {
	p := Point("r", q1, []tables.Finding{
		finding("a", "A", tables.StatusInactive, tables.DecisionDelete),
		finding("b", "B", tables.StatusInactive, tables.DecisionDeactivate),
		finding("c", "C", tables.StatusReview, tables.DecisionReview),
		finding("d", "D", tables.StatusActive, tables.DecisionKeep),
		{AccountID: acct, UserName: tables.RootUserName, Status: tables.StatusRoot, Decision: tables.DecisionKeep},
	})
	if p.Users != 4 || p.Candidates != 2 || p.Delete != 1 || p.Deactivate != 1 || p.Review != 1 || p.Keep != 1 {
		t.Errorf("trend point %+v", p)
	}
}
