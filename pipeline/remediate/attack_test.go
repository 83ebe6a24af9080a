package remediate

import (
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/tables"
)

// A user given a new access key or console password after the run's as-of
// is being set up by someone: its deletion is skipped even though the new
// credential has no use yet (the last-use re-check sees none).
func TestDeleteSkipsCredentialCreatedAfterAsOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(u *awsfake.User)
		want   string
	}{
		{"new access key", func(u *awsfake.User) { u.AddAccessKey(awsfake.KeyCreated(testAsOf.Add(time.Hour))) }, "access key"},
		{"new login profile", func(u *awsfake.User) { u.LoginProfile = &awsfake.LoginProfile{CreateDate: testAsOf.Add(time.Hour)} }, "login profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sam *awsfake.User
			e := newEnv(t, func(o *awsfake.Org) {
				sam = o.Account(mgmtID).AddUser("sam", awsfake.UserCreated(ago(900)))
				sam.AddAccessKey(awsfake.KeyCreated(ago(800)), awsfake.KeyLastUsed(ago(400), "us-east-1", "s3"))
			})
			f := finding(mgmtID, sam, tables.StatusInactive, tables.DecisionDelete)
			path := e.writeManifest(f)
			e.srv.Do(func(o *awsfake.Org) { tc.change(o.Account(mgmtID).User("sam")) })
			res, out := e.run(path, nil, WithApply(true), WithMode(ModeDelete))
			er := entryByLabel(t, res, mgmtID+"/sam")
			if er.Outcome != OutcomeSkipped || !strings.Contains(er.Reason, tc.want) || !strings.Contains(er.Reason, "after the manifest's as-of") {
				t.Errorf("sam: action %s, outcome %s (%s); want skipped naming the new %s\n%s", er.Action, er.Outcome, er.Reason, tc.want, out)
			}
			if e.state(mgmtID, "sam") == nil {
				t.Error("sam was deleted")
			}
		})
	}
}
