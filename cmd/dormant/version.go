package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version overrides the build info's module version in release builds:
// goreleaser sets it with -ldflags "-X main.version=v1.2.3". Empty, the
// version comes from the build info alone.
var version = ""

// buildInfo is what the binary knows about its own build.
type buildInfo struct {
	Version   string `json:"version"`            // -X main.version, else the module version, else "(devel)"
	Revision  string `json:"revision,omitempty"` // vcs.revision
	Time      string `json:"time,omitempty"`     // vcs.time, the commit's
	Modified  bool   `json:"modified,omitempty"` // vcs.modified: built from a checkout with changes
	GoVersion string `json:"go"`
}

// readBuildInfo reads debug.ReadBuildInfo, which `go build` fills from the
// checkout (unless -buildvcs=false) and `go install ...@v1.2.3` from the
// module; a test binary has no VCS information.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if ok {
		if b.Version == "" && info.Main.Version != "" {
			b.Version = info.Main.Version
		}
		b.GoVersion = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

// String is the one-line version written into run.json and the workbook:
// never a bare "dev", always with whatever else is known.
func (b buildInfo) String() string {
	var parts []string
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		parts = append(parts, "revision "+rev)
	}
	if b.Time != "" {
		parts = append(parts, "committed "+b.Time)
	}
	if b.Modified {
		parts = append(parts, "modified")
	}
	if b.Revision == "" && b.Time == "" {
		parts = append(parts, "no VCS information")
	}
	parts = append(parts, b.GoVersion)
	return fmt.Sprintf("%s (%s)", b.Version, strings.Join(parts, ", "))
}

// toolVersion is what run.json and the workbook record as the tool's
// version.
func toolVersion() string { return readBuildInfo().String() }

func (a *app) versionCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version and the VCS revision it was built from",
		Long: `Prints the module version (set by -ldflags "-X main.version=..." in release
builds, else Go's build info: the tag or pseudo-version, or "(devel)"), the
VCS revision and commit time, whether the checkout had changes, and the Go
version. The same text is written into run.json and the workbook.
dormant --version prints the same line.`,
		Example:     "  dormant version\n  dormant version --format json",
		Annotations: map[string]string{"exit": exitHelpCommon},
		RunE: func(*cobra.Command, []string) error {
			b := readBuildInfo()
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			fmt.Fprintf(a.stdout, "dormant %s\n", b)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, or json for the build info as a JSON object")
	return cmd
}
