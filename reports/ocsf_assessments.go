package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// Assessment is one subject the unused-credential controls were evaluated
// for, as the OCSF report and the Security Hub export publish it: an IAM
// user (every finding, root included), or one unused access key of a user
// (each slot of tables.Finding.UnusedKeys).
type Assessment struct {
	// ID is stable across runs for the same subject: "dormant/", the
	// account, the user's unique ID (or "name:" and its name when the ID is
	// unknown, e.g. root), and "/access-key-<slot>" for a key.
	ID      string
	Finding *tables.Finding
	KeySlot int64 // 0 for the user itself
	// Partition is the ARN's partition (aws, aws-cn, aws-us-gov); empty
	// when the finding has no parseable ARN.
	Partition string
	// Result is the verdict at the tightest fixed threshold (IAM.22, 45
	// days): ControlFail, ControlPass, ControlUnknown, ControlNotAssessed
	// or ControlNA.
	Result string
	// Checks has every citation with a fixed threshold and its result.
	Checks []CheckResult
	// UnusedDays is how long the longest-unused credential (the key, for a
	// key) has gone unused at as-of; valid only when UnusedKnown.
	UnusedDays  int64
	UnusedKnown bool
	Title       string
	Description string
	Remediation string
}

// CheckResult is one citation evaluated for an Assessment.
type CheckResult struct {
	Citation Citation
	Result   string
}

// tightestThreshold is the lowest fixed threshold among the citations:
// failing it is failing any of them first.
func tightestThreshold() int {
	t := 0
	for _, c := range Citations {
		if !c.OrganizationDefined() && (t == 0 || c.ThresholdDays < t) {
			t = c.ThresholdDays
		}
	}
	return t
}

// Assessments lists a run's assessments in findings order, each user
// followed by its unused keys.
func Assessments(in *Input) []Assessment {
	var out []Assessment
	eachAssessment(in, func(a *Assessment) bool {
		out = append(out, *a)
		return true
	})
	return out
}

// eachAssessment calls yield with each of Assessments' values in turn, so
// a writer can stream them without holding them all; yield may not keep a,
// and returning false stops.
func eachAssessment(in *Input, yield func(a *Assessment) bool) {
	asOf := in.AsOf
	tight := tightestThreshold()
	var fixed []Citation
	for _, c := range Citations {
		if !c.OrganizationDefined() {
			fixed = append(fixed, c)
		}
	}
	for i := range in.Findings {
		f := &in.Findings[i]
		a := Assessment{ID: assessmentID(f, 0), Finding: f, Partition: arnPartition(f.ARN), Result: ControlResult(f, asOf, tight)}
		a.UnusedDays, a.UnusedKnown = longestUnused(f, asOf)
		a.Checks = make([]CheckResult, 0, len(fixed))
		for _, c := range fixed {
			a.Checks = append(a.Checks, CheckResult{Citation: c, Result: ControlResult(f, asOf, c.ThresholdDays)})
		}
		a.Title, a.Description, a.Remediation = userTexts(f, &a)
		if !yield(&a) {
			return
		}
		for _, slot := range f.UnusedKeys {
			k := Assessment{ID: assessmentID(f, slot), Finding: f, KeySlot: slot, Partition: a.Partition, Result: KeyControlResult(f, slot, asOf, tight)}
			age := keyAge(f, slot, asOf)
			k.UnusedDays, k.UnusedKnown = age.days, age.known
			k.Checks = make([]CheckResult, 0, len(fixed))
			for _, c := range fixed {
				k.Checks = append(k.Checks, CheckResult{Citation: c, Result: KeyControlResult(f, slot, asOf, c.ThresholdDays)})
			}
			k.Title, k.Description, k.Remediation = keyTexts(f, &k)
			if !yield(&k) {
				return
			}
		}
	}
}

func assessmentID(f *tables.Finding, slot int64) string {
	who := f.UserID
	if who == "" {
		who = "name:" + f.UserName
	}
	id := "dormant/" + f.AccountID + "/" + who
	if slot != 0 {
		id += fmt.Sprintf("/access-key-%d", slot)
	}
	return id
}

// arnPartition is the second field of an ARN ("arn:aws:iam::..." -> aws).
func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}

func unusedText(a *Assessment) string {
	if a.UnusedKnown {
		return fmt.Sprintf("unused for %d days", a.UnusedDays)
	}
	return "unused for an unknown time"
}

func userTexts(f *tables.Finding, a *Assessment) (title, desc, remediation string) {
	who := fmt.Sprintf("IAM user %s in account %s", f.UserName, f.AccountID)
	switch a.Result {
	case ControlFail:
		title = who + ": a credential " + unusedText(a)
	case ControlPass:
		title = who + ": no credential unused for the threshold"
	case ControlUnknown:
		title = who + ": a credential's last use and creation are unknown"
	case ControlNotAssessed:
		title = who + ": not assessed, no credential report row"
	default:
		title = who + ": the root user is not an IAM user resource"
	}
	desc = fmt.Sprintf("Status %s, decision %s. %s", f.Status, f.Decision, strings.Join(f.Reasons, ReasonSeparator))
	return title, strings.TrimSpace(desc), userRemediation(f)
}

func userRemediation(f *tables.Finding) string {
	switch f.Decision {
	case tables.DecisionDelete:
		return "Delete the IAM user after the reviewer signs off: the remediation manifest lists its console password, access keys and other attachments to remove first."
	case tables.DecisionDeactivate:
		return "Deactivate the IAM user after the reviewer signs off: delete its console password (login profile) and set its access keys Inactive, as the remediation manifest lists."
	case tables.DecisionReview:
		return "Review by hand before any change: the evidence is incomplete or conflicting (see the reasons)."
	case tables.DecisionRemoveInIaC:
		return "Remove the IAM user in the infrastructure as code that manages it (the reasons name the Terraform resource or CloudFormation stack and the change), never through IAM, which would only create drift."
	}
	if f.Exemption != "" {
		return fmt.Sprintf("No action: exempt by %s (owner %s); review the exemption when it expires.", f.Exemption, f.ExemptionOwner)
	}
	if len(f.UnusedKeys) > 0 {
		return "Keep the user; deactivate its unused access keys (their own findings) after confirming nothing uses them."
	}
	return "No action: the user is in use."
}

func keyTexts(f *tables.Finding, a *Assessment) (title, desc, remediation string) {
	title = fmt.Sprintf("Access key %d of IAM user %s in account %s %s", a.KeySlot, f.UserName, f.AccountID, unusedText(a))
	last, created := f.Key1LastUsed, f.Key1LastRotated
	if a.KeySlot == 2 {
		last, created = f.Key2LastUsed, f.Key2LastRotated
	}
	lastText := "never used"
	if !last.IsZero() {
		lastText = "last used " + last.UTC().Format(time.DateOnly)
	}
	createdText := "creation unknown"
	if !created.IsZero() {
		createdText = "created " + created.UTC().Format(time.DateOnly)
	}
	desc = fmt.Sprintf("The key is active, %s, %s; the user is kept (status %s).", lastText, createdText, f.Status)
	remediation = fmt.Sprintf("Set access key %d of %s Inactive (aws iam update-access-key --status Inactive) after confirming nothing uses it; delete it once a quiet period passes.", a.KeySlot, f.UserName)
	return title, desc, remediation
}
