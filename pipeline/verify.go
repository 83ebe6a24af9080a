package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/pipeline/references"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/tables"
)

// Verification is the outcome of checking a run directory offline.
type Verification struct {
	Dir      string
	Problems []string // empty: every hash matches and the findings follow from the inputs
	Checked  []string // what was checked, for the user
}

// OK reports whether nothing differs.
func (v *Verification) OK() bool { return len(v.Problems) == 0 }

func (v *Verification) problem(format string, args ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
}

// Verify checks a run directory the way an auditor would, offline: every
// file against SHA256SUMS; the inventory recomputed from the stored inputs;
// the findings recomputed from the inventory, references, activity and
// coverage tables with the settings in run.json; the changes since the
// previous run, from the bundle's copies under previous/; and the reports
// regenerated from those findings. The error is for a bundle that cannot be read at all.
func Verify(ctx context.Context, dir string) (*Verification, error) {
	v := &Verification{Dir: dir}
	bad, err := evidence.VerifySums(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("verifying %s: %w", filepath.Join(dir, SumsFile), err)
	}
	for _, m := range bad {
		v.problem("%s: %s", SumsFile, m.String())
	}
	v.Checked = append(v.Checked, "every file against "+SumsFile)

	var rec RunRecord
	data, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", RunFile, err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", filepath.Join(dir, RunFile), err)
	}
	path := func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }

	// Inventory from the stored inputs.
	var crs []*inventory.CredentialReport
	var dets []*inventory.AuthorizationDetails
	for _, in := range rec.Inputs {
		switch in.Kind {
		case kindCredentialReport:
			raw, err := os.ReadFile(path(in.Path))
			if err != nil {
				v.problem("%s: %v", in.Path, err)
				continue
			}
			r, err := inventory.ParseCredentialReport(in.Path, raw)
			if err != nil {
				v.problem("%s: %v", in.Path, err)
				continue
			}
			if r.GeneratedAt.IsZero() {
				r.GeneratedAt = in.GeneratedAt
			}
			crs = append(crs, r)
		case kindAuthorizationDetails:
			raw, err := os.ReadFile(path(in.Path))
			if err != nil {
				v.problem("%s: %v", in.Path, err)
				continue
			}
			d, err := inventory.ParseAuthorizationDetails(in.Path, raw)
			if err != nil {
				v.problem("%s: %v", in.Path, err)
				continue
			}
			// A page holding only AWS-managed policies names no account;
			// run.json says whose it is.
			if d.AccountID == "" {
				d.AccountID = in.AccountID
			} else if d.AccountID != in.AccountID {
				v.problem("%s: holds account %s, but run.json says %s", in.Path, d.AccountID, in.AccountID)
			}
			dets = append(dets, d)
		}
	}
	users, policies, err := inventory.Build(crs, dets)
	if err != nil {
		v.problem("recomputing the inventory from %s/: %v", InputsDir, err)
		return v, nil
	}
	for i := range users {
		// The row's source names the file the run read, which was the user's
		// original path; everything else must match.
		users[i].ReportGeneratedAt = users[i].ReportGeneratedAt.UTC()
	}
	storedUsers := compareTable(v, path(InventoryTable), InventoryTable, users, func(u *tables.User) { u.Source = "" })
	compareTable(v, path(PoliciesTable), PoliciesTable, policies, nil)
	v.Checked = append(v.Checked, "inventory and policies recomputed from "+InputsDir+"/")

	// References: every policy reference the stored inputs give must be in
	// the stored table (which may hold more, from live checks).
	storedRefs, err := tables.ReadParquet[tables.Reference](path(ReferenceTable))
	if err != nil {
		v.problem("%s: %v", ReferenceTable, err)
	} else if !slices.Contains(rec.ReferenceChecks, references.CheckIAM) {
		v.Checked = append(v.Checked, "policy references: not checked in this run")
	} else if refs, _, err := policyReferences(users, policies); err != nil {
		v.problem("recomputing references: %v", err)
	} else {
		have := map[tables.Reference]bool{}
		for _, r := range storedRefs {
			have[r] = true
		}
		for _, r := range refs {
			if !have[r] {
				v.problem("%s: missing the reference %s: %s (%s) naming %s/%s", ReferenceTable, r.Kind, r.ResourceARN, r.Location, r.AccountID, r.UserName)
			}
		}
		v.Checked = append(v.Checked, "policy references recomputed from the authorization details")
	}

	// Findings from the stored tables and run.json's settings, by the
	// findings stage's own join.
	act, err1 := loadActivity(ctx, dir, &rec)
	if err1 != nil || storedUsers == nil || storedRefs == nil {
		if err1 != nil {
			v.problem("%v", err1)
		}
		return v, nil
	}
	// The key IDs the watch and the manifest name; a bundle from before the
	// table has none.
	keys, err := readAccessKeys(dir)
	if err != nil {
		v.problem("%v", err)
	}
	checkWatch(v, act.watch, watchTargets(storedUsers, keys), rec.WindowStart, rec.AsOf)
	allowlist := ""
	for _, in := range rec.Inputs {
		if in.Kind == kindAllowlist {
			allowlist = path(in.Path)
		}
	}
	opts, err := classifyOptions(rec.AsOf, rec.WindowDays, rec.Settings.DeleteAfterDays, rec.Settings.ExemptTag,
		rec.Settings.ReportMaxAge(), allowlist)
	if err != nil {
		v.problem("reading the settings in %s: %v", RunFile, err)
		return v, nil
	}
	opts = withEvidence(opts, act.logFiles, verifyTrails(v, dir, &rec))
	opts.Watch, opts.AccessKeys = act.watch, keys
	mem := memory.NewGoAllocator()
	usersTable, err := tables.Encode(mem, storedUsers)
	if err != nil {
		v.problem("encoding %s for the join: %v", InventoryTable, err)
		return v, nil
	}
	defer usersTable.Release()
	finds, table, err := classify(mem, usersTable, act.table, act.coverage, storedRefs, opts)
	if err != nil {
		v.problem("recomputing findings: %v", err)
		return v, nil
	}
	table.Release()
	compareTable(v, path(FindingsTable), FindingsTable, finds, nil)
	v.Checked = append(v.Checked, "findings recomputed from the inventory, references, activity and coverage tables")
	verifyChanges(v, dir, &rec, finds, storedUsers)

	// Reports regenerated from the recomputed findings.
	in, err := reportInput(dir, &rec, finds, act.coverage, storedRefs, keys, act.logFiles, act.logFilesCounted)
	if err != nil {
		v.problem("gathering report inputs: %v", err)
		return v, nil
	}
	ws, err := reports.Selected(rec.Reports)
	if err != nil {
		v.problem("run.json settings.reports: %v", err)
	}
	for _, w := range ws {
		var buf bytes.Buffer
		if err := w.Write(ctx, &buf, in); err != nil {
			v.problem("regenerating %s: %v", w.Path(), err)
			continue
		}
		stored, err := os.ReadFile(path(w.Path()))
		if err != nil {
			v.problem("%s: %v", w.Path(), err)
			continue
		}
		for _, d := range compareReport(w.Path(), stored, buf.Bytes()) {
			v.problem("%s: %s", w.Path(), d)
		}
	}
	v.Checked = append(v.Checked, "reports regenerated from the recomputed findings")
	return v, nil
}

// compareTable reads a stored table and reports the first row that differs
// from the recomputed rows; it returns the stored rows (nil if unreadable).
func compareTable[T any](v *Verification, file, rel string, want []T, mask func(*T)) []T {
	got, err := tables.ReadParquet[T](file)
	if err != nil {
		v.problem("%s: %v", rel, err)
		return nil
	}
	if len(got) != len(want) {
		v.problem("%s: %d rows, but %d recomputed", rel, len(got), len(want))
		return got
	}
	for i := range got {
		a, b := got[i], want[i]
		if mask != nil {
			mask(&a)
			mask(&b)
		}
		if !equalRows(a, b) {
			v.problem("%s: row %d differs from the recomputed one:\n  stored     %+v\n  recomputed %+v", rel, i+1, a, b)
			return got
		}
	}
	return got
}

// equalRows compares rows as Arrow stores them: microsecond times, and no
// difference between a nil and an empty list.
func equalRows[T any](a, b T) bool {
	ja, _ := json.Marshal(normalizeRow(a))
	jb, _ := json.Marshal(normalizeRow(b))
	return bytes.Equal(ja, jb)
}

func normalizeRow[T any](r T) T {
	v := reflect.ValueOf(&r).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.Slice && f.Len() == 0:
			f.Set(reflect.Zero(f.Type()))
		case f.Type() == reflect.TypeOf(time.Time{}):
			t := f.Interface().(time.Time)
			if !t.IsZero() {
				f.Set(reflect.ValueOf(t.UTC().Truncate(time.Microsecond)))
			}
		}
	}
	return r
}

// checkWatch checks the bundle's watch table against what the stored
// inventory says was watched: every row is a watched user's, at or after
// its deactivation date and inside the window, of a known kind, in the
// engines' order and without a repeated event. The rows themselves come
// from the logs: verify --logs recomputes them.
func checkWatch(v *Verification, rows []tables.WatchEvent, targets []tables.WatchTarget, start, end time.Time) {
	if rows == nil {
		v.Checked = append(v.Checked, "watch table: none in the bundle, or empty")
		return
	}
	since := map[string]time.Time{}
	for _, t := range targets {
		since[t.AccountID+"/"+t.UserName+"/"+t.UserID] = t.Since
	}
	for i, r := range rows {
		s, ok := since[r.AccountID+"/"+r.UserName+"/"+r.UserID]
		switch {
		case !ok:
			v.problem("%s: row %d is for %s/%s (%s), which the inventory does not show as deactivated (tag %s)",
				WatchTable, i+1, r.AccountID, r.UserName, r.UserID, tables.TagDeactivated)
		case r.EventTime.Before(s):
			v.problem("%s: row %d (%s, event %s) is before %s's deactivation on %s",
				WatchTable, i+1, r.EventTime.UTC().Format(time.RFC3339), r.EventID, r.UserName, s.Format(time.DateOnly))
		case r.EventTime.Before(start) || r.EventTime.After(end):
			v.problem("%s: row %d (%s, event %s) is outside the run's window", WatchTable, i+1, r.EventTime.UTC().Format(time.RFC3339), r.EventID)
		case r.Kind != tables.WatchUse && r.Kind != tables.WatchSigninFailure && r.Kind != tables.WatchReenable:
			v.problem("%s: row %d has the unknown kind %q", WatchTable, i+1, r.Kind)
		case i > 0 && r.EventID != "" && r.EventID == rows[i-1].EventID && r.AccountID == rows[i-1].AccountID &&
			r.UserName == rows[i-1].UserName && r.UserID == rows[i-1].UserID:
			v.problem("%s: row %d repeats event %s for %s", WatchTable, i+1, r.EventID, r.UserName)
		}
	}
	sorted := slices.Clone(rows)
	activity.SortWatch(sorted)
	if !slices.EqualFunc(sorted, rows, func(a, b tables.WatchEvent) bool { return equalRows(a, b) }) {
		v.problem("%s: the rows are not in the engines' order (account, user, time, event)", WatchTable)
	}
	v.Checked = append(v.Checked, fmt.Sprintf("watch table: %d rows, each a deactivated user's event after its deactivation, inside the window", len(rows)))
}
