package reports

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
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

func init() { RegisterOptional(NewOCSFWriter()) }

func (ocsfWriter) Name() string { return "ocsf" }
func (ocsfWriter) Path() string { return OCSFPath }

func (ocsfWriter) Write(ctx context.Context, w io.Writer, in *Input) error {
	if in.StartedAt.IsZero() {
		return fmt.Errorf("writing OCSF findings: the run has no generation time (Input.GeneratedAt), which every finding's required time attribute carries")
	}
	// One finding at a time: each is encoded into a reused buffer and
	// written through, so neither the findings nor their bytes are held.
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	st, err := newOCSFStatic(in)
	if err != nil {
		return err
	}
	if _, err := bw.WriteString("["); err != nil {
		return fmt.Errorf("writing OCSF findings: %w", err)
	}
	i := 0
	eachAssessment(in, func(a *Assessment) bool {
		if i%ctxCheckEvery == 0 {
			if err = ctx.Err(); err != nil {
				return false
			}
		}
		buf.Reset()
		if err = st.encodeEvent(enc, &buf, in, a); err != nil {
			err = fmt.Errorf("encoding OCSF finding %s: %w", a.ID, err)
			return false
		}
		sep := ",\n"
		if i == 0 {
			sep = "\n"
		}
		i++
		if _, err = bw.WriteString(sep); err != nil {
			err = fmt.Errorf("writing OCSF finding %s: %w", a.ID, err)
			return false
		}
		if _, err = bw.Write(buf.Bytes()); err != nil {
			err = fmt.Errorf("writing OCSF finding %s: %w", a.ID, err)
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	if _, err := bw.WriteString("\n]\n"); err != nil {
		return fmt.Errorf("writing OCSF findings: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing OCSF findings: %w", err)
	}
	return nil
}

// ocsfStatic is what every finding of a run shares, built once per run.
type ocsfStatic struct {
	metadata     ocsfMetadata
	control      string
	standards    []string
	requirements []string
	parameters   []ocsfKeyValue
	types        []string
	checkStd     map[string][]string // a check's standards, by citation name
	checkDesc    map[string]string   // a check's description, by citation name
	asOf         string
	windowStart  string
	// compliance is the compliance object's leading attributes, encoded.
	compliance []byte
	checks     map[ocsfCheckKey][]byte // each check and result, encoded
}

type ocsfCheckKey struct{ citation, result string }

// encodeEvent appends a's event to buf as json.Marshal would encode its
// ocsfEvent, without the trailing newline enc writes.
func (st *ocsfStatic) encodeEvent(enc *json.Encoder, buf *bytes.Buffer, in *Input, a *Assessment) error {
	ev := ocsfEventOf(st, in, a)
	if err := enc.Encode(&ev.ocsfEventHead); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 2) // "}\n": the object goes on
	buf.WriteString(`,"compliance":`)
	buf.Write(st.compliance)
	if len(a.Checks) == 0 {
		buf.WriteString("null")
	} else {
		for i, r := range a.Checks {
			b, err := st.check(r)
			if err != nil {
				return err
			}
			if i == 0 {
				buf.WriteByte('[')
			} else {
				buf.WriteByte(',')
			}
			buf.Write(b)
		}
		buf.WriteByte(']')
	}
	if id, caption, ok := complianceStatus(a.Result); ok {
		buf.WriteString(`,"status_id":`)
		buf.WriteString(strconv.Itoa(id))
		buf.WriteString(`,"status":`)
		if err := enc.Encode(caption); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1)
	}
	if len(a.Finding.Reasons) > 0 {
		buf.WriteString(`,"status_details":`)
		if err := enc.Encode(a.Finding.Reasons); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteString("},")
	mark := buf.Len()
	if err := enc.Encode(&ev.ocsfEventTail); err != nil {
		return err
	}
	// Drop the tail's opening brace and its newline: its attributes
	// continue the event's object.
	b := buf.Bytes()
	copy(b[mark:], b[mark+1:])
	buf.Truncate(buf.Len() - 2)
	return nil
}

// check is r's check object, encoded once per citation and result.
func (st *ocsfStatic) check(r CheckResult) ([]byte, error) {
	name := r.Citation.Name()
	k := ocsfCheckKey{name, r.Result}
	if b, ok := st.checks[k]; ok {
		return b, nil
	}
	ch := ocsfCheck{UID: name, Name: r.Citation.Title, Version: r.Citation.Version, Standards: st.checkStd[name], Desc: st.checkDesc[name]}
	if id, caption, ok := complianceStatus(r.Result); ok {
		ch.StatusID, ch.Status = &id, caption
	}
	b, err := json.Marshal(ch)
	if err != nil {
		return nil, err
	}
	st.checks[k] = b
	return b, nil
}

func newOCSFStatic(in *Input) (*ocsfStatic, error) {
	st := &ocsfStatic{
		metadata: ocsfMetadata{
			Version:  OCSFVersion,
			Product:  ocsfProduct{Name: "dormant", VendorName: "dormant-iam", Version: in.ToolVersion},
			Profiles: []string{"cloud"},
			LogName:  OCSFPath,
		},
		control:     "AWS Security Hub IAM.22: IAM user credentials unused for 45 days should be removed (fails when the console password or an active access key has gone unused for the threshold or longer; a never-used credential counts from its creation)",
		parameters:  []ocsfKeyValue{{Name: "maxCredentialUsageAge", Value: fmt.Sprint(tightestThreshold())}},
		types:       []string{"Unused IAM user credentials"},
		checkStd:    map[string][]string{},
		checkDesc:   map[string]string{},
		checks:      map[ocsfCheckKey][]byte{},
		asOf:        FormatTime(in.AsOf),
		windowStart: FormatTime(in.WindowStart()),
	}
	seen := map[string]bool{}
	for _, cit := range Citations {
		std := cit.Framework
		if cit.Version != "" {
			std += " " + cit.Version
		}
		if !seen[std] {
			seen[std] = true
			st.standards = append(st.standards, std)
		}
		if cit.OrganizationDefined() {
			st.requirements = append(st.requirements, cit.Name()+": "+cit.Title+" (period organization-defined: not evaluated; the evidence gives the days unused)")
		}
		st.checkStd[cit.Name()] = []string{std}
		st.checkDesc[cit.Name()] = fmt.Sprintf("Threshold %d days unused.", cit.ThresholdDays)
	}
	// The compliance object up to its checks, with the attributes' order
	// and encoding as ocsfCompliance has them.
	lead, err := json.Marshal(struct {
		Control           string         `json:"control"`
		Standards         []string       `json:"standards"`
		Requirements      []string       `json:"requirements"`
		ControlParameters []ocsfKeyValue `json:"control_parameters"`
	}{st.control, st.standards, st.requirements, st.parameters})
	if err != nil {
		return nil, fmt.Errorf("encoding the OCSF compliance object's control and standards: %w", err)
	}
	st.compliance = append(lead[:len(lead)-1], `,"checks":`...)
	return st, nil
}

// OCSF objects, each field as the schema names and types it; omitempty
// where the attribute is optional and the run may not know it.
//
// The event is encoded in three parts (ocsfEventHead, the compliance
// object, ocsfEventTail) so the compliance object, mostly the same texts in
// every event, can be written from bytes encoded once per run; encoding the
// whole ocsfEvent gives the same bytes.
type ocsfEvent struct {
	ocsfEventHead
	Compliance ocsfCompliance `json:"compliance"`
	ocsfEventTail
}

type ocsfEventHead struct {
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
}

type ocsfEventTail struct {
	Resources   []ocsfResource  `json:"resources"`
	Evidences   []ocsfEvidence  `json:"evidences"`
	Remediation ocsfRemediation `json:"remediation"`
	Unmapped    *ocsfUnmapped   `json:"unmapped,omitempty"`
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
	UID            string            `json:"uid,omitempty"`
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	CloudPartition string            `json:"cloud_partition,omitempty"`
	Data           *ocsfResourceData `json:"data,omitempty"`
}

// ocsfResourceData is a resource's free-form data; its fields are in key
// order, as the map it replaced was encoded.
type ocsfResourceData struct {
	Slot    int64   `json:"slot,omitempty"`
	UserARN *string `json:"user_arn,omitempty"`
	UserID  string  `json:"user_id,omitempty"`
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
	Name string    `json:"name"`
	User *ocsfUser `json:"user,omitempty"`
	// Data is one of the evidence data types below, or nil.
	Data any `json:"data,omitempty"`
}

// The evidences' data, each field in key order (as the maps they replaced
// were encoded); a time or count the run does not have is left out.
type ocsfCredentialReportData struct {
	Key1Active        bool   `json:"access_key_1_active"`
	Key1LastRotated   string `json:"access_key_1_last_rotated,omitempty"`
	Key1LastUsed      string `json:"access_key_1_last_used,omitempty"`
	Key2Active        bool   `json:"access_key_2_active"`
	Key2LastRotated   string `json:"access_key_2_last_rotated,omitempty"`
	Key2LastUsed      string `json:"access_key_2_last_used,omitempty"`
	PasswordEnabled   *bool  `json:"password_enabled,omitempty"` // absent for root
	PasswordLastUsed  string `json:"password_last_used,omitempty"`
	PasswordState     string `json:"password_state"`
	ReportGeneratedAt string `json:"report_generated_at,omitempty"`
}

type ocsfCloudTrailData struct {
	Events        int64  `json:"events"`
	FirstEvent    string `json:"first_event,omitempty"`
	LastEvent     string `json:"last_event,omitempty"`
	LastEventName string `json:"last_event_name"`
}

type ocsfActivityData struct {
	AsOf                 string  `json:"as_of"`
	CredentialUnusedDays *int64  `json:"credential_unused_days,omitempty"`
	DaysInactive         *int64  `json:"days_inactive,omitempty"`
	Exemption            string  `json:"exemption,omitempty"`
	ExemptionExpires     string  `json:"exemption_expires,omitempty"`
	ExemptionOwner       *string `json:"exemption_owner,omitempty"` // present, even empty, with an exemption
	LastActivity         string  `json:"last_activity,omitempty"`
	LastActivitySource   string  `json:"last_activity_source,omitempty"`
	WindowStart          string  `json:"window_start"`
}

// ocsfUnmapped is the event's unmapped object: dormant's own verdict.
type ocsfUnmapped struct {
	Dormant ocsfDormant `json:"dormant"`
}

type ocsfDormant struct {
	AsOf     string `json:"as_of"`
	Decision string `json:"decision"`
	RunID    string `json:"run_id"`
	Status   string `json:"status"`
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

func ocsfEventOf(st *ocsfStatic, in *Input, a *Assessment) ocsfEvent {
	f := a.Finding
	sev := severityOf(a.Result)
	status, statusName := ocsfFindingNew, "New"
	if f.Status == tables.StatusExempt {
		status, statusName = ocsfFindingSuppress, "Suppressed"
	}
	account := ocsfAccount{UID: f.AccountID, TypeID: ocsfAccountTypeAWS, Type: "AWS Account"}
	md := st.metadata
	md.UID = in.RunID + "/" + a.ID
	return ocsfEvent{ocsfEventHead: ocsfEventHead{
		ActivityID: ocsfActivityCreate, ActivityName: "Create",
		CategoryUID: ocsfCategoryUID, CategoryName: "Findings",
		ClassUID: ocsfClassUID, ClassName: "Compliance Finding",
		TypeUID: ocsfClassUID*100 + ocsfActivityCreate, TypeName: "Compliance Finding: Create",
		SeverityID: sev, Severity: ocsfSeverityCaption[sev],
		StatusID: status, Status: statusName,
		Time:        in.StartedAt.UnixMilli(),
		Message:     a.Title,
		Metadata:    md,
		Cloud:       ocsfCloud{Provider: "AWS", Account: account, CloudPartition: a.Partition},
		FindingInfo: ocsfFindingInfo{UID: a.ID, Title: a.Title, Desc: a.Description, Types: st.types},
	}, ocsfEventTail: ocsfEventTail{
		Resources:   ocsfResourcesOf(a),
		Evidences:   ocsfEvidencesOf(st, a, account),
		Remediation: ocsfRemediation{Desc: a.Remediation, References: ocsfRemediationReferences},
		Unmapped:    &ocsfUnmapped{Dormant: ocsfDormant{Status: f.Status, Decision: f.Decision, RunID: in.RunID, AsOf: st.asOf}},
	}}
}

func ocsfComplianceOf(st *ocsfStatic, a *Assessment) ocsfCompliance {
	c := ocsfCompliance{
		Control:           st.control,
		ControlParameters: st.parameters,
		Standards:         st.standards,
		Requirements:      st.requirements,
		StatusDetails:     a.Finding.Reasons,
	}
	for _, r := range a.Checks {
		name := r.Citation.Name()
		ch := ocsfCheck{
			UID: name, Name: r.Citation.Title, Version: r.Citation.Version, Standards: st.checkStd[name],
			Desc: st.checkDesc[name],
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
		user.Data = &ocsfResourceData{UserID: f.UserID}
	}
	if isRoot(f) {
		user.Type = "AWS::Account::Root"
	}
	if a.KeySlot == 0 {
		return []ocsfResource{user}
	}
	// The access key's ID is not in the credential report: the slot names it.
	key := ocsfResource{Name: f.UserName + " access key " + strconv.FormatInt(a.KeySlot, 10), Type: "AWS::IAM::AccessKey", CloudPartition: a.Partition,
		Data: &ocsfResourceData{Slot: a.KeySlot, UserARN: &f.ARN}}
	return []ocsfResource{key, user}
}

func ocsfEvidencesOf(st *ocsfStatic, a *Assessment, account ocsfAccount) []ocsfEvidence {
	f := a.Finding
	u := &ocsfUser{Name: f.UserName, UID: f.ARN, UIDAlt: f.UserID, TypeID: ocsfUserTypeUser, Type: "User", Account: &account}
	if isRoot(f) {
		u.TypeID, u.Type = ocsfUserTypeAdmin, "Admin"
	}
	if f.InCredentialReport {
		mfa := f.MFAActive
		u.HasMFA = &mfa
	}
	out := make([]ocsfEvidence, 0, 4)
	out = append(out, ocsfEvidence{Name: "IAM user", User: u})

	if f.InCredentialReport {
		d := &ocsfCredentialReportData{
			PasswordState:     f.PasswordState,
			PasswordLastUsed:  ocsfTime(f.PasswordLastUsed),
			ReportGeneratedAt: ocsfTime(f.ReportGeneratedAt),
			Key1Active:        f.Key1Active, Key1LastRotated: ocsfTime(f.Key1LastRotated), Key1LastUsed: ocsfTime(f.Key1LastUsed),
			Key2Active: f.Key2Active, Key2LastRotated: ocsfTime(f.Key2LastRotated), Key2LastUsed: ocsfTime(f.Key2LastUsed),
		}
		if !isRoot(f) {
			d.PasswordEnabled = &f.PasswordEnabled
		}
		out = append(out, ocsfEvidence{Name: "credential report", Data: d})
	}
	if f.CloudTrailEvents > 0 {
		out = append(out, ocsfEvidence{Name: "CloudTrail", Data: &ocsfCloudTrailData{
			Events: f.CloudTrailEvents, LastEventName: f.CloudTrailLastEventName,
			FirstEvent: ocsfTime(f.CloudTrailFirstEvent), LastEvent: ocsfTime(f.CloudTrailLastEvent),
		}})
	}
	act := &ocsfActivityData{WindowStart: st.windowStart, AsOf: st.asOf, LastActivity: ocsfTime(f.LastActivity), LastActivitySource: f.LastActivitySource}
	if f.DaysInactive >= 0 {
		act.DaysInactive = &f.DaysInactive
	}
	if a.UnusedKnown {
		act.CredentialUnusedDays = &a.UnusedDays
	}
	if f.Exemption != "" {
		act.Exemption = f.Exemption
		act.ExemptionOwner = &f.ExemptionOwner
		act.ExemptionExpires = ocsfTime(f.ExemptionExpires)
	}
	return append(out, ocsfEvidence{Name: "activity", Data: act})
}

// ocsfTime is t in RFC 3339 UTC, or empty (left out) when t is unknown.
func ocsfTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return FormatTime(t)
}
