package reports

import (
	"context"
	"io"

	"github.com/dormant-iam/dormant/reports/manifest"
)

type manifestWriter struct{}

// NewManifestWriter writes reports/remediation-manifest.json: the signed
// remediation plan (see package manifest for what goes in it).
func init() { Register(NewManifestWriter()) }

func NewManifestWriter() Writer { return manifestWriter{} }

func (manifestWriter) Name() string { return "manifest" }
func (manifestWriter) Path() string { return ManifestPath }

func (manifestWriter) Write(ctx context.Context, w io.Writer, in *Input) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := manifest.Build(ManifestInput(in))
	if err != nil {
		return err
	}
	return m.Encode(w)
}

// ManifestInput is the part of a report Input the manifest is built from.
func ManifestInput(in *Input) manifest.Input {
	return manifest.Input{
		RunID:           in.RunID,
		GeneratedAt:     in.StartedAt,
		AsOf:            in.AsOf,
		WindowDays:      in.WindowDays,
		DeleteAfterDays: in.DeleteAfterDays,
		Findings:        in.Findings,
		References:      in.References,
		AccessKeys:      in.AccessKeys,
	}
}

// ManifestSchemaPath is where the bundle carries the manifest's JSON Schema,
// so that a tool reading the manifest has the contract it was written to
// (and SHA256SUMS covers it) without reaching the network.
const ManifestSchemaPath = "reports/remediation-manifest.schema.json"

type manifestSchemaWriter struct{}

func init() { Register(manifestSchemaWriter{}) }

func (manifestSchemaWriter) Name() string { return "manifest-schema" }
func (manifestSchemaWriter) Path() string { return ManifestSchemaPath }

func (manifestSchemaWriter) Write(ctx context.Context, w io.Writer, _ *Input) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := w.Write(manifest.Schema())
	return err
}
