package pipeline

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline/remediate"
	"github.com/dormant-iam/dormant/tables"
)

func quartersDemo(t *testing.T) (*DemoResult, string) {
	t.Helper()
	out := t.TempDir()
	o := demo.DefaultOptions()
	o.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o.Users, o.Events = 120, 20000
	res, err := Demo(context.Background(), DemoConfig{
		Out: out, Options: o, Quarters: 2, Config: Config{Logger: slog.New(slog.DiscardHandler)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, out
}

// TestDemoQuarters: two quarters, each in its own directory; between them
// the first quarter's manifest is carried out in the fake IAM, and the
// second quarter's inputs hold what it left: deleted users gone, deactivated
// users tagged without credentials, one due, one used after deactivation,
// one re-enabled by an admin (in IAM and in CloudTrail), and one deleted
// user's unique ID in a policy, reported as an orphan. Every status outside
// the lifecycle matches the ground truth now.
func TestDemoQuarters(t *testing.T) {
	res, out := quartersDemo(t)
	if len(res.Quarters) != 2 {
		t.Fatalf("%d quarters, want 2", len(res.Quarters))
	}
	if len(res.Mismatches) > 0 {
		t.Fatalf("findings differ from the ground truth:\n%s", strings.Join(res.Mismatches, "\n"))
	}
	q1, q2 := res.Quarters[0], res.Quarters[1]
	for i, q := range res.Quarters {
		want := filepath.Join(out, "q"+string(rune('1'+i)))
		if q.Dir != want || !strings.HasPrefix(q.Run.Out, want) || !strings.HasPrefix(q.Source.Dir, want) {
			t.Errorf("quarter %d in %s (run %s, source %s), want all under %s", q.Number, q.Dir, q.Run.Out, q.Source.Dir, want)
		}
	}
	if !q2.AsOf.Equal(q1.AsOf.AddDate(0, 0, DemoQuarterDays)) {
		t.Errorf("quarter 2 as of %s, want quarter 1's %s plus %d days", q2.AsOf, q1.AsOf, DemoQuarterDays)
	}
	if res.Run != q2.Run || res.Source != q2.Source {
		t.Error("the result's Run and Source must be the last quarter's")
	}

	// The remediation was carried out: something was done, nothing failed.
	done := 0
	for _, r := range q1.Remediation {
		done += r.Count(remediate.OutcomeDone)
		if r.Count(remediate.OutcomeFailed) > 0 {
			t.Errorf("remediation %s: %v", r.Journal, r.Err())
		}
		if _, err := os.Stat(r.Journal); err != nil {
			t.Errorf("remediation journal: %v", err)
		}
	}
	if done == 0 || len(q1.Remediation) != 2 {
		t.Fatalf("%d remediation passes, %d entries done: want the deactivate-first pass and the planned one", len(q1.Remediation), done)
	}
	for _, want := range []string{"quarter 2 (as-of 2026-11-01)", "deactivated due for deletion", "re-enabled: ", "ground truth: 0 mismatches"} {
		if !strings.Contains(q2.Summary(), want) {
			t.Errorf("quarter 2's summary lacks %q:\n%s", want, q2.Summary())
		}
	}
	if !strings.Contains(q1.Summary(), "remediated in the fake IAM") {
		t.Errorf("quarter 1's summary does not say what was remediated:\n%s", q1.Summary())
	}
	t.Log("\n" + q1.Summary() + "\n" + q2.Summary())
	if q2.Remediation != nil {
		t.Error("the last quarter must not be remediated")
	}

	// Quarter 1's decisions became quarter 2's IAM state.
	q1Truth := map[string]demo.Expected{}
	for _, e := range q1.Source.Truth {
		q1Truth[e.AccountID+"/"+e.UserName] = e
	}
	q2Truth := map[string]demo.Expected{}
	roles := map[string]int{}
	for _, e := range q2.Source.Truth {
		q2Truth[e.AccountID+"/"+e.UserName] = e
		roles[e.Lifecycle]++
	}
	deleted := 0
	for k, e := range q1Truth {
		if e.Decision == tables.DecisionDelete {
			if _, ok := q2Truth[k]; !ok {
				deleted++
			}
		}
		if _, ok := q2Truth[k]; !ok && e.Decision != tables.DecisionDelete {
			t.Errorf("%s (%s/%s in quarter 1) is gone in quarter 2: only delete decisions delete", k, e.Status, e.Decision)
		}
	}
	if deleted == 0 {
		t.Error("no delete decision of quarter 1 deleted a user")
	}
	for _, role := range []string{demo.LifecycleDeactivatedPending, demo.LifecycleDeactivatedDue, demo.LifecycleUsedAfter, demo.LifecycleReactivated} {
		if roles[role] == 0 {
			t.Errorf("quarter 2 has no %s user", role)
		}
	}
	for _, e := range q2.Source.Truth {
		switch e.Lifecycle {
		case demo.LifecycleDeactivatedPending, demo.LifecycleDeactivatedDue, demo.LifecycleUsedAfter:
			if !e.DeactivatedOn.Equal(q1.AsOf) {
				t.Errorf("%s/%s deactivated on %s, want quarter 1's as-of %s", e.AccountID, e.UserName, e.DeactivatedOn, q1.AsOf)
			}
			if due := !e.DeleteAfter.After(q2.AsOf); due != (e.Lifecycle == demo.LifecycleDeactivatedDue) {
				t.Errorf("%s/%s (%s): delete-after %s against as-of %s", e.AccountID, e.UserName, e.Lifecycle, e.DeleteAfter, q2.AsOf)
			}
		}
	}

	// The inputs say so: the fake IAM loaded from quarter 2's files.
	findings, err := tables.ReadParquet[tables.Finding](filepath.Join(q2.Run.Out, FindingsTable))
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]tables.Finding{}
	for _, f := range findings {
		byKey[f.AccountID+"/"+f.UserName] = f
	}
	inventory, err := tables.ReadParquet[tables.User](filepath.Join(q2.Run.Out, InventoryTable))
	if err != nil {
		t.Fatal(err)
	}
	tagsOf := map[string][]tables.Tag{}
	for _, u := range inventory {
		tagsOf[u.AccountID+"/"+u.UserName] = u.Tags
	}
	for _, e := range q2.Source.Truth {
		f := byKey[e.AccountID+"/"+e.UserName]
		switch e.Lifecycle {
		case demo.LifecycleDeactivatedPending, demo.LifecycleDeactivatedDue, demo.LifecycleUsedAfter:
			if f.PasswordEnabled || f.Key1Active || f.Key2Active {
				t.Errorf("%s/%s (%s): quarter 2's credential report shows a password or an active key", e.AccountID, e.UserName, e.Lifecycle)
			}
			if tags := tagsOf[e.AccountID+"/"+e.UserName]; !hasTag(tags, tables.TagDeactivated) || !hasTag(tags, tables.TagDeleteAfter) {
				t.Errorf("%s/%s (%s): tags %v lack remediation's", e.AccountID, e.UserName, e.Lifecycle, tags)
			}
		case demo.LifecycleReactivated:
			if !f.Key1Active && !f.Key2Active {
				t.Errorf("%s/%s: re-enabled, yet no active key in quarter 2's credential report", e.AccountID, e.UserName)
			}
		}
	}
	if q2.Reenabled == nil {
		t.Fatal("quarter 2 has no re-enabling")
	}
	if !logsHold(t, q2.Source.CloudTrail, `"eventName":"UpdateAccessKey"`, `"accessKeyId":"`+q2.Reenabled.AccessKeyID+`","status":"Active"`) {
		t.Errorf("quarter 2's CloudTrail does not hold the admin's UpdateAccessKey of %s", q2.Reenabled.AccessKeyID)
	}
	if len(q2.Source.Orphans) != 1 {
		t.Fatalf("quarter 2 expects %d orphans, want 1", len(q2.Source.Orphans))
	}
	if q2.Run.Record == nil || len(compareOrphans(q2.Source.Orphans, q2.Run.Record.Orphans)) > 0 {
		t.Errorf("the orphan %+v is not in quarter 2's run record", q2.Source.Orphans[0])
	}
}

// TestDemoQuartersLifecycleTruth checks the lifecycle users' statuses,
// decisions and reasons (pending, due, used after deactivation,
// reactivated) against the ground truth.
func TestDemoQuartersLifecycleTruth(t *testing.T) {
	res, _ := quartersDemo(t)
	if len(res.Mismatches) > 0 {
		t.Fatalf("findings differ from the ground truth:\n%s", strings.Join(res.Mismatches, "\n"))
	}
}

func TestDemoQuartersOutOfRange(t *testing.T) {
	for _, n := range []int{-1, MaxDemoQuarters + 1} {
		_, err := Demo(context.Background(), DemoConfig{Out: t.TempDir(), Options: demo.DefaultOptions(), Quarters: n})
		if err == nil || !strings.Contains(err.Error(), "--quarters") {
			t.Errorf("Quarters %d: %v, want an error naming --quarters", n, err)
		}
	}
}

func hasTag(tags []tables.Tag, key string) bool {
	for _, t := range tags {
		if t.Key == key {
			return true
		}
	}
	return false
}

// logsHold reports whether one record of the CloudTrail files under dir
// holds every one of parts.
func logsHold(t *testing.T, dir string, parts ...string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || found || !strings.HasSuffix(p, ".json.gz") || strings.Contains(p, "CloudTrail-Digest") {
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
		data, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		for _, rec := range strings.Split(string(data), `{"eventVersion"`) {
			all := true
			for _, part := range parts {
				all = all && strings.Contains(rec, part)
			}
			if all {
				found = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestClearDemoRemediation: an earlier demo's journals go (they would make
// the next passes "already done" against a fresh fake IAM); anything else
// in the folder is refused and left alone.
func TestClearDemoRemediation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "remediation")
	if err := clearDemoRemediation(dir); err != nil {
		t.Fatalf("no folder: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "backup-planned", "111111111111"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "planned.journal.jsonl"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := clearDemoRemediation(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the earlier demo's remediation folder is still there: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := clearDemoRemediation(dir); !errors.Is(err, ErrForeignDemoSource) || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("a folder with someone's file: %v, want ErrForeignDemoSource naming it", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Fatalf("someone's file was removed: %v", err)
	}
}
