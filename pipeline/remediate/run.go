package remediate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// Remediator carries out manifests and restores backups.
type Remediator struct {
	deps   Deps
	cfg    config
	logger *slog.Logger
	out    io.Writer

	mu      sync.Mutex
	clients map[string]*clientSlot
}

type clientSlot struct {
	once sync.Once
	api  IAMAPI
	err  error
}

// New returns a Remediator. A bad option is a *ConfigError.
func New(deps Deps, opts ...Option) (*Remediator, error) {
	cfg := config{
		concurrency: DefaultConcurrency,
		maxAge:      DefaultMaxAge,
		exemptTag:   DefaultExemptTag,
		graceDays:   DefaultGraceDays,
		callTimeout: DefaultCallTimeout,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if deps.Clients == nil {
		return nil, &ConfigError{Err: errors.New("no IAM client factory (Deps.Clients)")}
	}
	r := &Remediator{deps: deps, cfg: cfg, logger: deps.Logger, out: deps.Out, clients: map[string]*clientSlot{}}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.out == nil {
		r.out = io.Discard
	}
	return r, nil
}

func (r *Remediator) now() time.Time {
	if r.deps.Now != nil {
		return r.deps.Now()
	}
	return time.Now()
}

// client returns the account's IAM client, made once.
func (r *Remediator) client(ctx context.Context, accountID string) (IAMAPI, error) {
	r.mu.Lock()
	slot, ok := r.clients[accountID]
	if !ok {
		slot = &clientSlot{}
		r.clients[accountID] = slot
	}
	r.mu.Unlock()
	slot.once.Do(func() {
		slot.api, slot.err = r.deps.Clients(ctx, accountID)
		if slot.err == nil && slot.api == nil {
			slot.err = fmt.Errorf("no IAM client for account %s", accountID)
		}
	})
	return slot.api, slot.err
}

// runState is what every entry of one run shares.
type runState struct {
	m         *manifest.Manifest
	edited    bool // --allow-edited accepted a mismatched digest: nothing deletes
	j         *journal
	backupDir string
	today     string
}

// Run carries out the manifest at manifestPath: a dry run unless WithApply.
// The error is for a manifest refused or a run that could not start; what
// became of each entry is in the Result (see Result.Err).
func (r *Remediator) Run(ctx context.Context, manifestPath string) (*Result, error) {
	lm, err := r.loadManifest(ctx, manifestPath)
	if err != nil {
		return nil, err
	}
	m, warnings := lm.m, lm.warnings
	entries, err := selectEntries(m, r.cfg.onlyPatterns)
	if err != nil {
		return nil, err
	}
	backupDir := r.cfg.backupDir
	if backupDir == "" {
		backupDir = filepath.Join(filepath.Dir(manifestPath), "backup-"+safeName(m.RunID))
	}
	jpath := r.cfg.journal
	if jpath == "" {
		jpath = filepath.Join(backupDir, JournalName)
	}
	j, err := openJournal(jpath, r.cfg.apply, r.logger)
	if err != nil {
		return nil, err
	}
	res := &Result{Manifest: manifestPath, RunID: m.RunID, Applied: r.cfg.apply, BackupDir: backupDir, Journal: jpath,
		Warnings: warnings, Entries: make([]EntryResult, len(entries))}
	for _, w := range warnings {
		r.logger.Warn(w)
	}
	st := &runState{m: m, edited: lm.edited, j: j, backupDir: backupDir, today: r.now().UTC().Format(time.DateOnly)}
	r.printHeader(res, m, len(entries))

	// Entries of one user run in order in one worker; users run in parallel.
	type group []int
	var groups []group
	index := map[string]int{}
	for i, e := range entries {
		k := e.AccountID + "/" + strings.ToLower(e.UserName)
		g, ok := index[k]
		if !ok {
			g = len(groups)
			index[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	em := &emitter{w: r.out, pending: map[int]string{}}
	work := make(chan group)
	var wg sync.WaitGroup
	for range min(r.cfg.concurrency, max(len(groups), 1)) {
		wg.Go(func() {
			for g := range work {
				for _, i := range g {
					res.Entries[i] = r.runEntry(ctx, st, entries[i])
					r.logEntry(&res.Entries[i])
					em.put(i, formatEntry(&res.Entries[i], i, len(entries), r.cfg.apply))
				}
			}
		})
	}
	for _, g := range groups {
		work <- g
	}
	close(work)
	wg.Wait()
	r.printSummary(res)
	if err := j.close(); err != nil {
		return res, err
	}
	return res, nil
}

func (r *Remediator) logEntry(er *EntryResult) {
	level := slog.LevelInfo
	if er.Outcome == OutcomeFailed || er.Outcome == OutcomeSkipped || er.Outcome == OutcomeInterrupted {
		level = slog.LevelWarn
	}
	r.logger.Log(context.Background(), level, "remediation entry", "entry", er.Entry, "action", er.Action,
		"outcome", string(er.Outcome), "reason", er.Reason)
}

// finalCall is the last call of an action's plan: once it succeeded, the
// entry is done.
func finalCall(action string) string {
	switch action {
	case ActionDelete:
		return manifest.CallDeleteUser
	case ActionDeactivate:
		return manifest.CallTagUser
	case ActionDeleteKey:
		return manifest.CallDeleteAccessKey
	default:
		return manifest.CallUpdateAccessKey
	}
}

func (r *Remediator) runEntry(ctx context.Context, st *runState, e *manifest.Entry) EntryResult {
	action, note := effectiveAction(e, r.cfg.mode)
	if st.edited && (action == ActionDelete || action == ActionDeleteKey) {
		// An edited entry may have been made more destructive: it only deactivates.
		action, _ = effectiveAction(e, ModeDeactivate)
		note = "--allow-edited: the manifest no longer matches its digest, so this entry may have been made more destructive: only deactivated"
	}
	er := EntryResult{Entry: e.Label(), AccountID: e.AccountID, UserName: e.UserName, UserID: e.UserID, Kind: e.Kind, Action: action, Reasons: e.Reasons}
	if note != "" {
		er.Notes = append(er.Notes, note)
	}
	if why := refusal(e); why != "" {
		er.Outcome, er.Reason = OutcomeSkipped, "refused: "+why
		return er
	}
	if e.Decision == manifest.DecisionRemoveInIaC {
		if !r.cfg.ignoreIaC {
			return removeInIaC(er, e, r.cfg.apply)
		}
		er.Notes = append(er.Notes, "--ignore-iac: deactivated through IAM although infrastructure as code manages the user; its next apply or stack update may re-create or re-enable it: "+iacChanges(e))
		if r.cfg.apply {
			if err := st.j.append(JournalRecord{Time: r.now().UTC(), RunID: st.m.RunID, Account: e.AccountID, User: e.UserName, UserID: e.UserID,
				Entry: e.Label(), Action: action, Call: CallIgnoreIaC, Parameters: map[string]any{"iac": iacChanges(e)}, Result: ResultOK}); err != nil {
				return failed(ctx, er, fmt.Errorf("journaling --ignore-iac: %w", err))
			}
		}
	}
	ek := entryKey{st.m.RunID, e.AccountID, e.UserID, e.Label(), action}
	if rec, ok := st.j.doneCall(ek, finalCall(action)); ok {
		er.Outcome = OutcomeAlreadyDone
		er.Reason = fmt.Sprintf("%s succeeded at %s (journal %s)", rec.Call, rec.Time.UTC().Format(time.RFC3339), st.j.path)
		return er
	}
	if ctx.Err() != nil {
		er.Outcome, er.Reason = OutcomeInterrupted, "interrupted before it started"
		return er
	}
	api, err := r.client(ctx, e.AccountID)
	if err != nil {
		return failed(ctx, er, fmt.Errorf("reaching account %s: %w", e.AccountID, err))
	}
	if e.Kind == manifest.KindAccessKey {
		return r.runKeyEntry(ctx, st, e, api, ek, er)
	}
	return r.runUserEntry(ctx, st, e, api, ek, er)
}

// removeInIaC is a remove-in-iac entry without --ignore-iac: no IAM call,
// the change to make in code printed; --apply refuses it.
func removeInIaC(er EntryResult, e *manifest.Entry, apply bool) EntryResult {
	er.Action = ActionRemoveInIaC
	for _, o := range e.IaC {
		er.Notes = append(er.Notes, fmt.Sprintf("change to make (%s %s): %s", o.Kind, o.Location, o.Change))
	}
	if apply {
		er.Outcome, er.Reason = OutcomeSkipped, "refused: infrastructure as code manages the user, and removing it through IAM would only create drift; make the change above, or pass --ignore-iac to deactivate it through IAM anyway"
		return er
	}
	er.Outcome, er.Reason = OutcomePlanned, "no IAM call: remove the user in its code (the change above)"
	return er
}

// iacChanges lists a remove-in-iac entry's owners and changes in one line.
func iacChanges(e *manifest.Entry) string {
	var parts []string
	for _, o := range e.IaC {
		parts = append(parts, o.Kind+" "+o.Location+": "+o.Change)
	}
	return strings.Join(parts, "; ")
}

// failed ends an entry on err, as interrupted when the run was cancelled.
func failed(ctx context.Context, er EntryResult, err error) EntryResult {
	if ctx.Err() != nil {
		er.Outcome, er.Reason = OutcomeInterrupted, fmt.Sprintf("interrupted: %v", err)
		return er
	}
	er.Outcome, er.Reason = OutcomeFailed, err.Error()
	return er
}

func (r *Remediator) runUserEntry(ctx context.Context, st *runState, e *manifest.Entry, api IAMAPI, ek entryKey, er EntryResult) EntryResult {
	got, notes, skip, err := r.recheckUser(ctx, api, e, st.m.AsOf, windowStart(st.m))
	er.Notes = append(er.Notes, notes...)
	if err != nil {
		return failed(ctx, er, fmt.Errorf("re-checking the live user: %w", err))
	}
	if skip != "" {
		er.Outcome, er.Reason = OutcomeSkipped, skip+r.touchedNote(st, e)
		return er
	}
	er.Backup = backupPath(st.backupDir, e.AccountID, e.UserName, 0)
	b, note, err := r.backupFor(ctx, api, st, e, er.Action, ScopeUser, "", got, er.Backup)
	if err != nil {
		return failed(ctx, er, err)
	}
	er.Notes = append(er.Notes, note)
	if why := keyIDsGone(e, b); why != "" {
		er.Outcome, er.Reason = OutcomeSkipped, why
		return er
	}
	if why := reenabled(e, er.Action, b, r.now()); why != "" {
		er.Outcome, er.Reason = OutcomeSkipped, why+r.touchedNote(st, e)
		return er
	}
	if why := newCredentials(er.Action, b, st.m.AsOf); why != "" {
		er.Outcome, er.Reason = OutcomeSkipped, why
		return er
	}
	var steps []Step
	if er.Action == ActionDelete {
		steps = deletePlan(e, b)
	} else {
		steps = deactivatePlan(e, b, r.deactivationTags(e, st.today))
	}
	return r.carryOut(ctx, st, api, e, ek, er, steps)
}

// deactivationTags are dormant:deactivated (today) and dormant:delete-after:
// the manifest's planned date, or for a delete entry downgraded by
// ModeDeactivate, today plus the grace period.
func (r *Remediator) deactivationTags(e *manifest.Entry, today string) []Tag {
	deleteAfter := ""
	for _, a := range e.Actions {
		if a.Call == manifest.CallTagUser && a.Parameters[manifest.TagDeleteAfter] != "" {
			deleteAfter = a.Parameters[manifest.TagDeleteAfter]
		}
	}
	if deleteAfter == "" {
		t, _ := time.Parse(time.DateOnly, today)
		deleteAfter = t.AddDate(0, 0, r.cfg.graceDays).Format(time.DateOnly)
	}
	return []Tag{{manifest.TagDeactivated, today}, {manifest.TagDeleteAfter, deleteAfter}}
}

func (r *Remediator) runKeyEntry(ctx context.Context, st *runState, e *manifest.Entry, api IAMAPI, ek entryKey, er EntryResult) EntryResult {
	got, notes, skip, err := r.recheckIdentity(ctx, api, e)
	er.Notes = append(er.Notes, notes...)
	if err != nil {
		return failed(ctx, er, fmt.Errorf("re-checking the live user: %w", err))
	}
	if skip != "" {
		er.Outcome, er.Reason = OutcomeSkipped, skip
		return er
	}
	keys, err := listAccessKeys(ctx, api, e.UserName)
	if err != nil {
		return failed(ctx, er, fmt.Errorf("re-checking the live user: %w", err))
	}
	key, why := matchKey(keys, e.KeySlot, e.KeyLastRotated)
	if why != "" {
		er.Outcome, er.Reason = OutcomeSkipped, why
		return er
	}
	if e.AccessKeyID != "" && key.ID != e.AccessKeyID {
		er.Outcome = OutcomeSkipped
		er.Reason = fmt.Sprintf("the live access key %d created %s is %s, not the manifest's %s: not the key the run saw", e.KeySlot, key.CreateDate.UTC().Format(time.RFC3339), key.ID, e.AccessKeyID)
		return er
	}
	er.Notes = append(er.Notes, fmt.Sprintf("access key %d is %s, created %s (%s)", e.KeySlot, key.ID, key.CreateDate.Format(time.RFC3339), key.Status))
	used, err := keyLastUsed(ctx, api, key.ID)
	if err != nil {
		return failed(ctx, er, fmt.Errorf("re-checking the live user: %w", err))
	}
	if used != nil && used.After(st.m.AsOf) {
		er.Outcome = OutcomeSkipped
		er.Reason = fmt.Sprintf("access key %s was used %s, after the manifest's as-of %s", key.ID, used.UTC().Format(time.RFC3339), st.m.AsOf.UTC().Format(time.RFC3339))
		return er
	}
	if why := usedInWindow("access key "+key.ID, used, windowStart(st.m)); why != "" {
		er.Outcome, er.Reason = OutcomeSkipped, why
		return er
	}
	er.Notes = append(er.Notes, describeLastUse("access key "+key.ID, used, st.m.AsOf))
	if er.Action == ActionDeactivateKey && key.Status != "Active" {
		er.Outcome, er.Reason = OutcomeDone, fmt.Sprintf("access key %s is already %s: nothing to do", key.ID, key.Status)
		return er
	}
	er.Backup = backupPath(st.backupDir, e.AccountID, e.UserName, e.KeySlot)
	_, note, err := r.backupFor(ctx, api, st, e, er.Action, ScopeAccessKey, key.ID, got, er.Backup)
	if err != nil {
		return failed(ctx, er, err)
	}
	er.Notes = append(er.Notes, note)
	return r.carryOut(ctx, st, api, e, ek, er, keyPlan(e, e.UserName, key, er.Action == ActionDeleteKey))
}

// reenabled says why a deletion of a user the run saw deactivated must not
// go on: the live user has an active access key or a login profile again,
// no dormant:deactivated tag (restored), or a dormant:delete-after that is
// unreadable or not yet reached at now (postponed), so a person changed it
// after the run and its evidence no longer describes the user.
func reenabled(e *manifest.Entry, action string, b *Backup, now time.Time) string {
	if action != ActionDelete || e.Evidence.Status != tables.StatusDeactivated {
		return ""
	}
	var has []string
	for _, k := range b.AccessKeys {
		if k.Status == string(types.StatusTypeActive) {
			has = append(has, "an active access key "+k.ID)
		}
	}
	if b.LoginProfile != nil {
		has = append(has, "a login profile")
	}
	if len(has) > 0 {
		return "the run saw the user deactivated, but it now has " + strings.Join(has, " and ") + ": someone re-enabled it since, so it is not deleted; confirm with them and run dormant again"
	}
	// Tag keys are unique case-insensitively in IAM; match the same way.
	if !slices.ContainsFunc(b.Tags, func(t Tag) bool { return strings.EqualFold(t.Key, manifest.TagDeactivated) }) {
		return "the run saw the user deactivated, but it no longer carries " + manifest.TagDeactivated + ": its deactivation was undone (restored?) since, so it is not deleted; run dormant again"
	}
	i := slices.IndexFunc(b.Tags, func(t Tag) bool { return strings.EqualFold(t.Key, manifest.TagDeleteAfter) })
	if i < 0 {
		return "the run saw the user due for deletion, but it no longer carries " + manifest.TagDeleteAfter + ": it is not deleted; run dormant again"
	}
	if at, err := time.Parse(time.DateOnly, b.Tags[i].Value); err != nil || at.After(now) {
		return fmt.Sprintf("the run saw the user due for deletion, but its live tag %s=%s is not a date reached today: someone postponed or changed it since, so it is not deleted; run dormant again",
			b.Tags[i].Key, b.Tags[i].Value)
	}
	return ""
}

// newCredentials says why a deletion must not go on: the live user has an
// access key or a login profile created after the manifest's as-of, so
// someone is setting it up, though the new credential shows no use yet.
func newCredentials(action string, b *Backup, asOf time.Time) string {
	if action != ActionDelete {
		return ""
	}
	var made []string
	for _, k := range b.AccessKeys {
		if k.CreateDate.After(asOf) {
			made = append(made, fmt.Sprintf("access key %s created %s", k.ID, k.CreateDate.UTC().Format(time.RFC3339)))
		}
	}
	if lp := b.LoginProfile; lp != nil && lp.CreateDate.After(asOf) {
		made = append(made, "a login profile created "+lp.CreateDate.UTC().Format(time.RFC3339))
	}
	if len(made) == 0 {
		return ""
	}
	return fmt.Sprintf("the user has %s, after the manifest's as-of %s: someone is setting it up, so it is not deleted; ask them, and run dormant again",
		strings.Join(made, " and "), asOf.UTC().Format(time.RFC3339))
}

// keyIDsGone says why a user entry whose key actions name key IDs must not
// go on: a named key is no longer among the user's live keys (rotated or
// deleted since the run), so the plan is not about the keys the run saw.
func keyIDsGone(e *manifest.Entry, b *Backup) string {
	for _, a := range e.Actions {
		if a.AccessKeyID == "" {
			continue
		}
		if !slices.ContainsFunc(b.AccessKeys, func(k AccessKey) bool { return k.ID == a.AccessKeyID }) {
			var live []string
			for _, k := range b.AccessKeys {
				live = append(live, k.ID)
			}
			return fmt.Sprintf("the manifest's %s is %s, which the user no longer has (live keys: %s): rotated or deleted since the run", a.Target, a.AccessKeyID, strings.Join(live, ", "))
		}
	}
	return ""
}

// matchKey finds the live key of an access_key entry: created at
// key_last_rotated (to the second; the credential report has no key IDs),
// the slot breaking a tie (slots follow creation order).
func matchKey(keys []AccessKey, slot int, rotated time.Time) (AccessKey, string) {
	want := rotated.UTC().Truncate(time.Second)
	var match []int
	for i, k := range keys {
		if k.CreateDate.UTC().Truncate(time.Second).Equal(want) {
			match = append(match, i)
		}
	}
	switch {
	case len(match) == 1:
		return keys[match[0]], ""
	case len(match) > 1:
		for _, i := range match {
			if i == slot-1 {
				return keys[i], ""
			}
		}
	}
	var live []string
	for _, k := range keys {
		live = append(live, fmt.Sprintf("%s created %s", k.ID, k.CreateDate.UTC().Format(time.RFC3339)))
	}
	if len(live) == 0 {
		live = []string{"none"}
	}
	if len(match) > 1 {
		return AccessKey{}, fmt.Sprintf("%d live access keys were created at %s and none is in slot %d: cannot tell which one the manifest means (live keys: %s)",
			len(match), want.Format(time.RFC3339), slot, strings.Join(live, "; "))
	}
	return AccessKey{}, fmt.Sprintf("no live access key was created at %s (the manifest's key %d): it was rotated or deleted since (live keys: %s)",
		want.Format(time.RFC3339), slot, strings.Join(live, "; "))
}

// touchedNote tells, on a skip, that earlier runs already changed the user.
func (r *Remediator) touchedNote(st *runState, e *manifest.Entry) string {
	if st.j.touched(st.m.RunID, e.AccountID, e.UserID) {
		return fmt.Sprintf(" (an earlier run already changed this user: see the journal %s and the backup)", st.j.path)
	}
	return ""
}

// backupFor returns the backup to plan from, writing it first when applying.
// The first backup holds the state before any change, so once the journal
// shows a change to the user it is kept, never retaken from a half-changed
// user; until then a fresh snapshot replaces it.
func (r *Remediator) backupFor(ctx context.Context, api IAMAPI, st *runState, e *manifest.Entry, action, scope, keyID string, got *iam.GetUserOutput, path string) (*Backup, string, error) {
	existing, readErr := ReadBackup(path)
	exists := readErr == nil || !errors.Is(readErr, os.ErrNotExist)
	if st.j.touched(st.m.RunID, e.AccountID, e.UserID) {
		if readErr != nil {
			return nil, "", fmt.Errorf("the journal %s shows this user was already changed, but the backup taken before that cannot be used: %w; put the backup back before re-running (it is what restore needs)",
				st.j.path, readErr)
		}
		if existing.UserID != e.UserID {
			return nil, "", fmt.Errorf("backup %s is of user ID %s, not %s: move it aside", path, existing.UserID, e.UserID)
		}
		return existing, fmt.Sprintf("backup %s taken %s, before the first change, is kept", path, existing.TakenAt.UTC().Format(time.RFC3339)), nil
	}
	if exists && readErr == nil && existing.UserID != e.UserID {
		return nil, "", fmt.Errorf("backup %s already exists for another user (ID %s, not %s): move it aside or choose another --backup-dir", path, existing.UserID, e.UserID)
	}
	b, err := snapshot(ctx, api, e.AccountID, e.UserName, got)
	if err != nil {
		return nil, "", fmt.Errorf("backing up the user: %w", err)
	}
	b.TakenAt, b.RunID, b.ManifestDigest = r.now().UTC(), st.m.RunID, st.m.Digest
	b.Scope, b.Action, b.TargetKeyID = scope, action, keyID
	if b.UserID != e.UserID {
		return nil, "", fmt.Errorf("backing up the user: its unique ID changed to %s during the re-check: not touching it", b.UserID)
	}
	if !r.cfg.apply {
		return b, fmt.Sprintf("backup to be written to %s before the first change", path), nil
	}
	sum, err := writeBackup(path, b)
	if err != nil {
		return nil, "", err
	}
	if err := r.journalBackup(ctx, st.j, path, sum, b); err != nil {
		return nil, "", err
	}
	return b, fmt.Sprintf("backup written to %s (SHA-256 %s, in the journal)", path, sum), nil
}

// carryOut runs (or, dry, lists) the steps and sets the outcome.
func (r *Remediator) carryOut(ctx context.Context, st *runState, api IAMAPI, e *manifest.Entry, ek entryKey, er EntryResult, steps []Step) EntryResult {
	base := JournalRecord{RunID: st.m.RunID, Account: e.AccountID, User: e.UserName, UserID: e.UserID, Entry: e.Label(), Action: er.Action}
	x := r.runSteps(ctx, api, st.j, ek, base, steps, stepPolicy{skipDone: true})
	er.Steps = x.steps
	switch {
	case x.err != nil:
		er.Outcome, er.Reason = OutcomeFailed, x.err.Error()
		if x.conflict {
			er.Remaining = r.remaining(ctx, api, e.AccountID, e.UserName)
			if len(er.Remaining) > 0 {
				er.Reason += "; still attached: " + strings.Join(er.Remaining, ", ")
			}
		}
	case x.interrupted:
		er.Outcome, er.Reason = OutcomeInterrupted, fmt.Sprintf("interrupted after %d of %d steps; re-run with the same journal to continue", x.ran, len(steps))
	case !r.cfg.apply:
		er.Outcome = OutcomePlanned
	default:
		er.Outcome = OutcomeDone
	}
	return er
}

// stepPolicy says how runSteps treats the journal and failures.
type stepPolicy struct {
	// skipDone skips steps the journal shows done in this run's earlier
	// attempts (remediation). Restore plans from the live state instead.
	skipDone bool
	// keepGoing continues past a failed step (restore puts back as much as
	// it can); remediation stops the user at the first failure.
	keepGoing bool
}

type stepsOutcome struct {
	steps       []StepResult
	err         error // the first failure
	conflict    bool  // the failure was a DeleteConflict
	interrupted bool
	ran         int    // steps done, in this run or earlier
	created     string // CreateUser's new unique ID
}

// runSteps makes the steps' calls in order, journaling each. Each call runs
// to completion even when ctx is cancelled (Ctrl-C stops between calls, never
// inside one), bounded by the call timeout. Remediation stops at the first
// failure; restore (keepGoing) tries every step after CreateUser.
func (r *Remediator) runSteps(ctx context.Context, api IAMAPI, j *journal, ek entryKey, base JournalRecord, steps []Step, pol stepPolicy) stepsOutcome {
	keepGoing := pol.keepGoing
	x := stepsOutcome{steps: make([]StepResult, len(steps))}
	for i := range steps {
		x.steps[i] = StepResult{Step: steps[i], Result: StepNotRun}
	}
	for i := range steps {
		s := &steps[i]
		if _, ok := j.stepDone(ek, s.Call, s.Target); ok && pol.skipDone {
			x.steps[i].Result = StepDoneEarlier
			x.ran++
			continue
		}
		if !r.cfg.apply {
			x.steps[i].Result = StepPlanned
			continue
		}
		if ctx.Err() != nil {
			x.interrupted = true
			break
		}
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.callTimeout)
		created, err := s.do(callCtx, api)
		cancel()
		rec := base
		rec.Time, rec.Call, rec.Target, rec.Parameters = r.now().UTC(), s.Call, s.Target, s.parameters()
		switch {
		case err == nil:
			rec.Result = ResultOK
		case !keepGoing && errorCode(err) == codeNoSuchEntity && s.Call != manifest.CallTagUser:
			// Already removed (or the key already gone): the step's goal holds.
			rec.Result = ResultAlreadyDone
		default:
			rec.Result, rec.ErrorCode, rec.Error = ResultError, errorCode(err), err.Error()
		}
		if created != "" {
			rec.CreatedUserID, x.created = created, created
		}
		x.steps[i].Result, x.steps[i].Error = rec.Result, rec.Error
		if jerr := j.append(rec); jerr != nil {
			// Without the journal a re-run cannot know this call was made.
			x.err = fmt.Errorf("journaling %s: %w; stopped", s.Call, jerr)
			return x
		}
		if rec.Result == ResultError {
			if x.err == nil {
				x.err = fmt.Errorf("%s: %w", s, err)
				x.conflict = rec.ErrorCode == codeDeleteConflict
			}
			if !keepGoing || s.Call == CallCreateUser {
				return x
			}
			continue
		}
		x.ran++
	}
	return x
}

// remaining lists what still holds a user, for a DeleteConflict report.
func (r *Remediator) remaining(ctx context.Context, api IAMAPI, accountID, userName string) []string {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.callTimeout)
	defer cancel()
	b, err := snapshot(lctx, api, accountID, userName, nil)
	if err != nil {
		return []string{fmt.Sprintf("(could not list what remains: %v)", err)}
	}
	return describeAttachments(b)
}

// describeAttachments names everything a backup holds that DeleteUser
// would refuse.
func describeAttachments(b *Backup) []string {
	var out []string
	if b.LoginProfile != nil {
		out = append(out, "login profile (console password)")
	}
	for _, k := range b.AccessKeys {
		out = append(out, fmt.Sprintf("access key %s (%s)", k.ID, k.Status))
	}
	for _, c := range b.SigningCertificates {
		out = append(out, "signing certificate "+c.ID)
	}
	for _, k := range b.SSHPublicKeys {
		out = append(out, "SSH public key "+k.ID)
	}
	for _, c := range b.ServiceSpecificCredentials {
		out = append(out, fmt.Sprintf("service-specific credential %s (%s)", c.ID, c.ServiceName))
	}
	for _, d := range b.MFADevices {
		out = append(out, "MFA device "+d.SerialNumber)
	}
	for _, p := range b.InlinePolicies {
		out = append(out, "inline policy "+p.Name)
	}
	for _, p := range b.AttachedPolicies {
		out = append(out, "attached policy "+p.ARN)
	}
	for _, g := range b.Groups {
		out = append(out, "group "+g)
	}
	if b.PermissionsBoundary != "" {
		out = append(out, "permissions boundary "+b.PermissionsBoundary)
	}
	return out
}

func keyLastUsed(ctx context.Context, api IAMAPI, keyID string) (*time.Time, error) {
	out, err := api.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("reading access key %s last use (iam:GetAccessKeyLastUsed): %w", keyID, err)
	}
	if out.AccessKeyLastUsed == nil || out.AccessKeyLastUsed.LastUsedDate == nil {
		return nil, nil
	}
	t := out.AccessKeyLastUsed.LastUsedDate.UTC()
	return &t, nil
}

func describeLastUse(what string, used *time.Time, asOf time.Time) string {
	if used == nil {
		return what + " never used"
	}
	return fmt.Sprintf("%s last used %s, not after the manifest's as-of %s", what, used.UTC().Format(time.RFC3339), asOf.UTC().Format(time.RFC3339))
}

// recheckIdentity confirms the live user is the manifest's: same unique ID,
// not exempt. skip says why not.
func (r *Remediator) recheckIdentity(ctx context.Context, api IAMAPI, e *manifest.Entry) (got *iam.GetUserOutput, notes []string, skip string, err error) {
	got, err = api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(e.UserName)})
	if errorCode(err) == codeNoSuchEntity {
		return nil, nil, fmt.Sprintf("user %s no longer exists in account %s", e.UserName, e.AccountID), nil
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("reading user (iam:GetUser): %w", err)
	}
	if got.User == nil {
		return nil, nil, "", errors.New("reading user (iam:GetUser): the answer has no user")
	}
	if id := aws.ToString(got.User.UserId); id != e.UserID {
		return nil, nil, fmt.Sprintf("the live user %s has unique ID %s, not the manifest's %s: it was deleted and re-created since, and a re-created user is never touched",
			e.UserName, id, e.UserID), nil
	}
	notes = append(notes, fmt.Sprintf("unique ID %s matches the manifest", e.UserID))
	tags := iam.NewListUserTagsPaginator(api, &iam.ListUserTagsInput{UserName: aws.String(e.UserName)})
	for tags.HasMorePages() {
		page, err := tags.NextPage(ctx)
		if err != nil {
			return nil, notes, "", fmt.Errorf("listing tags (iam:ListUserTags): %w", err)
		}
		for _, t := range page.Tags {
			// Tag keys are unique case-insensitively in IAM; match the same way.
			if strings.EqualFold(aws.ToString(t.Key), r.cfg.exemptTag) && strings.EqualFold(aws.ToString(t.Value), "true") {
				return nil, notes, fmt.Sprintf("the user is tagged %s=%s: exempt users are never remediated", aws.ToString(t.Key), aws.ToString(t.Value)), nil
			}
		}
	}
	notes = append(notes, "no "+r.cfg.exemptTag+"=true tag")
	return got, notes, "", nil
}

// windowStart is the start of the manifest's window: an entry is planned
// because nothing used it since then.
func windowStart(m *manifest.Manifest) time.Time {
	return m.AsOf.Add(-time.Duration(m.WindowDays) * 24 * time.Hour)
}

// usedInWindow is the skip reason when IAM's live last-use date of what falls
// inside the manifest's window: the plan rests on evidence that missed that
// use (a report that lagged, log files missing for its hour or region).
func usedInWindow(what string, used *time.Time, start time.Time) string {
	if used == nil || used.Before(start) {
		return ""
	}
	return fmt.Sprintf("%s was used %s, inside the manifest's window (since %s): the evidence the plan rests on missed that use",
		what, used.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
}

// recheckUser adds, for a user entry, that neither the password nor any
// access key was used after the manifest's as-of, nor since its window start.
func (r *Remediator) recheckUser(ctx context.Context, api IAMAPI, e *manifest.Entry, asOf, start time.Time) (*iam.GetUserOutput, []string, string, error) {
	got, notes, skip, err := r.recheckIdentity(ctx, api, e)
	if err != nil || skip != "" {
		return got, notes, skip, err
	}
	if pl := got.User.PasswordLastUsed; pl != nil && pl.After(asOf) {
		return got, notes, fmt.Sprintf("the password was used %s, after the manifest's as-of %s", pl.UTC().Format(time.RFC3339), asOf.UTC().Format(time.RFC3339)), nil
	}
	if why := usedInWindow("the password", got.User.PasswordLastUsed, start); why != "" {
		return got, notes, why, nil
	}
	notes = append(notes, describeLastUse("password", got.User.PasswordLastUsed, asOf))
	keys, err := listAccessKeys(ctx, api, e.UserName)
	if err != nil {
		return got, notes, "", err
	}
	for _, k := range keys {
		used, err := keyLastUsed(ctx, api, k.ID)
		if err != nil {
			return got, notes, "", err
		}
		if used != nil && used.After(asOf) {
			return got, notes, fmt.Sprintf("access key %s was used %s, after the manifest's as-of %s", k.ID, used.UTC().Format(time.RFC3339), asOf.UTC().Format(time.RFC3339)), nil
		}
		if why := usedInWindow("access key "+k.ID, used, start); why != "" {
			return got, notes, why, nil
		}
		notes = append(notes, describeLastUse("access key "+k.ID, used, asOf))
	}
	return got, notes, "", nil
}
