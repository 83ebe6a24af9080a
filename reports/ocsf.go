package reports

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// OCSFPath is where the OCSF findings go inside the run directory.
const OCSFPath = "reports/findings.ocsf.json"

// OCSF schema facts the report is written against (OCSF 1.8.0,
// events/findings/compliance_finding.json and its base classes).
const (
	OCSFVersion         = "1.8.0"
	ocsfCategoryUID     = 2 // Findings
	ocsfClassUID        = 2003
	ocsfActivityCreate  = 1
	ocsfAccountTypeAWS  = 10 // account.type_id "AWS Account"
	ocsfUserTypeUser    = 1  // user.type_id "User"
	ocsfUserTypeAdmin   = 2  // user.type_id "Admin": the root user
	ocsfFindingNew      = 1  // finding status_id "New"
	ocsfFindingSuppress = 3  // finding status_id "Suppressed": an exemption
)

// Compliance (and check) status_id, and severity_id, values.
const (
	ocsfCompliancePass    = 1
	ocsfComplianceWarning = 2 // "did not yield a result due to missing information"
	ocsfComplianceFail    = 3

	ocsfSeverityUnknown       = 0
	ocsfSeverityInformational = 1
	ocsfSeverityMedium        = 3
)

var ocsfSeverityCaption = map[int]string{0: "Unknown", 1: "Informational", 3: "Medium"}

type ocsfWriter struct{}

// NewOCSFWriter writes reports/findings.ocsf.json: a JSON array of OCSF
// 1.8.0 Compliance Findings (class_uid 2003), one per Assessment (each user,
// then each of its unused access keys), with the cloud profile. A fact the
// run does not have is left out, never written as false or zero.
func NewOCSFWriter() Writer { return ocsfWriter{} }

func init() { Register(NewOCSFWriter()) }

func (ocsfWriter) Name() string { return "ocsf" }
func (ocsfWriter) Path() string { return OCSFPath }

func (ocsfWriter) Write(ctx context.Context, w io.Writer, in *Input) error {
	if in.StartedAt.IsZero() {
		return fmt.Errorf("writing OCSF findings: the run has no generation time (Input.GeneratedAt), which every finding's required time attribute carries")
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("["); err != nil {
		return fmt.Errorf("writing OCSF findings: %w", err)
	}
	for i, a := range Assessments(in) {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b, err := json.Marshal(ocsfEventOf(in, &a))
		if err != nil {
			return fmt.Errorf("encoding OCSF finding %s: %w", a.ID, err)
		}
		sep := ",\n"
		if i == 0 {
			sep = "\n"
		}
		if _, err := bw.WriteString(sep); err != nil {
			return fmt.Errorf("writing OCSF finding %s: %w", a.ID, err)
		}
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("writing OCSF finding %s: %w", a.ID, err)
		}
	}
	if _, err := bw.WriteString("\n]\n"); err != nil {
		return fmt.Errorf("writing OCSF findings: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing OCSF findings: %w", err)
	}
	return nil
}

// OCSF objects, each field as the schema names and types it; omitempty
// where the attribute is optional and the run may not know it.
type ocsfEvent struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int64  `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	Time         int64  `json:"time"`
	Message      string `json:"message"`

	Metadata    ocsfMetadata    `json:"metadata"`
	Cloud       ocsfCloud       `json:"cloud"`
	FindingInfo ocsfFindingInfo `json:"finding_info"`
	Compliance  ocsfCompliance  `json:"compliance"`
	Resources   []ocsfResource  `json:"resources"`
	Evidences   []ocsfEvidence  `json:"evidences"`
	Remediation ocsfRemediation `json:"remediation"`
	Unmapped    map[string]any  `json:"unmapped,omitempty"`
}

type ocsfMetadata struct {
	UID      string      `json:"uid"`
	Version  string      `json:"version"`
	Product  ocsfProduct `json:"product"`
	Profiles []string    `json:"profiles"`
	LogName  string      `json:"log_name"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
}

type ocsfCloud struct {
	Provider       string      `json:"provider"`
	Account        ocsfAccount `json:"account"`
	CloudPartition string      `json:"cloud_partition,omitempty"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfFindingInfo struct {
	UID   string   `json:"uid"`
	Title string   `json:"title"`
	Desc  string   `json:"desc,omitempty"`
	Types []string `json:"types"`
}

type ocsfCompliance struct {
	Control           string         `json:"control"`
	Standards         []string       `json:"standards"`
	Requirements      []string       `json:"requirements"`
	ControlParameters []ocsfKeyValue `json:"control_parameters"`
	Checks            []ocsfCheck    `json:"checks"`
	StatusID          *int           `json:"status_id,omitempty"`
	Status            string         `json:"status,omitempty"`
	StatusDetails     []string       `json:"status_details,omitempty"`
}

type ocsfKeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type ocsfCheck struct {
	UID       string   `json:"uid"`
	Name      string   `json:"name"`
	Desc      string   `json:"desc"`
	Version   string   `json:"version,omitempty"`
	Standards []string `json:"standards"`
	StatusID  *int     `json:"status_id,omitempty"`
	Status    string   `json:"status,omitempty"`
}

type ocsfResource struct {
	UID            string         `json:"uid,omitempty"`
	Name           string         `json:"name"`
	Type           string         `json:"type"`
	CloudPartition string         `json:"cloud_partition,omitempty"`
	Data           map[string]any `json:"data,omitempty"`
}

type ocsfUser struct {
	Name    string       `json:"name"`
	UID     string       `json:"uid,omitempty"`
	UIDAlt  string       `json:"uid_alt,omitempty"`
	TypeID  int          `json:"type_id"`
	Type    string       `json:"type"`
	HasMFA  *bool        `json:"has_mfa,omitempty"`
	Account *ocsfAccount `json:"account,omitempty"`
}

type ocsfEvidence struct {
	Name string         `json:"name"`
	User *ocsfUser      `json:"user,omitempty"`
	Data map[string]any `json:"data,omitempty"`
}

type ocsfRemediation struct {
	Desc       string   `json:"desc"`
	References []string `json:"references"`
}

// ocsfRemediationReferences are the AWS pages on finding and removing
// unused credentials and on the Security Hub IAM controls.
var ocsfRemediationReferences = []string{
	"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
	"https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html",
}

// complianceStatus maps a control result to the compliance status_id;
// ok is false for n/a, which has no status.
func complianceStatus(result string) (id int, caption string, ok bool) {
	switch result {
	case ControlFail:
		return ocsfComplianceFail, "Fail", true
	case ControlPass:
		return ocsfCompliancePass, "Pass", true
	case ControlUnknown, ControlNotAssessed:
		return ocsfComplianceWarning, "Warning", true
	}
	return 0, "", false
}

func severityOf(result string) int {
	switch result {
	case ControlFail:
		return ocsfSeverityMedium
	case ControlPass, ControlNA:
		return ocsfSeverityInformational
	}
	return ocsfSeverityUnknown
}

func ocsfEventOf(in *Input, a *Assessment) ocsfEvent {
	f := a.Finding
	sev := severityOf(a.Result)
	status, statusName := ocsfFindingNew, "New"
	if f.Status == tables.StatusExempt {
		status, statusName = ocsfFindingSuppress, "Suppressed"
	}
	account := ocsfAccount{UID: f.AccountID, TypeID: ocsfAccountTypeAWS, Type: "AWS Account"}
	ev := ocsfEvent{
		ActivityID: ocsfActivityCreate, ActivityName: "Create",
		CategoryUID: ocsfCategoryUID, CategoryName: "Findings",
		ClassUID: ocsfClassUID, ClassName: "Compliance Finding",
		TypeUID: ocsfClassUID*100 + ocsfActivityCreate, TypeName: "Compliance Finding: Create",
		SeverityID: sev, Severity: ocsfSeverityCaption[sev],
		StatusID: status, Status: statusName,
		Time:    in.StartedAt.UnixMilli(),
		Message: a.Title,
		Metadata: ocsfMetadata{
			UID:      in.RunID + "/" + a.ID,
			Version:  OCSFVersion,
			Product:  ocsfProduct{Name: "dormant", VendorName: "dormant-iam", Version: in.ToolVersion},
			Profiles: []string{"cloud"},
			LogName:  OCSFPath,
		},
		Cloud:       ocsfCloud{Provider: "AWS", Account: account, CloudPartition: a.Partition},
		FindingInfo: ocsfFindingInfo{UID: a.ID, Title: a.Title, Desc: a.Description, Types: []string{"Unused IAM user credentials"}},
		Compliance:  ocsfComplianceOf(a),
		Resources:   ocsfResourcesOf(a),
		Evidences:   ocsfEvidencesOf(in, a, account),
		Remediation: ocsfRemediation{Desc: a.Remediation, References: ocsfRemediationReferences},
		Unmapped: map[string]any{"dormant": map[string]any{
			"status": f.Status, "decision": f.Decision, "run_id": in.RunID, "as_of": FormatTime(in.AsOf),
		}},
	}
	return ev
}

func ocsfComplianceOf(a *Assessment) ocsfCompliance {
	c := ocsfCompliance{
		Control:           "AWS Security Hub IAM.22: IAM user credentials unused for 45 days should be removed (fails when the console password or an active access key has gone unused for the threshold or longer; a never-used credential counts from its creation)",
		ControlParameters: []ocsfKeyValue{{Name: "maxCredentialUsageAge", Value: fmt.Sprint(tightestThreshold())}},
		StatusDetails:     a.Finding.Reasons,
	}
	seen := map[string]bool{}
	for _, cit := range Citations {
		std := cit.Framework
		if cit.Version != "" {
			std += " " + cit.Version
		}
		if !seen[std] {
			seen[std] = true
			c.Standards = append(c.Standards, std)
		}
		if cit.OrganizationDefined() {
			c.Requirements = append(c.Requirements, cit.Name()+": "+cit.Title+" (period organization-defined: not evaluated; the evidence gives the days unused)")
		}
	}
	for _, r := range a.Checks {
		std := r.Citation.Framework
		if r.Citation.Version != "" {
			std += " " + r.Citation.Version
		}
		ch := ocsfCheck{
			UID: r.Citation.Name(), Name: r.Citation.Title, Version: r.Citation.Version, Standards: []string{std},
			Desc: fmt.Sprintf("Threshold %d days unused.", r.Citation.ThresholdDays),
		}
		if id, caption, ok := complianceStatus(r.Result); ok {
			ch.StatusID, ch.Status = &id, caption
		}
		c.Checks = append(c.Checks, ch)
	}
	if id, caption, ok := complianceStatus(a.Result); ok {
		c.StatusID, c.Status = &id, caption
	}
	return c
}

func ocsfResourcesOf(a *Assessment) []ocsfResource {
	f := a.Finding
	user := ocsfResource{UID: f.ARN, Name: f.UserName, Type: "AWS::IAM::User", CloudPartition: a.Partition}
	if f.UserID != "" {
		user.Data = map[string]any{"user_id": f.UserID}
	}
	if isRoot(f) {
		user.Type = "AWS::Account::Root"
	}
	if a.KeySlot == 0 {
		return []ocsfResource{user}
	}
	// The access key's ID is not in the credential report: the slot names it.
	key := ocsfResource{Name: fmt.Sprintf("%s access key %d", f.UserName, a.KeySlot), Type: "AWS::IAM::AccessKey", CloudPartition: a.Partition,
		Data: map[string]any{"slot": a.KeySlot, "user_arn": f.ARN}}
	return []ocsfResource{key, user}
}

func ocsfEvidencesOf(in *Input, a *Assessment, account ocsfAccount) []ocsfEvidence {
	f := a.Finding
	u := &ocsfUser{Name: f.UserName, UID: f.ARN, UIDAlt: f.UserID, TypeID: ocsfUserTypeUser, Type: "User", Account: &account}
	if isRoot(f) {
		u.TypeID, u.Type = ocsfUserTypeAdmin, "Admin"
	}
	if f.InCredentialReport {
		mfa := f.MFAActive
		u.HasMFA = &mfa
	}
	ident := ocsfEvidence{Name: "IAM user", User: u}
	out := []ocsfEvidence{ident}

	if f.InCredentialReport {
		d := map[string]any{"password_state": f.PasswordState}
		if !isRoot(f) {
			d["password_enabled"] = f.PasswordEnabled
		}
		putTime(d, "password_last_used", f.PasswordLastUsed)
		putTime(d, "report_generated_at", f.ReportGeneratedAt)
		for _, k := range []struct {
			slot          int64
			active        bool
			rotated, used time.Time
		}{{1, f.Key1Active, f.Key1LastRotated, f.Key1LastUsed}, {2, f.Key2Active, f.Key2LastRotated, f.Key2LastUsed}} {
			p := fmt.Sprintf("access_key_%d_", k.slot)
			d[p+"active"] = k.active
			putTime(d, p+"last_rotated", k.rotated)
			putTime(d, p+"last_used", k.used)
		}
		out = append(out, ocsfEvidence{Name: "credential report", Data: d})
	}
	if f.CloudTrailEvents > 0 {
		d := map[string]any{"events": f.CloudTrailEvents, "last_event_name": f.CloudTrailLastEventName}
		putTime(d, "first_event", f.CloudTrailFirstEvent)
		putTime(d, "last_event", f.CloudTrailLastEvent)
		out = append(out, ocsfEvidence{Name: "CloudTrail", Data: d})
	}
	act := map[string]any{"window_start": FormatTime(in.WindowStart()), "as_of": FormatTime(in.AsOf)}
	putTime(act, "last_activity", f.LastActivity)
	if f.LastActivitySource != "" {
		act["last_activity_source"] = f.LastActivitySource
	}
	if f.DaysInactive >= 0 {
		act["days_inactive"] = f.DaysInactive
	}
	if a.UnusedKnown {
		act["credential_unused_days"] = a.UnusedDays
	}
	if f.Exemption != "" {
		act["exemption"] = f.Exemption
		act["exemption_owner"] = f.ExemptionOwner
		putTime(act, "exemption_expires", f.ExemptionExpires)
	}
	return append(out, ocsfEvidence{Name: "activity", Data: act})
}

// putTime sets key to t in RFC 3339 UTC, leaving it out when t is unknown.
func putTime(d map[string]any, key string, t time.Time) {
	if !t.IsZero() {
		d[key] = FormatTime(t)
	}
}
