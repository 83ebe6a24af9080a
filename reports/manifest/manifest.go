package manifest

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

// SchemaVersion identifies the manifest format; schema/v1.json describes it.
// A reader refuses any other value: a later format gets a new version and a
// new schema file next to this one.
const SchemaVersion = "dormant.manifest/v1"

//go:embed schema/v1.json
var schemaV1 []byte

// Schema returns the published JSON Schema (draft 2020-12) of SchemaVersion.
func Schema() []byte {
	return append([]byte(nil), schemaV1...)
}

// Entry kinds.
const (
	KindUser      = "user"       // the IAM user as a whole
	KindAccessKey = "access_key" // one unused access key of a user who stays
)

// Decisions an entry can carry. Review and keep never reach a manifest.
const (
	DecisionDeactivate = "deactivate"
	DecisionDelete     = "delete"
	// DecisionRemoveInIaC is a user infrastructure as code manages: removed
	// by the change in IaC, never through IAM. Its actions are the
	// deactivation that `remediate --apply --ignore-iac` alone makes.
	DecisionRemoveInIaC = "remove-in-iac"
)

// IAM calls that actions name, as "service:Action".
const (
	CallUpdateAccessKey                 = "iam:UpdateAccessKey"
	CallTagUser                         = "iam:TagUser"
	CallDeleteLoginProfile              = "iam:DeleteLoginProfile"
	CallDeleteAccessKey                 = "iam:DeleteAccessKey"
	CallDeleteSigningCertificate        = "iam:DeleteSigningCertificate"
	CallDeleteSSHPublicKey              = "iam:DeleteSSHPublicKey"
	CallDeleteServiceSpecificCredential = "iam:DeleteServiceSpecificCredential"
	CallDeactivateMFADevice             = "iam:DeactivateMFADevice"
	CallDeleteVirtualMFADevice          = "iam:DeleteVirtualMFADevice"
	CallDeleteUserPolicy                = "iam:DeleteUserPolicy"
	CallDetachUserPolicy                = "iam:DetachUserPolicy"
	CallRemoveUserFromGroup             = "iam:RemoveUserFromGroup"
	CallDeleteUserPermissionsBoundary   = "iam:DeleteUserPermissionsBoundary"
	CallDeleteUser                      = "iam:DeleteUser"
)

// DeleteOrder is the order in which IAM requires a user's attachments to be
// removed before DeleteUser succeeds (IAM User Guide, "Deleting an IAM user
// (AWS CLI)"; the permissions boundary is not in AWS's list but removing it
// first is harmless). Every delete entry carries exactly these calls, in
// this order: the manifest cannot know every certificate or SSH key, so
// remediation lists each kind live and acts on what it finds.
var DeleteOrder = []string{
	CallDeleteLoginProfile,
	CallDeleteAccessKey,
	CallDeleteSigningCertificate,
	CallDeleteSSHPublicKey,
	CallDeleteServiceSpecificCredential,
	CallDeactivateMFADevice,
	CallDeleteVirtualMFADevice,
	CallDeleteUserPolicy,
	CallDetachUserPolicy,
	CallRemoveUserFromGroup,
	CallDeleteUserPermissionsBoundary,
	CallDeleteUser,
}

// Tag keys remediation sets on a deactivated user.
const (
	// TagDeactivated is set to the date remediation deactivates the user;
	// the manifest cannot know that date, so it is not a parameter.
	TagDeactivated = "dormant:deactivated"
	// TagDeleteAfter is the date (YYYY-MM-DD) from which the user is due for
	// deletion: last activity (or creation) plus delete_after_days.
	TagDeleteAfter = "dormant:delete-after"
)

// Manifest is the remediation plan. Field order is the JSON order.
type Manifest struct {
	SchemaVersion   string    `json:"schema_version"`
	RunID           string    `json:"run_id"`
	GeneratedAt     time.Time `json:"generated_at"`
	AsOf            time.Time `json:"as_of"`
	WindowDays      int       `json:"window_days"`
	DeleteAfterDays int       `json:"delete_after_days"`
	// ReviewedFrom is set on a manifest made from a reviewed workbook
	// (`dormant manifest --from-workbook`): what the approvals came from.
	ReviewedFrom *Review `json:"reviewed_from,omitempty"`
	// HeaderDigest is "sha256:<hex>" over CanonicalHeader: with Digest it
	// tells an edited entry (which --allow-edited may accept) from an
	// edited header (which nothing accepts).
	HeaderDigest string `json:"header_digest"`
	// Digest is "sha256:<hex>" over CanonicalDocument: the header and
	// every entry.
	Digest  string  `json:"digest"`
	Entries []Entry `json:"entries"`
}

// Review says where a reviewed manifest's approvals came from. It is in the
// header, which both digests cover; Entry.ReviewerComment carries each
// entry's review.
type Review struct {
	// Workbook is the reviewed workbook's file name.
	Workbook string `json:"workbook"`
	// WorkbookSHA256 is the reviewed workbook's SHA-256, lowercase hex, so
	// the signed-off file can be matched to this manifest.
	WorkbookSHA256 string `json:"workbook_sha256"`
	// RunDigest is the digest of the run's manifest the review started from.
	RunDigest string `json:"run_digest"`
	// How the run's entries were decided: approved ones are the entries.
	Approved  int `json:"approved"`
	Rejected  int `json:"rejected"`
	Deferred  int `json:"deferred"`
	Undecided int `json:"undecided"`
	// SignOff is the workbook's sign-off block: who approved, and when.
	SignOff *SignOff `json:"sign_off,omitempty"`
}

// SignOff is what the reviewer filled in on the workbook's Summary sheet.
type SignOff struct {
	Reviewer  string `json:"reviewer"`
	Role      string `json:"role"`
	Date      string `json:"date"` // YYYY-MM-DD
	Statement string `json:"statement"`
}

// Entry is one thing to remediate: a user, or one access key of a user who
// stays.
type Entry struct {
	Kind      string   `json:"kind"` // KindUser or KindAccessKey
	AccountID string   `json:"account_id"`
	UserName  string   `json:"user_name"`
	UserID    string   `json:"user_id"`
	ARN       string   `json:"arn"`
	Decision  string   `json:"decision"` // DecisionDeactivate or DecisionDelete
	Reasons   []string `json:"reasons"`
	Evidence  Evidence `json:"evidence"`
	// KeySlot and KeyLastRotated identify the key of an access_key entry:
	// the credential report has no key IDs, so remediation matches the live
	// key whose creation date equals KeyLastRotated.
	KeySlot        int       `json:"key_slot,omitempty"`
	KeyLastRotated time.Time `json:"key_last_rotated,omitzero"`
	// AccessKeyID is the access_key entry's key by ID, where the run knew it
	// (ListAccessKeys, or --access-keys exports); remediation acts only if
	// the live key at the slot and creation date has this ID.
	AccessKeyID string `json:"access_key_id,omitempty"`
	// IaC says, for a remove-in-iac entry, what manages the user and the
	// change that removes it there.
	IaC []IaCOwner `json:"iac,omitempty"`
	// Actions, and their Parameters, are read-only: entries of one Build
	// share action lists and maps. Replace the slice to change a plan.
	Actions         []Action `json:"actions"`
	ReviewerComment string   `json:"reviewer_comment,omitempty"`
	// Reviewer and ReviewDate (YYYY-MM-DD) say who approved the entry and
	// when: the row's own cells, else the workbook's sign-off.
	Reviewer   string `json:"reviewer,omitempty"`
	ReviewDate string `json:"review_date,omitempty"`
}

// Evidence is what the run saw at as_of. A nil time is unknown or never.
type Evidence struct {
	CreateDate          *time.Time `json:"create_date,omitempty"`
	PasswordLastUsed    *time.Time `json:"password_last_used,omitempty"`
	Key1LastUsed        *time.Time `json:"key1_last_used,omitempty"`
	Key2LastUsed        *time.Time `json:"key2_last_used,omitempty"`
	CloudTrailLastEvent *time.Time `json:"cloudtrail_last_event,omitempty"`
	LastActivity        *time.Time `json:"last_activity,omitempty"`
	LastActivitySource  string     `json:"last_activity_source,omitempty"`
	// DaysInactive is whole days from last activity (or creation) to as-of;
	// -1 when neither is known.
	DaysInactive int    `json:"days_inactive"`
	Status       string `json:"status"`
	// DeactivatedOn and DeleteAfter are the user's dormant:deactivated and
	// dormant:delete-after tags, when remediation deactivated it earlier.
	DeactivatedOn *time.Time `json:"deactivated_on,omitempty"`
	DeleteAfter   *time.Time `json:"delete_after,omitempty"`
}

// Action is one IAM call of an entry's plan.
type Action struct {
	Call   string `json:"call"`   // e.g. "iam:DeleteLoginProfile"
	Target string `json:"target"` // what it acts on, e.g. "access key 1"
	// Parameters are request values fixed at planning time: {"Status":
	// "Inactive"} for UpdateAccessKey, {TagDeleteAfter: date} for TagUser.
	Parameters map[string]string `json:"parameters,omitempty"`
	Why        string            `json:"why"`
	// AccessKeyID names, for an UpdateAccessKey call, the key at the target
	// slot by ID where the run knew it: remediation checks the live key.
	AccessKeyID string `json:"access_key_id,omitempty"`
}

// IaCOwner is what manages a remove-in-iac user: a Terraform resource
// (state or .tf file and address) or a CloudFormation stack and logical ID.
type IaCOwner struct {
	Kind     string `json:"kind"`     // terraform or cloudformation
	Location string `json:"location"` // file and address, or stack and logical ID
	Change   string `json:"change"`   // what to change in the code instead
}

// Label names the entry in messages: account/user, plus the key slot.
func (e *Entry) Label() string {
	if e.Kind == KindAccessKey {
		return fmt.Sprintf("%s/%s access key %d", e.AccountID, e.UserName, e.KeySlot)
	}
	return e.AccountID + "/" + e.UserName
}

// Encode writes the manifest as indented JSON (two spaces, no HTML
// escaping), byte for byte what json.Encoder writes for the whole document.
// It does not sign: call Sign first if entries changed. Entries are encoded
// one at a time, so a large plan is never held twice in memory.
func (m *Manifest) Encode(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	err := m.encode(bw)
	// What came before a failing entry is written, as an unbuffered encoder would.
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func (m *Manifest) encode(w io.Writer) error {
	header := *m
	header.Entries = []Entry{}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&header); err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	head := buf.Bytes()
	const emptyTail = "[]\n}\n"
	if len(m.Entries) == 0 || !bytes.HasSuffix(head, []byte(emptyTail)) {
		_, err := w.Write(head)
		return err
	}
	if _, err := w.Write(head[:len(head)-len(emptyTail)]); err != nil {
		return err
	}
	if _, err := w.Write([]byte("[\n")); err != nil {
		return err
	}
	// An entry sits two levels deep: its lines carry four spaces of prefix.
	entries := newEntryEncoder("    ", "  ")
	sep := []byte(",\n")
	for i := range m.Entries {
		b, err := entries.encode(&m.Entries[i])
		if err != nil {
			return fmt.Errorf("encoding manifest entry %d (%s): %w", i, m.Entries[i].Label(), err)
		}
		if i == len(m.Entries)-1 {
			sep = sep[1:]
		}
		if _, err := w.Write([]byte("    ")); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		if _, err := w.Write(sep); err != nil {
			return err
		}
	}
	_, err := w.Write([]byte("  ]\n}\n"))
	return err
}

// WriteFile validates the manifest (digest included) and writes it to path
// atomically.
func (m *Manifest) WriteFile(path string) error {
	if err := m.Verify(); err != nil {
		return fmt.Errorf("writing manifest %s: %w", path, err)
	}
	return atomicfile.Write(path, m.Encode)
}

// normalized returns a shallow copy whose nil slices encode as [] rather
// than null, so a manifest with no entries still matches its schema.
func (m *Manifest) normalized() *Manifest {
	c := *m
	if c.Entries == nil {
		c.Entries = []Entry{}
	}
	return &c
}
