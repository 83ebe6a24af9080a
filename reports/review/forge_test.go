package review

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 15: the reviewed manifest is the review.

func keys(t *testing.T) (*signature.Ed25519Signer, *signature.Ed25519Verifier) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signature.NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.NewEd25519Verifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func (r *run) opts(workbook string) Options {
	return Options{Workbook: workbook, RunDir: r.dir, Findings: filepath.Join(r.dir, "tables", "findings.parquet"),
		Out: filepath.Join(filepath.Dir(workbook), "reviewed.manifest.json")}
}

// forgeRunManifest turns alice's deactivate into a delete in the run's
// manifest and recomputes its digests, as five lines of Python would.
func forgeRunManifest(t *testing.T, r *run) {
	t.Helper()
	path := filepath.Join(r.dir, filepath.FromSlash(reports.ManifestPath))
	m, err := manifest.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	m.Entries[0].Decision = manifest.DecisionDelete
	m.Entries[0].Actions = make([]manifest.Action, len(manifest.DeleteOrder))
	for i, c := range manifest.DeleteOrder {
		m.Entries[0].Actions[i] = manifest.Action{Call: c, Target: "alice", Why: "forged"}
	}
	if err := m.Sign(); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
}

// A run manifest edited and re-digested made a workbook showing deactivate
// produce a reviewed manifest that deletes.
func TestAttackForgedRunManifest(t *testing.T) {
	r := newRun(t)
	reviewed := r.review(t, decide("alice", "", reports.ReviewApprove, ""))
	forgeRunManifest(t, r)
	_, err := Apply(context.Background(), r.opts(reviewed))
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "remediation-manifest.json") {
		t.Fatalf("a forged run manifest: %v, want it refused against SHA256SUMS naming the file", err)
	}
	// Re-sealing the forged directory does not help: the entries are
	// rebuilt from the findings table, which says deactivate.
	if err := evidence.WriteSums(context.Background(), r.dir); err != nil {
		t.Fatal(err)
	}
	_, err = Apply(context.Background(), r.opts(reviewed))
	if err == nil || !strings.Contains(err.Error(), "is not the plan its findings table gives") {
		t.Fatalf("a forged and re-sealed run: %v, want the manifest refused as not following from the findings", err)
	}
	if _, err := os.Stat(r.opts(reviewed).Out); err == nil {
		t.Fatal("a reviewed manifest was written from a forged run")
	}
}

// A signed run is checked with the trust key; a re-sealed one fails it.
func TestApplySignedRun(t *testing.T) {
	r := newRun(t)
	signer, trust := keys(t)
	if _, err := signature.SignFile(context.Background(), signer, filepath.Join(r.dir, evidence.SumsFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(r.dir, evidence.SumsFile+".sig")); err != nil {
		t.Fatal(err)
	}
	// SHA256SUMS.sig is not an extra file of the bundle.
	if mism, err := evidence.VerifySums(context.Background(), r.dir); err != nil || len(mism) > 0 {
		t.Fatalf("VerifySums with SHA256SUMS.sig present: %v %v", mism, err)
	}
	reviewed := r.review(t, decide("carol", "", reports.ReviewApprove, ""))
	opts := r.opts(reviewed)
	opts.TrustKey, opts.SignKey = trust, signer
	res, err := Apply(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := signature.VerifyFile(context.Background(), trust, res.Out); err != nil {
		t.Fatalf("the reviewed manifest's signature: %v", err)
	}
	// Without the trust key the review says the signature went unchecked.
	res, err = Apply(context.Background(), r.opts(reviewed))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) == 0 || !strings.Contains(res.Problems[0].Message, "no --trust-key") {
		t.Errorf("no note that the run's signature went unchecked: %v", res.Problems)
	}
	if _, err := os.Stat(signature.Path(res.Out)); err == nil {
		t.Error("an unsigned reviewed manifest kept the previous review's signature")
	}
	// Another key, or a forged and re-sealed run, is refused.
	_, other := keys(t)
	opts.TrustKey = other
	if _, err := Apply(context.Background(), opts); !errors.Is(err, signature.ErrInvalid) {
		t.Errorf("a run signed by another key: %v", err)
	}
	forgeRunManifest(t, r)
	if err := evidence.WriteSums(context.Background(), r.dir); err != nil {
		t.Fatal(err)
	}
	opts.TrustKey = trust
	if _, err := Apply(context.Background(), opts); !errors.Is(err, signature.ErrInvalid) {
		t.Errorf("a re-sealed run: %v, want its signature refused", err)
	}
}

// A reviewer who changed Decision from delete to deactivate and approved
// was silently ignored: the entry still deleted.
func TestAttackDowngradeIgnored(t *testing.T) {
	r := newRun(t)
	reviewed := r.review(t,
		decide("bob", "", reports.ReviewApprove, "deactivate first"),
		func(t *testing.T, f *excelize.File) {
			set(t, f, reports.SheetFindings, titleDecision, rowOf(t, f, reports.SheetFindings, "bob", ""), tables.DecisionDeactivate)
		})
	m, problems, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) != 1 || m.Entries[0].UserName != "bob" || m.Entries[0].Decision != manifest.DecisionDeactivate {
		t.Fatalf("entries = %+v, want bob deactivated", m.Entries)
	}
	acts := m.Entries[0].Actions
	if last := acts[len(acts)-1]; last.Call != manifest.CallTagUser || last.Parameters[manifest.TagDeleteAfter] == "" {
		t.Errorf("bob's downgraded plan does not end in the delete-after tag: %+v", acts)
	}
	found := false
	for _, p := range problems {
		found = found || strings.Contains(p.Message, "changed delete to deactivate")
	}
	if !found {
		t.Errorf("no note of the downgrade: %v", problems)
	}
}

// Upgrades and edits of other non-review columns are refused, naming the row.
func TestNonReviewColumnsRefused(t *testing.T) {
	r := newRun(t)
	for _, tt := range []struct {
		name, user, title, value, want string
	}{
		{"deactivate to delete", "alice", titleDecision, tables.DecisionDelete, "may only change delete to deactivate"},
		{"review to delete", "grace", titleDecision, tables.DecisionDelete, "may only change delete to deactivate"},
		{"status", "alice", titleStatus, tables.StatusActive, "Status of 111111111111/alice"},
		{"days inactive", "carol", titleDaysInactive, "9999", "Days inactive of 111111111111/carol"},
		{"reasons", "bob", titleReasons, "looks unused", "only the reviewer columns may be edited"},
		{"last activity", "alice", "Last activity (UTC)", "2020-01-01", "Last activity (UTC) of 111111111111/alice"},
		{"MFA", "bob", "MFA active", "TRUE", "MFA active of 111111111111/bob"},
		{"references", "carol", "References", "3", "References of 111111111111/carol"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var row int
			reviewed := r.review(t, decide(tt.user, "", reports.ReviewApprove, ""), func(t *testing.T, f *excelize.File) {
				row = rowOf(t, f, reports.SheetFindings, tt.user, "")
				set(t, f, reports.SheetFindings, tt.title, row, tt.value)
			})
			_, _, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r))
			var re *RefusedError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) || re.Problems[0].Row != row {
				t.Fatalf("%s edited: %v, want it refused at row %d mentioning %q", tt.title, err, row, tt.want)
			}
		})
	}
}

func TestCheckedTitles(t *testing.T) {
	titles := strings.Join(reports.FindingTitles(), "\x00")
	for _, c := range findingsSheet(nil).checked {
		if !strings.Contains("\x00"+titles+"\x00", "\x00"+c.title+"\x00") {
			t.Errorf("%q is not a Findings column title", c.title)
		}
	}
}

// Nothing recorded who approved, or when: the sign-off block and the row's
// Reviewer and Review date columns now do, and an approval without them is
// refused.
func TestSignOffCarried(t *testing.T) {
	r := newRun(t)
	unsigned := r.reviewUnsigned(t, decide("carol", "", reports.ReviewApprove, ""))
	var re *RefusedError
	if _, _, err := FromWorkbook(context.Background(), unsigned, r.manifest, findingsOf(r)); !errors.As(err, &re) || !strings.Contains(err.Error(), "who approved it or when") {
		t.Fatalf("an approval with no sign-off: %v", err)
	}
	// The row's own reviewer and date win over the sign-off's.
	reviewed := r.review(t,
		decide("carol", "", reports.ReviewApprove, ""),
		decide("alice", "", reports.ReviewApprove, ""),
		func(t *testing.T, f *excelize.File) {
			row := rowOf(t, f, reports.SheetFindings, "alice", "")
			set(t, f, reports.SheetFindings, reports.TitleReviewer, row, "Sam Second")
			set(t, f, reports.SheetFindings, reports.TitleReviewDate, row, "2026-11-03")
		})
	m, _, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r))
	if err != nil {
		t.Fatal(err)
	}
	so := m.ReviewedFrom.SignOff
	if so == nil || so.Reviewer != "Dana Reviewer" || so.Role != "IAM owner" || so.Date != "2026-11-02" || so.Statement == "" {
		t.Fatalf("sign-off = %+v", so)
	}
	got := map[string]string{}
	for _, e := range m.Entries {
		got[e.UserName] = e.Reviewer + " " + e.ReviewDate
	}
	if got["alice"] != "Sam Second 2026-11-03" || got["carol"] != "Dana Reviewer 2026-11-02" {
		t.Errorf("entry reviewers = %v", got)
	}
	if err := m.Verify(); err != nil {
		t.Fatal(err)
	}
	// A date that is not one is refused naming the row.
	bad := r.review(t, decide("carol", "", reports.ReviewApprove, ""), func(t *testing.T, f *excelize.File) {
		set(t, f, reports.SheetFindings, reports.TitleReviewDate, rowOf(t, f, reports.SheetFindings, "carol", ""), "last Tuesday")
	})
	if _, _, err := FromWorkbook(context.Background(), bad, r.manifest, findingsOf(r)); !errors.As(err, &re) || !strings.Contains(err.Error(), `"last Tuesday" is not a date`) {
		t.Errorf("a bad review date: %v", err)
	}
}

// The Unused keys sheet's non-review columns are checked too.
func TestUnusedKeysColumnsRefused(t *testing.T) {
	r := newRun(t)
	var row int
	reviewed := r.review(t, decide("erin", "1", reports.ReviewApprove, ""), func(t *testing.T, f *excelize.File) {
		row = rowOf(t, f, reports.SheetUnusedKeys, "erin", "1")
		set(t, f, reports.SheetUnusedKeys, "Key last used (UTC)", row, "2026-10-31")
	})
	var re *RefusedError
	if _, _, err := FromWorkbook(context.Background(), reviewed, r.manifest, findingsOf(r)); !errors.As(err, &re) || re.Problems[0].Row != row ||
		!strings.Contains(err.Error(), "Key last used (UTC) of 111111111111/erin key 1") {
		t.Fatalf("an edited key last-used date: %v", err)
	}
}
