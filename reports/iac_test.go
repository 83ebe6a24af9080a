package reports

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/tables"
)

// TestIaCInReports: the Summary counts IaC-managed users per account (each
// once, whatever the decision), the References sheet shows the code
// check's kinds with their location, and the CSV shows remove-in-iac.
func TestIaCInReports(t *testing.T) {
	in := sampleInput()
	i := slices.IndexFunc(in.Findings, func(f tables.Finding) bool { return f.Decision == tables.DecisionDelete })
	f := &in.Findings[i]
	f.Decision = tables.DecisionRemoveInIaC
	own := tables.Reference{AccountID: f.AccountID, UserName: f.UserName, UserID: f.UserID, UserARN: f.ARN, Kind: tables.RefKindTerraform,
		Location: "infra/prod.tfstate aws_iam_user.x", Match: tables.IaCOwnershipMatch("aws_iam_user by unique-id", "remove aws_iam_user.x and apply")}
	cfn := own
	cfn.Kind, cfn.Location, cfn.Match = tables.RefKindCloudFormation, "stack payments, logical ID X", tables.IaCOwnershipMatch("tags", "remove X from stack payments")
	hit := tables.Reference{AccountID: "111111111111", UserName: "grace", UserID: "AIDAGRACE00000000007", Kind: tables.RefKindConfig, Location: "app/.env:1 (access-key-id)", Match: "AKIAIOSFODNN7EXAMPLE"}
	in.References = append(in.References, own, cfn, hit)

	stats, err := summarize(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range stats.accounts {
		want := 0
		if a.scope.AccountID == f.AccountID {
			want = 1
		}
		if a.iac != want {
			t.Errorf("account %s: %d IaC-managed users, want %d", a.scope.AccountID, a.iac, want)
		}
	}
	if stats.total.iac != 1 {
		t.Errorf("total IaC-managed = %d, want 1", stats.total.iac)
	}
	if !slices.Contains(countsHeader(), TitleIaCManaged) {
		t.Error("the counts header has no IaC column")
	}

	var buf bytes.Buffer
	if err := NewXLSXWriter().Write(context.Background(), &buf, in); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows(SheetReferences)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range rows[1:] {
		if len(r) > 7 && (r[4] == "terraform" || r[4] == "cloudformation" || r[4] == "config") {
			kinds = append(kinds, r[4]+" "+r[7])
		}
	}
	slices.Sort(kinds)
	want := []string{"cloudformation stack payments, logical ID X", "config app/.env:1 (access-key-id)", "terraform infra/prod.tfstate aws_iam_user.x"}
	if !slices.Equal(kinds, want) {
		t.Errorf("References sheet kinds %q, want %q", kinds, want)
	}

	buf.Reset()
	if err := NewCSVWriter().Write(context.Background(), &buf, in); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), ","+tables.DecisionRemoveInIaC+",") {
		t.Error("the CSV does not show the remove-in-iac decision")
	}
}
