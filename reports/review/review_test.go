package review

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/pycheck"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
	"github.com/xuri/excelize/v2"
)

var asOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func finding(name, id string, status, decision string) tables.Finding {
	return tables.Finding{
		AccountID: "111111111111", UserName: name, UserID: id,
		ARN: "arn:aws:iam::111111111111:user/" + name, Path: "/",
		CreateDate: at("2024-01-15T09:30:00Z"), PasswordState: tables.PasswordNA,
		Status: status, Decision: decision, DaysInactive: 300,
		LastActivity: at("2026-01-05T00:00:00Z"), LastActivitySource: tables.SourceConsole,
		Reasons:            []string{"fixture: " + status},
		InCredentialReport: true, InAuthorizationDetails: true,
		ReportGeneratedAt: at("2026-10-31T22:00:00Z"),
	}
}

// fixture is a run whose manifest plans three users and two keys, in the
// order the findings stage writes them (Findings rows 2 to 9).
func fixture() *reports.Input {
	root := finding(tables.RootUserName, "", tables.StatusRoot, tables.DecisionKeep)
	root.ARN, root.Path = "arn:aws:iam::111111111111:root", ""
	alice := finding("alice", "AIDAALICE00000000001", tables.StatusInactive, tables.DecisionDeactivate)
	alice.PasswordEnabled, alice.PasswordLastUsed = true, alice.LastActivity
	bob := finding("bob", "AIDABOB0000000000002", tables.StatusInactive, tables.DecisionDelete)
	bob.DaysInactive = 700
	carol := finding("carol", "AIDACAROL0000000003", tables.StatusNeverUsed, tables.DecisionDeactivate)
	carol.LastActivity, carol.LastActivitySource = time.Time{}, ""
	dave := finding("dave", "AIDADAVE000000000004", tables.StatusActive, tables.DecisionKeep)
	dave.LastActivity, dave.DaysInactive = at("2026-10-30T00:00:00Z"), 2
	dave.Key1Active, dave.Key1LastRotated, dave.Key1LastUsed = true, at("2025-06-01T00:00:00Z"), at("2026-10-30T00:00:00Z")
	dave.Key2Active, dave.Key2LastRotated, dave.Key2LastUsed = true, at("2023-06-01T12:34:56Z"), at("2024-01-01T00:00:00Z")
	dave.UnusedKeys = []int64{2}
	erin := finding("erin", "AIDAERIN000000000005", tables.StatusActive, tables.DecisionKeep)
	erin.LastActivity, erin.DaysInactive = at("2026-10-20T00:00:00Z"), 12
	erin.PasswordEnabled, erin.PasswordLastUsed = true, erin.LastActivity
	erin.Key1Active, erin.Key1LastRotated = true, at("2025-01-01T00:00:00Z")
	erin.UnusedKeys = []int64{1}
	frank := finding("frank", "AIDAFRANK00000000006", tables.StatusExempt, tables.DecisionKeep)
	frank.Exemption = "tag:dormant:exempt=true"
	grace := finding("grace", "AIDAGRACE00000000007", tables.StatusReview, tables.DecisionReview)
	return &reports.Input{
		Run: record.Run{
			RunID: "run-20261101T030405Z-0001", StartedAt: at("2026-11-01T03:04:05Z"), AsOf: asOf,
			WindowDays: 90, Settings: record.Settings{DeleteAfterDays: 365, Engine: "local"}, ToolVersion: "test",
			Accounts: []record.Account{{AccountID: "111111111111", Assessed: true, ReportGeneratedAt: at("2026-10-31T22:00:00Z")}},
		},
		Findings: []tables.Finding{root, alice, bob, carol, dave, erin, frank, grace},
	}
}

// run writes the fixture's reports and findings table into a run directory.
type run struct {
	dir, workbook string
	in            *reports.Input
	manifest      *manifest.Manifest
}

func newRun(t *testing.T) *run {
	t.Helper()
	return newRunOf(t, fixture())
}

// newRunOf is newRun over a changed fixture that plans the same entries.
func newRunOf(t *testing.T, in *reports.Input) *run {
	t.Helper()
	dir := t.TempDir()
	if err := reports.WriteAll(context.Background(), dir, in, reports.All()...); err != nil {
		t.Fatal(err)
	}
	if err := tables.WriteParquet(filepath.Join(dir, "tables", "findings.parquet"), in.Findings); err != nil {
		t.Fatal(err)
	}
	// The run seals its directory, as pipeline.Run does.
	if err := evidence.WriteSums(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Read(filepath.Join(dir, filepath.FromSlash(reports.ManifestPath)))
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, e := range m.Entries {
		labels = append(labels, e.Kind+" "+e.Label())
	}
	want := []string{"user 111111111111/alice", "user 111111111111/bob", "user 111111111111/carol",
		"access_key 111111111111/dave access key 2", "access_key 111111111111/erin access key 1"}
	if !slices.Equal(labels, want) {
		t.Fatalf("fixture manifest plans %q, want %q", labels, want)
	}
	return &run{dir: dir, workbook: filepath.Join(dir, filepath.FromSlash(reports.XLSXPath)), in: in, manifest: m}
}

// review is an edit of the run's workbook, signed off (signOff) and saved
// as a new file.
func (r *run) review(t *testing.T, edits ...func(t *testing.T, f *excelize.File)) string {
	t.Helper()
	return r.reviewUnsigned(t, append([]func(*testing.T, *excelize.File){signOff("Dana Reviewer", "IAM owner", "2026-11-02", "I reviewed every approved row.")}, edits...)...)
}

// signOff fills in the Summary sheet's sign-off block.
func signOff(reviewer, role, date, statement string) func(t *testing.T, f *excelize.File) {
	return func(t *testing.T, f *excelize.File) {
		rows, err := f.GetRows(reports.SheetSummary)
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]string{reports.SignOffReviewerLabel: reviewer, reports.SignOffRoleLabel: role,
			reports.SignOffDateLabel: date, reports.SignOffStatementLabel: statement}
		n := 0
		for i, row := range rows {
			if len(row) > 0 {
				if v, ok := vals[row[0]]; ok {
					if err := f.SetCellValue(reports.SheetSummary, "B"+strconv.Itoa(i+1), v); err != nil {
						t.Fatal(err)
					}
					n++
				}
			}
		}
		if n != len(vals) {
			t.Fatalf("the Summary sheet has %d of the %d sign-off labels", n, len(vals))
		}
	}
}

// reviewUnsigned is review without the sign-off.
func (r *run) reviewUnsigned(t *testing.T, edits ...func(t *testing.T, f *excelize.File)) string {
	t.Helper()
	f, err := excelize.OpenFile(r.workbook)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, e := range edits {
		e(t, f)
	}
	out := filepath.Join(t.TempDir(), "reviewed.xlsx")
	if err := f.SaveAs(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// column finds a header's column number.
func column(t *testing.T, f *excelize.File, sheet, title string) int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.Index(rows[0], title)
	if i < 0 {
		t.Fatalf("%s has no %q column", sheet, title)
	}
	return i + 1
}

// rowOf finds the row whose user name (and, on Unused keys, key slot) match.
func rowOf(t *testing.T, f *excelize.File, sheet, user string, slot string) int {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	uc := slices.Index(rows[0], reports.TitleUserName)
	sc := slices.Index(rows[0], reports.TitleKeySlot)
	for i, r := range rows[1:] {
		if r[uc] == user && (slot == "" || r[sc] == slot) {
			return i + 2
		}
	}
	t.Fatalf("%s has no row for %s %s", sheet, user, slot)
	return 0
}

func set(t *testing.T, f *excelize.File, sheet, title string, row int, v any) {
	t.Helper()
	name, _ := excelize.CoordinatesToCellName(column(t, f, sheet, title), row)
	if err := f.SetCellValue(sheet, name, v); err != nil {
		t.Fatal(err)
	}
}

// decide sets a user's (slot "") or key's reviewer decision and comment.
func decide(user, slot, decision, comment string) func(t *testing.T, f *excelize.File) {
	return func(t *testing.T, f *excelize.File) {
		sheet := reports.SheetFindings
		if slot != "" {
			sheet = reports.SheetUnusedKeys
		}
		row := rowOf(t, f, sheet, user, slot)
		set(t, f, sheet, reports.TitleReviewerDecision, row, decision)
		if comment != "" {
			set(t, f, sheet, reports.TitleReviewerComment, row, comment)
		}
	}
}

func findingsOf(r *run) []tables.Finding { return r.in.Findings }

func TestFromWorkbookRoundTrip(t *testing.T) {
	r := newRun(t)
	reviewed := r.review(t,
		decide("alice", "", reports.ReviewApprove, "confirmed with her manager, ticket SEC-101"),
		decide("bob", "", reports.ReviewReject, "still needed for the yearly close"),
		decide("carol", "", reports.ReviewDefer, ""),
		decide("dave", "2", reports.ReviewApprove, "key 2 belongs to a retired job"),
		// erin's key left blank; dave approved as a user, which plans nothing.
		decide("dave", "", reports.ReviewApprove, ""),
	)
	m, problems, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(); err != nil {
		t.Fatalf("reviewed manifest does not verify: %v", err)
	}
	var got []string
	for _, e := range m.Entries {
		got = append(got, e.Kind+" "+e.Label()+": "+e.ReviewerComment)
	}
	want := []string{
		"user 111111111111/alice: confirmed with her manager, ticket SEC-101",
		"access_key 111111111111/dave access key 2: key 2 belongs to a retired job",
	}
	if !slices.Equal(got, want) {
		t.Errorf("reviewed entries = %q\nwant %q", got, want)
	}
	// Kept entries are the run's, word for word, but for the comment and
	// who approved them when (the sign-off's).
	for _, e := range m.Entries {
		i := slices.IndexFunc(r.manifest.Entries, func(o manifest.Entry) bool { return o.Label() == e.Label() })
		orig := r.manifest.Entries[i]
		orig.ReviewerComment = e.ReviewerComment
		orig.Reviewer, orig.ReviewDate = "Dana Reviewer", "2026-11-02"
		a, _ := (&manifest.Manifest{Entries: []manifest.Entry{orig}}).CanonicalEntries()
		b, _ := (&manifest.Manifest{Entries: []manifest.Entry{e}}).CanonicalEntries()
		if !bytes.Equal(a, b) {
			t.Errorf("entry %s changed beyond its comment:\n%s\n%s", e.Label(), a, b)
		}
	}
	if m.RunID != r.manifest.RunID || !m.AsOf.Equal(r.manifest.AsOf) || m.Digest == r.manifest.Digest {
		t.Errorf("header: run %s (want %s), digest %s (run's %s)", m.RunID, r.manifest.RunID, m.Digest, r.manifest.Digest)
	}
	data, err := os.ReadFile(reviewed)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	wantSignOff := manifest.SignOff{Reviewer: "Dana Reviewer", Role: "IAM owner", Date: "2026-11-02", Statement: "I reviewed every approved row."}
	if m.ReviewedFrom == nil || m.ReviewedFrom.SignOff == nil || *m.ReviewedFrom.SignOff != wantSignOff {
		t.Fatalf("reviewed_from.sign_off = %+v, want %+v", m.ReviewedFrom, wantSignOff)
	}
	wantReview := manifest.Review{
		Workbook: "reviewed.xlsx", WorkbookSHA256: hex.EncodeToString(sum[:]), RunDigest: r.manifest.Digest,
		Approved: 2, Rejected: 1, Deferred: 1, Undecided: 1, SignOff: m.ReviewedFrom.SignOff,
	}
	if *m.ReviewedFrom != wantReview {
		t.Errorf("reviewed_from = %+v\nwant %+v", m.ReviewedFrom, wantReview)
	}
	// The file a remediator reads back passes the schema and the digest.
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := manifest.Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("reviewed manifest fails its schema: %v", err)
	}
	if err := back.Verify(); err != nil {
		t.Fatalf("reviewed manifest read back does not verify: %v", err)
	}
	// Notes: dave's approved user row plans nothing; erin's key undecided.
	var notes []string
	for _, p := range problems {
		if p.Refused {
			t.Errorf("accepted workbook carries a refusal: %s", p)
		}
		notes = append(notes, p.String())
	}
	wantNotes := []string{
		"Findings row 6: 111111111111/dave is approved, but the run plans no change to this user (status active, decision keep): nothing to do",
		"1 planned entry had no reviewer decision and is dropped",
	}
	if !slices.Equal(notes, wantNotes) {
		t.Errorf("notes = %q\nwant %q", notes, wantNotes)
	}
}

// TestFromWorkbookSortedAndLowercase: a reviewer may sort the rows and type
// the decision by hand.
func TestFromWorkbookSortedAndLowercase(t *testing.T) {
	r := newRun(t)
	reverse := func(t *testing.T, f *excelize.File) {
		rows, err := f.GetRows(reports.SheetFindings, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		data := rows[1:]
		slices.Reverse(data)
		for i, row := range data {
			vals := make([]any, len(row))
			for j, v := range row {
				vals[j] = v
			}
			if err := f.SetSheetRow(reports.SheetFindings, "A"+strconv.Itoa(i+2), &vals); err != nil {
				t.Fatal(err)
			}
		}
	}
	reviewed := r.review(t,
		decide("bob", "", " approve ", "ok"),
		reverse,
		decide("erin", "1", "APPROVE", ""),
	)
	m, problems, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r))
	if err != nil {
		t.Fatalf("a sorted workbook was refused: %v (%v)", err, problems)
	}
	var got []string
	for _, e := range m.Entries {
		got = append(got, e.Label())
	}
	if want := []string{"111111111111/bob", "111111111111/erin access key 1"}; !slices.Equal(got, want) {
		t.Errorf("entries = %q, want %q", got, want)
	}
	if m.ReviewedFrom.Approved != 2 || m.ReviewedFrom.Undecided != 3 {
		t.Errorf("reviewed_from = %+v", m.ReviewedFrom)
	}
}

func TestFromWorkbookRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, f *excelize.File)
		want []string // substrings of refusals, each its own problem
	}{
		{"edited user ID", func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetFindings, reports.TitleUserID, 3, "AIDAMALLORY000000099")
		}, []string{`Findings row 3: user ID "AIDAMALLORY000000099" does not match the run's finding for 111111111111/alice (user ID "AIDAALICE00000000001")`}},
		{"edited user name", func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetFindings, reports.TitleUserName, 4, "robert")
		}, []string{`Findings row 4: user name "robert" does not match the run's finding for 111111111111/bob (user name "bob")`}},
		{"edited ARN", func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetFindings, reports.TitleARN, 5, "arn:aws:iam::111111111111:user/ops/carol")
		}, []string{`Findings row 5: ARN "arn:aws:iam::111111111111:user/ops/carol" does not match the run's finding for 111111111111/carol`}},
		{"edited account", func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetFindings, reports.TitleAccountID, 3, "222222222222")
		}, []string{`Findings row 3: account "222222222222" does not match the run's finding for 111111111111/alice`}},
		{"added row", func(t *testing.T, f *excelize.File) {
			vals := []any{"111111111111", "mallory", "AIDAMALLORY000000099", "arn:aws:iam::111111111111:user/mallory"}
			if err := f.SetSheetRow(reports.SheetFindings, "A10", &vals); err != nil {
				t.Fatal(err)
			}
			set(t, f, reports.SheetFindings, reports.TitleReviewerDecision, 10, reports.ReviewApprove)
		}, []string{`Findings row 10: 111111111111/mallory (user ID "AIDAMALLORY000000099") is not in the run`}},
		{"removed row", func(t *testing.T, f *excelize.File) {
			if err := f.RemoveRow(reports.SheetFindings, 4); err != nil {
				t.Fatal(err)
			}
		}, []string{`Findings: the run's finding for 111111111111/bob (row 4 as written) has no row`}},
		{"duplicated row", func(t *testing.T, f *excelize.File) {
			rows, err := f.GetRows(reports.SheetFindings, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			vals := make([]any, len(rows[2]))
			for i, v := range rows[2] {
				vals[i] = v
			}
			if err := f.SetSheetRow(reports.SheetFindings, "A10", &vals); err != nil {
				t.Fatal(err)
			}
		}, []string{`Findings row 10: duplicates row 3 (111111111111/alice)`}},
		{"decision not in the dropdown", func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetFindings, reports.TitleReviewerDecision, 3, "Yes")
		}, []string{`Findings row 3: reviewer decision "Yes" is not one of Approve, Reject, Defer`}},
		{"decision on a row with no user", func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetFindings, reports.TitleReviewerDecision, 12, reports.ReviewApprove)
		}, []string{`Findings row 12: a reviewer decision or comment on a row with no user`}},
		{"edited key slot", func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetUnusedKeys, reports.TitleKeySlot, 2, 1)
		}, []string{`Unused keys row 2: key slot "1" does not match the run's unused key 111111111111/dave key 2 (key slot "2")`}},
		{"edited key creation time", func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetUnusedKeys, reports.TitleKeyCreated, 2, at("2023-06-02T12:34:56Z"))
		}, []string{`Unused keys row 2: key creation time "2023-06-02T12:34:56Z" does not match the run's unused key 111111111111/dave key 2 (key creation time "2023-06-01T12:34:56Z")`}},
		{"removed key row", func(t *testing.T, f *excelize.File) {
			if err := f.RemoveRow(reports.SheetUnusedKeys, 3); err != nil {
				t.Fatal(err)
			}
		}, []string{`Unused keys: the run's unused key 111111111111/erin key 1 (row 3 as written) has no row`}},
		{"renamed reviewer column", func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetFindings, reports.TitleReviewerDecision, 1, "Decision of reviewer")
		}, []string{`Findings row 1: no "Reviewer decision" column`}},
		{"missing sheet", func(t *testing.T, f *excelize.File) {
			if err := f.DeleteSheet(reports.SheetUnusedKeys); err != nil {
				t.Fatal(err)
			}
		}, []string{`Unused keys: the sheet is missing`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t)
			reviewed := r.review(t, decide("alice", "", reports.ReviewApprove, ""), tc.edit)
			m, problems, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r))
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("FromWorkbook = %v, want a refusal", err)
			}
			var re *RefusedError
			if !errors.As(err, &re) || m != nil {
				t.Fatalf("error %T, manifest %v", err, m)
			}
			var got []string
			for _, p := range problems {
				if p.Refused {
					got = append(got, p.String())
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("refusals = %q, want %d", got, len(tc.want))
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
					t.Errorf("no refusal starting %q in %q", w, got)
				}
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestFromWorkbookOtherRun(t *testing.T) {
	r := newRun(t)
	reviewed := r.review(t, func(t *testing.T, f *excelize.File) {
		rows, _ := f.GetRows(reports.SheetSummary)
		for i, row := range rows {
			if len(row) > 0 && row[0] == reports.SummaryRunIDLabel {
				if err := f.SetCellValue(reports.SheetSummary, "B"+strconv.Itoa(i+1), "run-other"); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	_, problems, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r))
	if !errors.Is(err, ErrRefused) || len(problems) != 1 || !strings.Contains(problems[0].String(), `run ID "run-other" is not the run's "run-20261101T030405Z-0001"`) {
		t.Errorf("another run's workbook: %v %q", err, problems)
	}
}

func TestFromWorkbookEditedRunManifest(t *testing.T) {
	r := newRun(t)
	reviewed := r.review(t, decide("alice", "", reports.ReviewApprove, ""))
	r.manifest.Entries[0].Decision = manifest.DecisionDelete
	if _, _, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r)); err == nil {
		t.Fatal("a run manifest edited after signing was accepted")
	}
	r2 := newRun(t)
	r2.manifest.Entries[0].Reasons = []string{"edited by hand"}
	if _, _, err := FromWorkbook(context.Background(), reviewed, r2.manifest, findingsOf(r2)); !errors.Is(err, manifest.ErrDigestMismatch) {
		t.Errorf("edited run manifest: %v, want ErrDigestMismatch", err)
	}
}

func TestFromWorkbookFindingsFromAnotherRun(t *testing.T) {
	r := newRun(t)
	reviewed := r.review(t)
	other := slices.Clone(findingsOf(r))
	other[1].UserID = "AIDAOTHER0000000001" // alice re-created
	_, problems, err := FromWorkbook(context.Background(), reviewed, r.manifest, other)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "does not match the run's finding for 111111111111/alice") {
		t.Errorf("findings of another run: %v %q", err, problems)
	}
}

func TestApply(t *testing.T) {
	r := newRun(t)
	reviewed := r.review(t, decide("carol", "", reports.ReviewApprove, "gone since 2025"))
	findingsPath := filepath.Join(r.dir, "tables", "findings.parquet")
	res, err := Apply(context.Background(), Options{Workbook: reviewed, RunDir: r.dir, Findings: findingsPath})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(reviewed, ".xlsx") + ".manifest.json"; res.Out != want {
		t.Errorf("written to %s, want %s", res.Out, want)
	}
	m, err := manifest.Read(res.Out)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(); err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) != 1 || m.Entries[0].UserName != "carol" || m.Entries[0].ReviewerComment != "gone since 2025" {
		t.Errorf("entries = %+v", m.Entries)
	}

	out := filepath.Join(t.TempDir(), "plan.json")
	if res, err := Apply(context.Background(), Options{Workbook: reviewed, RunDir: r.dir, Findings: findingsPath, Out: out}); err != nil || res.Out != out {
		t.Errorf("Apply --out: %v", err)
	}
	for name, opts := range map[string]Options{
		"inside the run": {Workbook: reviewed, RunDir: r.dir, Findings: findingsPath, Out: filepath.Join(r.dir, "reports", "reviewed.json")},
		"no workbook":    {RunDir: r.dir, Findings: findingsPath},
		"no run":         {Workbook: reviewed, Findings: findingsPath},
		"no findings":    {Workbook: reviewed, RunDir: r.dir, Findings: filepath.Join(r.dir, "missing.parquet")},
	} {
		if _, err := Apply(context.Background(), opts); err == nil {
			t.Errorf("%s: Apply succeeded", name)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, "reports", "reviewed.json")); err == nil {
		t.Error("a manifest was written inside the run directory")
	}
	// A refused workbook writes nothing.
	bad := r.review(t, func(t *testing.T, f *excelize.File) {
		set(t, f, reports.SheetFindings, reports.TitleUserID, 3, "AIDAMALLORY000000099")
	})
	badOut := filepath.Join(t.TempDir(), "bad.json")
	if _, err := Apply(context.Background(), Options{Workbook: bad, RunDir: r.dir, Findings: findingsPath, Out: badOut}); !errors.Is(err, ErrRefused) {
		t.Errorf("refused workbook: %v", err)
	}
	if _, err := os.Stat(badOut); err == nil {
		t.Error("a refused workbook produced a manifest")
	}
}

// openpyxl finds a Python that has openpyxl, an independent xlsx writer.
func openpyxl(t *testing.T) string {
	t.Helper()
	return pycheck.Find(t, "openpyxl", "python3-openpyxl")
}

// TestFromWorkbookResavedByAnotherWriter has an independent library
// (openpyxl) fill in and save the workbook, as a reviewer's spreadsheet
// program would: shared strings instead of inline ones, its own XML.
func TestFromWorkbookResavedByAnotherWriter(t *testing.T) {
	py := openpyxl(t)
	r := newRun(t)
	out := filepath.Join(t.TempDir(), "reviewed.xlsx")
	const script = `
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
def decide(sheet, user, decision, comment, slot=None):
    ws = wb[sheet]
    hdr = [c.value for c in ws[1]]
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, hdr.index("User name") + 1).value != user:
            continue
        if slot is not None and ws.cell(row, hdr.index("Key slot") + 1).value != slot:
            continue
        ws.cell(row, hdr.index("Reviewer decision") + 1).value = decision
        ws.cell(row, hdr.index("Reviewer comment") + 1).value = comment
decide("Findings", "bob", "Approve", "delete: left in 2024")
decide("Findings", "alice", "Defer", "ask again in Q2")
decide("Unused keys", "erin", "Approve", "unused key", slot=1)
import datetime
ws = wb["Summary"]
signoff = {"Sign-off reviewer": "Dana Reviewer", "Sign-off role": "IAM owner",
           "Sign-off date (UTC)": datetime.date(2026, 11, 2), "Sign-off statement": "reviewed"}
for row in range(1, ws.max_row + 1):
    if ws.cell(row, 1).value in signoff:
        ws.cell(row, 2).value = signoff[ws.cell(row, 1).value]
wb.save(sys.argv[2])
`
	if outp, err := exec.Command(py, "-c", script, r.workbook, out).CombinedOutput(); err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, outp)
	}
	m, _, err := FromWorkbook(context.Background(), out, r.manifest, findingsOf(r))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Entries {
		got = append(got, e.Label()+": "+e.ReviewerComment)
	}
	want := []string{"111111111111/bob: delete: left in 2024", "111111111111/erin access key 1: unused key"}
	if !slices.Equal(got, want) {
		t.Errorf("entries = %q, want %q", got, want)
	}
	// A date typed as a date is stored as an Excel serial number.
	if so := m.ReviewedFrom.SignOff; so == nil || so.Date != "2026-11-02" || m.Entries[0].ReviewDate != "2026-11-02" {
		t.Errorf("sign-off %+v, entry review date %q", so, m.Entries[0].ReviewDate)
	}
	if rf := m.ReviewedFrom; rf.Approved != 2 || rf.Deferred != 1 || rf.Undecided != 2 {
		t.Errorf("reviewed_from = %+v", rf)
	}
}

// TestBooleanTitlesExist: every boolean column the review compares is one
// the workbook writer renders, so a misspelt title cannot compare blanks.
func TestBooleanTitlesExist(t *testing.T) {
	f := []tables.Finding{{}}
	for _, c := range moreChecked(f) {
		if c.normalize == nil || reflect.ValueOf(c.normalize).Pointer() != reflect.ValueOf(boolCell).Pointer() {
			continue
		}
		if _, err := reports.FindingBoolText(c.title, &f[0]); err != nil {
			t.Errorf("column %q: %v", c.title, err)
		}
	}
}

// TestUnknownAndRootBooleansMatch: a user without a credential report row
// shows blank booleans and root shows not_supported; the review compares
// them as the workbook shows them, so an untouched workbook is accepted.
func TestUnknownAndRootBooleansMatch(t *testing.T) {
	findings := []tables.Finding{
		{UserName: tables.RootUserName, InCredentialReport: true, CredentialReportGiven: true},
		{UserName: "no-report-row", CredentialReportGiven: true},
	}
	want := map[string][2]string{
		"Password enabled": {"not_supported", ""},
		"MFA active":       {"false", ""},
	}
	for _, c := range moreChecked(findings) {
		w, ok := want[c.title]
		if !ok {
			continue
		}
		for i := range findings {
			if got := c.value(i); got != w[i] {
				t.Errorf("%s of %s = %q, want %q", c.title, findings[i].UserName, got, w[i])
			}
		}
	}
}

// TestFromWorkbookUnknownIsNotFalse: the run writes blank credential report
// cells for a user without a report row and not_supported for the root's
// password; the run's own workbook, reviewed, must still be accepted (it was
// refused as if the reviewer had edited those cells), and a reviewer who
// fills in a blank cell is refused.
func TestFromWorkbookUnknownIsNotFalse(t *testing.T) {
	in := fixture()
	for i := range in.Findings {
		if in.Findings[i].UserName == "grace" {
			in.Findings[i].InCredentialReport = false
			in.Findings[i].PasswordState = ""
		}
	}
	r := newRunOf(t, in)
	m, problems, err := FromWorkbook(context.Background(), r.review(t, decide("alice", "", reports.ReviewApprove, "")), r.manifest, findingsOf(r))
	if err != nil {
		t.Fatalf("the run's own workbook is refused: %v", err)
	}
	if len(m.Entries) != 1 || m.Entries[0].UserName != "alice" {
		t.Errorf("entries %+v, want alice's only (notes %q)", m.Entries, problems)
	}
	_, _, err = FromWorkbook(context.Background(), r.review(t,
		decide("alice", "", reports.ReviewApprove, ""),
		func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetFindings, "Key 1 active", rowOf(t, f, reports.SheetFindings, "grace", ""), "false")
		}), r.manifest, findingsOf(r))
	if err == nil || !strings.Contains(err.Error(), `Key 1 active of 111111111111/grace is "false", not the run's ""`) {
		t.Errorf("a filled-in unknown cell: err %v, want refused naming it", err)
	}
}
