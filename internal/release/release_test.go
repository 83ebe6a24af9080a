package release

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const repo = "../.."

func read(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// module is what the tests need of go.mod: read line by line, so that this
// test adds no dependency.
type module struct {
	path, goVersion string
	replaces        int // replace and exclude directives
}

func goMod(t *testing.T) module {
	t.Helper()
	var m module
	for _, l := range strings.Split(read(t, "go.mod"), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "module":
			m.path = f[1]
		case "go":
			m.goVersion = f[1]
		case "replace", "exclude":
			m.replaces++
		}
	}
	if m.path == "" || m.goVersion == "" {
		t.Fatalf("go.mod names no module path or go version: %+v", m)
	}
	return m
}

// `go install <module>/cmd/dormant@latest` refuses a module with replace
// or exclude directives, and needs the path the README gives.
func TestGoInstallable(t *testing.T) {
	mod := goMod(t)
	if mod.path != "github.com/dormant-iam/dormant" {
		t.Errorf("module path %q, want github.com/dormant-iam/dormant (the README's go install line)", mod.path)
	}
	if mod.replaces > 0 {
		t.Errorf("go.mod has %d replace or exclude directives: go install ...@latest refuses them", mod.replaces)
	}
	install := "go install " + mod.path + "/cmd/dormant@latest"
	if !strings.Contains(read(t, "README.md"), install) {
		t.Errorf("README lacks %q", install)
	}
	var src strings.Builder
	files, err := filepath.Glob(filepath.Join(repo, "cmd", "dormant", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			rel, _ := filepath.Rel(repo, f)
			src.WriteString(read(t, rel))
		}
	}
	if !regexp.MustCompile(`(?m)^var version = `).MatchString(src.String()) {
		t.Error("package main of cmd/dormant declares no `var version`, which the release builds set with -X main.version")
	}
}

// The Dockerfile builds with the Go release go.mod names, without cgo, the
// command the scripts build, and runs dormant.
func TestDockerfile(t *testing.T) {
	mod := goMod(t)
	goVersion := mod.goVersion // 1.26.0
	minor := strings.Join(strings.SplitN(goVersion, ".", 3)[:2], ".")
	lines := dockerInstructions(t, read(t, "Dockerfile"))
	var froms, runs, entry []string
	for _, l := range lines {
		op, rest, _ := strings.Cut(l, " ")
		switch strings.ToUpper(op) {
		case "FROM":
			froms = append(froms, rest)
		case "RUN":
			runs = append(runs, rest)
		case "ENTRYPOINT":
			entry = append(entry, rest)
		}
	}
	if len(froms) != 2 {
		t.Fatalf("FROM lines %q, want two stages (build, runtime)", froms)
	}
	if want := "golang:" + minor + " AS build"; froms[0] != want {
		t.Errorf("build stage %q, want %q (go.mod says go %s)", froms[0], want, goVersion)
	}
	if !strings.HasPrefix(froms[1], "gcr.io/distroless/static") {
		t.Errorf("runtime stage %q: a cgo-free binary runs on distroless/static", froms[1])
	}
	build := ""
	for _, r := range runs {
		if strings.Contains(r, "go build") {
			build = r
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=", "-o /out/dormant", "./cmd/dormant"} {
		if !strings.Contains(build, want) {
			t.Errorf("the Dockerfile's build %q lacks %q", build, want)
		}
	}
	if strings.Contains(build, "-tags") {
		t.Errorf("the Dockerfile's build %q sets build tags: the image is the default, cgo-free build", build)
	}
	if len(entry) != 1 || entry[0] != `["/usr/local/bin/dormant"]` {
		t.Errorf("ENTRYPOINT %q, want [\"/usr/local/bin/dormant\"]", entry)
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return l == "COPY --from=build /out/dormant /usr/local/bin/dormant" }) {
		t.Error("the runtime stage does not copy the built binary to /usr/local/bin/dormant")
	}
}

// dockerInstructions joins continuation lines and drops comments.
func dockerInstructions(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	cur := ""
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if cur == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if strings.HasSuffix(l, `\`) {
			cur += strings.TrimSuffix(l, `\`) + " "
			continue
		}
		out = append(out, strings.Join(strings.Fields(cur+l), " "))
		cur = ""
	}
	if cur != "" {
		t.Fatalf("the Dockerfile ends in a continuation line: %q", cur)
	}
	return out
}

// The release config builds the four targets without cgo, stamps the
// version, and writes checksums; the script CI runs pins goreleaser.
func TestGoreleaserConfig(t *testing.T) {
	var cfg struct {
		Version int `yaml:"version"`
		Builds  []struct {
			Main    string   `yaml:"main"`
			Binary  string   `yaml:"binary"`
			Env     []string `yaml:"env"`
			GOOS    []string `yaml:"goos"`
			GOARCH  []string `yaml:"goarch"`
			Ldflags []string `yaml:"ldflags"`
			Tags    []string `yaml:"tags"`
		} `yaml:"builds"`
		Archives []struct {
			Formats []string `yaml:"formats"`
		} `yaml:"archives"`
		Checksum struct {
			NameTemplate string `yaml:"name_template"`
			Algorithm    string `yaml:"algorithm"`
		} `yaml:"checksum"`
	}
	if err := yaml.Unmarshal([]byte(read(t, ".goreleaser.yaml")), &cfg); err != nil {
		t.Fatalf("parsing .goreleaser.yaml: %v", err)
	}
	if cfg.Version != 2 {
		t.Errorf(".goreleaser.yaml version %d, want 2", cfg.Version)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if b.Main != "./cmd/dormant" || b.Binary != "dormant" {
		t.Errorf("build main %q binary %q, want ./cmd/dormant and dormant", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") || len(b.Tags) > 0 {
		t.Errorf("build env %q tags %q: the release binaries are the default cgo-free build", b.Env, b.Tags)
	}
	slices.Sort(b.GOOS)
	slices.Sort(b.GOARCH)
	if !slices.Equal(b.GOOS, []string{"darwin", "linux"}) || !slices.Equal(b.GOARCH, []string{"amd64", "arm64"}) {
		t.Errorf("targets %q x %q, want darwin and linux on amd64 and arm64", b.GOOS, b.GOARCH)
	}
	if !strings.Contains(strings.Join(b.Ldflags, " "), "-X main.version={{.Version}}") {
		t.Errorf("ldflags %q lack -X main.version={{.Version}}", b.Ldflags)
	}
	if len(cfg.Archives) != 1 || !slices.Contains(cfg.Archives[0].Formats, "tar.gz") {
		t.Errorf("archives %+v, want tar.gz archives", cfg.Archives)
	}
	if cfg.Checksum.NameTemplate == "" || cfg.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum %+v, want a sha256 checksums file", cfg.Checksum)
	}
	script := read(t, "scripts/release-check")
	for _, want := range []string{"github.com/goreleaser/goreleaser/v2@v2.17.0", "build --snapshot --clean --single-target"} {
		if !strings.Contains(script, want) {
			t.Errorf("scripts/release-check lacks %q", want)
		}
	}
	if !strings.Contains(read(t, ".ci/run"), "scripts/release-check") {
		t.Error(".ci/run does not run scripts/release-check")
	}
	if !strings.Contains(read(t, "scripts/test"), "-tags duckdb") {
		t.Error("scripts/test does not pass -tags duckdb: the tests comparing the two scanners would be skipped")
	}
}
