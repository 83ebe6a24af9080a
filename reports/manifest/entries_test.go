package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// manyEntries is the test manifest's entries repeated until there are n,
// each made a different user.
func manyEntries(t *testing.T, n int) *Manifest {
	t.Helper()
	m := mustBuild(t)
	base := m.Entries
	m.Entries = make([]Entry, n)
	for i := range m.Entries {
		e := base[i%len(base)]
		suffix := fmt.Sprintf("%05d", i)
		e.UserName += suffix
		e.ARN += suffix
		e.UserID += suffix
		e.ReviewerComment = "entry " + suffix
		m.Entries[i] = e
	}
	if err := m.Sign(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestManyEntriesMatchWholeDocument: entries are encoded and checked one at a
// time; the bytes, the digest and the problems must be those of the whole
// document, in entry order.
func TestManyEntriesMatchWholeDocument(t *testing.T) {
	const n = 1297
	m := manyEntries(t, n)
	var whole bytes.Buffer
	enc := json.NewEncoder(&whole)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.Entries); err != nil {
		t.Fatal(err)
	}
	wantCanonical := bytes.TrimSuffix(whole.Bytes(), []byte("\n"))
	checkEncodeMatchesWholeDocument(t, m)
	if got, err := m.CanonicalEntries(); err != nil || !bytes.Equal(got, wantCanonical) {
		t.Fatalf("canonical entries differ from encoding/json (err %v)", err)
	}
	if err := m.Verify(); err != nil {
		t.Fatalf("%v", err)
	}

	// Problems come back in entry order, each under its own index.
	bad := *m
	bad.Entries = append([]Entry(nil), m.Entries...)
	for _, i := range []int{n - 1, 515, 7} {
		bad.Entries[i].AccountID = "not-an-account"
	}
	err := bad.Validate()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	var at []string
	for _, p := range verr.Problems {
		if strings.Contains(p, "account_id") {
			at = append(at, p[:strings.Index(p, ":")])
		}
	}
	if len(at) != 3 || !strings.Contains(err.Error(), "entries[515]") ||
		strings.Index(err.Error(), "entries[7]") > strings.Index(err.Error(), fmt.Sprintf("entries[%d]", n-1)) {
		t.Errorf("problems out of order or misplaced: %v", err)
	}

	// An entry that cannot be encoded: the entries before it are
	// written, then the error names it.
	broken := *m
	broken.Entries = append([]Entry(nil), m.Entries...)
	fail := 773
	broken.Entries[fail].KeyLastRotated = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	var good, partial bytes.Buffer
	if err := m.Encode(&good); err != nil {
		t.Fatal(err)
	}
	err = broken.Encode(&partial)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("entry %d ", fail)) {
		t.Errorf("Encode error = %v, want one naming entry %d", err, fail)
	}
	if !bytes.HasPrefix(good.Bytes(), partial.Bytes()) || bytes.Count(partial.Bytes(), []byte("\n    {\n")) != fail {
		t.Errorf("Encode wrote %d entries before the broken one, want %d", bytes.Count(partial.Bytes(), []byte("\n    {\n")), fail)
	}
	if _, err := broken.CanonicalEntries(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("entry %d", fail)) {
		t.Errorf("CanonicalEntries error = %v, want one naming entry %d", err, fail)
	}
}

// TestSharedActionListsStayApart: Build shares one action list among delete
// entries (and among deactivate entries with the same credentials and date);
// appending to one entry's list must not show in another's.
func TestSharedActionListsStayApart(t *testing.T) {
	in := testInput()
	for _, f := range slices.Clone(in.Findings) {
		if f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate {
			g := f
			g.UserName += "-twin"
			g.ARN += "-twin"
			g.UserID += "TWIN"
			in.Findings = append(in.Findings, g)
		}
	}
	m, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for i := range m.Entries {
		for j := i + 1; j < len(m.Entries); j++ {
			a, b := m.Entries[i].Actions, m.Entries[j].Actions
			if len(a) == 0 || len(b) == 0 || &a[0] != &b[0] {
				continue
			}
			shared++
			before := slices.Clone(b)
			ai := append(a, Action{Call: "iam:Extra"})
			bj := append(b, Action{Call: "iam:Other"})
			same := func(x, y Action) bool { return x.Call == y.Call && x.Why == y.Why }
			if !slices.EqualFunc(b, before, same) || ai[len(ai)-1].Call != "iam:Extra" || bj[len(bj)-1].Call != "iam:Other" {
				t.Fatalf("appending to entries[%d]'s and entries[%d]'s shared actions changed the other's", i, j)
			}
		}
	}
	if shared == 0 {
		t.Fatal("no two entries share an action list: the test checks nothing")
	}
}
