package manifest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dormant-iam/dormant/tables"
)

// Input is what Build needs from a run. It is a plain struct rather than the
// reports package's Input so that remediation can import this package
// without the report writers.
type Input struct {
	RunID           string
	GeneratedAt     time.Time
	AsOf            time.Time
	WindowDays      int
	DeleteAfterDays int
	Findings        []tables.Finding
	// References give a remove-in-iac entry its owners (the ownership
	// references, tables.Reference.IaCChange); AccessKeys give key actions
	// their access key IDs. Both may be empty: a remove-in-iac finding then
	// is an error, and key actions carry slot and creation date only.
	References []tables.Reference
	AccessKeys []tables.AccessKey
}

// Build plans remediation for a run's findings and signs the result:
//
//   - a user entry for every user whose decision is deactivate or delete
//     (such a finding must be inactive or never_used, not root, not exempt;
//     or deactivated, due for deletion, with decision delete);
//   - an access_key entry for every unused key (tables.Finding.UnusedKeys) of
//     a user who stays: decision keep, status active or new, not exempt.
//
// Root, exempt, review, new and active users never get a user entry. A
// finding whose decision contradicts its status, or that lacks what
// remediation needs to act safely (unique ID, ARN, the key's creation time),
// is an error naming it rather than an entry silently dropped or guessed.
func Build(in Input) (*Manifest, error) {
	if in.RunID == "" {
		return nil, errors.New("building manifest: run ID is empty")
	}
	if in.AsOf.IsZero() {
		return nil, errors.New("building manifest: as-of time is not set")
	}
	if in.WindowDays < 1 || in.DeleteAfterDays < 1 {
		return nil, fmt.Errorf("building manifest: window (%d days) and delete-after (%d days) must be at least one day",
			in.WindowDays, in.DeleteAfterDays)
	}
	asOf := in.AsOf.UTC()
	m := &Manifest{
		SchemaVersion:   SchemaVersion,
		RunID:           in.RunID,
		GeneratedAt:     in.GeneratedAt.UTC(),
		AsOf:            asOf,
		WindowDays:      in.WindowDays,
		DeleteAfterDays: in.DeleteAfterDays,
		Entries:         make([]Entry, 0, plannedEntries(in.Findings)),
	}
	if m.GeneratedAt.IsZero() {
		return nil, errors.New("building manifest: generated-at time is not set")
	}
	windowStart := asOf.AddDate(0, 0, -in.WindowDays)
	shared := newSharedPlans()
	shared.index(in.References, in.AccessKeys)
	for i := range in.Findings {
		f := &in.Findings[i]
		var err error
		if m.Entries, err = plan(m.Entries, f, asOf, windowStart, in.DeleteAfterDays, shared); err != nil {
			return nil, fmt.Errorf("building manifest: finding %d (%s/%s): %w", i+1, f.AccountID, f.UserName, err)
		}
	}
	slices.SortFunc(m.Entries, compareEntries)
	if err := m.Sign(); err != nil {
		return nil, fmt.Errorf("building manifest: %w", err)
	}
	// The cross-field rules are cheap; the JSON Schema is checked where a
	// manifest is read, and plan's checks keep Build within it.
	if probs := m.semanticProblems(); len(probs) > 0 {
		return nil, fmt.Errorf("building manifest: %w", &ValidationError{Problems: probs})
	}
	return m, nil
}

// compareEntries orders entries by account, user name, user ID, kind (the
// user before its keys) and key slot.
func compareEntries(a, b Entry) int {
	// Each comparison only when the ones before tie (cmp.Or would evaluate
	// them all): this runs a couple of million times for a large plan.
	if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
		return c
	}
	if c := strings.Compare(a.UserName, b.UserName); c != 0 {
		return c
	}
	if c := strings.Compare(a.UserID, b.UserID); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)), cmp.Compare(a.KeySlot, b.KeySlot))
}

func kindRank(k string) int {
	if k == KindUser {
		return 0
	}
	return 1
}

func isRoot(f *tables.Finding) bool {
	return f.Status == tables.StatusRoot || f.UserName == tables.RootUserName
}

// plannedEntries is how many entries the findings will give, at most: the
// capacity Build allocates at once, rather than growing a slice of a hundred
// thousand entries by doubling. Errors are plan's to report.
func plannedEntries(findings []tables.Finding) int {
	n := 0
	for i := range findings {
		f := &findings[i]
		switch f.Decision {
		case tables.DecisionDeactivate, tables.DecisionDelete, tables.DecisionRemoveInIaC:
			n++
		case tables.DecisionKeep:
			if PlansKeys(f) {
				n += len(f.UnusedKeys)
			}
		}
	}
	return n
}

// plan appends the entries one finding contributes to dst.
func plan(dst []Entry, f *tables.Finding, asOf, windowStart time.Time, deleteAfterDays int, shared *sharedPlans) ([]Entry, error) {
	switch f.Decision {
	case tables.DecisionDeactivate, tables.DecisionDelete:
		if isRoot(f) {
			return nil, fmt.Errorf("decision %s on the root user: the root user is never remediated", f.Decision)
		}
		due := f.Status == tables.StatusDeactivated && f.Decision == tables.DecisionDelete
		if f.Status != tables.StatusInactive && f.Status != tables.StatusNeverUsed && !due {
			return nil, fmt.Errorf("decision %s contradicts status %s: only inactive and never_used users are remediated, and deactivated ones only deleted", f.Decision, f.Status)
		}
		if f.Exemption != "" {
			return nil, fmt.Errorf("decision %s on a user exempt by %s: exempt users are never remediated", f.Decision, f.Exemption)
		}
		if err := checkPlanned(f); err != nil {
			return nil, err
		}
		if err := checkReasons(f.Reasons); err != nil {
			return nil, err
		}
		e := baseEntry(f, KindUser, f.Decision)
		if f.Decision == tables.DecisionDelete {
			e.Actions = shared.deleteActions(f)
		} else {
			e.Actions = shared.withKeyIDs(f, shared.deactivateActions(f, deleteAfter(f, asOf, deleteAfterDays)))
		}
		return append(dst, e), nil
	case tables.DecisionKeep:
		if !PlansKeys(f) {
			return dst, nil
		}
		if err := checkPlanned(f); err != nil {
			return nil, err
		}
		for _, slot := range f.UnusedKeys {
			e, err := keyEntry(f, int(slot), windowStart, shared)
			if err != nil {
				return nil, err
			}
			dst = append(dst, e)
		}
		return dst, nil
	case tables.DecisionRemoveInIaC:
		// A deactivated user due for deletion is removed in its code too.
		if isRoot(f) || f.Exemption != "" || (f.Status != tables.StatusInactive && f.Status != tables.StatusNeverUsed && f.Status != tables.StatusDeactivated) {
			return nil, fmt.Errorf("decision %s on a %s user (exemption %q): only inactive, never_used and due deactivated users are removed", f.Decision, f.Status, f.Exemption)
		}
		if err := checkPlanned(f); err != nil {
			return nil, err
		}
		if err := checkReasons(f.Reasons); err != nil {
			return nil, err
		}
		owners := shared.owners[ownerKey(f.AccountID, f.UserID)]
		if len(owners) == 0 {
			return nil, errors.New("decision remove-in-iac without an ownership reference (a Terraform resource or CloudFormation stack) naming the user: give the run's references")
		}
		e := baseEntry(f, KindUser, DecisionRemoveInIaC)
		e.IaC = owners
		e.Actions = shared.withKeyIDs(f, shared.deactivateActions(f, deleteAfter(f, asOf, deleteAfterDays)))
		return append(dst, e), nil
	case tables.DecisionReview:
		return dst, nil
	default:
		return nil, fmt.Errorf("unknown decision %q: want %s, %s, %s or %s", f.Decision,
			tables.DecisionDelete, tables.DecisionDeactivate, tables.DecisionReview, tables.DecisionKeep)
	}
}

// PlansKeys reports whether Build gives the finding's unused keys their own
// access_key entries: a user who stays (decision keep, status active or new),
// neither root nor exempt, with unused keys. The workbook's Unused keys sheet
// marks the same keys as in the remediation plan.
func PlansKeys(f *tables.Finding) bool {
	return f.Decision == tables.DecisionKeep && len(f.UnusedKeys) > 0 && !isRoot(f) && f.Exemption == "" &&
		(f.Status == tables.StatusActive || f.Status == tables.StatusNew)
}

// checkIdentity requires what remediation matches a live user by.
func checkIdentity(f *tables.Finding) error {
	if f.UserID == "" {
		return errors.New("no unique user ID (the user is missing from the authorization details, or they were not given); remediation matches users by unique ID so a re-created user is never touched")
	}
	if f.ARN == "" {
		return errors.New("no ARN")
	}
	// JSON has no way to carry bytes that are not UTF-8: they would be
	// written as U+FFFD and signed, and the manifest read back would no
	// longer match its digest. IAM names are always UTF-8, so such bytes mean
	// a damaged export.
	for _, t := range []struct{ field, v string }{{"account ID", f.AccountID}, {"user name", f.UserName}, {"user ID", f.UserID}, {"ARN", f.ARN}} {
		if !utf8.ValidString(t.v) {
			return fmt.Errorf("the %s %q is not valid UTF-8: the input it came from is damaged; export it again", t.field, t.v)
		}
	}
	for _, r := range f.Reasons {
		if !utf8.ValidString(r) {
			return fmt.Errorf("the reason %q is not valid UTF-8: an input it came from (e.g. the allowlist) is damaged or not UTF-8", r)
		}
	}
	return nil
}

func baseEntry(f *tables.Finding, kind, decision string) Entry {
	reasons := slices.Clone(f.Reasons)
	if reasons == nil {
		reasons = []string{}
	}
	return Entry{
		Kind:      kind,
		AccountID: f.AccountID,
		UserName:  f.UserName,
		UserID:    f.UserID,
		ARN:       f.ARN,
		Decision:  decision,
		Reasons:   reasons,
		Evidence: Evidence{
			CreateDate:          timePtr(f.CreateDate),
			PasswordLastUsed:    timePtr(f.PasswordLastUsed),
			Key1LastUsed:        timePtr(f.Key1LastUsed),
			Key2LastUsed:        timePtr(f.Key2LastUsed),
			CloudTrailLastEvent: timePtr(f.CloudTrailLastEvent),
			LastActivity:        timePtr(f.LastActivity),
			LastActivitySource:  f.LastActivitySource,
			DaysInactive:        int(f.DaysInactive),
			Status:              f.Status,
			DeactivatedOn:       timePtr(f.DeactivatedOn),
			DeleteAfter:         timePtr(f.DeleteAfter),
		},
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// deleteAfter is the day a deactivated user becomes due for deletion: the
// day inactivity (counted as the finding counts it) reaches deleteAfterDays.
func deleteAfter(f *tables.Finding, asOf time.Time, deleteAfterDays int) string {
	days := deleteAfterDays
	if f.DaysInactive >= 0 {
		days -= int(f.DaysInactive)
	}
	return asOf.AddDate(0, 0, days).Format(time.DateOnly)
}

func keySlotTarget(slot int) string {
	switch slot { // the usual slots without an allocation: checked per action
	case 1:
		return "access key 1"
	case 2:
		return "access key 2"
	}
	return "access key " + strconv.Itoa(slot)
}

// sharedPlans is what the entries of one Build share: their action lists
// and UpdateAccessKey's parameters hold nothing of the user, so a hundred
// thousand entries need a few hundred lists rather than a copy each (the
// copies were most of a large manifest's memory). Nothing may change an
// entry's actions in place (Entry.Actions says so); each list's capacity
// is its length, so an append copies. Per Build, so that a write that
// broke that rule could not reach another manifest.
type sharedPlans struct {
	deletes     map[deletePlanKey][]Action
	deactivates map[deactivateKey][]Action
	inactive    map[string]string
	// keys are the access keys by account and user name; owners the IaC
	// owners by account and unique ID (ownerKey).
	keys   map[string][]tables.AccessKey
	owners map[string][]IaCOwner
}

func ownerKey(account, userID string) string { return account + "/" + userID }

// index files the run's access keys and ownership references.
func (p *sharedPlans) index(refs []tables.Reference, keys []tables.AccessKey) {
	p.keys = map[string][]tables.AccessKey{}
	for _, k := range keys {
		p.keys[k.AccountID+"/"+k.UserName] = append(p.keys[k.AccountID+"/"+k.UserName], k)
	}
	p.owners = map[string][]IaCOwner{}
	for _, r := range refs {
		if change, ok := r.IaCChange(); ok && r.UserID != "" {
			k := ownerKey(r.AccountID, r.UserID)
			p.owners[k] = append(p.owners[k], IaCOwner{Kind: r.Kind, Location: r.Location, Change: change})
		}
	}
}

// keyID is the ID of the key in the credential report's slot: the one key
// of the user created at the slot's last-rotated time (to the second, as
// the report states it). "" when none or more than one matches.
func (p *sharedPlans) keyID(f *tables.Finding, slot int) string {
	rotated := f.Key1LastRotated
	if slot == 2 {
		rotated = f.Key2LastRotated
	}
	if rotated.IsZero() {
		return ""
	}
	id := ""
	for _, k := range p.keys[f.AccountID+"/"+f.UserName] {
		if k.CreateDate.Truncate(time.Second).Equal(rotated.Truncate(time.Second)) {
			if id != "" && id != k.AccessKeyID {
				return ""
			}
			id = k.AccessKeyID
		}
	}
	return id
}

// withKeyIDs returns acts with each UpdateAccessKey naming its key's ID
// where known: a copy then, as the shared lists are read-only.
func (p *sharedPlans) withKeyIDs(f *tables.Finding, acts []Action) []Action {
	var out []Action
	for i, a := range acts {
		if a.Call != CallUpdateAccessKey {
			continue
		}
		slot := 1
		if a.Target == keySlotTarget(2) {
			slot = 2
		}
		id := p.keyID(f, slot)
		if id == "" {
			continue
		}
		if out == nil {
			out = slices.Clone(acts)
		}
		out[i].AccessKeyID = id
	}
	if out == nil {
		return acts
	}
	return out
}

type deletePlanKey struct {
	passwordEnabled bool
	status          string
}

type deactivateKey struct {
	key1, key2, password bool
	deleteAfter          string
}

func newSharedPlans() *sharedPlans {
	return &sharedPlans{
		deletes:     map[deletePlanKey][]Action{},
		deactivates: map[deactivateKey][]Action{},
		inactive:    map[string]string{"Status": "Inactive"},
	}
}

func (p *sharedPlans) deleteActions(f *tables.Finding) []Action {
	k := deletePlanKey{f.PasswordEnabled, f.Status}
	acts, ok := p.deletes[k]
	if !ok {
		acts = newDeleteActions(f.PasswordEnabled, f.Status)
		acts = acts[:len(acts):len(acts)]
		p.deletes[k] = acts
	}
	return acts
}

func (p *sharedPlans) deactivateActions(f *tables.Finding, deleteAfter string) []Action {
	k := deactivateKey{f.Key1Active, f.Key2Active, f.PasswordEnabled, deleteAfter}
	acts, ok := p.deactivates[k]
	if !ok {
		acts = p.newDeactivateActions(f, deleteAfter)
		acts = acts[:len(acts):len(acts)]
		p.deactivates[k] = acts
	}
	return acts
}

func (p *sharedPlans) inactiveKey(slot int, why string) Action {
	return Action{
		Call:       CallUpdateAccessKey,
		Target:     keySlotTarget(slot),
		Parameters: p.inactive,
		Why:        why,
	}
}

func (p *sharedPlans) newDeactivateActions(f *tables.Finding, deleteAfter string) []Action {
	acts := make([]Action, 0, 4) // two keys, the login profile, the tag
	const keyWhy = "the key is active; an inactive key no longer authenticates and can be re-activated if its owner objects"
	if f.Key1Active {
		acts = append(acts, p.inactiveKey(1, keyWhy))
	}
	if f.Key2Active {
		acts = append(acts, p.inactiveKey(2, keyWhy))
	}
	if f.PasswordEnabled {
		acts = append(acts, Action{
			Call:   CallDeleteLoginProfile,
			Target: "login profile",
			Why:    "removes the console password so nobody can sign in as the user; an administrator can set a new one",
		})
	}
	acts = append(acts, Action{
		Call:       CallTagUser,
		Target:     "user",
		Parameters: map[string]string{TagDeleteAfter: deleteAfter},
		Why: fmt.Sprintf("records the deactivation (%s, set to the day remediation runs) and that the user is due for deletion from %s if it stays unused",
			TagDeactivated, deleteAfter),
	})
	return acts
}

func newDeleteActions(passwordEnabled bool, status string) []Action {
	login := "DeleteUser fails while a console password exists"
	if !passwordEnabled {
		login += "; the credential report shows none, so NoSuchEntity is expected and counts as done"
	}
	return []Action{
		{Call: CallDeleteLoginProfile, Target: "login profile", Why: login},
		{Call: CallDeleteAccessKey, Target: "every access key", Why: "DeleteUser fails while any access key exists"},
		{Call: CallDeleteSigningCertificate, Target: "every signing certificate", Why: "DeleteUser fails while any signing certificate exists"},
		{Call: CallDeleteSSHPublicKey, Target: "every SSH public key", Why: "DeleteUser fails while any SSH public key exists"},
		{Call: CallDeleteServiceSpecificCredential, Target: "every service-specific credential", Why: "DeleteUser fails while any service-specific (e.g. CodeCommit) credential exists"},
		{Call: CallDeactivateMFADevice, Target: "every MFA device", Why: "an MFA device must be deactivated before it can be deleted or the user removed"},
		{Call: CallDeleteVirtualMFADevice, Target: "every virtual MFA device", Why: "a virtual MFA device outlives the user unless deleted, after deactivation"},
		{Call: CallDeleteUserPolicy, Target: "every inline policy", Why: "DeleteUser fails while inline policies exist (their documents are in the backup)"},
		{Call: CallDetachUserPolicy, Target: "every attached managed policy", Why: "DeleteUser fails while managed policies are attached (the policies themselves stay)"},
		{Call: CallRemoveUserFromGroup, Target: "all group memberships", Why: "DeleteUser fails while the user is in any group"},
		{Call: CallDeleteUserPermissionsBoundary, Target: "permissions boundary", Why: "removes the permissions boundary before the user: AWS does not document whether a boundary blocks DeleteUser, and removing it first is harmless"},
		{Call: CallDeleteUser, Target: "the user", Why: deleteWhy(status)},
	}
}

// deleteWhy says why DeleteUser is called, by the finding's status.
func deleteWhy(status string) string {
	if status == tables.StatusDeactivated {
		return "the user was deactivated, stayed unused, and its " + TagDeleteAfter + " date has come"
	}
	return fmt.Sprintf("the user is %s and past the delete-after threshold", status)
}

func keyEntry(f *tables.Finding, slot int, windowStart time.Time, shared *sharedPlans) (Entry, error) {
	var active bool
	var rotated, lastUsed time.Time
	switch slot {
	case 1:
		active, rotated, lastUsed = f.Key1Active, f.Key1LastRotated, f.Key1LastUsed
	case 2:
		active, rotated, lastUsed = f.Key2Active, f.Key2LastRotated, f.Key2LastUsed
	default:
		return Entry{}, fmt.Errorf("unused key slot %d: the credential report has slots 1 and 2", slot)
	}
	if !active {
		return Entry{}, fmt.Errorf("access key %d is listed as unused but is not active", slot)
	}
	if rotated.IsZero() {
		return Entry{}, fmt.Errorf("access key %d has no last-rotated time, which is what identifies the key (the credential report has no key IDs)", slot)
	}
	e := baseEntry(f, KindAccessKey, DecisionDeactivate)
	e.KeySlot = slot
	e.KeyLastRotated = rotated.UTC()
	used := "never used"
	if !lastUsed.IsZero() {
		used = "last used " + lastUsed.UTC().Format(time.DateOnly)
	}
	e.Reasons = []string{
		fmt.Sprintf("access key %d (created %s) is active but unused since the window start %s: %s",
			slot, rotated.UTC().Format(time.DateOnly), windowStart.Format(time.DateOnly), used),
		fmt.Sprintf("the user stays (status %s), so only this key is deactivated", f.Status),
	}
	e.Actions = []Action{shared.inactiveKey(slot, "the key is active but unused; an inactive key no longer authenticates and can be re-activated if its owner objects")}
	if id := shared.keyID(f, slot); id != "" {
		e.AccessKeyID = id
		e.Actions[0].AccessKeyID = id
	}
	return e, nil
}
