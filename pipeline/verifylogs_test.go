package pipeline_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
)

// Issue 14 item 3: `verify --logs` on a demo run. The logs are copied to
// another folder first (the auditor's copy: the bundle's absolute paths
// are the run machine's), so files are matched by their AWSLogs/ key. The
// untouched copy verifies and the activity and coverage recomputed from it
// agree with the bundle's; deleting a listed log file, editing one, and
// adding one the run did not read each fail, naming the file.
func TestVerifyLogs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o := smallDemo(t)
	o.Users, o.Events, o.WindowDays = 30, 2000, 30
	src, err := demo.Generate(ctx, filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Config{
		CredentialReports: src.CredentialReports, AuthorizationDetails: src.AuthorizationDetails,
		CloudTrail: src.CloudTrail, AsOf: o.AsOf, WindowDays: o.WindowDays, Out: filepath.Join(dir, "out"), Logger: quiet,
	}
	res, err := pipeline.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	day := o.AsOf.AddDate(0, 0, -5).Format("2006/01/02")
	acct := src.Accounts[0].AccountID

	// verifyCopy copies the logs, damages the copy, and verifies against it.
	verifyCopy := func(t *testing.T, damage func(root string) string) (*pipeline.Verification, string) {
		t.Helper()
		root := filepath.Join(t.TempDir(), "auditor")
		if err := os.CopyFS(root, os.DirFS(src.CloudTrail)); err != nil {
			t.Fatal(err)
		}
		named := damage(root)
		v, err := pipeline.Verify(ctx, res.Out)
		if err != nil {
			t.Fatal(err)
		}
		if !v.OK() {
			t.Fatalf("the bundle does not verify before --logs:\n%s", strings.Join(v.Problems, "\n"))
		}
		if err := pipeline.VerifyLogs(ctx, v, pipeline.VerifyLogsOptions{Logs: root, Logger: quiet}); err != nil {
			t.Fatal(err)
		}
		return v, named
	}
	oneLog := func(t *testing.T, root string) (path, key string) {
		t.Helper()
		logs, _ := filepath.Glob(filepath.Join(root, "AWSLogs", acct, "CloudTrail", "*", day, "*.json.gz"))
		if len(logs) == 0 {
			t.Fatalf("no log file of account %s on %s", acct, day)
		}
		rel, err := filepath.Rel(root, logs[0])
		if err != nil {
			t.Fatal(err)
		}
		return logs[0], filepath.ToSlash(rel)
	}
	wantNamed := func(t *testing.T, v *pipeline.Verification, key, what string) {
		t.Helper()
		if v.OK() {
			t.Fatalf("%s: verify --logs passes", what)
		}
		for _, p := range v.Problems {
			if strings.Contains(p, key) {
				return
			}
		}
		t.Errorf("%s: no problem names %s:\n%s", what, key, strings.Join(v.Problems, "\n"))
	}

	t.Run("untouched", func(t *testing.T) {
		v, _ := verifyCopy(t, func(string) string { return "" })
		if !v.OK() {
			t.Fatalf("untouched logs do not verify:\n%s", strings.Join(v.Problems, "\n"))
		}
		checked := strings.Join(v.Checked, "\n")
		for _, want := range []string{"re-hashed from", "activity and coverage recomputed from"} {
			if !strings.Contains(checked, want) {
				t.Errorf("checked does not say %q:\n%s", want, checked)
			}
		}
	})
	t.Run("log file deleted", func(t *testing.T) {
		v, key := verifyCopy(t, func(root string) string {
			p, key := oneLog(t, root)
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			return key
		})
		wantNamed(t, v, key+" is missing from", "deleted log file")
	})
	t.Run("log file edited", func(t *testing.T) {
		v, key := verifyCopy(t, func(root string) string {
			p, key := oneLog(t, root)
			rewriteGzip(t, p, func(b []byte) []byte { return bytes.Replace(b, []byte(`"eventName":"`), []byte(`"eventName":"X`), 1) })
			return key
		})
		wantNamed(t, v, key+" was changed", "edited log file")
	})
	t.Run("unlisted file added", func(t *testing.T) {
		v, key := verifyCopy(t, func(root string) string {
			p, key := oneLog(t, root)
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			extra := strings.Replace(p, ".json.gz", "_extra.json.gz", 1)
			if err := os.WriteFile(extra, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			return strings.Replace(key, ".json.gz", "_extra.json.gz", 1)
		})
		wantNamed(t, v, key+" is in the window's folders", "added log file")
	})
	t.Run("bundle without a log files table", func(t *testing.T) {
		bundle := filepath.Join(t.TempDir(), "bundle")
		if err := os.CopyFS(bundle, os.DirFS(res.Out)); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(bundle, filepath.FromSlash(pipeline.LogFilesTable))); err != nil {
			t.Fatal(err)
		}
		v := &pipeline.Verification{Dir: bundle}
		if err := pipeline.VerifyLogs(ctx, v, pipeline.VerifyLogsOptions{Logs: src.CloudTrail, Logger: quiet}); err != nil {
			t.Fatal(err)
		}
		if len(v.Problems) != 1 || !strings.Contains(v.Problems[0], pipeline.LogFilesTable+": the bundle has none") {
			t.Errorf("want the one problem that the table is missing, got:\n%s", strings.Join(v.Problems, "\n"))
		}
	})
}

// rewriteGzip rewrites a .json.gz file's text with edit.
func rewriteGzip(t *testing.T, path string, edit func([]byte) []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if _, err := text.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	changed := edit(text.Bytes())
	if bytes.Equal(changed, text.Bytes()) {
		t.Fatalf("the edit changed nothing in %s", path)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(changed)
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
