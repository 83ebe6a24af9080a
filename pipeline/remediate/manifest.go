package remediate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// Effective actions: what remediation does for an entry, after the mode.
const (
	ActionDeactivate    = "deactivate"     // user: keys Inactive, login profile deleted, tagged
	ActionDelete        = "delete"         // user: everything removed, then the user
	ActionDeactivateKey = "deactivate-key" // one access key made Inactive
	ActionDeleteKey     = "delete-key"     // one access key deleted
	ActionRemoveInIaC   = "remove-in-iac"  // no IAM call: the change to make in code is printed
)

// loadedManifest is a manifest remediation accepted, and what it let through.
type loadedManifest struct {
	m        *manifest.Manifest
	warnings []string
	// edited is set when --allow-edited accepted entries that no longer
	// match the digest: no such entry may delete (see effectiveAction).
	edited bool
}

// loadManifest reads, verifies and age-checks the manifest. With a trust
// key it acts only on the bytes that key signed; without one it warns that
// the manifest is unsigned.
func (r *Remediator) loadManifest(ctx context.Context, path string) (*loadedManifest, error) {
	lm := &loadedManifest{}
	var data []byte
	if r.cfg.trustKey != nil {
		var err error
		if data, _, err = signature.VerifyFile(ctx, r.cfg.trustKey, path); err != nil {
			return nil, fmt.Errorf("refusing manifest %s: --trust-key %s: %w", path, r.cfg.trustKey.KeyID(), err)
		}
	} else {
		lm.warnings = append(lm.warnings, fmt.Sprintf("manifest %s is UNSIGNED as far as this run knows: no --trust-key was given, so anyone who could write the file chose what it removes; pass --trust-key with the reviewers' public key (or kms:<key>)", path))
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("refusing the manifest: reading manifest %s: %w", path, err)
		}
	}
	// A signed manifest must verify exactly: --allow-edited never applies.
	allowEdited := r.cfg.allowEdited && r.cfg.trustKey == nil
	m, err := manifest.Parse(data)
	if errors.Is(err, manifest.ErrUnknownSchemaVersion) && allowEdited {
		if m, err = decodeUnknownVersion(path, data); err != nil {
			return nil, err
		}
		lm.warnings = append(lm.warnings, fmt.Sprintf("manifest %s has schema version %q, which this build does not know; --allow-edited: reading it as %s, whose rules every entry must still pass",
			path, m.SchemaVersion, manifest.SchemaVersion))
	} else if err != nil {
		if errors.Is(err, manifest.ErrUnknownSchemaVersion) {
			return nil, fmt.Errorf("refusing the manifest: reading manifest %s: %w (or pass --allow-edited to read it as %s)", path, err, manifest.SchemaVersion)
		}
		return nil, fmt.Errorf("refusing the manifest: reading manifest %s: %w", path, err)
	}

	check := *m
	check.SchemaVersion = manifest.SchemaVersion
	if check.SchemaVersion != m.SchemaVersion {
		// An unknown version's header must still match its own header
		// digest (so its as-of was not moved); read as this version, its
		// entries are then checked as "edited".
		own, err := m.ComputeHeaderDigest()
		if err != nil {
			return nil, fmt.Errorf("refusing manifest %s: %w", path, err)
		}
		if own != m.HeaderDigest {
			return nil, fmt.Errorf("refusing manifest %s: %w: its header does not match its header_digest (stored %q, computed %s); no flag accepts an edited header",
				path, manifest.ErrHeaderEdited, m.HeaderDigest, own)
		}
		if check.HeaderDigest, err = check.ComputeHeaderDigest(); err != nil {
			return nil, fmt.Errorf("refusing manifest %s: %w", path, err)
		}
	}
	switch err := check.Verify(); {
	case err == nil:
		if check.SchemaVersion != m.SchemaVersion {
			lm.edited = true
		}
	case errors.Is(err, manifest.ErrDigestMismatch) && allowEdited:
		lm.edited = true
		lm.warnings = append(lm.warnings, fmt.Sprintf("manifest %s: %v; --allow-edited: carrying it out, but no entry deletes: delete entries are only deactivated", path, err))
	case errors.Is(err, manifest.ErrDigestMismatch) && r.cfg.allowEdited:
		return nil, fmt.Errorf("refusing manifest %s: %w; it is signed by the trusted key, so it was signed inconsistent: --allow-edited does not apply to a signed manifest", path, err)
	case errors.Is(err, manifest.ErrDigestMismatch):
		return nil, fmt.Errorf("refusing manifest %s: %w; pass --allow-edited only if you reviewed the change", path, err)
	default:
		return nil, fmt.Errorf("refusing manifest %s: %w", path, err)
	}
	if lm.edited && check.SchemaVersion != m.SchemaVersion {
		lm.warnings = append(lm.warnings, fmt.Sprintf("manifest %s: --allow-edited: no entry of a manifest of unknown schema version deletes: delete entries are only deactivated", path))
	}

	if r.cfg.maxAge > 0 {
		// The evidence is as old as its as-of (or the file, if that is older).
		at := m.AsOf
		if !m.GeneratedAt.IsZero() && m.GeneratedAt.Before(at) {
			at = m.GeneratedAt
		}
		if age := r.now().Sub(at); age > r.cfg.maxAge {
			return nil, fmt.Errorf("refusing manifest %s: its evidence is as of %s, %s ago, older than the maximum age %s; run dormant again for a fresh manifest, or raise --max-age",
				path, at.UTC().Format(time.RFC3339), age.Round(time.Hour), fmtDays(r.cfg.maxAge))
		}
	}
	lm.m = m
	return lm, nil
}

// decodeUnknownVersion decodes a manifest of another schema version
// strictly: fields this build does not know are an error, not ignored.
func decodeUnknownVersion(path string, data []byte) (*manifest.Manifest, error) {
	var m manifest.Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("refusing manifest %s: its schema version is unknown and it does not decode as %s: %w", path, manifest.SchemaVersion, err)
	}
	return &m, nil
}

func fmtDays(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// refusal says why an entry must never be carried out, whatever the
// manifest says: root, exempt and review users are never touched. The
// schema already excludes them; this holds even if a manifest slipped past.
func refusal(e *manifest.Entry) string {
	switch {
	case e.UserName == tables.RootUserName || strings.HasSuffix(e.ARN, ":root"):
		return "the root user is never remediated"
	case e.Evidence.Status == tables.StatusRoot:
		return "status root: the root user is never remediated"
	case e.Evidence.Status == tables.StatusExempt:
		return "status exempt: exempt users are never remediated"
	case e.Evidence.Status == tables.StatusReview:
		return "status review: a user under review is never remediated"
	case e.Decision != manifest.DecisionDeactivate && e.Decision != manifest.DecisionDelete && e.Decision != manifest.DecisionRemoveInIaC:
		return fmt.Sprintf("decision %q: only deactivate and delete are carried out (and remove-in-iac printed as the change to make in code)", e.Decision)
	case e.Decision == manifest.DecisionRemoveInIaC && (e.Kind != manifest.KindUser || len(e.IaC) == 0):
		return "a remove-in-iac entry is a user entry naming what manages it (iac)"
	case e.Kind != manifest.KindUser && e.Kind != manifest.KindAccessKey:
		return fmt.Sprintf("kind %q: only user and access_key entries are carried out", e.Kind)
	case e.Kind == manifest.KindAccessKey && (e.KeySlot < 1 || e.KeySlot > 2 || e.KeyLastRotated.IsZero()):
		return "an access_key entry needs key_slot 1 or 2 and key_last_rotated to identify the key"
	case e.UserID == "":
		return "no unique user ID to re-check the live user against"
	}
	return ""
}

// effectiveAction is what the mode makes of an entry, and a note when the
// mode changed or declined to change it.
func effectiveAction(e *manifest.Entry, mode string) (action, note string) {
	if e.Kind == manifest.KindAccessKey {
		if mode == ModeDelete {
			return ActionDeleteKey, "--mode delete: the unused key is deleted rather than deactivated"
		}
		return ActionDeactivateKey, ""
	}
	switch {
	case e.Decision == manifest.DecisionDelete && mode == ModeDeactivate:
		return ActionDeactivate, "--mode deactivate: the delete entry is only deactivated"
	case e.Decision == manifest.DecisionDelete:
		return ActionDelete, ""
	case mode == ModeDelete:
		return ActionDeactivate, "--mode delete never upgrades a deactivate entry: deactivated only"
	}
	return ActionDeactivate, ""
}

// selectEntries keeps the entries --only names; a name that matches nothing
// is an error, since it is most likely a typo.
func selectEntries(m *manifest.Manifest, only []onlyItem) ([]*manifest.Entry, error) {
	var out []*manifest.Entry
	matched := make([]bool, len(only))
	for i := range m.Entries {
		e := &m.Entries[i]
		if len(only) == 0 {
			out = append(out, e)
			continue
		}
		keep := false
		for j, o := range only {
			// IAM user names are unique case-insensitively.
			if o.account == e.AccountID && strings.EqualFold(o.user, e.UserName) {
				keep, matched[j] = true, true
			}
		}
		if keep {
			out = append(out, e)
		}
	}
	var missing []string
	for j, ok := range matched {
		if !ok {
			missing = append(missing, only[j].account+"/"+only[j].user)
		}
	}
	if len(missing) > 0 {
		return nil, &ConfigError{Err: fmt.Errorf("--only %s: no such entry in the manifest", strings.Join(missing, ", "))}
	}
	return out, nil
}
