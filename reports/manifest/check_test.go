package manifest

import (
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// IAM's API contract for UserId is [\w]+, 16 to 128 characters; AIDA is a
// convention. Emulators (moto) and other partitions issue other IDs, and a
// run on their exports must not die at the manifest's schema check.
func TestBuildAcceptsUserIDsOfIAMsContract(t *testing.T) {
	for _, id := range []string{
		"ABCDEFGHIJKLMNOP",   // 16, no AIDA
		"aida_lower_case_id", // letters of either case and _
		strings.Repeat("A", 128),
	} {
		in := testInput()
		in.Findings[7].UserID = id // alice, deactivated
		in.Findings[4].UserID = id // dave, unused key: another user, another entry kind
		if _, err := Build(in); err != nil {
			t.Errorf("user ID %q: %v", id, err)
		}
		if err := CheckFinding(&in.Findings[7]); err != nil {
			t.Errorf("CheckFinding refuses user ID %q: %v", id, err)
		}
	}
	for _, id := range []string{"AIDA-SHORT", "AIDAEXAMPLE", strings.Repeat("A", 129), "AIDAEXAMPLEUSER0001/x"} {
		in := testInput()
		in.Findings[7].UserID = id
		if _, err := Build(in); err == nil {
			t.Errorf("user ID %q: Build accepted it", id)
		}
		if err := CheckFinding(&in.Findings[7]); err == nil {
			t.Errorf("user ID %q: CheckFinding accepted it, Build does not", id)
		}
	}
}

// Every input-driven way Build refuses a finding, CheckFinding refuses too,
// naming the field; and what CheckFinding accepts, Build plans.
func TestCheckFindingAgreesWithBuild(t *testing.T) {
	for i := range testFindings() {
		in := testInput()
		if err := CheckFinding(&in.Findings[i]); err != nil && plans(&in.Findings[i]) {
			t.Errorf("finding %d (%s): CheckFinding refuses a finding Build plans: %v", i, in.Findings[i].UserName, err)
		}
	}
	tests := []struct {
		name    string
		finding int // 7: alice (deactivate), 4: dave (unused key)
		modify  func(f *tables.Finding)
		want    string
	}{
		{"no unique ID", 7, func(f *tables.Finding) { f.UserID = "" }, "no unique user ID"},
		{"no ARN", 7, func(f *tables.Finding) { f.ARN = "" }, "no ARN"},
		{"account ID not 12 digits", 7, func(f *tables.Finding) { f.AccountID = "1111" }, `account ID "1111"`},
		{"user name not IAM's", 7, func(f *tables.Finding) { f.UserName = "al ice" }, `user name "al ice"`},
		{"ARN of another user", 7, func(f *tables.Finding) { f.ARN = "arn:aws:iam::111111111111:user/mallory" }, `names user "mallory"`},
		{"ARN of another account", 7, func(f *tables.Finding) { f.ARN = "arn:aws:iam::999999999999:user/alice" }, "in account 999999999999"},
		{"ARN of a role", 7, func(f *tables.Finding) { f.ARN = "arn:aws:iam::111111111111:role/alice" }, "not an IAM user ARN"},
		{"ARN case differs from the name", 7, func(f *tables.Finding) { f.ARN = "arn:aws:iam::111111111111:user/Alice" }, `names user "Alice"`},
		{"user name not UTF-8", 7, func(f *tables.Finding) { f.UserName = "al\xffice" }, "not valid UTF-8"},
		{"reason not UTF-8", 7, func(f *tables.Finding) { f.Reasons = append(f.Reasons, "owner \xfe") }, "not valid UTF-8"},
		{"time past year 9999", 7, func(f *tables.Finding) { f.CreateDate = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "creation date"},
		{"negative days", 7, func(f *tables.Finding) { f.DaysInactive = -140 }, "days inactive is -140"},
		{"unused key without creation time", 4, func(f *tables.Finding) { f.Key2LastRotated = time.Time{} }, "access key 2 has no creation"},
		{"unused key not active", 4, func(f *tables.Finding) { f.Key2Active = false }, "not active"},
		{"unused key slot 3", 4, func(f *tables.Finding) { f.UnusedKeys = []int64{3} }, "slot 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput()
			f := &in.Findings[tt.finding]
			tt.modify(f)
			err := CheckFinding(f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckFinding = %v, want an error containing %q", err, tt.want)
			}
			if _, berr := Build(in); berr == nil {
				t.Errorf("Build accepted what CheckFinding refuses (%v): the two disagree", err)
			}
		})
	}
}

// plans reports whether Build gives f any entry.
func plans(f *tables.Finding) bool {
	return f.Decision == tables.DecisionDelete || f.Decision == tables.DecisionDeactivate || PlansKeys(f)
}
