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
