package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// Effective actions: what remediation does for an entry, after the mode.
const (
	ActionDeactivate    = "deactivate"     // user: keys Inactive, login profile deleted, tagged
	ActionDelete        = "delete"         // user: everything removed, then the user
	ActionDeactivateKey = "deactivate-key" // one access key made Inactive
	ActionDeleteKey     = "delete-key"     // one access key deleted
)

// loadManifest reads, verifies and age-checks the manifest. It returns
// warnings for what --allow-edited let through.
func (r *Remediator) loadManifest(path string) (*manifest.Manifest, []string, error) {
	var warnings []string
	m, err := manifest.Read(path)
	if errors.Is(err, manifest.ErrUnknownSchemaVersion) && r.cfg.allowEdited {
		if m, err = readUnknownVersion(path); err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, fmt.Sprintf("manifest %s has schema version %q, which this build does not know; --allow-edited: reading it as %s, whose rules every entry must still pass",
			path, m.SchemaVersion, manifest.SchemaVersion))
	} else if err != nil {
		if errors.Is(err, manifest.ErrUnknownSchemaVersion) {
			return nil, nil, fmt.Errorf("refusing the manifest: %w (or pass --allow-edited to read it as %s)", err, manifest.SchemaVersion)
		}
		return nil, nil, fmt.Errorf("refusing the manifest: %w", err)
	}

	check := *m
	check.SchemaVersion = manifest.SchemaVersion
	switch err := check.Verify(); {
	case err == nil:
	case errors.Is(err, manifest.ErrDigestMismatch) && r.cfg.allowEdited:
		warnings = append(warnings, fmt.Sprintf("manifest %s: %v; --allow-edited: carrying it out anyway", path, err))
	case errors.Is(err, manifest.ErrDigestMismatch):
		return nil, nil, fmt.Errorf("refusing manifest %s: %w; pass --allow-edited only if you reviewed the change", path, err)
	default:
		return nil, nil, fmt.Errorf("refusing manifest %s: %w", path, err)
	}

	if r.cfg.maxAge > 0 {
		// The evidence is as old as its as-of (or the file, if that is older).
		at := m.AsOf
		if !m.GeneratedAt.IsZero() && m.GeneratedAt.Before(at) {
			at = m.GeneratedAt
		}
		if age := r.now().Sub(at); age > r.cfg.maxAge {
			return nil, nil, fmt.Errorf("refusing manifest %s: its evidence is as of %s, %s ago, older than the maximum age %s; run dormant again for a fresh manifest, or raise --max-age",
				path, at.UTC().Format(time.RFC3339), age.Round(time.Hour), fmtDays(r.cfg.maxAge))
		}
	}
	return m, warnings, nil
}

// readUnknownVersion decodes a manifest of another schema version strictly:
// fields this build does not know are an error, not ignored.
func readUnknownVersion(path string) (*manifest.Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", path, err)
	}
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
	case e.Decision != manifest.DecisionDeactivate && e.Decision != manifest.DecisionDelete:
		return fmt.Sprintf("decision %q: only deactivate and delete are carried out", e.Decision)
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
