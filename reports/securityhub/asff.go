// Package securityhub exports a run's assessments to AWS Security Hub in the
// AWS Security Finding Format (ASFF): one finding per IAM user and per unused
// access key (reports.Assessments), imported into each account's default
// product with BatchImportFindings, updated in place on the next run by the
// same finding ID, and archived when the user or key is no longer assessed.
package securityhub

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/dormant-iam/dormant/reports"
)

// ASFF facts the export relies on (AWS Security Hub user guide, "Required
// top-level ASFF attributes" and the AwsSecurityFinding API reference).
const (
	SchemaVersion = "2018-10-08"
	// GeneratorID names the component that produced the findings; Publish
	// finds its earlier findings by it.
	GeneratorID = "dormant/unused-iam-credentials"
	// timeFormat is ISO 8601 with milliseconds, as ASFF timestamps are.
	timeFormat = "2006-01-02T15:04:05.000Z07:00"

	maxTitle       = 256
	maxDescription = 1024
	maxRecommend   = 512
)

// findingTypes places the findings in the ASFF types taxonomy
// (namespace/category/classifier).
var findingTypes = []string{
	"Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark",
	"Software and Configuration Checks/AWS Security Best Practices",
}

// Target is where a run's findings for one account go: that account's
// Security Hub in region, under its default product.
type Target struct {
	Partition string // aws, aws-cn, aws-us-gov
	Region    string
	AccountID string
}

// ProductARN is the account's default product ARN, which an account may
// import its own findings under without a partner integration.
func (t Target) ProductARN() string {
	return fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", t.Partition, t.Region, t.AccountID, t.AccountID)
}

func (t Target) validate() error {
	switch {
	case t.Partition == "" || t.Region == "":
		return fmt.Errorf("security hub target %+v: partition and region are required (e.g. aws, us-east-1)", t)
	case len(t.AccountID) != 12:
		return fmt.Errorf("security hub target %+v: account ID must be 12 digits", t)
	}
	if _, err := strconv.ParseUint(t.AccountID, 10, 64); err != nil {
		return fmt.Errorf("security hub target %+v: account ID must be 12 digits", t)
	}
	return nil
}

// Findings converts the run's assessments of t's account to ASFF, stamped
// with now as UpdatedAt (and CreatedAt, which Publish replaces with the
// first import's for a finding it updates). The root user is left out: it
// is not an IAM user resource, and Security Hub's own IAM controls cover it.
func Findings(in *reports.Input, t Target, now time.Time) ([]types.AwsSecurityFinding, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	stamp := now.UTC().Format(timeFormat)
	var out []types.AwsSecurityFinding
	for _, a := range reports.Assessments(in) {
		if a.Finding.AccountID != t.AccountID || a.Result == reports.ControlNA {
			continue
		}
		out = append(out, finding(in, t, &a, stamp))
	}
	return out, nil
}

func finding(in *reports.Input, t Target, a *reports.Assessment, stamp string) types.AwsSecurityFinding {
	f := a.Finding
	status, severity := complianceOf(a.Result)
	var reqs []string
	for _, c := range reports.Citations {
		reqs = append(reqs, requirement(c))
	}
	fd := types.AwsSecurityFinding{
		SchemaVersion: aws.String(SchemaVersion),
		Id:            aws.String(a.ID),
		ProductArn:    aws.String(t.ProductARN()),
		GeneratorId:   aws.String(GeneratorID),
		AwsAccountId:  aws.String(f.AccountID),
		Types:         findingTypes,
		CreatedAt:     aws.String(stamp),
		UpdatedAt:     aws.String(stamp),
		Severity:      &types.Severity{Label: severity, Original: aws.String(a.Result)},
		Title:         aws.String(truncate(a.Title, maxTitle)),
		Description:   aws.String(truncate(a.Description, maxDescription)),
		Remediation: &types.Remediation{Recommendation: &types.Recommendation{
			Text: aws.String(truncate(a.Remediation, maxRecommend)),
			Url:  aws.String("https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html"),
		}},
		Compliance:    &types.Compliance{Status: status, RelatedRequirements: reqs},
		Resources:     resources(t, a),
		ProductFields: productFields(in, a),
		RecordState:   types.RecordStateActive,
	}
	// The workflow is the customer's: the provider only resolves a finding
	// that now passes, and leaves it unset otherwise so an update does not
	// overwrite a customer's NOTIFIED or SUPPRESSED.
	if status == types.ComplianceStatusPassed {
		fd.Workflow = &types.Workflow{Status: types.WorkflowStatusResolved}
	}
	return fd
}

// complianceOf maps a control result to the ASFF compliance status and
// severity: unknown or not assessed is WARNING ("some information is
// missing"), never PASSED.
func complianceOf(result string) (types.ComplianceStatus, types.SeverityLabel) {
	switch result {
	case reports.ControlFail:
		return types.ComplianceStatusFailed, types.SeverityLabelMedium
	case reports.ControlPass:
		return types.ComplianceStatusPassed, types.SeverityLabelInformational
	}
	return types.ComplianceStatusWarning, types.SeverityLabelLow
}

// requirement names a citation as Security Hub writes related
// requirements: "<standard> <version>/<number>".
func requirement(c reports.Citation) string {
	std := c.Framework
	if c.Version != "" {
		std += " " + c.Version
	}
	return std + "/" + c.ID
}

func resources(t Target, a *reports.Assessment) []types.Resource {
	f := a.Finding
	part := types.Partition(t.Partition)
	user := types.Resource{
		Type: aws.String("AwsIamUser"), Id: aws.String(f.ARN), Partition: part, Region: aws.String(t.Region),
		Details: &types.ResourceDetails{AwsIamUser: &types.AwsIamUserDetails{
			UserName: aws.String(f.UserName), UserId: optional(f.UserID), Path: optional(f.Path), CreateDate: optionalTime(f.CreateDate),
		}},
	}
	if a.KeySlot == 0 {
		return []types.Resource{user}
	}
	created := f.Key1LastRotated
	if a.KeySlot == 2 {
		created = f.Key2LastRotated
	}
	// The credential report names a key by slot, not by access key ID.
	key := types.Resource{
		Type: aws.String("AwsIamAccessKey"), Id: aws.String(fmt.Sprintf("%s/access-key-%d", f.ARN, a.KeySlot)), Partition: part, Region: aws.String(t.Region),
		Details: &types.ResourceDetails{AwsIamAccessKey: &types.AwsIamAccessKeyDetails{
			AccountId: aws.String(f.AccountID), PrincipalName: aws.String(f.UserName), PrincipalId: optional(f.UserID),
			PrincipalType: aws.String("IAMUser"), Status: types.AwsIamAccessKeyStatusActive, CreatedAt: optionalTime(created),
		}},
	}
	return []types.Resource{key, user}
}

// productFields carries the run's own verdict; a fact the run does not
// have is left out.
func productFields(in *reports.Input, a *reports.Assessment) map[string]string {
	f := a.Finding
	m := map[string]string{
		"dormant/RunId":    in.RunID,
		"dormant/AsOf":     reports.FormatTime(in.AsOf),
		"dormant/Status":   f.Status,
		"dormant/Decision": f.Decision,
	}
	if in.ToolVersion != "" {
		m["dormant/ToolVersion"] = in.ToolVersion
	}
	if a.UnusedKnown {
		m["dormant/CredentialUnusedDays"] = strconv.FormatInt(a.UnusedDays, 10)
	}
	if f.DaysInactive >= 0 {
		m["dormant/DaysInactive"] = strconv.FormatInt(f.DaysInactive, 10)
	}
	if !f.LastActivity.IsZero() {
		m["dormant/LastActivity"] = reports.FormatTime(f.LastActivity)
	}
	return m
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return aws.String(t.UTC().Format(timeFormat))
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
