package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// DigestPrefix starts every digest: the algorithm, so a later one can be told apart.
const DigestPrefix = "sha256:"

// ErrDigestMismatch means the entries changed after the manifest was signed.
// Remediation refuses such a manifest unless told --allow-edited.
var ErrDigestMismatch = errors.New("manifest digest does not match its entries")

// ErrUnknownSchemaVersion means the manifest is of a format this build does not know.
var ErrUnknownSchemaVersion = errors.New("unknown manifest schema version")

// CanonicalEntries is the byte string the digest covers: the entries array as
// compact JSON, members in struct (schema) order, optional members omitted
// when absent, no HTML escaping, times in RFC 3339. Re-indenting or
// re-ordering the top-level members of the file does not change it; changing
// any entry does.
func (m *Manifest) CanonicalEntries() ([]byte, error) {
	var buf bytes.Buffer
	if err := m.writeCanonical(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeCanonical streams CanonicalEntries one entry at a time, so hashing a
// large plan does not build it in memory.
func (m *Manifest) writeCanonical(w io.Writer) error {
	buf := []byte{'['}
	for i := range m.Entries {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendEntry(buf, &m.Entries[i]); err != nil {
			return fmt.Errorf("encoding entry %d for the digest: %w", i, err)
		}
		// Hand the hash large blocks rather than one call per entry.
		if len(buf) >= 32<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, ']')
	_, err := w.Write(buf)
	return err
}

// ComputeDigest returns "sha256:<hex>" over CanonicalEntries.
func (m *Manifest) ComputeDigest() (string, error) {
	h := sha256.New()
	if err := m.writeCanonical(h); err != nil {
		return "", err
	}
	return DigestPrefix + hex.EncodeToString(h.Sum(nil)), nil
}

// Sign sets Digest to the digest of the current entries. Call it after a
// deliberate change, such as keeping only the entries a reviewer approved.
func (m *Manifest) Sign() error {
	d, err := m.ComputeDigest()
	if err != nil {
		return fmt.Errorf("signing manifest: %w", err)
	}
	m.Digest = d
	return nil
}

// compareDigest compares the stored digest with want, the entries'.
func (m *Manifest) compareDigest(want string) error {
	if m.Digest != want {
		stored := m.Digest
		if stored == "" {
			stored = "(none)"
		}
		return fmt.Errorf("%w: stored %s, entries hash to %s: an entry was edited, added or removed after signing; regenerate the manifest or review the change and re-sign it",
			ErrDigestMismatch, stored, want)
	}
	return nil
}
