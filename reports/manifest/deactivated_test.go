package manifest

import (
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// deactivatedFinding is a user an earlier remediation deactivated (issue 17):
// no key, no login profile, tagged, due or not.
func deactivatedFinding(decision string) tables.Finding {
	f := user("111111111111", "olive", "AIDAOLIVE00000000009")
	f.DaysInactive = 300
	f.Status, f.Decision = tables.StatusDeactivated, decision
	f.DeactivatedOn, f.DeleteAfter = day("2026-07-01"), day("2026-10-01")
	f.Reasons = []string{"deactivated 2026-07-01, delete after 2026-10-01: delete-after reached at as-of: delete"}
	return f
}

func TestBuildDeletesADueDeactivatedUser(t *testing.T) {
	in := testInput()
	in.Findings = []tables.Finding{deactivatedFinding(tables.DecisionDelete), deactivatedFinding(tables.DecisionKeep)}
	in.Findings[1].UserName, in.Findings[1].UserID = "pat", "AIDAPAT0000000000010"
	in.Findings[1].ARN = "arn:aws:iam::111111111111:user/pat"
	data := encoded(t, in)
	m, err := Parse(data) // the schema and the digest, as remediation reads it
	if err != nil {
		t.Fatalf("reading the manifest back: %v", err)
	}
	if len(m.Entries) != 1 {
		t.Fatalf("got %d entries, want the due user's only: %+v", len(m.Entries), m.Entries)
	}
	e := m.Entries[0]
	if e.UserName != "olive" || e.Decision != DecisionDelete || e.Evidence.Status != tables.StatusDeactivated {
		t.Errorf("entry %s: decision %s, status %s; want olive, delete, deactivated", e.Label(), e.Decision, e.Evidence.Status)
	}
	if e.Evidence.DeactivatedOn == nil || !e.Evidence.DeactivatedOn.Equal(day("2026-07-01")) ||
		e.Evidence.DeleteAfter == nil || !e.Evidence.DeleteAfter.Equal(day("2026-10-01")) {
		t.Errorf("evidence dates = %v, %v; want 2026-07-01, 2026-10-01", e.Evidence.DeactivatedOn, e.Evidence.DeleteAfter)
	}
	if got := calls(e.Actions); got[len(got)-1] != CallDeleteUser {
		t.Errorf("actions %v do not end in DeleteUser", got)
	}
	if why := e.Actions[len(e.Actions)-1].Why; !strings.Contains(why, TagDeleteAfter) {
		t.Errorf("DeleteUser's why %q does not name the delete-after tag", why)
	}
	if !slices.Contains(strings.Split(string(data), "\n"), `        "deactivated_on": "2026-07-01T00:00:00Z",`) {
		t.Errorf("the manifest does not carry deactivated_on:\n%s", data)
	}
}

func TestBuildNeverDeactivatesADeactivatedUser(t *testing.T) {
	in := testInput()
	in.Findings = []tables.Finding{deactivatedFinding(tables.DecisionDeactivate)}
	if _, err := Build(in); err == nil || !strings.Contains(err.Error(), "deactivated ones only deleted") {
		t.Fatalf("Build = %v, want a refusal of deactivate on a deactivated user", err)
	}
}

// The schema holds a deactivated entry to delete, with both dates, even in a
// manifest edited by hand and re-signed.
func TestSchemaDeactivatedEntries(t *testing.T) {
	in := testInput()
	in.Findings = []tables.Finding{deactivatedFinding(tables.DecisionDelete)}
	for _, tc := range []struct {
		name string
		edit func(e *Entry)
		want string
	}{
		{"without its delete-after date", func(e *Entry) { e.Evidence.DeleteAfter = nil }, "delete_after"},
		{"with a deactivation plan", func(e *Entry) {
			e.Decision = DecisionDeactivate
			e.Actions = []Action{{Call: CallTagUser, Target: "user", Parameters: map[string]string{TagDeleteAfter: "2027-01-01"}, Why: "x"}}
		}, "decision"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(&m.Entries[0])
			if err := m.Sign(); err != nil {
				t.Fatal(err)
			}
			err = m.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want a problem naming %s", err, tc.want)
			}
		})
	}
}
