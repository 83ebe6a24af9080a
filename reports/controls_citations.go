package reports

import (
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// Citation is one standard's requirement on unused credentials, with the
// threshold it sets. The run evaluates a citation with a fixed threshold by
// the same rule as its Control (AWS Config's iam-user-unused-credentials-check);
// one whose standard leaves the period to the organization (ThresholdDays 0)
// is cited, never evaluated, because the tool does not know the period the
// organization chose.
type Citation struct {
	Framework string // e.g. "CIS AWS Foundations Benchmark"
	Version   string // e.g. "v1.4.0"
	ID        string // the requirement's number in that version, e.g. "1.12"
	Title     string // the requirement's own title
	// ThresholdDays is the unused period after which the standard wants the
	// credential disabled or removed; 0 when the organization defines it.
	ThresholdDays int
	// Source says where the number, title and threshold were looked up.
	Source string
}

// Name is how reports name a citation: framework, version and number.
func (c Citation) Name() string {
	if c.Version == "" {
		return c.Framework + " " + c.ID
	}
	return c.Framework + " " + c.Version + " " + c.ID
}

// OrganizationDefined reports whether the standard leaves the threshold to
// the organization, so the run cannot say pass or fail for it.
func (c Citation) OrganizationDefined() bool { return c.ThresholdDays == 0 }

const (
	cisAWS = "CIS AWS Foundations Benchmark"
	// Sources of the citations below, looked up for issue 19 item 7.
	srcSteampipeCIS  = "turbot/steampipe-mod-aws-compliance cis_v*/section_1.pp (commit a1d0b44)"
	srcSteampipeCIS6 = "turbot/steampipe-mod-aws-compliance cis_v600/section_2.pp and docs/cis_v600_2_11.md (control cis_v600_2_11, cis_item_id 2.11)"
	srcTenableCIS7   = "Tenable audit CIS_Amazon_Web_Services_Foundations_v7.0.0_L1 item 2.11"
	srcSecurityHub   = "AWS Security Hub controls reference (IAM.8, IAM.22)"
	srcPCI           = "PCI DSS v4.0.1 requirement 8.2.6 (defined approach requirement)"
	srcNIST          = "NIST SP 800-53 Rev. 5 AC-2(3) Disable Accounts"
	srcISO           = "ISO/IEC 27001:2022 Annex A control 5.18 Access rights"
)

// Citations are the unused-credential requirements of each standard the
// reports cite, in the order they are listed: every CIS AWS Foundations
// Benchmark version from v1.2.0 to v7.0.0, each number confirmed from public
// text (docs/controls.md lists them with their sources). From v6.0.0 the
// IAM recommendations moved from section 1 to section 2.
var Citations = []Citation{
	{Framework: "AWS Security Hub", ID: "IAM.8", Title: "Unused IAM user credentials should be removed", ThresholdDays: 90, Source: srcSecurityHub},
	{Framework: "AWS Security Hub", ID: "IAM.22", Title: "IAM user credentials unused for 45 days should be removed", ThresholdDays: 45, Source: srcSecurityHub},
	{Framework: cisAWS, Version: "v1.2.0", ID: "1.3", Title: "Ensure credentials unused for 90 days or greater are disabled", ThresholdDays: 90, Source: srcSteampipeCIS},
	{Framework: cisAWS, Version: "v1.3.0", ID: "1.12", Title: "Ensure credentials unused for 90 days or greater are disabled", ThresholdDays: 90, Source: srcSteampipeCIS},
	{Framework: cisAWS, Version: "v1.4.0", ID: "1.12", Title: "Ensure credentials unused for 45 days or greater are disabled", ThresholdDays: 45, Source: srcSteampipeCIS},
	{Framework: cisAWS, Version: "v1.5.0", ID: "1.12", Title: "Ensure credentials unused for 45 days or greater are disabled", ThresholdDays: 45, Source: srcSteampipeCIS},
	{Framework: cisAWS, Version: "v2.0.0", ID: "1.12", Title: "Ensure credentials unused for 45 days or greater are disabled", ThresholdDays: 45, Source: srcSteampipeCIS},
	{Framework: cisAWS, Version: "v3.0.0", ID: "1.12", Title: "Ensure credentials unused for 45 days or greater are disabled", ThresholdDays: 45, Source: srcSteampipeCIS},
	{Framework: cisAWS, Version: "v4.0.0", ID: "1.12", Title: "Ensure credentials unused for 45 days or more are disabled", ThresholdDays: 45, Source: srcSteampipeCIS},
	{Framework: cisAWS, Version: "v5.0.0", ID: "1.11", Title: "Ensure credentials unused for 45 days or more are disabled", ThresholdDays: 45, Source: srcSteampipeCIS},
	{Framework: cisAWS, Version: "v6.0.0", ID: "2.11", Title: "Ensure credentials unused for 45 days or more are disabled", ThresholdDays: 45, Source: srcSteampipeCIS6},
	{Framework: cisAWS, Version: "v7.0.0", ID: "2.11", Title: "Ensure credentials unused for 45 days or more are disabled", ThresholdDays: 45, Source: srcTenableCIS7},
	{Framework: "PCI DSS", Version: "v4.0", ID: "8.2.6", Title: "Inactive user accounts are removed or disabled within 90 days of inactivity", ThresholdDays: 90, Source: srcPCI},
	{Framework: "NIST SP 800-53", Version: "Rev. 5", ID: "AC-2(3)", Title: "Disable accounts within an organization-defined time period when they have been inactive for an organization-defined time period", Source: srcNIST},
	{Framework: "ISO/IEC 27001:2022", ID: "A.5.18", Title: "Access rights are provisioned, reviewed, modified and removed in accordance with the organization's access control policy", Source: srcISO},
}

// CitationResult evaluates c for f at asOf as ControlResult does with c's
// threshold; an organization-defined citation is ControlNotEvaluated.
func CitationResult(f *tables.Finding, asOf time.Time, c Citation) string {
	if c.OrganizationDefined() {
		return ControlNotEvaluated
	}
	return ControlResult(f, asOf, c.ThresholdDays)
}

// ControlNotEvaluated is a citation whose threshold the organization sets:
// the evidence is given, the verdict is the organization's.
const ControlNotEvaluated = "organization-defined"

// CitationsWith lists the names of the citations whose result for f is
// result, joined with ReasonSeparator: e.g. every requirement f fails.
func CitationsWith(f *tables.Finding, asOf time.Time, result string) string {
	var names []string
	for _, c := range Citations {
		if CitationResult(f, asOf, c) == result {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ReasonSeparator)
}
