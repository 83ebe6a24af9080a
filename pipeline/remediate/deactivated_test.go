package remediate

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 17: a user an earlier remediation deactivated (inactive key, no
// login profile, the dormant tags) and now due for deletion passes the
// live re-check and is deleted: its dormant tags are not activity.
func TestDeleteDueDeactivatedUser(t *testing.T) {
	var olive *awsfake.User
	on, after := ago(200).Format(time.DateOnly), ago(10).Format(time.DateOnly)
	e := newEnv(t, func(o *awsfake.Org) {
		olive = o.Account(mgmtID).AddUser("olive", awsfake.UserCreated(ago(900)),
			awsfake.UserTag(manifest.TagDeactivated, on), awsfake.UserTag(manifest.TagDeleteAfter, after))
		olive.AddAccessKey(awsfake.KeyCreated(ago(800)), awsfake.KeyLastUsed(ago(400), "us-east-1", "s3"), awsfake.KeyInactive())
		olive.AddToGroup("readers")
	})
	f := finding(mgmtID, olive, tables.StatusDeactivated, tables.DecisionDelete)
	f.DeactivatedOn, f.DeleteAfter = ago(200).Truncate(24*time.Hour), ago(10).Truncate(24*time.Hour)
	f.Reasons = []string{"deactivated " + on + ", delete after " + after + ": delete-after reached at as-of: delete"}
	res, out := e.run(e.writeManifest(f), nil, WithApply(true), WithMode(ModeDelete))
	if err := res.Err(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	er := entryByLabel(t, res, mgmtID+"/olive")
	if er.Action != ActionDelete || er.Outcome != OutcomeDone {
		t.Fatalf("olive: action %s, outcome %s (%s)\n%s", er.Action, er.Outcome, er.Reason, out)
	}
	if s := e.state(mgmtID, "olive"); s != nil {
		t.Errorf("olive still exists: %+v", s)
	}
}

// A due deactivated user someone gave credentials again after the run (a
// key re-activated, a console password set) is not deleted, even when the
// key has not been used since: the person who re-enabled it wants it; nor
// one whose dormant:deactivated tag is gone (restored).
func TestDueDeactivatedUserReenabledAfterTheRunIsNotDeleted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(u *awsfake.User)
		want   string
	}{
		{"key re-activated", func(u *awsfake.User) { u.AccessKeys[0].Status = awsfake.StatusActive }, "active access key"},
		{"password set", func(u *awsfake.User) { u.LoginProfile = &awsfake.LoginProfile{CreateDate: ago(1)} }, "login profile"},
		{"tag removed", func(u *awsfake.User) {
			u.Tags = slices.DeleteFunc(u.Tags, func(t awsfake.Tag) bool { return t.Key == manifest.TagDeactivated })
		}, manifest.TagDeactivated},
		{"delete-after postponed", func(u *awsfake.User) {
			for i := range u.Tags {
				if u.Tags[i].Key == manifest.TagDeleteAfter {
					u.Tags[i].Value = time.Now().AddDate(0, 3, 0).Format(time.DateOnly)
				}
			}
		}, manifest.TagDeleteAfter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var olive *awsfake.User
			on, after := ago(200).Format(time.DateOnly), ago(10).Format(time.DateOnly)
			e := newEnv(t, func(o *awsfake.Org) {
				olive = o.Account(mgmtID).AddUser("olive", awsfake.UserCreated(ago(900)),
					awsfake.UserTag(manifest.TagDeactivated, on), awsfake.UserTag(manifest.TagDeleteAfter, after))
				olive.AddAccessKey(awsfake.KeyCreated(ago(800)), awsfake.KeyLastUsed(ago(400), "us-east-1", "s3"), awsfake.KeyInactive())
			})
			f := finding(mgmtID, olive, tables.StatusDeactivated, tables.DecisionDelete)
			f.DeactivatedOn, f.DeleteAfter = ago(200).Truncate(24*time.Hour), ago(10).Truncate(24*time.Hour)
			f.Reasons = []string{"deactivated " + on + ", delete after " + after + ": delete-after reached at as-of: delete"}
			path := e.writeManifest(f)
			e.srv.Do(func(o *awsfake.Org) { tc.change(o.Account(mgmtID).User("olive")) })
			res, out := e.run(path, nil, WithApply(true), WithMode(ModeDelete))
			er := entryByLabel(t, res, mgmtID+"/olive")
			if er.Outcome != OutcomeSkipped || !strings.Contains(er.Reason, tc.want) {
				t.Errorf("olive: action %s, outcome %s (%s); want skipped naming %q\n%s", er.Action, er.Outcome, er.Reason, tc.want, out)
			}
			if e.state(mgmtID, "olive") == nil {
				t.Error("olive was deleted")
			}
		})
	}
}
