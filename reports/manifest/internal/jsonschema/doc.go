// Package jsonschema checks JSON documents against the subset of JSON Schema
// (draft 2020-12) that the manifest's published schema uses. It exists so the
// schema file is the single statement of the manifest's structural rules:
// the reader enforces exactly what the published file says. Compile refuses a
// keyword it does not implement, so the schema can never state a rule that is
// silently ignored.
//
// Documents are Values from its own Decoder, which accepts what
// encoding/json accepts and yields the same values, but reuses its memory
// from one document to the next: the manifest checks each of a hundred
// thousand entries on its own, and the validator builds a problem's JSON
// Pointer only when it reports one.
package jsonschema
