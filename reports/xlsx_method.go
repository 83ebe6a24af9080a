package reports

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// methodSetting is one threshold in force, as the Method sheet lists it.
type methodSetting struct {
	name    string
	value   any
	meaning string
}

func methodSettings(in *Input) []methodSetting {
	maxAge := "not enforced"
	if in.ReportMaxAge() > 0 {
		maxAge = formatAge(in.ReportMaxAge())
	}
	tag := "(none)"
	if in.ExemptTag != "" {
		tag = in.ExemptTag + "=true"
	}
	checks := "none ran"
	if len(in.ReferenceChecks) > 0 {
		checks = strings.Join(in.ReferenceChecks, ", ")
	}
	out := []methodSetting{
		{"As of (UTC)", in.AsOf.UTC(), "The instant the evidence describes."},
		{"Window (days)", in.WindowDays, "Activity on or after the window start counts as recent."},
		{"Window start (UTC)", in.WindowStart(), "As of minus the window."},
		{"Delete after (days)", in.DeleteAfterDays, "Inactive (or, never used, existing) longer than this: delete instead of deactivate."},
		{"Credential report max age", maxAge, "A candidate needs a credential report proven no older than this at as-of, and not generated after it; otherwise review."},
		{"Exempt tag", tag, "A user with this tag is exempt."},
		{"Reference checks", checks, "Where the run looked for policies and resources that name a candidate."},
		{"Engine", in.Engine, engineNote(in.Engines)},
	}
	for _, c := range Controls {
		out = append(out, methodSetting{c.ID + " threshold (days)", c.Threshold, c.Title + " (" + c.Standard + ")."})
	}
	return out
}

// formatAge writes a duration in days when whole, else hours.
func formatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return fmt.Sprintf("%g hours", d.Hours())
}

// methodRules states the classification in plain words, with the
// thresholds in force. It follows DESIGN.md's classification section.
func methodRules(in *Input) [][2]string {
	ws := in.WindowStart().Format(time.DateOnly)
	tag := "the exempt tag"
	if in.ExemptTag != "" {
		tag = "the tag " + in.ExemptTag + "=true"
	}
	maxAge := "its freshness bound"
	if in.ReportMaxAge() > 0 {
		maxAge = formatAge(in.ReportMaxAge())
	}
	rules := [][2]string{
		{"Scope", "Every IAM user of every assessed account, from the IAM credential report and the account authorization details, both stored as AWS returned them. " +
			"An account that could not be read is listed on the Summary as not assessed, with the error; its users are not reported and never remediated."},
		{"Last activity", "The latest of: console password last used, access key 1 and 2 last used (credential report), and the user's last successful CloudTrail event. " +
			"Events are matched by the user's unique ID, so a user deleted and re-created under the same name never inherits the old one's events; " +
			"by ARN only for events after the user's creation. A federated session issued by the user counts as its use."},
		{"Days inactive", "Whole days from last activity (never used: from creation) to as-of. Never negative: activity after as-of counts as 0 days (the user is active, and the reason says \"after as-of\"); " +
			"a user created after as-of did not exist then, so its days are blank."},
		{tables.StatusActive, fmt.Sprintf("Last activity on or after the window start (%s).", ws)},
		{tables.StatusNew, fmt.Sprintf("Created on or after the window start (%s) and never used: grace, not remediated. A user created after as-of is new too, its reason saying so (it is not \"inside the window\").", ws)},
		{tables.StatusInactive, fmt.Sprintf("Last activity before the window start (%s).", ws)},
		{tables.StatusNeverUsed, fmt.Sprintf("Created before the window start (%s) and never used in any way.", ws)},
		{tables.StatusDeactivated, "Tagged " + tables.TagDeactivated + " by dormant remediation, with neither an active access key nor a login profile in the credential report, and no use since the tag's date. " +
			"Decision keep until its " + tables.TagDeleteAfter + " date; once that date is at or before as-of, delete, behind every guard of a removal " +
			"(trail coverage and settings, digests, skipped records, a fresh credential report listing the user, authorization details, input gaps, references, an identity remediation can match): " +
			"any of them missing makes it review, never delete. The Deactivated on and Delete after columns show the tags' dates; the tags themselves are not activity."},
		{"Used after deactivation", "A deactivated user used after its deactivation date is review, whatever its delete-after date: " +
			"a call by its unique ID or one of its access key IDs, failed or not (the watch table), a failed console sign-in under its name, or a last use in the credential report or CloudTrail after that date. " +
			"The reasons list the first events (time, source, event name, error) and count the rest: something still depends on it; restore it or find the owner."},
		{"Reactivated", "A user tagged " + tables.TagDeactivated + " that has an active access key or a login profile again is not deactivated: its activity decides its status as for any user, " +
			"and a reason names who re-enabled what and when (CreateAccessKey, UpdateAccessKey, CreateLoginProfile, UpdateLoginProfile by whom) where the logs show it, or says the logs do not. " +
			"A person re-enabled it on purpose, so it is never removed on one run's evidence: a removal, or the deactivation of an unused key, becomes review."},
		{"Dormant tags", "A " + tables.TagDeactivated + " or " + tables.TagDeleteAfter + " tag that is not a YYYY-MM-DD date, a delete-after without a deactivation tag, or one before it, proves nothing: review, naming the tag, and never deleted on it. " +
			"A tagged user without a credential report row is review too: whether it still has credentials is unknown."},
		{tables.StatusExempt, "Has " + tag + ", or an allowlist entry names it with a reason, an owner and an expiry date. " +
			"An entry's account ID must match exactly and its user name matches whatever the case: IAM user names are unique case-insensitively, so SVC-SFTP-PROD and svc-sftp-prod are one name " +
			"(an export listing both holds a user deleted and re-created in another case, and the entry exempts both). " +
			"An expired entry no longer exempts; the Exceptions sheet lists both."},
		{tables.StatusReview, "Would be inactive or never_used, but the evidence is incomplete or disagrees: the trail's coverage starts after the window start or misses the account; " +
			"failed console logins in the window (someone is trying the name); the user is named in a policy or owns tagged resources (References sheet); " +
			"the credential report is not proven at most " + maxAge + " old at as-of (see Report age); an input was not given, does not list the user, or left a gap (see Missing sources); " +
			"or remediation could not match the user safely (no unique ID, one shared by two users, an ARN naming another user). Review is never remediated."},
		{"Report age", "A removal needs a credential report proven no older than " + maxAge + " at as-of. Its generation time is proven by the GeneratedTime of GetCredentialReport " +
			"(the AWS CLI's or an SDK's JSON), or stated with --report-generated-at ACCOUNT_ID=TIME; a file's modification time proves nothing (cp, git and unzip reset it) and is never used. " +
			"Without it, the latest time inside the report (a last use, a rotation, a creation) is a lower bound of its generation, and proves freshness when within the maximum age. " +
			"A report of unknown age still shows use, so it supports active, new and exempt, never a candidate. " +
			"A report generated after as-of, or holding a time after it, is fresh: its last-use dates reach past as-of, so use after as-of makes a user active (0 days) and a user created after as-of is new; a live run's report is always generated a little after its as-of."},
		{"Missing sources", "Unknown is not false. A user the credential report does not list, or in an account given without a report, has blank password, MFA and key columns, " +
			"is \"not assessed\" for IAM.22 and IAM.8, and is never called \"never used\". An account given without authorization details has blank \"in authorization details\"; " +
			"its candidates are review (\"no authorization details given: groups, policies and references not assessed\"). The root row's password_enabled is the report's not_supported."},
		{"Partial exports", "An input that lacks part of what a decision needs (a credential report without some columns, authorization details filtered to users so trust policies are missing, " +
			"a null trust policy) is accepted, and every user it may hide evidence for keeps that gap as a review reason. Malformed input is refused with the file, line and field."},
		{"Trail settings", trailRule},
		{tables.StatusRoot, "The account root user: reported apart, never remediated."},
		{"Decision", fmt.Sprintf("inactive or never_used with nothing to review: deactivate (keys inactive, console password removed, user tagged %s and %s); "+
			"delete once inactive (never used: existing) longer than %d days; deactivated: keep until its %s date, then delete; review: review; everything else: keep.",
			tables.TagDeactivated, tables.TagDeleteAfter, in.DeleteAfterDays, tables.TagDeleteAfter)},
		{"Unused keys", fmt.Sprintf("An active user's active access key created before, and unused since, the window start (%s) is deactivated on its own; the user stays. "+
			"Deactivating a key needs the same proof as a removal (a fresh report listing the user, its unique ID, no input gap); without it the user's decision is review.", ws)},
		{"Controls", "IAM.22 and IAM.8 are evaluated at as-of whatever the run's window: a console password or an active access key unused for the threshold or longer fails; " +
			"a credential never used counts from its creation (the user's for a password, the key's for a key). A user without a credential report row is not assessed, never passing."},
		{"Reviewer", "Choose Approve, Reject or Defer in the Reviewer decision column of Findings (users) and Unused keys (keys), with a comment if useful. " +
			"`dormant manifest --from-workbook` keeps only approved entries of the run's remediation manifest, with the comments; rejected, deferred and blank rows are dropped. " +
			"Rows may be sorted and filtered, but not added, removed, duplicated, or have their account, user name, user ID, ARN or key changed: such a workbook is refused."},
		{"Log files and skipped records", logFilesRule},
		{"What the watch can and cannot see", watchRule},
		{"Evidence", "The run directory holds every input as received, the SQL as run, the tables, these reports and SHA256SUMS over all of them; " +
			"`dormant verify` re-hashes them and recomputes the findings offline."},
	}
	return rules
}

// sheetGuide says what each sheet holds.
var sheetGuide = [][2]string{
	{SheetSummary, "The run, its scope and data freshness, counts by status and decision, the controls evidenced, charts."},
	{SheetFindings, "One row per user: identity, status, decision, reasons, the reviewer's columns, control results and every signal with its date."},
	{SheetUnusedKeys, "Active users' access keys unused since the window start, each with its own reviewer columns."},
	{SheetExceptions, "Exempt users (tag or allowlist: owner, reason, expiry), expired allowlist entries, and entries that exempted nobody."},
	{SheetReferences, "Policies and resources that name a candidate: what kind, the resource, the region and where in the policy. " +
		"Kinds code and config are files (--search) naming the user, its unique ID or an access key ID, at file:line (repository@commit:path for git history); " +
		"terraform and cloudformation say infrastructure as code manages the user (state or .tf file and address, or stack and logical ID) and the change to make there."},
	{SheetUnchecked, "What the reference checks could not read, with the error: a candidate may be named there."},
	{SheetOrphans, "Policies naming the unique ID (AIDA...) of a user that no longer exists: broken references left by earlier deletions; S3 and KMS refuse to save such a policy until the ID is removed."},
	{SheetChanges, "With a previous run (--previous, --history): new removal candidates, resolved ones (deleted, deactivated, active again, exempted), still-open ones with their age since first listed, exemptions ending before the next quarter (as-of + 90 days), and candidates per run across the history, charted."},
	{SheetRemediation, "With a previous run: each entry of its plan (the reviewed manifest, else its own manifest, or its remediation journal) checked against this run's inventory: carried out, not carried out, undone or not assessed, with the reasons; a deleted user's unique ID still named by a policy is listed with it."},
	{SheetCoverage, "CloudTrail data seen per account and region: first and last event, events, and a grid of the window's days (covered, or a gap where a region with logs has none that day); the account's coverage is assumed, not proven, without digest files. Below it, the log files read and the records skipped, by file and reason."},
	{SheetTrails, "Per account, what its CloudTrail trails record (read-only and write management events, excluded sources, regions, logging stops) and the gaps that send its candidates to review; or \"trail settings unknown\"."},
	{SheetEvidence, "Every input file and query with its SHA-256; query IDs, bytes scanned, cost and engine time."},
	{SheetMethod, "This sheet: the settings in force and the rules."},
}

func writeMethod(ctx context.Context, wb *workbook, in *Input) error {
	f, st := wb.f, &wb.styles
	r := 1
	set := func(col int, v any, style int) error {
		ref := cellName(col, r)
		if err := f.SetCellValue(SheetMethod, ref, v); err != nil {
			return fmt.Errorf("setting %s: %w", ref, err)
		}
		if style != 0 {
			if err := f.SetCellStyle(SheetMethod, ref, ref, style); err != nil {
				return fmt.Errorf("styling %s: %w", ref, err)
			}
		}
		return nil
	}
	row := func(vals []any, styles []int) error {
		for i, v := range vals {
			if err := set(i+1, v, styles[i]); err != nil {
				return err
			}
		}
		r++
		return nil
	}
	hdr := []int{st.header, st.header, st.header}
	if err := set(1, "How this workbook was made", st.title); err != nil {
		return err
	}
	r += 2
	if err := row([]any{"Setting", "Value", "Meaning"}, hdr); err != nil {
		return err
	}
	for _, s := range methodSettings(in) {
		style := 0
		switch s.value.(type) {
		case time.Time:
			style = st.date
		case int:
			style = st.integer
		}
		if err := row([]any{s.name, s.value, s.meaning}, []int{st.label, style, st.wrap}); err != nil {
			return err
		}
	}
	r++
	if err := row([]any{"Rule", "In plain words"}, hdr[:2]); err != nil {
		return err
	}
	for _, rule := range methodRules(in) {
		if err := row([]any{rule[0], rule[1]}, []int{st.label, st.wrap}); err != nil {
			return err
		}
	}
	r++
	if err := row([]any{"Sheet", "What it holds"}, hdr[:2]); err != nil {
		return err
	}
	for _, g := range sheetGuide {
		if err := row([]any{g[0], g[1]}, []int{st.label, st.wrap}); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, w := range []float64{30, 100, 60} {
		col := colName(i + 1)
		if err := f.SetColWidth(SheetMethod, col, col, w); err != nil {
			return fmt.Errorf("setting column width: %w", err)
		}
	}
	return nil
}

// engineNote lists the engines the tool has (the pipeline's registry, passed
// in Input.Engines), so the sheet names every engine a reader may meet.
func engineNote(engines []string) string {
	switch len(engines) {
	case 0:
		return "What read CloudTrail."
	case 1:
		return "What read CloudTrail: " + engines[0] + "."
	}
	return "What read CloudTrail: " + strings.Join(engines[:len(engines)-1], ", ") + " or " + engines[len(engines)-1] + "."
}

// watchRule says what the watch over deactivated users (issue 17) can and
// cannot see, from AWS's documentation of what CloudTrail records.
const watchRule = "After dormant deactivates a user (tag dormant:deactivated), every run watches it from that date: any CloudTrail event whose userIdentity carries " +
	"its unique ID or one of its access key IDs, failed calls included; any failed console sign-in under its name in its account (names compared " +
	"case-insensitively, as IAM compares them); and anyone giving it a key or a password again (CreateAccessKey, UpdateAccessKey to Active, " +
	"CreateLoginProfile, UpdateLoginProfile). The watch sees only what CloudTrail records. " +
	"It sees failed console sign-ins by IAM users, which CloudTrail logs as ConsoleLogin with ConsoleLogin: Failure (IAM User Guide, \"Logging IAM and AWS STS " +
	"API calls with AWS CloudTrail\", Logging user sign-in events; CloudTrail User Guide, \"AWS Management Console sign-in events\"), and calls refused for " +
	"want of permission (AccessDenied): they were authenticated, and CloudTrail logs them with their errorCode (CloudTrail User Guide, \"CloudTrail record " +
	"contents\", errorCode). " +
	"It cannot see a call made with an inactive, deleted or invalid access key: the request fails authentication, and AWS documents that CloudTrail logs " +
	"authenticated requests (the same IAM User Guide page: \"Authenticated requests to other AWS service API operations are logged by CloudTrail\"), so for " +
	"most services such a call leaves no record, and no row does not prove that nothing still holds the key; where a service does record one, it is reported. " +
	"Nor a failed sign-in under a mistyped or unknown name, which CloudTrail masks as HIDDEN_DUE_TO_SECURITY_REASONS (same page, and CloudTrail User Guide, " +
	"\"CloudTrail userIdentity element\"): it names nobody. Nor data events (S3 object reads, Lambda invocations) the trail does not log (Trails sheet), " +
	"nor any account, region or day the logs do not cover (Coverage sheet)."
