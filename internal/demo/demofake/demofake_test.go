package demofake

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
)

func TestOrgLoadsTheDemo(t *testing.T) {
	dir := t.TempDir()
	opts := demo.DefaultOptions()
	opts.Accounts, opts.Users, opts.Events = 3, 60, 0
	opts.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	out, err := demo.Generate(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	org, err := Org(dir)
	if err != nil {
		t.Fatal(err)
	}
	if org.ManagementAccountID != out.Accounts[0].AccountID {
		t.Errorf("management account %s, want the demo's first account %s", org.ManagementAccountID, out.Accounts[0].AccountID)
	}
	if len(org.Accounts) != len(out.Accounts) {
		t.Fatalf("%d accounts loaded, the demo has %d", len(org.Accounts), len(out.Accounts))
	}
	for i, a := range out.Accounts {
		got := org.Accounts[i]
		if got.ID != a.AccountID || got.CredentialReport == nil || !got.CredentialReport.GeneratedTime.Equal(a.ReportGeneratedAt) {
			t.Errorf("account %d: %s loaded, want %s generated at %s", i, got.ID, a.AccountID, a.ReportGeneratedAt)
		}
	}
}

func TestOrgErrors(t *testing.T) {
	write := func(content string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "ground-truth.json"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, tt := range []struct{ name, dir, want string }{
		{"not a demo directory", t.TempDir(), "ground-truth.json"},
		{"not JSON", write("{"), "parsing"},
		{"another schema", write(`{"schema_version":99,"accounts":[]}`), "schema_version 99"},
		{"no accounts", write(`{"schema_version":1,"accounts":[]}`), "lists no accounts"},
		{"account without files", write(`{"schema_version":1,"accounts":[{"account_id":"111111111111"}]}`), `accounts[0] ("111111111111") names no`},
		{"files missing", write(`{"schema_version":1,"accounts":[{"account_id":"111111111111","credential_report":"r.json","authorization_details":"d.json"}]}`), "r.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Org(tt.dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "loading the demo organization") {
				t.Errorf("Org: %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
