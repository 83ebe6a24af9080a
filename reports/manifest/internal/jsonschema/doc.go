// Package jsonschema checks JSON documents against the subset of JSON Schema
// (draft 2020-12) that the manifest's published schema uses. It exists so the
// schema file is the single statement of the manifest's structural rules:
// the reader enforces exactly what the published file says. Compile refuses a
// keyword it does not implement, so the schema can never state a rule that is
// silently ignored.
package jsonschema
