package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// DigestPrefix starts every digest: the algorithm, so a later one can be told apart.
const DigestPrefix = "sha256:"

// ErrDigestMismatch means an entry changed after the manifest was made.
// Remediation refuses such a manifest unless told --allow-edited.
var ErrDigestMismatch = errors.New("manifest digest does not match its contents")

// ErrHeaderEdited means the header (schema version, run ID, generated-at,
// as-of, settings or reviewed-from) changed after the manifest was made.
// It does not match ErrDigestMismatch: no flag lets such a manifest through,
// since a moved as-of would let the live re-check ignore recent activity.
var ErrHeaderEdited = errors.New("manifest header was edited")

// ErrUnknownSchemaVersion means the manifest is of a format this build does not know.
var ErrUnknownSchemaVersion = errors.New("unknown manifest schema version")

// canonicalHeader is every header member the digests cover, in schema order.
type canonicalHeader struct {
	SchemaVersion   string    `json:"schema_version"`
	RunID           string    `json:"run_id"`
	GeneratedAt     time.Time `json:"generated_at"`
	AsOf            time.Time `json:"as_of"`
	WindowDays      int       `json:"window_days"`
	DeleteAfterDays int       `json:"delete_after_days"`
	ReviewedFrom    *Review   `json:"reviewed_from,omitempty"`
}

// CanonicalHeader is the byte string HeaderDigest covers: the manifest's
// header members (all but digest, header_digest and entries) as one compact
// JSON object, members in schema order, optional members omitted when
// absent, no HTML escaping, times in RFC 3339.
func (m *Manifest) CanonicalHeader() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(canonicalHeader{
		SchemaVersion: m.SchemaVersion, RunID: m.RunID, GeneratedAt: m.GeneratedAt, AsOf: m.AsOf,
		WindowDays: m.WindowDays, DeleteAfterDays: m.DeleteAfterDays, ReviewedFrom: m.ReviewedFrom,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the manifest header for the digest: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// CanonicalEntries is the entries array as compact JSON, members in struct
// (schema) order, optional members omitted when absent, no HTML escaping,
// times in RFC 3339.
func (m *Manifest) CanonicalEntries() ([]byte, error) {
	var buf bytes.Buffer
	if err := m.writeCanonicalEntries(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CanonicalDocument is the byte string Digest covers: CanonicalHeader with
// a last member "entries" whose value is CanonicalEntries. Re-indenting or
// re-ordering the members of the file does not change it; changing any
// value of the header or of any entry does.
func (m *Manifest) CanonicalDocument() ([]byte, error) {
	var buf bytes.Buffer
	if err := m.writeCanonicalDocument(&buf, m.writeCanonicalEntries); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeCanonicalDocument writes the header, then entries (which writes the
// array), then the closing brace, so the entries can be streamed.
func (m *Manifest) writeCanonicalDocument(w io.Writer, entries func(io.Writer) error) error {
	head, err := m.CanonicalHeader()
	if err != nil {
		return err
	}
	if _, err := w.Write(head[:len(head)-1]); err != nil {
		return err
	}
	if _, err := w.Write([]byte(`,"entries":`)); err != nil {
		return err
	}
	if err := entries(w); err != nil {
		return err
	}
	_, err = w.Write([]byte{'}'})
	return err
}

// writeCanonicalEntries streams CanonicalEntries one entry at a time, so
// hashing a large plan does not build it in memory.
func (m *Manifest) writeCanonicalEntries(w io.Writer) error {
	if _, err := w.Write([]byte{'['}); err != nil {
		return err
	}
	enc := newEntryEncoder("", "")
	for i := range m.Entries {
		b, err := enc.encode(&m.Entries[i])
		if err != nil {
			return fmt.Errorf("encoding entry %d for the digest: %w", i, err)
		}
		if i > 0 {
			if _, err := w.Write([]byte{','}); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err := w.Write([]byte{']'})
	return err
}

// entryEncoder encodes one entry at a time as encoding/json does with HTML
// escaping off, reusing its buffer.
type entryEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// newEntryEncoder indents as json.Encoder.SetIndent does; "" and "" is compact.
func newEntryEncoder(prefix, indent string) *entryEncoder {
	e := &entryEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	if prefix != "" || indent != "" {
		e.enc.SetIndent(prefix, indent)
	}
	return e
}

// encode returns e's encoding without the trailing newline, valid until the next call.
func (e *entryEncoder) encode(x *Entry) ([]byte, error) {
	e.buf.Reset()
	if err := e.enc.Encode(x); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")), nil
}

// ComputeDigest returns "sha256:<hex>" over CanonicalDocument.
func (m *Manifest) ComputeDigest() (string, error) {
	h := sha256.New()
	if err := m.writeCanonicalDocument(h, m.writeCanonicalEntries); err != nil {
		return "", err
	}
	return DigestPrefix + hex.EncodeToString(h.Sum(nil)), nil
}

// ComputeHeaderDigest returns "sha256:<hex>" over CanonicalHeader.
func (m *Manifest) ComputeHeaderDigest() (string, error) {
	head, err := m.CanonicalHeader()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(head)
	return DigestPrefix + hex.EncodeToString(sum[:]), nil
}

// Sign sets Digest and HeaderDigest to those of the current contents. Call
// it after a deliberate change, such as keeping only the entries a reviewer
// approved. A digest is a checksum anyone can recompute, not a signature:
// package signature is what proves who made the manifest.
func (m *Manifest) Sign() error {
	d, err := m.ComputeDigest()
	if err != nil {
		return fmt.Errorf("signing manifest: %w", err)
	}
	hd, err := m.ComputeHeaderDigest()
	if err != nil {
		return fmt.Errorf("signing manifest: %w", err)
	}
	m.Digest, m.HeaderDigest = d, hd
	return nil
}

// compareDigests compares the stored digests with the computed ones: the
// header's first, so that an edited header is never reported (and so never
// let through) as a mere edited entry.
func (m *Manifest) compareDigests(wantHeader, want string) error {
	show := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
	if m.HeaderDigest != wantHeader {
		return fmt.Errorf("%w: stored header_digest %s, the header hashes to %s: its schema version, run ID, generated_at, as_of, settings or reviewed_from changed after it was made; regenerate the manifest (no flag accepts a moved as-of)",
			ErrHeaderEdited, show(m.HeaderDigest), wantHeader)
	}
	if m.Digest != want {
		return fmt.Errorf("%w: stored %s, the manifest hashes to %s: an entry was edited, added or removed after it was made; regenerate the manifest or review the change and re-sign it",
			ErrDigestMismatch, show(m.Digest), want)
	}
	return nil
}
