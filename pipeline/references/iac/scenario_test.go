package iac_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/dormant-iam/dormant/pipeline/references/codesearch"
	"github.com/dormant-iam/dormant/pipeline/references/iac"
	"github.com/dormant-iam/dormant/tables"
)

const (
	acct   = "111111111111"
	keyID  = "AKIAIOSFODNN7EXAMPLE"
	oldKey = "AKIAEXAMPLEOLDKEY001"
	secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// The scenario: seven users, each named in one place.
var users = []iac.User{
	{AccountID: acct, UserName: "tf-managed", UserID: "AIDAEXAMPLETFMANAGED1", ARN: "arn:aws:iam::" + acct + ":user/tf-managed"},
	{AccountID: acct, UserName: "tf-declared", UserID: "AIDAEXAMPLETFDECLARE1", ARN: "arn:aws:iam::" + acct + ":user/tf-declared"},
	{AccountID: acct, UserName: "deploy-bot", UserID: "AIDAEXAMPLEDEPLOYBOT1", ARN: "arn:aws:iam::" + acct + ":user/ci/deploy-bot"},
	{AccountID: acct, UserName: "svc-reports", UserID: "AIDAEXAMPLEREPORTS001", ARN: "arn:aws:iam::" + acct + ":user/svc-reports", AccessKeyIDs: []string{keyID}},
	{AccountID: acct, UserName: "dave", UserID: "AIDAEXAMPLEDAVE000001", ARN: "arn:aws:iam::" + acct + ":user/dave"},
	{AccountID: acct, UserName: "old-etl", UserID: "AIDAEXAMPLEOLDETL0001", ARN: "arn:aws:iam::" + acct + ":user/old-etl", AccessKeyIDs: []string{oldKey}},
	{AccountID: acct, UserName: "cfn-user", UserID: "AIDAEXAMPLECFNUSER001", ARN: "arn:aws:iam::" + acct + ":user/cfn-user",
		Tags: map[string]string{iac.TagStackName: "payments", iac.TagLogicalID: "UploaderUser"}},
}

var files = map[string]string{
	"infra/terraform.tfstate": `{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "x", "outputs": {},
  "resources": [{"module": "module.iam", "mode": "managed", "type": "aws_iam_user", "name": "managed", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
    "instances": [{"schema_version": 0, "attributes": {"name": "tf-managed", "unique_id": "AIDAEXAMPLETFMANAGED1", "arn": "arn:aws:iam::` + acct + `:user/tf-managed", "id": "tf-managed"}}]}]}`,
	"infra/users.tf":               "resource \"aws_iam_user\" \"declared\" {\n  name = \"tf-declared\"\n}\n",
	".github/workflows/deploy.yml": "jobs:\n  deploy:\n    steps:\n      - run: deploy --as arn:aws:iam::" + acct + ":user/ci/deploy-bot\n",
	"app/.env":                     "AWS_ACCESS_KEY_ID=" + keyID + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n",
	"docs/team.md":                 "Ask davey about the reports.\n",
}

func writeTree(t *testing.T, root string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// run searches roots for users, reads the IaC files the search collects,
// and returns every References row, rendered one a line.
func run(t *testing.T, roots []string, opts codesearch.Options) string {
	t.Helper()
	cands := make([]codesearch.Candidate, len(users))
	for i, u := range users {
		cands[i] = codesearch.Candidate{AccountID: u.AccountID, UserName: u.UserName, UserID: u.UserID, AccessKeyIDs: u.AccessKeyIDs, ARN: u.ARN}
	}
	var mu sync.Mutex
	var hits []codesearch.Hit
	var resources []iac.Resource
	opts.MaxFileSize = codesearch.DefaultMaxFileSize
	opts.Collect = func(s codesearch.Source) bool { return iac.IsStateFile(s.Path) || iac.IsConfigFile(s.Path) }
	opts.OnCollect = func(s codesearch.Source, open func(context.Context) (io.ReadCloser, error)) error {
		rc, err := open(context.Background())
		if err != nil {
			return err
		}
		defer rc.Close()
		var rs []iac.Resource
		if iac.IsStateFile(s.Path) {
			rs, err = iac.ReadState(s.String(), rc, iac.DefaultMaxStateSize)
		} else {
			var src []byte
			if src, err = io.ReadAll(io.LimitReader(rc, iac.DefaultMaxConfigSize)); err == nil {
				rs, err = iac.ReadConfig(s.String(), src)
			}
		}
		mu.Lock()
		resources = append(resources, rs...)
		mu.Unlock()
		return err
	}
	_, err := codesearch.Search(context.Background(), roots, cands, opts, func(h codesearch.Hit) error {
		hits = append(hits, h)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var rows []tables.Reference
	for _, h := range codesearch.DropHistoryDuplicates(hits) {
		rows = append(rows, h.Reference(cands[h.Candidate]))
	}
	for _, o := range iac.Match(users, resources) {
		rows = append(rows, o.Reference(users[o.User]))
	}
	var lines []string
	for _, r := range rows {
		lines = append(lines, fmt.Sprintf("%s %s | %s | %s | %s", r.UserName, r.Kind, r.Location, r.Match, r.ResourceARN))
	}
	slices.Sort(lines)
	out := strings.Join(lines, "\n") + "\n"
	if strings.Contains(out, secret) || strings.Contains(out, secret[:16]) {
		t.Errorf("a reference carries the secret access key:\n%s", out)
	}
	return out
}

func TestScenarioFiles(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root)
	// A repository where a key ID exists only in history.
	repoDir := filepath.Join(root, "legacy-etl")
	repo, err := git.PlainInit(repoDir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}
	os.WriteFile(filepath.Join(repoDir, "etl.cfg"), []byte("key = "+oldKey+"\n"), 0o644)
	wt.Add("etl.cfg")
	leaked, err := wt.Commit("add key", &git.CommitOptions{Author: sig})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(repoDir, "etl.cfg"), []byte("profile = etl\n"), 0o644)
	wt.Add("etl.cfg")
	if _, err := wt.Commit("drop key", &git.CommitOptions{Author: sig}); err != nil {
		t.Fatal(err)
	}

	got := run(t, []string{root}, codesearch.Options{History: true})
	r := root + string(filepath.Separator)
	want := strings.Join([]string{
		"cfn-user cloudformation | stack payments, logical ID UploaderUser | managed (tags aws:cloudformation:stack-name=payments); remove it in code: remove resource UploaderUser from CloudFormation stack payments and update the stack | ",
		"deploy-bot config | " + r + ".github/workflows/deploy.yml:4 (arn) | arn:aws:iam::111111111111:user/ci/deploy-bot | ",
		"old-etl config | " + repoDir + "@" + leaked.String() + ":etl.cfg:1 (access-key-id) | " + oldKey + " | ",
		"svc-reports config | " + r + "app/.env:1 (access-key-id) | " + keyID + " | ",
		"tf-declared terraform | " + r + "infra/users.tf:2 (name) | tf-declared | ",
		"tf-declared terraform | " + r + "infra/users.tf:1 aws_iam_user.declared | managed (aws_iam_user by name: the resource does not say its account; check it is this account's); remove it in code: remove aws_iam_user.declared (" + r + "infra/users.tf line 1) from the Terraform configuration and apply | ",
		"tf-managed terraform | " + r + "infra/terraform.tfstate module.iam.aws_iam_user.managed | managed (aws_iam_user by unique-id); remove it in code: remove module.iam.aws_iam_user.managed from the Terraform configuration that owns state " + r + "infra/terraform.tfstate and apply (or `terraform state rm module.iam.aws_iam_user.managed` to stop managing it) | ",
		"tf-managed terraform | " + r + "infra/terraform.tfstate:3 (arn) | arn:aws:iam::111111111111:user/tf-managed | ",
		"tf-managed terraform | " + r + "infra/terraform.tfstate:3 (name) | tf-managed | ",
		"tf-managed terraform | " + r + "infra/terraform.tfstate:3 (name) | tf-managed | ",
		"tf-managed terraform | " + r + "infra/terraform.tfstate:3 (unique-id) | AIDAEXAMPLETFMANAGED1 | ",
	}, "\n") + "\n"
	if want = sortLines(want); got != want {
		t.Errorf("references:\n%s\nwant:\n%s", got, want)
	}
}

func TestScenarioS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("org-configs"); err != nil {
		t.Fatal(err)
	}
	for k, v := range files {
		if _, err := backend.PutObject("org-configs", "repos/"+k, map[string]string{}, strings.NewReader(v), int64(len(v)), nil); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Credentials: aws.AnonymousCredentials{}})

	got := run(t, []string{"s3://org-configs/repos/"}, codesearch.Options{S3: client})
	b := "s3://org-configs/repos/"
	a := "arn:aws:s3:::org-configs/repos/"
	want := strings.Join([]string{
		"cfn-user cloudformation | stack payments, logical ID UploaderUser | managed (tags aws:cloudformation:stack-name=payments); remove it in code: remove resource UploaderUser from CloudFormation stack payments and update the stack | ",
		"deploy-bot config | " + b + ".github/workflows/deploy.yml:4 (arn) | arn:aws:iam::111111111111:user/ci/deploy-bot | " + a + ".github/workflows/deploy.yml",
		"svc-reports config | " + b + "app/.env:1 (access-key-id) | " + keyID + " | " + a + "app/.env",
		"tf-declared terraform | " + b + "infra/users.tf:2 (name) | tf-declared | " + a + "infra/users.tf",
		"tf-declared terraform | " + b + "infra/users.tf:1 aws_iam_user.declared | managed (aws_iam_user by name: the resource does not say its account; check it is this account's); remove it in code: remove aws_iam_user.declared (" + b + "infra/users.tf line 1) from the Terraform configuration and apply | ",
		"tf-managed terraform | " + b + "infra/terraform.tfstate module.iam.aws_iam_user.managed | managed (aws_iam_user by unique-id); remove it in code: remove module.iam.aws_iam_user.managed from the Terraform configuration that owns state " + b + "infra/terraform.tfstate and apply (or `terraform state rm module.iam.aws_iam_user.managed` to stop managing it) | " + a + "infra/terraform.tfstate",
		"tf-managed terraform | " + b + "infra/terraform.tfstate:3 (arn) | arn:aws:iam::111111111111:user/tf-managed | " + a + "infra/terraform.tfstate",
		"tf-managed terraform | " + b + "infra/terraform.tfstate:3 (name) | tf-managed | " + a + "infra/terraform.tfstate",
		"tf-managed terraform | " + b + "infra/terraform.tfstate:3 (name) | tf-managed | " + a + "infra/terraform.tfstate",
		"tf-managed terraform | " + b + "infra/terraform.tfstate:3 (unique-id) | AIDAEXAMPLETFMANAGED1 | " + a + "infra/terraform.tfstate",
	}, "\n") + "\n"
	if want = sortLines(want); got != want {
		t.Errorf("references:\n%s\nwant:\n%s", got, want)
	}
}

func sortLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}
