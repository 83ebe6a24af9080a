package demofake

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/tables"
)

// firstQuarter generates a small first quarter and serves it.
func firstQuarter(t *testing.T) (demo.Options, *demo.Output, *Fake) {
	t.Helper()
	opts := demo.DefaultOptions()
	opts.Users, opts.Events = 80, 4000
	opts.AsOf = time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC)
	out, err := demo.Generate(context.Background(), filepath.Join(t.TempDir(), "q1"), opts)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Serve(out.Dir, opts.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return opts, out, f
}

// remediateByHand does in the fake what remediation does: the users of
// the first quarter's deactivate decisions in fully covered accounts lose
// their password and keys and get the tags (the first due within a month),
// and one delete decision is deleted.
func remediateByHand(t *testing.T, opts demo.Options, out *demo.Output, f *Fake) (deactivated []string, deleted string) {
	t.Helper()
	full := map[string]bool{}
	for _, a := range out.Accounts {
		full[a.AccountID] = a.Coverage == "full"
	}
	on := opts.AsOf.Format(time.DateOnly)
	f.Server.Do(func(o *awsfake.Org) {
		for _, e := range out.Truth {
			if !full[e.AccountID] || e.UserID == "" {
				continue
			}
			a := o.Account(e.AccountID)
			switch {
			case e.Case == demo.CaseInactiveDeactivate || e.Case == demo.CaseNeverUsedDeactivate:
				u := a.User(e.UserName)
				u.LoginProfile = nil
				for _, k := range u.AccessKeys {
					k.Status = awsfake.StatusInactive
				}
				after := opts.AsOf.AddDate(0, 0, 300)
				if len(deactivated) == 0 {
					after = opts.AsOf.AddDate(0, 0, 30)
				}
				u.SetTag(tables.TagDeactivated, on).SetTag(tables.TagDeleteAfter, after.Format(time.DateOnly))
				deactivated = append(deactivated, e.AccountID+"/"+e.UserName)
			case deleted == "" && e.Case == demo.CaseInactiveDelete:
				a.Users = slices.DeleteFunc(a.Users, func(u *awsfake.User) bool { return u.Name == e.UserName })
				deleted = e.AccountID + "/" + e.UserName
			}
		}
	})
	if len(deactivated) < 3 || deleted == "" {
		t.Fatalf("the first quarter has %d deactivate decisions and delete %q in covered accounts: too few for the test", len(deactivated), deleted)
	}
	return deactivated, deleted
}

// TestNextQuarter: the second quarter generated from the fake IAM's state
// holds exactly what remediation and the admin left, with every lifecycle
// role placed and its ground truth written.
func TestNextQuarter(t *testing.T) {
	ctx := context.Background()
	opts, q1, f := firstQuarter(t)
	deactivated, deleted := remediateByHand(t, opts, q1, f)
	next := opts.AsOf.AddDate(0, 0, 91)

	users := f.Users()
	pick, ok := demo.PickReenable(q1.Accounts, q1.Truth, users, next)
	if !ok {
		t.Fatal("no user to re-enable")
	}
	if !slices.Contains(deactivated, pick.AccountID+"/"+pick.UserName) {
		t.Fatalf("picked %s/%s to re-enable, which is not deactivated", pick.AccountID, pick.UserName)
	}
	at := opts.AsOf.AddDate(0, 0, 30).Add(10 * time.Hour)
	re, err := f.Reenable(ctx, pick, at)
	if err != nil {
		t.Fatal(err)
	}
	users = f.Users()
	for _, u := range users {
		if u.AccountID == re.AccountID && u.UserName == re.UserName && !u.Keys[0].Active {
			t.Errorf("after Reenable, IAM holds %s's key %s inactive", u.UserName, u.Keys[0].ID)
		}
	}

	q2opts := opts
	q2opts.AsOf = next
	q2opts.Quarter = &demo.Quarter{Number: 2, PreviousAsOf: opts.AsOf, Users: users, Reenabled: re}
	dir := filepath.Join(t.TempDir(), "q2")
	q2, err := demo.Generate(ctx, dir, q2opts)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string][]demo.Expected{}
	for _, e := range q2.Truth {
		roles[e.Lifecycle] = append(roles[e.Lifecycle], e)
		if e.AccountID+"/"+e.UserName == deleted {
			t.Errorf("the deleted user %s is in the second quarter's ground truth", deleted)
		}
	}
	if len(q2.Truth) != len(q1.Truth)-1 {
		t.Errorf("the second quarter has %d users, the first %d less the deleted one", len(q2.Truth), len(q1.Truth))
	}
	if n := len(roles[demo.LifecycleDeactivatedPending]) + len(roles[demo.LifecycleDeactivatedDue]) + len(roles[demo.LifecycleUsedAfter]) + len(roles[demo.LifecycleReactivated]); n != len(deactivated) {
		t.Errorf("%d users with a lifecycle role, %d were deactivated", n, len(deactivated))
	}
	check := func(role, status, decision string, n int) {
		t.Helper()
		if len(roles[role]) < n {
			t.Errorf("%d %s users, want at least %d", len(roles[role]), role, n)
		}
		for _, e := range roles[role] {
			if (status != "" && e.Status != status) || (decision != "" && e.Decision != decision) {
				t.Errorf("%s/%s (%s): expected %s/%s, want %s/%s", e.AccountID, e.UserName, role, e.Status, e.Decision, status, decision)
			}
		}
	}
	check(demo.LifecycleDeactivatedDue, tables.StatusDeactivated, tables.DecisionDelete, 1)
	check(demo.LifecycleDeactivatedPending, tables.StatusDeactivated, tables.DecisionKeep, 1)
	check(demo.LifecycleUsedAfter, tables.StatusReview, tables.DecisionReview, 1)
	check(demo.LifecycleReactivated, "", "", 1)
	if r := roles[demo.LifecycleReactivated][0]; r.UserName != re.UserName || !slices.Contains(r.ReasonKeywords, demo.ReasonKeywordReactivated) {
		t.Errorf("reactivated: %+v, want %s with the keyword %q", r, re.UserName, demo.ReasonKeywordReactivated)
	}

	// The inputs: the fake IAM loaded from the second quarter's files holds
	// what the first one's held after remediation.
	org, err := Org(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range deactivated {
		acct, name, _ := strings.Cut(k, "/")
		u := org.Account(acct).User(name)
		if v, _ := u.Tag(tables.TagDeactivated); v != opts.AsOf.Format(time.DateOnly) {
			t.Errorf("%s: tag %s=%q in the second quarter's authorization details", k, tables.TagDeactivated, v)
		}
		active := slices.ContainsFunc(u.AccessKeys, func(k *awsfake.AccessKey) bool { return k.Status == awsfake.StatusActive })
		if reenabled := name == re.UserName; active != reenabled || u.LoginProfile != nil {
			t.Errorf("%s: an active key %v, a login profile %v in the second quarter's credential report (re-enabled: %v)", k, active, u.LoginProfile != nil, reenabled)
		}
	}

	// The logs: the admin's call and the sign-in after deactivation.
	used := roles[demo.LifecycleUsedAfter][0]
	logs := readLogs(t, q2.CloudTrail)
	if !strings.Contains(logs, `"eventName":"UpdateAccessKey"`) || !strings.Contains(logs, `"accessKeyId":"`+re.AccessKeyID+`","status":"Active"`) ||
		!strings.Contains(logs, "assumed-role/"+demo.AdminRoleName+"/"+AdminSession) {
		t.Error("the second quarter's logs lack the admin's UpdateAccessKey")
	}
	if !strings.Contains(logs, `"principalId":"`+used.UserID+`","accountId":"`+used.AccountID+`","accessKeyId":"","userName":"`+used.UserName+`"},"eventTime"`) ||
		!strings.Contains(logs, `"errorMessage":"Failed authentication"`) {
		t.Errorf("the second quarter's logs lack %s's failed sign-in", used.UserName)
	}

	// The orphan: a policy in the authorization details names the deleted
	// user's unique ID.
	if len(q2.Orphans) != 1 {
		t.Fatalf("orphans %+v, want one", q2.Orphans)
	}
	gaad, err := os.ReadFile(filepath.Join(dir, "inputs", "authorization-details-"+q2.Orphans[0].AccountID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(gaad, []byte(q2.Orphans[0].UniqueID)) || !bytes.Contains(gaad, []byte(q2.Orphans[0].ResourceARN)) {
		t.Errorf("the authorization details lack the policy %s naming %s", q2.Orphans[0].ResourceARN, q2.Orphans[0].UniqueID)
	}
	truth, err := demo.ReadGroundTruth(filepath.Join(dir, "ground-truth.json"))
	if err != nil || len(truth) != len(q2.Truth) {
		t.Fatalf("reading the second quarter's ground truth: %v (%d users)", err, len(truth))
	}

	// Deterministic: the same state gives the same bytes.
	again, err := demo.Generate(ctx, filepath.Join(t.TempDir(), "again"), q2opts)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(q2.GroundTruth)
	b, _ := os.ReadFile(again.GroundTruth)
	if !bytes.Equal(a, b) {
		t.Error("the same quarter generated twice differs")
	}
}

func TestNextQuarterRefusesAForeignState(t *testing.T) {
	opts, q1, f := firstQuarter(t)
	users := f.Users()
	for _, tt := range []struct {
		name string
		q    demo.Quarter
		want string
	}{
		{"unknown user", demo.Quarter{Number: 2, PreviousAsOf: opts.AsOf, Users: append(slices.Clone(users), demo.IAMUser{AccountID: q1.Accounts[0].AccountID, UserName: "mallory"})}, "never had"},
		{"another unique ID", demo.Quarter{Number: 2, PreviousAsOf: opts.AsOf, Users: func() []demo.IAMUser {
			us := slices.Clone(users)
			us[0].UserID = "AIDAXXXXXXXXXXXXXXXXX"
			return us
		}()}, "unique ID"},
		{"first quarter", demo.Quarter{Number: 1, PreviousAsOf: opts.AsOf, Users: users}, "numbered from 2"},
		{"previous after", demo.Quarter{Number: 2, PreviousAsOf: opts.AsOf.AddDate(1, 0, 0), Users: users}, "must be before"},
		{"re-enabled outside", demo.Quarter{Number: 2, PreviousAsOf: opts.AsOf, Users: users, Reenabled: &demo.Reenabled{
			AccountID: users[0].AccountID, UserName: users[0].UserName, AccessKeyID: "AKIA1", RoleName: "r", SessionName: "s", At: opts.AsOf.AddDate(1, 0, 0)}}, "not between"},
		{"re-enabled key inactive", demo.Quarter{Number: 2, PreviousAsOf: opts.AsOf, Users: users, Reenabled: &demo.Reenabled{
			AccountID: users[0].AccountID, UserName: users[0].UserName, AccessKeyID: "AKIANOSUCHKEY", RoleName: "r", SessionName: "s", At: opts.AsOf.AddDate(0, 0, 20)}}, "no active access key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := opts
			o.AsOf = opts.AsOf.AddDate(0, 0, 91)
			o.Quarter = &tt.q
			dir := filepath.Join(t.TempDir(), "q2")
			_, err := demo.Generate(context.Background(), dir, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Generate: %v, want an error saying %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "ground-truth.json")); err == nil {
				t.Error("a refused quarter left a ground truth behind")
			}
		})
	}
}

func readLogs(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") || strings.Contains(p, "CloudTrail-Digest") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		_, err = io.Copy(&b, zr)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
