package findings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// The quarterly lifecycle (issue 17): a user dormant remediation deactivated
// carries dormant:deactivated and dormant:delete-after. While it stays
// without an active key or a login profile it is `deactivated`: kept until
// its delete-after date, then deleted through the same guards as any
// removal. Use after the deactivation date (the watch table), unreadable
// tags and a user given credentials again each say a person must look.

// maxWatchReasons bounds the events a finding lists; the rest are counted.
const maxWatchReasons = 5

// Reason texts of the lifecycle.
const (
	reasonDependsOn = "something still depends on it: restore it or find the owner"
	reasonReenabled = "a person gave it credentials again after dormant deactivated it: confirm with them before removing it"
)

// watchIndex files the watch table's events by the user they touched: by
// unique ID where the event has one, else by account and user name (a
// failed console sign-in names the user, not its ID).
type watchIndex struct {
	events []tables.WatchEvent // sorted by time, then source, name and ID
	byID   chain[acctName]
	byName chain[acctName]
}

func newWatchIndex(events []tables.WatchEvent) *watchIndex {
	w := &watchIndex{events: slices.Clone(events)}
	slices.SortFunc(w.events, func(a, b tables.WatchEvent) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.EventSource, b.EventSource),
			cmp.Compare(a.EventName, b.EventName), cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.Kind, b.Kind))
	})
	w.byID, w.byName = newChain[acctName](len(w.events)), newChain[acctName](0)
	w.byName.next = w.byID.next // each event is in exactly one of the two chains
	for i := range w.events {
		e := &w.events[i]
		if e.UserID != "" {
			w.byID.add(acctName{e.AccountID, e.UserID}, i)
		} else {
			w.byName.add(acctName{e.AccountID, e.UserName}, i)
		}
	}
	return w
}

// of returns u's events at or after since, in time order: by unique ID,
// and by name for events without one that are not before u's creation (a
// user re-created under the name never inherits the old one's events).
func (w *watchIndex) of(u *tables.User, since time.Time) []tables.WatchEvent {
	var idx []int
	take := func(i int) {
		if !w.events[i].EventTime.Before(since) {
			idx = append(idx, i)
		}
	}
	if u.UserID != "" {
		w.byID.each(acctName{u.AccountID, u.UserID}, take)
	}
	w.byName.each(acctName{u.AccountID, u.UserName}, func(i int) {
		if !w.events[i].EventTime.Before(u.CreateDate) {
			take(i)
		}
	})
	slices.Sort(idx)
	out := make([]tables.WatchEvent, len(idx))
	for j, i := range idx {
		out[j] = w.events[i]
	}
	return out
}

// deactivation reads u's dormant tags into f's dates and returns what they
// say, with the problems ReadDeactivation leaves to the caller: a lone
// delete-after tag, and a delete-after before the deactivation.
func deactivation(u *tables.User, f *tables.Finding) tables.Deactivation {
	d := tables.ReadDeactivation(u.Tags)
	f.DeactivatedOn, f.DeleteAfter = d.On, d.DeleteAfter
	switch {
	case !d.Tagged && !d.DeleteAfter.IsZero():
		d.Problems = append(d.Problems, "tag "+tables.TagDeleteAfter+"="+date(d.DeleteAfter)+" without "+tables.TagDeactivated)
	case !d.On.IsZero() && !d.DeleteAfter.IsZero() && d.DeleteAfter.Before(d.On):
		d.Problems = append(d.Problems, fmt.Sprintf("tag %s=%s is before %s=%s", tables.TagDeleteAfter, date(d.DeleteAfter), tables.TagDeactivated, date(d.On)))
	case !d.On.IsZero() && !u.CreateDate.IsZero() && d.On.Before(u.CreateDate.UTC().Truncate(day)):
		// dormant cannot have deactivated a user before it existed: the tag
		// was copied onto a re-created user or set by hand.
		d.Problems = append(d.Problems, fmt.Sprintf("tag %s=%s is before the user's creation on %s", tables.TagDeactivated, date(d.On), date(u.CreateDate)))
	}
	return d
}

// hasCredentials says whether the credential report shows the user an
// active access key or a login profile.
func hasCredentials(u *tables.User) bool {
	return u.PasswordEnabled || u.Key1Active || u.Key2Active
}

// reactivated says whether u carries a readable dormant:deactivated tag and
// has credentials again.
func reactivated(u *tables.User, d tables.Deactivation) bool {
	return d.Tagged && len(d.Problems) == 0 && u.InCredentialReport && hasCredentials(u)
}

// classifyUser is classify with the lifecycle's last word: a reactivated
// user is never removed on one run's evidence alone.
func (c *classifier) classifyUser(u *tables.User, f *tables.Finding) error {
	if err := c.classify(u, f); err != nil {
		return err
	}
	if u.IsRoot || f.Exemption != "" || !reactivated(u, tables.ReadDeactivation(u.Tags)) {
		return nil
	}
	switch {
	case f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate:
		f.Status, f.Decision = tables.StatusReview, tables.DecisionReview
		f.Reasons = append(f.Reasons, reasonReenabled)
	case f.Decision == tables.DecisionKeep && len(f.UnusedKeys) > 0:
		f.Decision = tables.DecisionReview
		f.Reasons = append(f.Reasons, "unused access keys kept out of the remediation plan until reviewed: "+reasonReenabled)
	}
	return nil
}

// lifecycle classifies a user its dormant tags decide and says whether it
// did; a user without them, or reactivated (after a reason saying so), is
// left to the activity rules. Exempt and root users never reach it.
func (c *classifier) lifecycle(u *tables.User, f *tables.Finding, d tables.Deactivation, ct ctSignal, refs []tables.Reference) bool {
	if len(d.Problems) > 0 {
		f.Status, f.Decision = tables.StatusReview, tables.DecisionReview
		for _, p := range d.Problems {
			f.Reasons = append(f.Reasons, "dormant tags unreadable: "+p+": an edited tag proves nothing, so the user is never deleted on it")
		}
		return true
	}
	if !d.Tagged {
		return false
	}
	since := "deactivated " + date(d.On) + ", delete after " + date(d.DeleteAfter)
	if !u.InCredentialReport {
		f.Status, f.Decision = tables.StatusReview, tables.DecisionReview
		f.Reasons = append(f.Reasons, since+"; without a credential report row it is unknown whether the user still has an active access key or a login profile")
		return true
	}
	events := c.watch.of(u, d.On)
	if hasCredentials(u) {
		f.Reasons = append(f.Reasons, reactivatedReason(u, d, events))
		return false
	}

	if keys := c.activeKeys[allowKey(u.AccountID, u.UserName)]; len(keys) > 0 {
		f.Status, f.Decision = tables.StatusReview, tables.DecisionReview
		f.Reasons = append(f.Reasons, since+"; the credential report shows no active access key, but the access key listing shows "+strings.Join(keys, ", ")+
			" Active: re-enabled after the report was generated, or the listing is older than the deactivation; check the live user")
		return true
	}

	var used, reenabled []tables.WatchEvent
	for _, e := range events {
		switch e.Kind {
		case tables.WatchUse, tables.WatchSigninFailure:
			used = append(used, e)
		case tables.WatchReenable:
			reenabled = append(reenabled, e)
		}
	}
	signals := c.useSince(u, ct, d.On)
	if len(used) > 0 || len(signals) > 0 || len(reenabled) > 0 {
		f.Status, f.Decision = tables.StatusReview, tables.DecisionReview
		f.Reasons = append(f.Reasons, since)
		if len(used) > 0 || len(signals) > 0 {
			head := "used after deactivation"
			if len(used) > 0 {
				head += fmt.Sprintf(" (%d watched events)", len(used))
			}
			f.Reasons = append(f.Reasons, head+": "+reasonDependsOn)
			f.Reasons = append(f.Reasons, signals...)
			f.Reasons = append(f.Reasons, eventReasons(used, describeUse)...)
		}
		if len(reenabled) > 0 {
			f.Reasons = append(f.Reasons, "re-enabled after deactivation, yet the credential report shows no active access key and no login profile (generated before the change, or the change was undone): check the live user")
			f.Reasons = append(f.Reasons, eventReasons(reenabled, describeReenable)...)
		}
		return true
	}

	if d.DeleteAfter.After(c.opts.AsOf) {
		f.Status, f.Decision = tables.StatusDeactivated, tables.DecisionKeep
		f.Reasons = append(f.Reasons, fmt.Sprintf("%s: no active access key, no login profile and no use seen since; keep until %s (%d days after as-of)",
			since, date(d.DeleteAfter), floorDays(d.DeleteAfter.Sub(c.opts.AsOf))))
		return true
	}

	// Due: the guards of every removal come first.
	var review []string
	if !f.LastActivity.IsZero() && !f.LastActivity.Before(c.windowStart) {
		review = append(review, fmt.Sprintf("last activity %s (%s) is inside the window: the evidence the deactivation rested on missed that use", date(f.LastActivity), f.LastActivitySource))
	}
	// The tag is anyone's to write: the age guards of the activity rules
	// still hold, so a tag never removes a user they keep as new.
	switch {
	case u.CreateDate.IsZero():
		review = append(review, "creation date unknown: nothing shows the user existed long enough for dormant to have deactivated it")
	case !u.CreateDate.Before(c.windowStart):
		review = append(review, fmt.Sprintf("created %s, inside the window: a new user is never removed, whatever its tags say", date(u.CreateDate)))
	}
	if u.PasswordState == tables.PasswordUsed && u.PasswordLastUsed.IsZero() {
		// Pre-tracking unknowns end before any deactivation; this one may not.
		review = append(review, "password last use unknown: the credential report marks it used without a date, which may be after the deactivation")
	}
	review = append(review, c.reviewReasons(u, f, ct, refs)...)
	review = append(review, c.trailGaps[u.AccountID]...)
	if len(review) == 0 {
		review = planReasons(f)
	}
	if len(review) > 0 {
		f.Status, f.Decision = tables.StatusReview, tables.DecisionReview
		f.Reasons = append(f.Reasons, since+": due for deletion, but the evidence does not prove it unused:")
		f.Reasons = append(f.Reasons, review...)
		return true
	}
	f.Status, f.Decision = tables.StatusDeactivated, tables.DecisionDelete
	f.Reasons = append(f.Reasons, fmt.Sprintf("%s: no active access key, no login profile and no use seen since; delete-after reached at as-of: delete", since))
	return true
}

// useSince lists the inventory's and the activity table's signs of use at or
// after the deactivation: the watch may not have run, and they are use too.
func (c *classifier) useSince(u *tables.User, ct ctSignal, on time.Time) []string {
	var out []string
	at := func(what string, t time.Time) {
		if !t.IsZero() && !t.Before(on) {
			out = append(out, fmt.Sprintf("%s %s, after the deactivation", what, rfc3339(t)))
		}
	}
	if u.PasswordState == tables.PasswordUsed {
		at("password last used", u.PasswordLastUsed)
	}
	at("access key 1 last used", u.Key1LastUsed)
	at("access key 2 last used", u.Key2LastUsed)
	if !ct.last.IsZero() && !ct.last.Before(on) {
		out = append(out, fmt.Sprintf("CloudTrail last event %s (%s), after the deactivation", rfc3339(ct.last), ct.lastName))
	}
	if ct.failed > 0 && !ct.lastFailed.Before(on) {
		out = append(out, fmt.Sprintf("failed console sign-in %s, after the deactivation", rfc3339(ct.lastFailed)))
	}
	return out
}

// eventReasons is one reason per event, the first maxWatchReasons of them,
// then how many more there are.
func eventReasons(events []tables.WatchEvent, describe func(*tables.WatchEvent) string) []string {
	var out []string
	for i := range events[:min(len(events), maxWatchReasons)] {
		out = append(out, describe(&events[i]))
	}
	if n := len(events) - maxWatchReasons; n > 0 {
		out = append(out, fmt.Sprintf("and %d more such events (the watch table lists them all)", n))
	}
	return out
}

// describeUse is a watched call or sign-in: time, source, name, error.
func describeUse(e *tables.WatchEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", rfc3339(e.EventTime), e.EventSource, e.EventName)
	if e.ErrorCode != "" {
		b.WriteString(" failed: " + e.ErrorCode)
	} else {
		b.WriteString(" succeeded")
	}
	if e.AccessKeyID != "" {
		b.WriteString(", key " + e.AccessKeyID)
	}
	if e.SourceIP != "" {
		b.WriteString(", from " + e.SourceIP)
	}
	return b.String()
}

// describeReenable names who gave the user what, and when.
func describeReenable(e *tables.WatchEvent) string {
	who := e.ActorARN
	if who == "" {
		who = "an unknown principal"
	}
	return fmt.Sprintf("%s by %s on %s", e.EventName, who, rfc3339(e.EventTime))
}

// reactivatedReason says that a deactivated user has credentials again and,
// where the logs show it, who gave them.
func reactivatedReason(u *tables.User, d tables.Deactivation, events []tables.WatchEvent) string {
	var by []string
	for i := range events {
		if events[i].Kind == tables.WatchReenable {
			by = append(by, describeReenable(&events[i]))
		}
	}
	head := "reactivated after dormant deactivated it on " + date(d.On) + ": "
	if len(by) == 0 {
		var has []string
		if u.Key1Active || u.Key2Active {
			has = append(has, "an active access key")
		}
		if u.PasswordEnabled {
			has = append(has, "a login profile")
		}
		return head + "has " + strings.Join(has, " and ") + " again; the logs do not show who"
	}
	if n := len(by) - maxWatchReasons; n > 0 {
		by = append(by[:maxWatchReasons], fmt.Sprintf("and %d more", n))
	}
	return head + strings.Join(by, "; ")
}
