package changes

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/pipeline/remediate"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// Entry is one thing the previous quarter planned (a manifest entry) or
// did (a journal entry), as Check checks it.
type Entry struct {
	AccountID, UserName, UserID, ARN string
	Kind                             string // manifest.KindUser or manifest.KindAccessKey
	KeySlot                          int
	KeyCreated                       time.Time // the planned key's creation date; zero when unknown
	Action                           string    // remediate.Action*: deactivate, delete, deactivate-key, delete-key
	Source, RunID                    string
	// From the journal: its account of the entry, whether every call it
	// records succeeded (Done), and what restore did to the user since.
	Journal  string
	Done     bool
	Restored string
	// RestoredUserID is the unique ID restore's CreateUser gave the user.
	RestoredUserID string
}

// action is the remediate action for a manifest entry.
func action(e *manifest.Entry) string {
	switch {
	case e.Kind == manifest.KindAccessKey && e.Decision == manifest.DecisionDelete:
		return remediate.ActionDeleteKey
	case e.Kind == manifest.KindAccessKey:
		return remediate.ActionDeactivateKey
	case e.Decision == manifest.DecisionDelete:
		return remediate.ActionDelete
	case e.Decision == manifest.DecisionRemoveInIaC:
		return remediate.ActionRemoveInIaC
	}
	return remediate.ActionDeactivate
}

// FromManifest is a manifest's plan; source is tables.PlanReviewed or
// tables.PlanRun.
func FromManifest(m *manifest.Manifest, source string) []Entry {
	out := make([]Entry, 0, len(m.Entries))
	for i := range m.Entries {
		e := &m.Entries[i]
		out = append(out, Entry{
			AccountID: e.AccountID, UserName: e.UserName, UserID: e.UserID, ARN: e.ARN, Kind: e.Kind,
			KeySlot: e.KeySlot, KeyCreated: e.KeyLastRotated, Action: action(e), Source: source, RunID: m.RunID,
		})
	}
	return out
}

// FromJournal is what a remediation journal records of run runID: one
// entry per manifest entry it acted on, with its calls' results, and the
// restores done since. plan, when not nil, supplies what the journal does
// not record (the ARN, a key's creation date). It is an error for the
// journal to hold nothing of the run: it is then another run's journal.
func FromJournal(recs []remediate.JournalRecord, runID string, plan *manifest.Manifest) ([]Entry, error) {
	type call struct{ call, target string }
	type group struct {
		e     Entry
		last  map[call]remediate.JournalRecord
		order []call
	}
	groups := map[string]*group{}
	var keys []string
	restores := map[string]remediate.JournalRecord{} // account/user ID -> restore's CreateUser (or any restore call)
	for _, r := range recs {
		if r.RunID != runID || r.Call == remediate.CallWriteBackup {
			continue
		}
		if r.Action == remediate.ActionRestore {
			k := r.Account + "\x00" + r.UserID
			if old, ok := restores[k]; !ok || (r.CreatedUserID != "" && old.CreatedUserID == "") {
				restores[k] = r
			}
			continue
		}
		k := strings.Join([]string{r.Account, r.UserID, r.Entry, r.Action}, "\x00")
		g := groups[k]
		if g == nil {
			g = &group{e: Entry{AccountID: r.Account, UserName: r.User, UserID: r.UserID, Kind: manifest.KindUser,
				Action: r.Action, Source: tables.PlanJournal, RunID: runID}, last: map[call]remediate.JournalRecord{}}
			if i := strings.LastIndex(r.Entry, " access key "); i >= 0 {
				g.e.Kind = manifest.KindAccessKey
				g.e.KeySlot, _ = strconv.Atoi(r.Entry[i+len(" access key "):])
			}
			groups[k] = g
			keys = append(keys, k)
		}
		c := call{r.Call, r.Target}
		if _, seen := g.last[c]; !seen {
			g.order = append(g.order, c)
		}
		g.last[c] = r
	}
	if len(keys) == 0 && len(restores) == 0 {
		return nil, fmt.Errorf("the journal records nothing of run %s: give the journal of the previous run's remediation", runID)
	}
	byLabel := map[string]*manifest.Entry{}
	if plan != nil {
		for i := range plan.Entries {
			byLabel[plan.Entries[i].Label()+"\x00"+plan.Entries[i].UserID] = &plan.Entries[i]
		}
	}
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		ok, failed := 0, []string{}
		for _, c := range g.order {
			r := g.last[c]
			if r.Result == remediate.ResultOK || r.Result == remediate.ResultAlreadyDone {
				ok++
				continue
			}
			failed = append(failed, fmt.Sprintf("%s %s failed (%s)", r.Call, r.Target, cmp.Or(r.ErrorCode, r.Error)))
		}
		g.e.Done = len(failed) == 0 && ok > 0
		g.e.Journal = fmt.Sprintf("%d calls succeeded", ok)
		if len(failed) > 0 {
			g.e.Journal += "; " + strings.Join(failed, "; ")
		}
		label := g.e.AccountID + "/" + g.e.UserName
		if g.e.Kind == manifest.KindAccessKey {
			label = fmt.Sprintf("%s access key %d", label, g.e.KeySlot)
		}
		if p := byLabel[label+"\x00"+g.e.UserID]; p != nil {
			g.e.ARN, g.e.KeyCreated = p.ARN, p.KeyLastRotated
		}
		if r, ok := restores[g.e.AccountID+"\x00"+g.e.UserID]; ok {
			g.e.Restored = "dormant restore " + r.Time.UTC().Format(time.RFC3339)
			g.e.RestoredUserID = r.CreatedUserID
		}
		out = append(out, g.e)
	}
	return out, nil
}

// Check checks each entry against this run's inventory (users) and the
// unique IDs its policies still name (orphans): a deactivated user has no
// active key, no login profile and the dormant tags; a deleted user is gone
// by unique ID and no policy names it; a key is inactive or gone.
func Check(entries []Entry, users []tables.User, orphans []record.Orphan) []tables.RemediationCheck {
	type account struct{ details, report bool }
	accounts := map[string]*account{}
	byID := map[string]*tables.User{}
	byName := map[string][]*tables.User{}
	for i := range users {
		u := &users[i]
		a := accounts[u.AccountID]
		if a == nil {
			a = &account{}
			accounts[u.AccountID] = a
		}
		a.details = a.details || u.AuthorizationDetailsGiven
		a.report = a.report || u.CredentialReportGiven
		if u.UserID != "" {
			byID[u.AccountID+"\x00"+u.UserID] = u
		}
		n := u.AccountID + "\x00" + strings.ToLower(u.UserName)
		byName[n] = append(byName[n], u)
	}
	orphaned := map[string][]string{}
	for _, o := range orphans {
		orphaned[o.UniqueID] = append(orphaned[o.UniqueID], fmt.Sprintf("%s %s %s (%s)", o.AccountID, o.Kind, o.ResourceARN, o.Location))
	}
	out := make([]tables.RemediationCheck, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		c := tables.RemediationCheck{
			AccountID: e.AccountID, UserName: e.UserName, UserID: e.UserID, ARN: e.ARN, Kind: e.Kind, KeySlot: int64(e.KeySlot),
			Planned: e.Action, PlanSource: e.Source, PlanRunID: e.RunID, Journal: e.Journal,
		}
		say := func(outcome string, reasons ...string) { c.Outcome, c.Reasons = outcome, append(c.Reasons, reasons...) }
		a := accounts[e.AccountID]
		u := byID[e.AccountID+"\x00"+e.UserID]
		var namesake *tables.User
		for _, n := range byName[e.AccountID+"\x00"+strings.ToLower(e.UserName)] {
			if n.UserID != e.UserID {
				namesake = n
			}
		}
		if e.Restored != "" {
			c.Reasons = append(c.Reasons, "restored since: "+e.Restored+restoredAs(e.RestoredUserID))
		}
		switch {
		case e.UserID == "":
			say(tables.OutcomeNotAssessed, "the entry names no unique ID: the user cannot be told from a namesake")
		case a == nil:
			say(tables.OutcomeNotAssessed, "account "+e.AccountID+" is not in this run's inventory")
		case !a.details:
			say(tables.OutcomeNotAssessed, "this run has no authorization details for account "+e.AccountID+": unique IDs, tags and policies cannot be checked")
		case u == nil:
			checkGone(e, &c, namesake, orphaned[e.UserID], say)
		case e.Action == remediate.ActionDelete:
			r := []string{"unique ID " + e.UserID + " is still in the inventory"}
			if u.InCredentialReport && deactivatedUser(u) {
				r = append(r, "it is deactivated, not deleted")
			}
			if e.Done {
				r = append(r, "although the journal records its deletion")
			}
			say(tables.OutcomeNotCarriedOut, r...)
		case e.Action == remediate.ActionRemoveInIaC:
			// The plan made no IAM call: only the user's removal in its code carries it out.
			r := []string{"unique ID " + e.UserID + " is still in the inventory: remove it in its code"}
			if u.InCredentialReport && deactivatedUser(u) {
				r = append(r, "it is deactivated through IAM (--ignore-iac?), not removed")
			}
			say(tables.OutcomeNotCarriedOut, r...)
		case !u.InCredentialReport:
			say(tables.OutcomeNotAssessed, "the user has no credential report row in this run: its keys and login profile are unknown")
		case e.Action == remediate.ActionDeactivate:
			checkDeactivated(e, &c, u, say)
		default:
			checkKey(e, &c, u, say)
		}
		if e.Source == tables.PlanRun && c.Outcome == tables.OutcomeNotCarriedOut {
			c.Reasons = append(c.Reasons, "the plan checked is the run's manifest, not the reviewed one: if the reviewer rejected or deferred this entry, nothing was due")
		}
		if e.Source == tables.PlanJournal && !e.Done && e.Journal != "" && c.Outcome != tables.OutcomeCarriedOut {
			c.Reasons = append(c.Reasons, "journal: "+e.Journal)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b tables.RemediationCheck) int {
		return cmp.Or(strings.Compare(a.AccountID, b.AccountID), strings.Compare(a.UserName, b.UserName), strings.Compare(a.UserID, b.UserID),
			strings.Compare(a.Kind, b.Kind), cmp.Compare(a.KeySlot, b.KeySlot), strings.Compare(a.Planned, b.Planned))
	})
	return out
}

func restoredAs(id string) string {
	if id == "" {
		return ""
	}
	return " as unique ID " + id
}

// checkGone judges an entry whose user's unique ID is gone.
func checkGone(e *Entry, c *tables.RemediationCheck, namesake *tables.User, orphans []string, say func(string, ...string)) {
	if namesake != nil {
		c.RecreatedUserID = namesake.UserID
		note := fmt.Sprintf("a user of the same name exists with unique ID %s (created %s): a new user, not the one planned for", namesake.UserID, namesake.CreateDate.UTC().Format(time.DateOnly))
		if e.RestoredUserID != "" && e.RestoredUserID == namesake.UserID {
			say(tables.OutcomeUndone, "unique ID "+e.UserID+" is gone, but dormant restore re-created the user as "+namesake.UserID)
			return
		}
		c.Reasons = append(c.Reasons, note+": find out who created it and why")
	}
	if e.Kind == manifest.KindAccessKey {
		say(tables.OutcomeCarriedOut, "the user is gone (unique ID "+e.UserID+"), and its keys with it")
		return
	}
	if len(orphans) > 0 {
		c.Orphans = orphans
		say(tables.OutcomeNotCarriedOut, fmt.Sprintf("unique ID %s is gone, but %d policies still name it (see Orphans): remove it from them", e.UserID, len(orphans)))
		return
	}
	if e.Action == remediate.ActionDeactivate {
		say(tables.OutcomeCarriedOut, "the user is gone (unique ID "+e.UserID+" deleted since), so it has no credentials")
		return
	}
	say(tables.OutcomeCarriedOut, "unique ID "+e.UserID+" is in no user of this run's inventory and no policy of it names the ID")
}

// deactivatedUser: the dormant tag, no active key, no login profile.
func deactivatedUser(u *tables.User) bool {
	return tables.ReadDeactivation(u.Tags).Tagged && !u.Key1Active && !u.Key2Active && !u.PasswordEnabled
}

// checkDeactivated judges a deactivate entry whose user is still there.
func checkDeactivated(e *Entry, c *tables.RemediationCheck, u *tables.User, say func(string, ...string)) {
	d := tables.ReadDeactivation(u.Tags)
	var live []string
	if u.Key1Active {
		live = append(live, "access key 1 is active (created "+dateOf(u.Key1LastRotated)+")")
	}
	if u.Key2Active {
		live = append(live, "access key 2 is active (created "+dateOf(u.Key2LastRotated)+")")
	}
	if u.PasswordEnabled {
		live = append(live, "it has a login profile (console password)")
	}
	var missing []string
	if !d.Tagged {
		missing = append(missing, "tag "+tables.TagDeactivated+" is missing")
	}
	if !d.Tagged && d.DeleteAfter.IsZero() {
		missing = append(missing, "tag "+tables.TagDeleteAfter+" is missing")
	}
	// ReadDeactivation names a tagged user's missing or unreadable date.
	missing = append(missing, d.Problems...)
	switch {
	case len(live) == 0 && len(missing) == 0:
		say(tables.OutcomeCarriedOut, fmt.Sprintf("no active access key, no login profile, tagged %s=%s and %s=%s",
			tables.TagDeactivated, d.On.Format(time.DateOnly), tables.TagDeleteAfter, d.DeleteAfter.Format(time.DateOnly)))
	case len(live) > 0 && (d.Tagged || e.Done || e.Restored != ""):
		was := "it was deactivated (tag " + tables.TagDeactivated + ")"
		if !d.Tagged {
			was = "the journal records its deactivation"
		}
		say(tables.OutcomeUndone, append([]string{was + ", but " + strings.Join(live, "; ")}, missing...)...)
	case len(live) > 0:
		say(tables.OutcomeNotCarriedOut, append(live, missing...)...)
	default:
		say(tables.OutcomeNotCarriedOut, append([]string{"no active access key and no login profile, but"}, missing...)...)
	}
}

// checkKey judges an access key entry: the credential report has no key
// IDs, so the key is told by its slot and creation date.
func checkKey(e *Entry, c *tables.RemediationCheck, u *tables.User, say func(string, ...string)) {
	active, created := u.Key1Active, u.Key1LastRotated
	if e.KeySlot == 2 {
		active, created = u.Key2Active, u.Key2LastRotated
	}
	slot := "access key " + strconv.Itoa(e.KeySlot)
	// The report lists keys in creation order: deleting key 1 moves key 2
	// into slot 1, so a planned key 2 is also looked for there by its date.
	if e.KeySlot == 2 && u.Key1Active && !e.KeyCreated.IsZero() && u.Key1LastRotated.Equal(e.KeyCreated) && !(active && created.Equal(e.KeyCreated)) {
		active, created = true, u.Key1LastRotated
		slot = "access key 2 (now access key 1: the key before it is gone)"
	}
	switch {
	case !active:
		say(tables.OutcomeCarriedOut, slot+" is inactive or gone")
	case !e.KeyCreated.IsZero() && !created.Equal(e.KeyCreated):
		say(tables.OutcomeCarriedOut, fmt.Sprintf("%s is now another key (created %s); the planned one (created %s) is not active",
			slot, dateOf(created), dateOf(e.KeyCreated)))
	case e.Done || e.Restored != "":
		say(tables.OutcomeUndone, slot+" is active again although the journal records its "+strings.TrimSuffix(e.Action, "-key"))
	default:
		say(tables.OutcomeNotCarriedOut, slot+" is still active (created "+dateOf(created)+")")
	}
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.DateOnly)
}
