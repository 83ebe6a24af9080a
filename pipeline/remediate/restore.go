package remediate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/reports/manifest"
)

// ActionRestore is the journal's action for restore calls.
const ActionRestore = "restore"

// maxTagsPerCall is TagUser's limit of tags per request.
const maxTagsPerCall = 50

// RestoreResult is what a restore did or, dry, would do.
type RestoreResult struct {
	Backup    string
	AccountID string
	UserName  string
	// OldUserID is the backed-up user's unique ID.
	OldUserID string
	// Recreate is true when the user no longer existed and is (or would
	// be) created anew; NewUserID is its new unique ID once created.
	Recreate  bool
	NewUserID string
	Applied   bool
	Journal   string
	Steps     []StepResult
	// CannotRestore lists what the owner must be told about: secrets and
	// devices that cannot come back, and the new unique ID.
	CannotRestore []string
	Interrupted   bool
	err           error
}

// Err is nil when every call succeeded (or, dry, the plan was made).
func (r *RestoreResult) Err() error {
	switch {
	case r.err != nil:
		return fmt.Errorf("restore incomplete: %w", r.err)
	case r.Interrupted:
		return errors.New("restore interrupted; run it again: it plans from the live state")
	}
	return nil
}

// deactivationTagKeys are the tags remediation adds; a restored user drops them.
var deactivationTagKeys = []string{manifest.TagDeactivated, manifest.TagDeleteAfter}

func isDeactivationTag(key string) bool {
	return slices.ContainsFunc(deactivationTagKeys, func(k string) bool { return strings.EqualFold(k, key) })
}

// Restore puts back the user in the backup at path: recreated with its path,
// boundary, inline and attached policies, groups and tags when it was
// deleted; when it still exists (deactivated), its access keys re-activated
// and the deactivation tags removed. What is already in place is left
// alone, so a restore can be run again. It lists what cannot come back.
// Without WithApply it only reads and prints the plan.
func (r *Remediator) Restore(ctx context.Context, path string) (*RestoreResult, error) {
	b, sum, err := readBackup(path)
	if err != nil {
		return nil, err
	}
	jpath := r.cfg.journal
	if jpath == "" {
		// The remediation run's journal: <backup dir>/journal.jsonl.
		jpath = filepath.Join(filepath.Dir(filepath.Dir(path)), JournalName)
	}
	res := &RestoreResult{Backup: path, AccountID: b.AccountID, UserName: b.UserName, OldUserID: b.UserID, Applied: r.cfg.apply, Journal: jpath}
	j, err := openJournal(jpath, r.cfg.apply, r.logger)
	if err != nil {
		return nil, err
	}
	defer j.close()
	if err := r.checkBackup(ctx, j, path, sum); err != nil {
		return nil, err
	}
	api, err := r.client(ctx, b.AccountID)
	if err != nil {
		return nil, fmt.Errorf("reaching account %s: %w", b.AccountID, err)
	}
	ek := entryKey{b.RunID, b.AccountID, b.UserID, "restore " + b.AccountID + "/" + b.UserName, ActionRestore}

	got, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(b.UserName)})
	var live *Backup
	switch {
	case errorCode(err) == codeNoSuchEntity:
		res.Recreate = true
	case err != nil:
		return nil, fmt.Errorf("reading user %s in account %s (iam:GetUser): %w", b.UserName, b.AccountID, err)
	case got.User == nil:
		return nil, fmt.Errorf("reading user %s in account %s (iam:GetUser): the answer has no user", b.UserName, b.AccountID)
	default:
		id := aws.ToString(got.User.UserId)
		if rec, ok := j.doneCall(ek, CallCreateUser); id != b.UserID && !(ok && rec.CreatedUserID == id) {
			return nil, fmt.Errorf("account %s has another user named %s now (unique ID %s; the backup's was %s): restore does not merge into a different user; rename or remove it first",
				b.AccountID, b.UserName, id, b.UserID)
		} else if id != b.UserID {
			res.NewUserID = id // created by an earlier restore of this backup
		}
		if live, err = snapshot(ctx, api, b.AccountID, b.UserName, got); err != nil {
			return nil, fmt.Errorf("reading the live user: %w", err)
		}
	}
	steps := restorePlan(b, live)
	res.CannotRestore = cannotRestore(b, live, res)

	base := JournalRecord{RunID: b.RunID, Account: b.AccountID, User: b.UserName, UserID: b.UserID, Entry: ek.entry, Action: ActionRestore}
	x := r.runSteps(ctx, api, j, ek, base, steps, stepPolicy{keepGoing: true})
	res.Steps, res.err, res.Interrupted = x.steps, x.err, x.interrupted
	if x.created != "" {
		res.NewUserID = x.created
	}
	r.printRestore(res, b)
	if err := j.close(); err != nil && res.err == nil {
		res.err = err
	}
	return res, nil
}

// restorePlan is the calls that bring live (nil: the user is gone) back to b.
func restorePlan(b *Backup, live *Backup) []Step {
	u := b.UserName
	var steps []Step
	add := func(s Step) { steps = append(steps, s) }
	if b.Scope == ScopeAccessKey {
		return reactivateKeys(b, live, []string{b.TargetKeyID})
	}
	if live == nil {
		add(Step{Call: CallCreateUser, Params: []Param{userParam(u), {"Path", b.Path}},
			Why: "the user was deleted; IAM gives the new user a new unique ID"})
		live = &Backup{}
	}
	if b.PermissionsBoundary != "" && live.PermissionsBoundary != b.PermissionsBoundary {
		add(Step{Call: CallPutUserPermissionsBoundary, Target: b.PermissionsBoundary,
			Params: []Param{userParam(u), {"PermissionsBoundary", b.PermissionsBoundary}},
			Why:    "the permissions boundary the user had"})
	}
	for _, p := range b.InlinePolicies {
		doc := compactJSON(p.Document)
		i := slices.IndexFunc(live.InlinePolicies, func(l InlinePolicy) bool { return l.Name == p.Name })
		if i >= 0 && compactJSON(live.InlinePolicies[i].Document) == doc {
			continue
		}
		add(Step{Call: CallPutUserPolicy, Target: p.Name,
			Params: []Param{userParam(u), {"PolicyName", p.Name}, {"PolicyDocument", doc}},
			Why:    "the inline policy as backed up"})
	}
	for _, p := range b.AttachedPolicies {
		if slices.ContainsFunc(live.AttachedPolicies, func(l Attached) bool { return l.ARN == p.ARN }) {
			continue
		}
		add(Step{Call: CallAttachUserPolicy, Target: p.ARN, Params: []Param{userParam(u), {"PolicyArn", p.ARN}},
			Why: "the managed policy the user had attached"})
	}
	for _, g := range b.Groups {
		if slices.ContainsFunc(live.Groups, func(l string) bool { return strings.EqualFold(l, g) }) {
			continue
		}
		add(Step{Call: CallAddUserToGroup, Target: g, Params: []Param{userParam(u), {"GroupName", g}},
			Why: "the group the user was a member of"})
	}
	var tags []Tag
	for _, t := range b.Tags {
		if isDeactivationTag(t.Key) {
			continue
		}
		if slices.Contains(live.Tags, t) {
			continue
		}
		tags = append(tags, t)
	}
	for chunk := range slices.Chunk(tags, maxTagsPerCall) {
		add(Step{Call: manifest.CallTagUser, Target: chunk[0].Key, Params: []Param{userParam(u)}, Tags: chunk,
			Why: "the user's tags (without the deactivation tags)"})
	}
	var untag []string
	for _, t := range live.Tags {
		if isDeactivationTag(t.Key) {
			untag = append(untag, t.Key)
		}
	}
	if len(untag) > 0 {
		add(Step{Call: CallUntagUser, Params: []Param{userParam(u)}, Keys: untag,
			Why: "the user is no longer deactivated"})
	}
	var active []string
	for _, k := range b.AccessKeys {
		if k.Status == "Active" {
			active = append(active, k.ID)
		}
	}
	return append(steps, reactivateKeys(b, live, active)...)
}

// reactivateKeys re-activates the keys (IDs) that still exist but are
// Inactive. Deleted keys cannot come back (cannotRestore says so).
func reactivateKeys(b *Backup, live *Backup, ids []string) []Step {
	if live == nil {
		return nil
	}
	var steps []Step
	for _, id := range ids {
		i := slices.IndexFunc(live.AccessKeys, func(k AccessKey) bool { return k.ID == id })
		if i < 0 || live.AccessKeys[i].Status == "Active" {
			continue
		}
		steps = append(steps, Step{Call: manifest.CallUpdateAccessKey, Target: id,
			Params: []Param{userParam(b.UserName), {"AccessKeyId", id}, {"Status", "Active"}},
			Why:    "the key was active before remediation"})
	}
	return steps
}

// cannotRestore lists what the owner must be told: what IAM cannot give
// back, and the new unique ID of a re-created user.
func cannotRestore(b *Backup, live *Backup, res *RestoreResult) []string {
	if live == nil {
		live = &Backup{}
	}
	u := b.UserName
	var out []string
	keys := b.AccessKeys
	if b.Scope == ScopeAccessKey {
		keys = slices.DeleteFunc(slices.Clone(keys), func(k AccessKey) bool { return k.ID != b.TargetKeyID })
	}
	for _, k := range keys {
		if slices.ContainsFunc(live.AccessKeys, func(l AccessKey) bool { return l.ID == k.ID }) {
			continue
		}
		out = append(out, fmt.Sprintf("access key %s (was %s) was deleted and its secret cannot be recovered: create a new key (aws iam create-access-key --user-name %s) and give it to the owner",
			k.ID, k.Status, u))
	}
	if b.Scope == ScopeAccessKey {
		return out
	}
	if b.LoginProfile != nil && live.LoginProfile == nil {
		out = append(out, fmt.Sprintf("console password: IAM never returns passwords, so it cannot come back; set a new one the owner must change (aws iam create-login-profile --user-name %s --password-reset-required --password ...)", u))
	}
	for _, d := range b.MFADevices {
		if slices.ContainsFunc(live.MFADevices, func(l MFADevice) bool { return l.SerialNumber == d.SerialNumber }) {
			continue
		}
		kind := "hardware or FIDO MFA device"
		if d.Virtual {
			kind = "virtual MFA device (deleted with its seed)"
		}
		out = append(out, fmt.Sprintf("%s %s: the owner must enable MFA again", kind, d.SerialNumber))
	}
	for _, k := range b.SSHPublicKeys {
		if !slices.ContainsFunc(live.SSHPublicKeys, func(l Credential) bool { return l.ID == k.ID }) {
			out = append(out, fmt.Sprintf("SSH public key %s: the owner must upload it again (aws iam upload-ssh-public-key)", k.ID))
		}
	}
	for _, c := range b.SigningCertificates {
		if !slices.ContainsFunc(live.SigningCertificates, func(l Credential) bool { return l.ID == c.ID }) {
			out = append(out, fmt.Sprintf("signing certificate %s: the owner must upload it again (aws iam upload-signing-certificate)", c.ID))
		}
	}
	for _, c := range b.ServiceSpecificCredentials {
		if !slices.ContainsFunc(live.ServiceSpecificCredentials, func(l ServiceCredential) bool { return l.ID == c.ID }) {
			out = append(out, fmt.Sprintf("service-specific credential %s for %s: its password cannot come back; create a new one (aws iam create-service-specific-credential)", c.ID, c.ServiceName))
		}
	}
	if res.Recreate || res.NewUserID != "" {
		out = append(out, fmt.Sprintf("the restored user has a NEW unique ID (the old one was %s): policies that named the old user by ID, such as role trust policies or bucket policies now showing %s, no longer match it and must be edited back to the user's ARN",
			b.UserID, b.UserID))
	}
	return out
}

func (r *Remediator) printRestore(res *RestoreResult, b *Backup) {
	w := r.out
	if res.Applied {
		fmt.Fprintln(w, "dormant restore: APPLYING changes")
	} else {
		fmt.Fprintln(w, "dormant restore: dry run, nothing will change (pass --apply to act)")
	}
	fmt.Fprintf(w, "backup:  %s (taken %s, run %s, %s of %s)\n", res.Backup, b.TakenAt.UTC().Format("2006-01-02T15:04:05Z"), b.RunID, b.Action, b.Scope)
	state := "exists with the same unique ID"
	switch {
	case res.Recreate && res.NewUserID != "":
		state = "was deleted; re-created with NEW unique ID " + res.NewUserID
	case res.Recreate:
		state = "was deleted; would be re-created (IAM assigns a new unique ID)"
	case res.NewUserID != "":
		state = "was re-created by an earlier restore, unique ID " + res.NewUserID
	}
	fmt.Fprintf(w, "user:    %s/%s (backed-up unique ID %s): %s\n", res.AccountID, res.UserName, res.OldUserID, state)
	if len(res.Steps) == 0 {
		fmt.Fprintln(w, "nothing to put back: what can be restored is in place")
	}
	for i, s := range res.Steps {
		fmt.Fprintf(w, "  %2d. %s\n      why: %s\n      -> %s", i+1, s.Step.String(), s.Step.Why, stepLabel(s.Result, !res.Applied))
		if s.Error != "" {
			fmt.Fprintf(w, ": %s", s.Error)
		}
		fmt.Fprintln(w)
	}
	if len(res.CannotRestore) > 0 {
		fmt.Fprintln(w, "cannot come back (tell the owner):")
		for _, c := range res.CannotRestore {
			fmt.Fprintf(w, "  - %s\n", c)
		}
	}
}

// ErrBackupUnrecorded means a backup does not match what the journal
// recorded when remediation wrote it (or the journal has no record of it).
var ErrBackupUnrecorded = errors.New("backup does not match the journal")

// checkBackup refuses a backup whose bytes are not the ones remediation
// wrote: a backup is evidence, and restoring an edited one (say, with
// AdministratorAccess added) would grant what the user never had.
func (r *Remediator) checkBackup(ctx context.Context, j *journal, path, sum string) error {
	rec, ok, err := j.backupRecord(path)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("refusing backup %s: %w: journal %s has no record of remediation writing it; give --journal with the journal of the remediation that wrote it",
			path, ErrBackupUnrecorded, j.path)
	}
	if rec.BackupSHA256 != sum {
		return fmt.Errorf("refusing backup %s: %w: its SHA-256 is %s, but remediation wrote %s at %s (journal %s): it was edited since; restore from an unedited copy",
			path, ErrBackupUnrecorded, sum, rec.BackupSHA256, rec.Time.UTC().Format(time.RFC3339), j.path)
	}
	if r.cfg.trustKey != nil {
		if _, _, err := signature.VerifyFile(ctx, r.cfg.trustKey, path); err != nil {
			return fmt.Errorf("refusing backup %s: --trust-key %s: %w", path, r.cfg.trustKey.KeyID(), err)
		}
	}
	return nil
}
