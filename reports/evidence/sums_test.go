package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// bundle lays out a small run directory like the pipeline's.
func bundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"run.json": `{"run_id":"r1"}`,
		"inputs/111111111111/credential-report.csv":      "user,arn\n",
		"inputs/111111111111/authorization-details.json": `{"UserDetailList":[]}`,
		"queries/activity.sql":                           "SELECT 1;\n",
		"reports/findings.csv":                           "account_id\n",
		"reports/remediation-manifest.json":              "{}\n",
		"tables/findings.parquet":                        "PAR1\x00\x01PAR1",
		"empty.txt":                                      "",
		"inputs/SHA256SUMS":                              "nested sums files are ordinary content\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestWriteSumsFormat(t *testing.T) {
	dir := bundle(t)
	if err := WriteSums(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		sha("") + "  empty.txt",
		sha("nested sums files are ordinary content\n") + "  inputs/SHA256SUMS",
		sha(`{"UserDetailList":[]}`) + "  inputs/111111111111/authorization-details.json",
		sha("user,arn\n") + "  inputs/111111111111/credential-report.csv",
		sha("SELECT 1;\n") + "  queries/activity.sql",
		sha("account_id\n") + "  reports/findings.csv",
		sha("{}\n") + "  reports/remediation-manifest.json",
		sha(`{"run_id":"r1"}`) + "  run.json",
		sha("PAR1\x00\x01PAR1") + "  tables/findings.parquet",
	}, "\n") + "\n"
	// Bytewise order: "inputs/1..." sorts after "inputs/S..."? No: '1' < 'S'.
	lines := strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	want = strings.Join(lines, "\n") + "\n"
	if string(data) != want {
		t.Errorf("SHA256SUMS =\n%s\nwant\n%s", data, want)
	}
	mism, err := VerifySums(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(mism) != 0 {
		t.Errorf("VerifySums on an untouched bundle = %v", mism)
	}
	// Writing again gives the same bytes: SHA256SUMS does not hash itself.
	if err := WriteSums(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, SumsFile))
	if string(again) != string(data) {
		t.Errorf("second WriteSums differs:\n%s", again)
	}
}

func TestSha256sumAccepts(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not on PATH")
	}
	dir := bundle(t)
	if runtime.GOOS != "windows" {
		// Names sha256sum must escape.
		for _, name := range []string{`odd\name.txt`, "new\nline.txt"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := WriteSums(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sha256sum", "--strict", "-c", SumsFile)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sha256sum -c rejected SHA256SUMS: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), ": OK"); n != 11 {
		t.Errorf("sha256sum checked %d files, want 11:\n%s", n, out)
	}
	// And our reader reads what sha256sum itself writes.
	cmd = exec.Command("sh", "-c", `find . -type f ! -path ./SHA256SUMS ! -name '.*.tmp-*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum`)
	cmd.Dir = dir
	gnu, err := cmd.Output()
	if err != nil {
		t.Fatalf("running sha256sum: %v", err)
	}
	ours, _ := os.ReadFile(filepath.Join(dir, SumsFile))
	if string(gnu) != string(ours) {
		t.Errorf("sha256sum prints\n%s\nWriteSums wrote\n%s", gnu, ours)
	}
}

func TestVerifySumsNamesEveryDifference(t *testing.T) {
	dir := bundle(t)
	ctx := context.Background()
	if err := WriteSums(ctx, dir); err != nil {
		t.Fatal(err)
	}
	// One changed byte.
	csv := filepath.Join(dir, "reports", "findings.csv")
	data, _ := os.ReadFile(csv)
	data[0] ^= 0x01
	if err := os.WriteFile(csv, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "queries", "activity.sql")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tables", "extra.parquet"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file replaced by a directory of the same name.
	run := filepath.Join(dir, "run.json")
	os.Remove(run)
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	mism, err := VerifySums(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mism {
		got = append(got, m.Kind+" "+m.Path)
	}
	want := []string{"missing queries/activity.sql", "changed reports/findings.csv", "changed run.json", "extra tables/extra.parquet"}
	if !slices.Equal(got, want) {
		t.Fatalf("mismatches = %q, want %q", got, want)
	}
	if m := mism[1]; m.Want != sha("account_id\n") || m.Got != sha(string(data)) ||
		!strings.Contains(m.String(), "reports/findings.csv: changed") {
		t.Errorf("changed mismatch = %+v (%s)", m, m)
	}
	if m := mism[2]; !strings.Contains(m.Got, "not a regular file") {
		t.Errorf("run.json replaced by a directory: %+v", m)
	}
}

func TestVerifySumsNotRegular(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := bundle(t)
	if err := WriteSums(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	// The same content, but through a symlink out of the bundle.
	outside := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(outside, []byte(`{"run_id":"r1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run.json")
	os.Remove(run)
	if err := os.Symlink(outside, run); err != nil {
		t.Fatal(err)
	}
	mism, err := VerifySums(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(mism) != 1 || mism[0].Path != "run.json" || mism[0].Kind != Changed || !strings.Contains(mism[0].Got, "not a regular file") {
		t.Errorf("mismatches = %+v, want run.json changed (not a regular file)", mism)
	}
}

func TestReadSumsRejects(t *testing.T) {
	h := sha("x")
	tests := []struct{ name, content, want string }{
		{"short line", "abc  file\n", "line 1"},
		{"one space", h + " file\n", `line 1: want "<64 hex digits>  <path>"`},
		{"upper hex", strings.ToUpper(h) + "  file\n", "not a lowercase hex"},
		{"absolute", h + "  /etc/passwd\n", `path "/etc/passwd" must be relative`},
		{"climbs out", h + "  ok\n" + h + "  ../secret\n", `line 2: path "../secret"`},
		{"unclean", h + "  a/./b\n", "must be relative, clean"},
		{"duplicate", h + "  a\n" + h + "  a\n", "line 2: a is listed again (first on line 1)"},
		{"bad escape", `\` + h + `  a\tb` + "\n", `unknown escape \t`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadSums(strings.NewReader(tt.content), "SUMS")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "SUMS") {
				t.Fatalf("ReadSums error = %v, want it to name SUMS and contain %q", err, tt.want)
			}
		})
	}
	got, err := ReadSums(strings.NewReader(h+" *binary.dat\n\n"+`\`+h+`  a\\b\nc`+"\n"), "SUMS")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Path != "binary.dat" || got[1].Path != "a\\b\nc" {
		t.Errorf("ReadSums = %q", got)
	}
}

func TestVerifySumsErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := VerifySums(context.Background(), dir); err == nil || !strings.Contains(err.Error(), SumsFile) {
		t.Errorf("VerifySums without SHA256SUMS = %v, want an error naming it", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteSums(ctx, bundle(t)); err == nil {
		t.Errorf("WriteSums with a cancelled context succeeded")
	}
	if runtime.GOOS != "windows" {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, "bad\rname"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteSums(context.Background(), d); err == nil || !strings.Contains(err.Error(), "carriage return") {
			t.Errorf("WriteSums with a CR in a name = %v", err)
		}
		if _, err := os.Stat(filepath.Join(d, SumsFile)); !os.IsNotExist(err) {
			t.Errorf("a failed WriteSums left %s behind", SumsFile)
		}
	}
}

func TestHashFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	content := strings.Repeat("dormant", 100000)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, n, err := HashFile(p)
	if err != nil || sum != sha(content) || n != int64(len(content)) {
		t.Errorf("HashFile = %s, %d, %v", sum, n, err)
	}
	if _, _, err := HashFile(p + ".missing"); err == nil || !strings.Contains(err.Error(), "f.missing") {
		t.Errorf("HashFile(missing) = %v", err)
	}
}
