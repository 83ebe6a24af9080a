package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

const (
	remMgmt   = "111111111111"
	remMember = "222222222222"
)

// remediateFinding describes a fake user as an inactive finding.
func remediateFinding(acct string, u *awsfake.User, decision string, asOf time.Time) tables.Finding {
	f := tables.Finding{
		AccountID: acct, UserName: u.Name, UserID: u.UserID, ARN: u.ARN(acct), Path: u.Path, CreateDate: u.CreateDate,
		PasswordEnabled: u.LoginProfile != nil, PasswordState: tables.PasswordNA, Status: tables.StatusInactive, Decision: decision,
		InCredentialReport: true, InAuthorizationDetails: true, ReportGeneratedAt: asOf, DaysInactive: 400,
		Reasons: []string{"inactive for the test"},
	}
	if len(u.AccessKeys) > 0 {
		f.Key1Active, f.Key1LastRotated = true, u.AccessKeys[0].CreateDate
	}
	return f
}

func writeRemediateManifest(t *testing.T, path string, asOf time.Time, findings ...tables.Finding) {
	t.Helper()
	m, err := manifest.Build(manifest.Input{RunID: "run-cmd", GeneratedAt: asOf, AsOf: asOf, WindowDays: 90, DeleteAfterDays: 365, Findings: findings})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
}

func TestRemediateCommand(t *testing.T) {
	asOf := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	old := asOf.AddDate(-2, 0, 0)
	org := awsfake.NewOrg(remMgmt)
	member := org.AddAccount(remMember)
	member.AddRole("OrganizationAccountAccessRole")
	alice := org.Account(remMgmt).AddUser("alice", awsfake.UserCreated(old))
	alice.SetPassword(old, &old)
	alice.AddAccessKey(awsfake.KeyCreated(old), awsfake.KeyLastUsed(old, "us-east-1", "s3"))
	bob := member.AddUser("bob", awsfake.UserCreated(old), awsfake.UserTag("team", "payments"))
	bob.AddToGroup("developers")
	bob.PutInlinePolicy("read", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	carol := org.Account(remMgmt).AddUser("carol", awsfake.UserCreated(old))
	used := asOf.Add(time.Hour) // used after the manifest
	carol.AddAccessKey(awsfake.KeyCreated(old), awsfake.KeyLastUsed(used, "us-east-1", "ec2"))
	srv := awsfake.New(org)
	t.Cleanup(srv.Close)
	if err := srv.Err(); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	creds := org.CallerCredentials()
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_IAM", "")
	t.Setenv("AWS_ENDPOINT_URL_STS", "")

	good := filepath.Join(dir, "good.json")
	writeRemediateManifest(t, good, asOf,
		remediateFinding(remMgmt, alice, tables.DecisionDeactivate, asOf),
		remediateFinding(remMember, bob, tables.DecisionDelete, asOf))
	skip := filepath.Join(dir, "skip.json")
	writeRemediateManifest(t, skip, asOf, remediateFinding(remMgmt, carol, tables.DecisionDelete, asOf))
	tampered := filepath.Join(dir, "tampered.json")
	data, _ := os.ReadFile(good)
	if err := os.WriteFile(tampered, bytes.Replace(data, []byte("inactive for the test"), []byte("edited"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	backups := filepath.Join(dir, "backups")
	journal := filepath.Join(dir, "journal.jsonl")
	aws := []string{"--endpoint-url", srv.URL(), "--role-name", "OrganizationAccountAccessRole", "--log-level", "warn"}

	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := realMain(context.Background(), args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	steps := []struct {
		name      string
		args      []string
		code      int
		stdout    string // substring
		stderr    string // substring
		mutations bool   // whether the step may change AWS
	}{
		{"no manifest", []string{"remediate"}, exitUsage, "", "--manifest is required", false},
		{"bad mode", append([]string{"remediate", "--manifest", good, "--mode", "purge"}, aws...), exitUsage, "", `mode "purge"`, false},
		{"bad only", append([]string{"remediate", "--manifest", good, "--only", remMgmt + "/nobody"}, aws...), exitUsage, "", "no such entry", false},
		{"help", []string{"remediate", "-h"}, exitOK, "Exit status:\n  0  every entry was done", "", false},
		{"dry run", append([]string{"remediate", "--manifest", good}, aws...), exitOK, "summary: 2 planned", "", false},
		{"tampered", append([]string{"remediate", "--manifest", tampered}, aws...), exitError, "", "digest does not match", false},
		{"tampered, allowed", append([]string{"remediate", "--manifest", tampered, "--allow-edited"}, aws...), exitOK, "WARNING", "", false},
		{"max age", append([]string{"remediate", "--manifest", good, "--max-age", "1d"}, aws...), exitError, "", "older than the maximum age 1d", false},
		{"skipped", append([]string{"remediate", "--manifest", skip, "--apply", "--journal", filepath.Join(dir, "skip.jsonl")}, aws...), exitSkipped, "after the manifest's as-of", "1 skipped of 1 entries", false},
		{"no role for the member account", []string{"remediate", "--manifest", good, "--apply", "--endpoint-url", srv.URL(), "--only", remMember + "/bob",
			"--journal", filepath.Join(dir, "norole.jsonl"), "--backup-dir", filepath.Join(dir, "norole")}, exitError, "pass --role-name", "1 failed", false},
		{"apply", append([]string{"remediate", "--manifest", good, "--apply", "--backup-dir", backups, "--journal", journal, "--concurrency", "2"}, aws...), exitOK, "summary: 2 done", "", true},
		{"re-run", append([]string{"remediate", "--manifest", good, "--apply", "--backup-dir", backups, "--journal", journal}, aws...), exitOK, "summary: 2 already done", "", false},
		{"restore dry run", append([]string{"restore", "--backup", filepath.Join(backups, remMember, "bob.json"), "--journal", journal}, aws...), exitOK, "would be re-created", "", false},
		{"restore", append([]string{"restore", "--backup", filepath.Join(backups, remMember, "bob.json"), "--journal", journal, "--apply"}, aws...), exitOK, "NEW unique ID", "", true},
		{"restore without backup", []string{"restore"}, exitUsage, "", "--backup is required", false},
	}
	for _, s := range steps {
		before := srv.MutatingCalls()
		code, stdout, stderr := run(s.args...)
		if code != s.code || !strings.Contains(stdout, s.stdout) || !strings.Contains(stderr, s.stderr) {
			t.Errorf("%s: exit %d, want %d; stdout wants %q, stderr wants %q\nstdout:\n%s\nstderr:\n%s", s.name, code, s.code, s.stdout, s.stderr, stdout, stderr)
		}
		if n := srv.MutatingCalls() - before; !s.mutations && n != 0 {
			t.Errorf("%s: made %d mutating calls", s.name, n)
		}
		switch s.name {
		case "apply":
			var aliceLogin bool
			var aliceTag string
			var bobGone bool
			srv.Do(func(o *awsfake.Org) {
				a := o.Account(remMgmt).User("alice")
				aliceLogin, aliceTag = a.LoginProfile != nil, ""
				if v, ok := a.Tag(manifest.TagDeactivated); ok {
					aliceTag = v
				}
				bobGone = o.Account(remMember).User("bob") == nil
			})
			if aliceLogin || aliceTag == "" || !bobGone {
				t.Errorf("after apply: alice login %v tag %q, bob gone %v", aliceLogin, aliceTag, bobGone)
			}
			for _, p := range []string{filepath.Join(backups, remMgmt, "alice.json"), filepath.Join(backups, remMember, "bob.json"), journal} {
				if _, err := os.Stat(p); err != nil {
					t.Errorf("after apply: %v", err)
				}
			}
		case "restore":
			var groups []string
			srv.Do(func(o *awsfake.Org) {
				if u := o.Account(remMember).User("bob"); u != nil {
					groups = u.Groups
				}
			})
			if len(groups) != 1 || groups[0] != "developers" {
				t.Errorf("restored bob's groups = %v", groups)
			}
		}
	}
}
