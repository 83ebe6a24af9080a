package changes

import (
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/pipeline/remediate"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

func TestCheck(t *testing.T) {
	tags := []tables.Tag{{Key: tables.TagDeactivated, Value: "2026-08-10"}, {Key: tables.TagDeleteAfter, Value: "2027-08-10"}}
	done := user("done", "AIDADONE", tags...)
	undone := user("undone", "AIDAUNDONE", tags...)
	undone.Key2Active, undone.Key2LastRotated = true, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	skipped := user("skipped", "AIDASKIPPED")
	skipped.PasswordEnabled = true
	untagged := user("untagged", "AIDAUNTAGGED")
	keyed := user("keyed", "AIDAKEYED")
	keyed.Key1Active, keyed.Key1LastRotated = true, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	reborn := user("reborn", "AIDAREBORN2")
	stays := user("stays", "AIDASTAYS")
	users := []tables.User{done, undone, skipped, untagged, keyed, reborn, stays}
	m := &manifest.Manifest{RunID: "r2", Entries: []manifest.Entry{
		{Kind: manifest.KindUser, AccountID: acct, UserName: "done", UserID: "AIDADONE", Decision: manifest.DecisionDeactivate},
		{Kind: manifest.KindUser, AccountID: acct, UserName: "undone", UserID: "AIDAUNDONE", Decision: manifest.DecisionDeactivate},
		{Kind: manifest.KindUser, AccountID: acct, UserName: "skipped", UserID: "AIDASKIPPED", Decision: manifest.DecisionDeactivate},
		{Kind: manifest.KindUser, AccountID: acct, UserName: "untagged", UserID: "AIDAUNTAGGED", Decision: manifest.DecisionDeactivate},
		{Kind: manifest.KindUser, AccountID: acct, UserName: "gone", UserID: "AIDAGONE", Decision: manifest.DecisionDelete},
		{Kind: manifest.KindUser, AccountID: acct, UserName: "orphaned", UserID: "AIDAORPHANED", Decision: manifest.DecisionDelete},
		{Kind: manifest.KindUser, AccountID: acct, UserName: "reborn", UserID: "AIDAREBORN1", Decision: manifest.DecisionDelete},
		{Kind: manifest.KindUser, AccountID: acct, UserName: "stays", UserID: "AIDASTAYS", Decision: manifest.DecisionDelete},
		{Kind: manifest.KindAccessKey, AccountID: acct, UserName: "keyed", UserID: "AIDAKEYED", Decision: manifest.DecisionDeactivate,
			KeySlot: 1, KeyLastRotated: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Kind: manifest.KindUser, AccountID: "999999999999", UserName: "elsewhere", UserID: "AIDAELSEWHERE", Decision: manifest.DecisionDelete},
	}}
	orphans := []record.Orphan{{AccountID: acct, Kind: "role trust policy", ResourceARN: "arn:aws:iam::" + acct + ":role/ci", Location: "Principal", UniqueID: "AIDAORPHANED"}}
	got := map[string]tables.RemediationCheck{}
	for _, c := range Check(FromManifest(m, tables.PlanReviewed), users, orphans) {
		got[c.UserName] = c
	}
	want := map[string]struct{ outcome, reason string }{
		"done":      {tables.OutcomeCarriedOut, "tagged dormant:deactivated=2026-08-10"},
		"undone":    {tables.OutcomeUndone, "access key 2 is active (created 2026-09-01)"},
		"skipped":   {tables.OutcomeNotCarriedOut, "login profile"},
		"untagged":  {tables.OutcomeNotCarriedOut, "tag dormant:deactivated is missing"},
		"gone":      {tables.OutcomeCarriedOut, "no policy"},
		"orphaned":  {tables.OutcomeNotCarriedOut, "1 policies still name it"},
		"reborn":    {tables.OutcomeCarriedOut, "same name exists with unique ID AIDAREBORN2"},
		"stays":     {tables.OutcomeNotCarriedOut, "still in the inventory"},
		"keyed":     {tables.OutcomeNotCarriedOut, "access key 1 is still active"},
		"elsewhere": {tables.OutcomeNotAssessed, "not in this run's inventory"},
	}
	for name, w := range want {
		c := got[name]
		if c.Outcome != w.outcome || !strings.Contains(strings.Join(c.Reasons, "; "), w.reason) {
			t.Errorf("%s: %q %q; want %q with %q", name, c.Outcome, c.Reasons, w.outcome, w.reason)
		}
	}
	if got["reborn"].RecreatedUserID != "AIDAREBORN2" {
		t.Errorf("the re-created user is not flagged: %+v", got["reborn"])
	}
	if o := got["orphaned"].Orphans; len(o) != 1 || !strings.Contains(o[0], "role/ci") {
		t.Errorf("orphans of the deletion = %q", o)
	}
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d", len(got), len(want))
	}
}

func TestFromJournal(t *testing.T) {
	at := time.Date(2026, 8, 10, 9, 0, 0, 0, time.UTC)
	rec := func(user, id, entry, action, call, target, result string) remediate.JournalRecord {
		return remediate.JournalRecord{Time: at, RunID: "r2", Account: acct, User: user, UserID: id, Entry: entry, Action: action, Call: call, Target: target, Result: result}
	}
	recs := []remediate.JournalRecord{
		rec("a", "AIDAA", acct+"/a", remediate.ActionDeactivate, manifest.CallDeleteLoginProfile, "", remediate.ResultOK),
		rec("a", "AIDAA", acct+"/a", remediate.ActionDeactivate, manifest.CallTagUser, "", remediate.ResultOK),
		rec("b", "AIDAB", acct+"/b", remediate.ActionDelete, manifest.CallDeleteUser, "", remediate.ResultError),
		rec("k", "AIDAK", acct+"/k access key 2", remediate.ActionDeactivateKey, manifest.CallUpdateAccessKey, "AKIA1", remediate.ResultOK),
		rec("b", "AIDAB", "restore "+acct+"/b", remediate.ActionRestore, "iam:CreateUser", "", remediate.ResultOK),
		{RunID: "other", Account: acct, User: "x", UserID: "AIDAX", Entry: acct + "/x", Action: remediate.ActionDelete, Call: manifest.CallDeleteUser, Result: remediate.ResultOK},
	}
	recs[4].CreatedUserID = "AIDAB2"
	recs[2].ErrorCode = "DeleteConflict"
	es, err := FromJournal(recs, "r2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("%d entries, want 3 (restores and other runs are not entries): %+v", len(es), es)
	}
	if !es[0].Done || es[0].Journal != "2 calls succeeded" {
		t.Errorf("a: %+v", es[0])
	}
	if es[1].Done || !strings.Contains(es[1].Journal, "DeleteConflict") || es[1].RestoredUserID != "AIDAB2" {
		t.Errorf("b: %+v", es[1])
	}
	if es[2].Kind != manifest.KindAccessKey || es[2].KeySlot != 2 {
		t.Errorf("k: %+v", es[2])
	}
	if _, err := FromJournal(recs, "r9", nil); err == nil || !strings.Contains(err.Error(), "r9") {
		t.Errorf("a journal of another run = %v, want an error naming the run", err)
	}
	// A user deactivated by the journal whose key is active again is undone.
	a := user("a", "AIDAA")
	a.Key1Active = true
	c := Check(es[:1], []tables.User{a}, nil)
	if c[0].Outcome != tables.OutcomeUndone || !strings.Contains(strings.Join(c[0].Reasons, " "), "journal records its deactivation") {
		t.Errorf("reactivated after a journalled deactivation: %+v", c[0])
	}
}

// A deactivation whose delete-after tag is unreadable is not carried out:
// the tags are part of the proof; a planned deletion of a user still there
// is not carried out even without its credential report row.
func TestCheckTagsAndPresence(t *testing.T) {
	odd := user("odd", "AIDAODD", tables.Tag{Key: tables.TagDeactivated, Value: "2026-08-10"}, tables.Tag{Key: tables.TagDeleteAfter, Value: "soon"})
	kept := user("kept", "AIDAKEPT")
	kept.InCredentialReport = false
	es := []Entry{
		{AccountID: acct, UserName: "odd", UserID: "AIDAODD", Kind: manifest.KindUser, Action: remediate.ActionDeactivate, Source: tables.PlanRun},
		{AccountID: acct, UserName: "kept", UserID: "AIDAKEPT", Kind: manifest.KindUser, Action: remediate.ActionDelete, Source: tables.PlanRun},
	}
	got := Check(es, []tables.User{odd, kept}, nil)
	if got[0].UserName != "kept" || got[0].Outcome != tables.OutcomeNotCarriedOut {
		t.Errorf("kept: %+v", got[0])
	}
	if r := strings.Join(got[1].Reasons, "; "); got[1].Outcome != tables.OutcomeNotCarriedOut || !strings.Contains(r, "dormant:delete-after=soon is not a YYYY-MM-DD date") ||
		!strings.Contains(r, "not the reviewed one") {
		t.Errorf("odd: %q %q", got[1].Outcome, got[1].Reasons)
	}
}

// The credential report lists a user's keys in creation order, so deleting
// key 1 moves key 2 into slot 1: a planned key 2 still active there is not
// carried out, whatever slot 2 now shows.
func TestCheckKeyMovedSlot(t *testing.T) {
	created := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	u := user("shifted", "AIDASHIFTED")
	u.Key1Active, u.Key1LastRotated = true, created
	m := &manifest.Manifest{RunID: "r2", Entries: []manifest.Entry{
		{Kind: manifest.KindAccessKey, AccountID: acct, UserName: "shifted", UserID: "AIDASHIFTED", Decision: manifest.DecisionDeactivate,
			KeySlot: 2, KeyLastRotated: created},
	}}
	got := Check(FromManifest(m, tables.PlanReviewed), []tables.User{u}, nil)
	if len(got) != 1 || got[0].Outcome == tables.OutcomeCarriedOut {
		t.Fatalf("checks %+v; want the key, now in slot 1 and active, not carried out", got)
	}
	if !strings.Contains(strings.Join(got[0].Reasons, "; "), "now access key 1") {
		t.Errorf("reasons %q do not say where the key is", got[0].Reasons)
	}
}

// A remove-in-iac entry made no IAM call: the table says so, and a user
// still there is not carried out for want of the change in its code, not
// for a deactivation nobody planned.
func TestCheckRemoveInIaC(t *testing.T) {
	u := user("managed", "AIDAMANAGED")
	u.Key1Active, u.Key1LastRotated = true, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := &manifest.Manifest{RunID: "r2", Entries: []manifest.Entry{
		{Kind: manifest.KindUser, AccountID: acct, UserName: "managed", UserID: "AIDAMANAGED", Decision: manifest.DecisionRemoveInIaC,
			IaC: []manifest.IaCOwner{{Kind: "terraform", Location: "infra/prod.tfstate aws_iam_user.managed", Change: "remove aws_iam_user.managed and apply"}}},
		{Kind: manifest.KindUser, AccountID: acct, UserName: "removed", UserID: "AIDAREMOVED", Decision: manifest.DecisionRemoveInIaC,
			IaC: []manifest.IaCOwner{{Kind: "terraform", Location: "infra/prod.tfstate aws_iam_user.removed", Change: "remove aws_iam_user.removed and apply"}}},
	}}
	got := map[string]tables.RemediationCheck{}
	for _, c := range Check(FromManifest(m, tables.PlanReviewed), []tables.User{u}, nil) {
		got[c.UserName] = c
	}
	if c := got["managed"]; c.Planned != manifest.DecisionRemoveInIaC || c.Outcome != tables.OutcomeNotCarriedOut ||
		!strings.Contains(strings.Join(c.Reasons, "; "), "remove it in its code") {
		t.Errorf("managed: %+v", c)
	}
	if c := got["removed"]; c.Planned != manifest.DecisionRemoveInIaC || c.Outcome != tables.OutcomeCarriedOut {
		t.Errorf("removed: %+v", c)
	}
}
