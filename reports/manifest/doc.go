// Package manifest is the remediation manifest: the signed plan that `dormant
// run` writes (reports/remediation-manifest.json) and `dormant remediate`
// carries out, often days later and by another team. It owns the format
// (Manifest, its published JSON Schema under schema/, SchemaVersion), building
// it from findings (Build), the digest that detects hand edits (ComputeDigest,
// Sign), and reading it back (Read, Parse, Validate, Verify).
//
// It imports neither the reports writers nor excelize, so remediation can
// depend on it alone.
package manifest
