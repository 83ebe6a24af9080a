package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copyFixtures copies fixtures into a temporary directory with a known
// modification time, which must never be read as a report's generation time.
func copyFixtures(t *testing.T, dir string, mtime time.Time, names ...string) []string {
	t.Helper()
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, readFixture(t, n), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestLoadFiles(t *testing.T) {
	mtime := time.Date(2026, 11, 1, 7, 30, 0, 0, time.FixedZone("CET", 3600))
	dir := t.TempDir()
	reports := copyFixtures(t, dir, mtime, reportFixture, "credential-report-222222222222-old-format.csv")
	details := copyFixtures(t, dir, mtime, detailsFixture,
		"authorization-details-222222222222-page-2.json", "authorization-details-222222222222-page-1.xml")
	// The second account's report time is stated (in CET, kept in UTC); the
	// first's is unknown: a fresh mtime proves nothing.
	stated := time.Date(2015, 3, 2, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	inv, err := LoadFiles(context.Background(), reports, details,
		WithReportGeneratedAt(map[string]time.Time{"222222222222": stated}))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Reports) != 2 || len(inv.Details) != 3 {
		t.Fatalf("%d reports, %d details", len(inv.Reports), len(inv.Details))
	}
	if r := inv.Reports[0]; !r.GeneratedAt.IsZero() || r.TimeStated {
		t.Errorf("%s: GeneratedAt %v (stated %v), want zero: a CSV's modification time proves nothing", r.Name, r.GeneratedAt, r.TimeStated)
	}
	if r := inv.Reports[1]; !r.GeneratedAt.Equal(stated) || r.GeneratedAt.Location() != time.UTC || !r.TimeStated {
		t.Errorf("%s: GeneratedAt %v (stated %v), want the stated %v in UTC", r.Name, r.GeneratedAt, r.TimeStated, stated.UTC())
	}
	by := usersByName(inv.Users)
	if len(inv.Users) != 9+4 {
		t.Errorf("%d users, want 13", len(inv.Users))
	}
	for key, gen := range map[string]time.Time{"111111111111/alice": {}, "222222222222/grace": stated, "222222222222/heidi": stated} {
		u := by[key]
		if !u.InCredentialReport || !u.InAuthorizationDetails || !u.ReportGeneratedAt.Equal(gen) ||
			!u.CredentialReportGiven || !u.AuthorizationDetailsGiven {
			t.Errorf("%s = %+v", key, u)
		}
	}
	// The latest date inside each report bounds its generation time.
	if a, g := by["111111111111/alice"], by["222222222222/grace"]; !a.ReportNotBefore.Equal(ts("2026-10-31T03:02:00Z")) || !g.ReportNotBefore.Equal(ts("2015-03-01T08:00:00Z")) {
		t.Errorf("ReportNotBefore: alice %v, grace %v", a.ReportNotBefore, g.ReportNotBefore)
	}
	// ivan is only in the details, whose two pages were merged.
	if ivan := by["222222222222/ivan"]; ivan.InCredentialReport || !ivan.InAuthorizationDetails || ivan.Source != details[1]+", "+details[2] {
		t.Errorf("ivan = %+v", ivan)
	}
	if heidi := by["222222222222/heidi"]; heidi.Source != reports[1] || heidi.UserID != "AIDAN4KHVDGAJGXBENYJQ" {
		t.Errorf("heidi = %+v", heidi)
	}
	checkGolden(t, "golden/inventory.json", inv, dir+string(filepath.Separator))
}

// checkGolden compares the inventory with a golden file (-update rewrites
// it). dir is removed from file names so the file does not depend on where
// the test ran.
func checkGolden(t *testing.T, golden string, inv *Inventory, dir string) {
	t.Helper()
	got, err := json.MarshalIndent(struct {
		Users    any
		Policies any
	}{inv.Users, inv.Policies}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = []byte(strings.ReplaceAll(string(got), dir, "") + "\n")
	if *update {
		writeFixture(t, golden, got)
	}
	want := readFixture(t, golden)
	if string(got) != string(want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("inventory differs from testdata/%s at line %d:\n got %s\nwant %s\n(run go test -update to regenerate after checking the change)", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("inventory differs from testdata/%s in length (%d vs %d lines)", golden, len(gl), len(wl))
	}
}

func TestLoadFilesErrors(t *testing.T) {
	mtime := time.Date(2026, 11, 1, 7, 30, 0, 0, time.UTC)
	dir := t.TempDir()
	both := copyFixtures(t, dir, mtime, reportFixture, reportJSONFixture)
	broken := copyFixtures(t, dir, mtime, "broken-bad-date.csv")
	page1 := copyFixtures(t, dir, mtime, "authorization-details-222222222222-page-1.json")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name             string
		ctx              context.Context
		reports, details []string
		want             []string
	}{
		{"missing file", context.Background(), []string{filepath.Join(t.TempDir(), "nope.csv")}, nil,
			[]string{"loading credential report", "nope.csv", "no such file"}},
		{"directory", context.Background(), nil, []string{t.TempDir()},
			[]string{"loading authorization details", "is a directory"}},
		{"two reports for one account", context.Background(), both, nil,
			[]string{"building inventory", both[0], both[1], "account 111111111111"}},
		{"broken report", context.Background(), broken, nil,
			[]string{"parsing credential report", broken[0] + ": line 5, column user_creation_time"}},
		{"details given as report", context.Background(), page1, nil,
			[]string{"not a credential report", "--authorization-details"}},
		{"report given as details", context.Background(), nil, both[1:],
			[]string{"this is a credential report", "--credential-report"}},
		{"only the first page", context.Background(), nil, page1,
			[]string{"incomplete", page1[0]}},
		{"cancelled", cancelled, both[:1], nil, []string{"context canceled"}},
	}
	// A stated time must fit the reports: a bare CSV of that account, and
	// never before a date the report holds.
	statedTests := []struct {
		name  string
		at    map[string]time.Time
		files []string
		want  []string
	}{
		{"account without a report", map[string]time.Time{"999999999999": mtime}, both[:1],
			[]string{"names account 999999999999", "no --credential-report"}},
		{"disagrees with GeneratedTime", map[string]time.Time{"111111111111": mtime}, both[1:],
			[]string{"111111111111=2026-11-01T07:30:00Z", both[1], "GeneratedTime 2026-11-01T06:00:00Z"}},
		{"before a date inside", map[string]time.Time{"111111111111": ts("2026-10-01T00:00:00Z")}, both[:1],
			[]string{"before 2026-10-31T03:02:00Z", both[0]}},
	}
	for _, tt := range statedTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFiles(context.Background(), tt.files, nil, WithReportGeneratedAt(tt.at))
			if !errors.Is(err, ErrReportTime) {
				t.Fatalf("error %v is not ErrReportTime", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := LoadFiles(tt.ctx, tt.reports, tt.details)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if inv != nil {
				t.Errorf("got an inventory along with the error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := LoadFiles(cancelled, both[:1], nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v is not context.Canceled", err)
	}
}
