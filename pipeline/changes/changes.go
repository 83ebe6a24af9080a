package changes

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// Run is one run of the history as the comparison needs it.
type Run struct {
	ID       string
	AsOf     time.Time
	Findings []tables.Finding
}

// IsCandidate reports whether a decision recommends removing the user.
func IsCandidate(decision string) bool {
	switch decision {
	case tables.DecisionDelete, tables.DecisionDeactivate, tables.DecisionRemoveInIaC:
		return true
	}
	return false
}

// Point counts one run's findings by decision; root rows are left out.
func Point(id string, asOf time.Time, finds []tables.Finding) tables.TrendPoint {
	p := tables.TrendPoint{RunID: id, AsOf: asOf.UTC()}
	for i := range finds {
		f := &finds[i]
		if f.Status == tables.StatusRoot {
			continue
		}
		p.Users++
		switch f.Decision {
		case tables.DecisionDelete:
			p.Delete++
		case tables.DecisionDeactivate:
			p.Deactivate++
		case tables.DecisionRemoveInIaC:
			p.RemoveInIaC++
		case tables.DecisionReview:
			p.Review++
		case tables.DecisionKeep:
			p.Keep++
		}
		if IsCandidate(f.Decision) {
			p.Candidates++
		}
	}
	return p
}

// SortRuns puts runs in as-of order, oldest first (run ID breaking ties).
func SortRuns(runs []Run) {
	slices.SortFunc(runs, func(a, b Run) int { return cmp.Or(a.AsOf.Compare(b.AsOf), strings.Compare(a.ID, b.ID)) })
}

// userKey identifies a user across runs: its account and unique ID, or its
// ARN where the run had no unique ID (no authorization details).
func userKey(account, userID, arn string) string {
	if userID != "" {
		return account + "\x00id:" + userID
	}
	return account + "\x00arn:" + arn
}

// Listings says, for each candidate of the last run of history (sorted
// oldest first), the first run of the unbroken series of runs ending with
// it that listed the user as a candidate.
func Listings(history []Run) []tables.Listing {
	if len(history) == 0 {
		return nil
	}
	since := map[string]tables.Listing{}
	for _, r := range history {
		next := map[string]tables.Listing{}
		for i := range r.Findings {
			f := &r.Findings[i]
			if !IsCandidate(f.Decision) {
				continue
			}
			k := userKey(f.AccountID, f.UserID, f.ARN)
			l, ok := since[k]
			if !ok {
				l = tables.Listing{AccountID: f.AccountID, UserID: f.UserID, ARN: f.ARN, RunID: r.ID, AsOf: r.AsOf.UTC()}
			}
			next[k] = l
		}
		since = next
	}
	out := make([]tables.Listing, 0, len(since))
	for _, l := range since {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b tables.Listing) int {
		return cmp.Or(strings.Compare(a.AccountID, b.AccountID), strings.Compare(a.UserID, b.UserID), strings.Compare(a.ARN, b.ARN))
	})
	return out
}

// Input is what Compare compares.
type Input struct {
	Previous Run
	// Listings are the previous run's candidates' first listings (Listings
	// over the history); a candidate without one counts from the previous
	// run's as-of.
	Listings []tables.Listing
	Current  Run
	// Users is this run's inventory: its tags say who is deactivated, and
	// which accounts (and inputs) this run read.
	Users []tables.User
}

// Compare lists, per user, what changed between the previous run and this
// one: new candidates; previous candidates resolved (deleted, deactivated,
// active again, exempted), still open (with their age) or in an account
// this run did not assess; and exemptions that end before the next quarter.
func Compare(in Input) []tables.Change {
	asOf := in.Current.AsOf.UTC()
	type account struct{ details, report bool }
	accounts := map[string]*account{}
	users := map[string]*tables.User{}
	for i := range in.Users {
		u := &in.Users[i]
		a := accounts[u.AccountID]
		if a == nil {
			a = &account{}
			accounts[u.AccountID] = a
		}
		a.details = a.details || u.AuthorizationDetailsGiven
		a.report = a.report || u.CredentialReportGiven
		users[userKey(u.AccountID, u.UserID, u.ARN)] = u
		if u.UserID != "" {
			users[userKey(u.AccountID, "", u.ARN)] = u
		}
	}
	cur := map[string]*tables.Finding{}
	for i := range in.Current.Findings {
		f := &in.Current.Findings[i]
		cur[userKey(f.AccountID, f.UserID, f.ARN)] = f
		if f.UserID != "" {
			cur[userKey(f.AccountID, "", f.ARN)] = f
		}
	}
	listed := map[string]tables.Listing{}
	for _, l := range in.Listings {
		listed[userKey(l.AccountID, l.UserID, l.ARN)] = l
	}
	age := func(since time.Time) int64 { return int64(asOf.Sub(since.UTC()) / (24 * time.Hour)) }

	var out []tables.Change
	wasCandidate := map[string]bool{}
	for i := range in.Previous.Findings {
		p := &in.Previous.Findings[i]
		if !IsCandidate(p.Decision) {
			continue
		}
		pk := userKey(p.AccountID, p.UserID, p.ARN)
		wasCandidate[pk] = true
		c := tables.Change{
			AccountID: p.AccountID, UserName: p.UserName, UserID: p.UserID, ARN: p.ARN,
			PreviousStatus: p.Status, PreviousDecision: p.Decision, AgeDays: -1,
		}
		l, ok := listed[pk]
		if !ok {
			l = tables.Listing{RunID: in.Previous.ID, AsOf: in.Previous.AsOf.UTC()}
		}
		a := accounts[p.AccountID]
		// A unique ID is matched only where this run has the account's
		// authorization details; without them the ARN is all there is.
		key := pk
		if p.UserID != "" && (a == nil || !a.details) {
			key = userKey(p.AccountID, "", p.ARN)
		}
		f, u := cur[key], users[key]
		switch {
		case a == nil:
			c.Kind, c.Reason = tables.ChangeNotAssessed, "account "+p.AccountID+" is not in this run's inventory: nothing is known about the user today"
		case f == nil && p.UserID != "" && !a.details:
			c.Kind, c.Reason = tables.ChangeNotAssessed, "this run has no authorization details for account "+p.AccountID+": whether unique ID "+p.UserID+" still exists is unknown"
		case f == nil:
			c.Kind, c.Resolved = tables.ChangeResolved, tables.ResolvedDeleted
			c.Reason = "gone from the inventory"
			if p.UserID != "" {
				c.Reason = "unique ID " + p.UserID + " is gone from the inventory"
				if again, ok := cur[userKey(p.AccountID, "", p.ARN)]; ok && again.UserID != p.UserID {
					c.Reason += fmt.Sprintf("; a user of the same name exists with unique ID %s (created %s): a new user, not this one",
						again.UserID, again.CreateDate.UTC().Format(time.DateOnly))
				}
			}
		default:
			c.Status, c.Decision = f.Status, f.Decision
			if c.UserID == "" {
				c.UserID = f.UserID
			}
			switch {
			case deactivated(f, u):
				c.Kind, c.Resolved = tables.ChangeResolved, tables.ResolvedDeactivated
				c.Reason = "deactivated: no active access key, no login profile"
				if u != nil {
					if d := tables.ReadDeactivation(u.Tags); !d.On.IsZero() {
						c.Reason += ", tagged " + tables.TagDeactivated + "=" + d.On.Format(time.DateOnly)
						if !d.DeleteAfter.IsZero() {
							c.Reason += ", due for deletion from " + d.DeleteAfter.Format(time.DateOnly)
						}
					}
				}
			case f.Status == tables.StatusActive:
				c.Kind, c.Resolved = tables.ChangeResolved, tables.ResolvedActive
				c.Reason = "used again"
				if !f.LastActivity.IsZero() {
					c.Reason = fmt.Sprintf("used again: last activity %s (%s)", f.LastActivity.UTC().Format(time.DateOnly), f.LastActivitySource)
				}
			case f.Status == tables.StatusExempt:
				c.Kind, c.Resolved = tables.ChangeResolved, tables.ResolvedExempted
				c.Exemption, c.ExemptionOwner, c.ExemptionExpires = f.Exemption, f.ExemptionOwner, f.ExemptionExpires
				c.Reason = "exempted (" + f.Exemption + ")"
			default:
				c.Kind = tables.ChangeOpen
				c.FirstListed, c.FirstListedRun, c.AgeDays = l.AsOf, l.RunID, age(l.AsOf)
				c.Reason = fmt.Sprintf("still %s (%s), listed since %s", f.Status, f.Decision, l.AsOf.Format(time.DateOnly))
				if !IsCandidate(f.Decision) {
					c.Reason += "; this run holds it for review: " + strings.Join(f.Reasons, "; ")
				}
			}
		}
		out = append(out, c)
	}
	for i := range in.Current.Findings {
		f := &in.Current.Findings[i]
		if IsCandidate(f.Decision) && !wasCandidate[userKey(f.AccountID, f.UserID, f.ARN)] && !wasCandidate[userKey(f.AccountID, "", f.ARN)] {
			out = append(out, tables.Change{
				AccountID: f.AccountID, UserName: f.UserName, UserID: f.UserID, ARN: f.ARN,
				Kind: tables.ChangeNew, Status: f.Status, Decision: f.Decision,
				FirstListed: asOf, FirstListedRun: in.Current.ID, AgeDays: 0,
				Reason: "newly " + f.Status + " (" + f.Decision + "); the previous run listed it as " + previousWord(in.Previous.Findings, f),
			})
		}
		if f.Status == tables.StatusExempt && !f.ExemptionExpires.IsZero() && f.ExemptionExpires.Before(asOf.AddDate(0, 0, tables.NextQuarterDays)) {
			out = append(out, tables.Change{
				AccountID: f.AccountID, UserName: f.UserName, UserID: f.UserID, ARN: f.ARN,
				Kind: tables.ChangeExceptionExpiring, Status: f.Status, Decision: f.Decision, AgeDays: -1,
				Exemption: f.Exemption, ExemptionOwner: f.ExemptionOwner, ExemptionExpires: f.ExemptionExpires.UTC(),
				Reason: fmt.Sprintf("the exemption (%s, owner %s) ends %s, before the next quarter's run (%s): renew it or let the user be assessed",
					f.Exemption, cmp.Or(f.ExemptionOwner, "none named"), f.ExemptionExpires.UTC().Format(time.DateOnly), asOf.AddDate(0, 0, tables.NextQuarterDays).Format(time.DateOnly)),
			})
		}
	}
	slices.SortStableFunc(out, func(a, b tables.Change) int {
		return cmp.Or(strings.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), strings.Compare(a.AccountID, b.AccountID),
			strings.Compare(a.UserName, b.UserName), strings.Compare(a.UserID, b.UserID))
	})
	return out
}

// kindOrder sorts the table: new, open, resolved, not assessed, expiring.
func kindOrder(kind string) string {
	return map[string]string{
		tables.ChangeNew: "1", tables.ChangeOpen: "2", tables.ChangeResolved: "3",
		tables.ChangeNotAssessed: "4", tables.ChangeExceptionExpiring: "5",
	}[kind]
}

// previousWord is what the previous run said of a user: its status and
// decision, or that it did not list it.
func previousWord(prev []tables.Finding, f *tables.Finding) string {
	for i := range prev {
		p := &prev[i]
		if p.AccountID == f.AccountID && ((f.UserID != "" && p.UserID == f.UserID) || (p.UserID == "" && p.ARN == f.ARN)) {
			return p.Status + " (" + p.Decision + ")"
		}
	}
	return "nothing (not in its inventory)"
}

// deactivated reports whether a user is deactivated today: the status says
// so, or it carries dormant:deactivated and its credential report row shows
// no active key and no password.
func deactivated(f *tables.Finding, u *tables.User) bool {
	if f.Status == tables.StatusDeactivated {
		return true
	}
	if u == nil || !u.InCredentialReport {
		return false
	}
	return tables.ReadDeactivation(u.Tags).Tagged && !u.Key1Active && !u.Key2Active && !u.PasswordEnabled
}
