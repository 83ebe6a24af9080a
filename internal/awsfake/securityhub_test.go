package awsfake

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

const shProduct = "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"

func shFinding(id string) types.AwsSecurityFinding {
	return types.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"), Id: aws.String(id), ProductArn: aws.String(shProduct),
		GeneratorId: aws.String("gen"), AwsAccountId: aws.String("111111111111"),
		Types:     []string{"Software and Configuration Checks/AWS Security Best Practices"},
		CreatedAt: aws.String("2026-11-01T00:00:00.000Z"), UpdatedAt: aws.String("2026-11-01T00:00:00.000Z"),
		Severity: &types.Severity{Label: types.SeverityLabelMedium}, Title: aws.String("t"), Description: aws.String("d"),
		Resources:  []types.Resource{{Type: aws.String("AwsIamUser"), Id: aws.String("arn:aws:iam::111111111111:user/" + id)}},
		Compliance: &types.Compliance{Status: types.ComplianceStatusFailed},
	}
}

func TestSecurityHubImportAndGet(t *testing.T) {
	ctx := context.Background()
	org := NewOrg("111111111111")
	org.AddAccount("222222222222").AddRole("OrganizationAccountAccessRole")
	srv := New(org)
	defer srv.Close()
	c := srv.SecurityHubClient(org.CallerCredentials())

	bad := shFinding("bad")
	bad.ProductArn = aws.String("arn:aws:securityhub:us-east-1:222222222222:product/222222222222/default")
	noTypes := shFinding("no-types")
	noTypes.Types = nil
	out, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{shFinding("a"), shFinding("b"), bad, noTypes}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.SuccessCount) != 2 || aws.ToInt32(out.FailedCount) != 2 || len(out.FailedFindings) != 2 ||
		aws.ToString(out.FailedFindings[0].Id) != "bad" || aws.ToString(out.FailedFindings[1].Id) != "no-types" {
		t.Fatalf("import = success %d failed %d %+v, want a and b in, another account's product and a finding without Types out",
			aws.ToInt32(out.SuccessCount), aws.ToInt32(out.FailedCount), out.FailedFindings)
	}

	got, err := c.GetFindings(ctx, &securityhub.GetFindingsInput{Filters: &types.AwsSecurityFindingFilters{
		Id: []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String("a")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Findings) != 1 || aws.ToString(got.Findings[0].Title) != "t" || got.Findings[0].Workflow.Status != types.WorkflowStatusNew ||
		got.Findings[0].RecordState != types.RecordStateActive || aws.ToString(got.Findings[0].ProcessedAt) == "" {
		t.Fatalf("GetFindings(Id=a) = %+v", got.Findings)
	}

	// Updated in place by ID; an import does not change the Workflow of a
	// finding that exists (BatchUpdateFindings does); archiving then
	// reactivating resets the workflow.
	upd := shFinding("a")
	upd.Title, upd.RecordState, upd.Workflow = aws.String("t2"), types.RecordStateArchived, &types.Workflow{Status: types.WorkflowStatusResolved}
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{upd}}); err != nil {
		t.Fatal(err)
	}
	if fs := srv.SecurityHubFindings("111111111111"); len(fs) != 2 || shString(fs[0], "Title") != "t2" || shNested(fs[0], "Workflow", "Status") != "NEW" {
		t.Fatalf("after the update: %d findings, first %s; want the import's Workflow ignored", len(fs), fs[0])
	}
	product := aws.String("arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default")
	bu, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
		FindingIdentifiers: []types.AwsSecurityFindingIdentifier{{Id: aws.String("a"), ProductArn: product}, {Id: aws.String("nope"), ProductArn: product}},
		Workflow:           &types.WorkflowUpdate{Status: types.WorkflowStatusResolved},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bu.ProcessedFindings) != 1 || len(bu.UnprocessedFindings) != 1 || aws.ToString(bu.UnprocessedFindings[0].FindingIdentifier.Id) != "nope" {
		t.Fatalf("BatchUpdateFindings = processed %+v unprocessed %+v", bu.ProcessedFindings, bu.UnprocessedFindings)
	}
	if fs := srv.SecurityHubFindings("111111111111"); shNested(fs[0], "Workflow", "Status") != "RESOLVED" {
		t.Fatalf("after BatchUpdateFindings: %s", fs[0])
	}
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{shFinding("a")}}); err != nil {
		t.Fatal(err)
	}
	if fs := srv.SecurityHubFindings("111111111111"); shNested(fs[0], "Workflow", "Status") != "NEW" {
		t.Errorf("ARCHIVED -> ACTIVE left the workflow %s, want NEW", shNested(fs[0], "Workflow", "Status"))
	}

	// An account without Security Hub enabled is refused.
	srv.DisableSecurityHub("111111111111")
	if _, err := c.GetFindings(ctx, &securityhub.GetFindingsInput{}); err == nil || !strings.Contains(err.Error(), "InvalidAccessException") {
		t.Errorf("GetFindings in a disabled account: %v, want InvalidAccessException", err)
	}

	// Another account sees none of these.
	other, err := srv.AssumeRole(ctx, org.CallerCredentials(), "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := srv.SecurityHubClient(other).GetFindings(ctx, &securityhub.GetFindingsInput{}); err != nil || len(got.Findings) != 0 {
		t.Errorf("account 222222222222 GetFindings = %v, %v; want none", got, err)
	}
}

func TestSecurityHubLimitsAndFilters(t *testing.T) {
	ctx := context.Background()
	org := NewOrg("111111111111")
	srv := New(org)
	defer srv.Close()
	c := srv.SecurityHubClient(org.CallerCredentials(), WithMaxAttempts(1))

	var many []types.AwsSecurityFinding
	for i := range 101 {
		many = append(many, shFinding(fmt.Sprintf("f%03d", i)))
	}
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: many}); errorCode(err) != "InvalidInputException" {
		t.Errorf("101 findings in one call: %v, want InvalidInputException", err)
	}
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: many[:100]}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: many[100:]}); err != nil {
		t.Fatal(err)
	}
	p := securityhub.NewGetFindingsPaginator(c, &securityhub.GetFindingsInput{MaxResults: aws.Int32(40), Filters: &types.AwsSecurityFindingFilters{
		ProductArn: []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String(shProduct)}},
		Id:         []types.StringFilter{{Comparison: types.StringFilterComparisonNotEquals, Value: aws.String("f007")}},
	}})
	n, pages := 0, 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Findings)
		pages++
	}
	if n != 100 || pages != 3 {
		t.Errorf("paged %d findings in %d pages, want 100 (101 less f007) in 3", n, pages)
	}
	_, err := c.GetFindings(ctx, &securityhub.GetFindingsInput{Filters: &types.AwsSecurityFindingFilters{
		ResourceType: []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String("AwsIamUser")}},
	}})
	if errorCode(err) != "InvalidInputException" {
		t.Errorf("an unserved filter: %v, want InvalidInputException", err)
	}
	if srv.Calls("BatchImportFindings") != 3 || srv.MutatingCalls() != 3 {
		t.Errorf("calls: %d imports, %d mutating", srv.Calls("BatchImportFindings"), srv.MutatingCalls())
	}
}
