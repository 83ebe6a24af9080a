package references

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dormant-iam/dormant/pipeline/references/iac"
	"github.com/dormant-iam/dormant/tables"
)

const (
	codeAcct   = "111111111111"
	codeKey    = "AKIAIOSFODNN7EXAMPLE"
	codeOldKey = "AKIAEXAMPLEOLDKEY001"
	codeSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func codeUser(name, id string, tags ...tables.Tag) tables.User {
	return tables.User{AccountID: codeAcct, UserName: name, UserID: id, ARN: "arn:aws:iam::" + codeAcct + ":user/" + name, Tags: tags}
}

// TestCodeChecker: the tree, searched with history, gives each user
// its one reference; a Terraform file's own text does not repeat the
// ownership it proves, davey is not dave, and the secret next to a key ID is
// in no row.
func TestCodeChecker(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"infra/terraform.tfstate": `{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "x", "outputs": {},
  "resources": [{"mode": "managed", "type": "aws_iam_user", "name": "managed", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
    "instances": [{"schema_version": 0, "attributes": {"name": "tf-managed", "unique_id": "AIDAEXAMPLETFMANAGED1", "arn": "arn:aws:iam::` + codeAcct + `:user/tf-managed", "id": "tf-managed"}}]}]}`,
		"infra/users.tf":               "resource \"aws_iam_user\" \"declared\" {\n  name = \"tf-declared\"\n}\n",
		"infra/broken.tf":              "resource \"aws_iam_user\" {\n",
		".github/workflows/deploy.yml": "steps:\n  - run: deploy --as arn:aws:iam::" + codeAcct + ":user/deploy-bot\n",
		"app/.env":                     "AWS_ACCESS_KEY_ID=" + codeKey + "\nAWS_SECRET_ACCESS_KEY=" + codeSecret + "\n",
		"docs/team.md":                 "Ask davey about the reports.\n",
	}
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repoDir := filepath.Join(root, "legacy-etl")
	repo, err := git.PlainInit(repoDir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}
	commit := func(content string) string {
		if err := os.WriteFile(filepath.Join(repoDir, "etl.cfg"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		wt.Add("etl.cfg")
		h, err := wt.Commit("c", &git.CommitOptions{Author: sig})
		if err != nil {
			t.Fatal(err)
		}
		return h.String()
	}
	leaked := commit("key = " + codeOldKey + "\n")
	commit("profile = etl\n")

	users := []tables.User{
		codeUser("tf-managed", "AIDAEXAMPLETFMANAGED1"),
		codeUser("tf-declared", "AIDAEXAMPLETFDECLARE1"),
		codeUser("deploy-bot", "AIDAEXAMPLEDEPLOYBOT1"),
		codeUser("svc-reports", "AIDAEXAMPLEREPORTS001"),
		codeUser("dave", "AIDAEXAMPLEDAVE000001"),
		codeUser("old-etl", "AIDAEXAMPLEOLDETL0001"),
		codeUser("cfn-user", "AIDAEXAMPLECFNUSER001", tables.Tag{Key: iac.TagStackName, Value: "payments"}, tables.Tag{Key: iac.TagLogicalID, Value: "UploaderUser"}),
		codeUser("busy", "AIDAEXAMPLEBUSY000001"),
	}
	c := &CodeChecker{
		Roots: []string{root}, History: true, Users: users,
		AccessKeys: []tables.AccessKey{
			{AccountID: codeAcct, UserName: "svc-reports", AccessKeyID: codeKey},
			{AccountID: codeAcct, UserName: "old-etl", AccessKeyID: codeOldKey},
		},
	}
	refs, unchecked, err := c.Check(context.Background(), users[:7])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		_, owns := r.IaCChange()
		got = append(got, fmt.Sprintf("%s %s owns=%v %s", r.UserName, r.Kind, owns, r.Location))
		if strings.Contains(fmt.Sprint(r), codeSecret[:16]) {
			t.Errorf("a reference carries the secret: %+v", r)
		}
	}
	slices.Sort(got)
	r := root + string(filepath.Separator)
	want := []string{
		"cfn-user cloudformation owns=true stack payments, logical ID UploaderUser",
		"deploy-bot config owns=false " + r + ".github/workflows/deploy.yml:2 (arn)",
		"old-etl config owns=false " + repoDir + "@" + leaked + ":etl.cfg:1 (access-key-id)",
		"svc-reports config owns=false " + r + "app/.env:1 (access-key-id)",
		"tf-declared terraform owns=true " + r + "infra/users.tf:1 aws_iam_user.declared",
		"tf-managed terraform owns=true " + r + "infra/terraform.tfstate aws_iam_user.managed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("references:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(unchecked) != 1 || !strings.HasSuffix(unchecked[0].ResourceARN, "broken.tf") {
		t.Errorf("the .tf that does not parse must be reported unchecked: %+v", unchecked)
	}
	if c.Stats.Files == 0 {
		t.Error("no search statistics kept")
	}
}

// TestCodeCheckerStateGiven: a state given with --terraform-state (outside
// any searched tree) owns its user; one that cannot be read fails the check,
// since the user asked for it.
func TestCodeCheckerStateGiven(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "prod.tfstate")
	os.WriteFile(state, []byte(`{"version": 4, "resources": [{"mode": "managed", "type": "aws_iam_access_key", "name": "k",
  "instances": [{"attributes": {"id": "`+codeKey+`", "user": "svc-reports"}}]}]}`), 0o644)
	users := []tables.User{codeUser("svc-reports", "AIDAEXAMPLEREPORTS001")}
	c := &CodeChecker{TerraformState: []string{state}, Users: users,
		AccessKeys: []tables.AccessKey{{AccountID: codeAcct, UserName: "svc-reports", AccessKeyID: codeKey}}}
	refs, _, err := c.Check(context.Background(), users)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].Kind != tables.RefKindTerraform || !strings.Contains(refs[0].Location, "aws_iam_access_key.k") {
		t.Fatalf("refs = %+v", refs)
	}
	if ch, ok := refs[0].IaCChange(); !ok || !strings.Contains(ch, "aws_iam_access_key.k") {
		t.Errorf("change = %q, %v", ch, ok)
	}
	c.TerraformState = []string{filepath.Join(dir, "missing.tfstate")}
	if _, _, err := c.Check(context.Background(), users); err == nil || !strings.Contains(err.Error(), "missing.tfstate") {
		t.Errorf("a state that cannot be read must fail the check naming it: %v", err)
	}
}

// A Terraform state that owns a user and also copies one of its access key
// IDs into another resource (a parameter an application reads) keeps that
// hit: the key ID is not the ownership's own text unless the state manages
// that key, and the hit is what sends the user to review.
func TestCodeCheckerKeyIDBesideOwnership(t *testing.T) {
	root := t.TempDir()
	state := `{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "x", "outputs": {},
  "resources": [
    {"mode": "managed", "type": "aws_iam_user", "name": "svc", "instances": [{"attributes": {"name": "svc-reports", "unique_id": "AIDAEXAMPLEREPORTS001", "arn": "arn:aws:iam::` + codeAcct + `:user/svc-reports", "id": "svc-reports"}}]},
    {"mode": "managed", "type": "aws_ssm_parameter", "name": "key", "instances": [{"attributes": {"name": "/app/aws-key-id", "value": "` + codeKey + `"}}]}
  ]}`
	if err := os.WriteFile(filepath.Join(root, "terraform.tfstate"), []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}
	users := []tables.User{codeUser("svc-reports", "AIDAEXAMPLEREPORTS001")}
	c := &CodeChecker{Roots: []string{root}, Users: users,
		AccessKeys: []tables.AccessKey{{AccountID: codeAcct, UserName: "svc-reports", AccessKeyID: codeKey}}}
	refs, _, err := c.Check(context.Background(), users)
	if err != nil {
		t.Fatal(err)
	}
	var owns, keyHit bool
	for _, r := range refs {
		if _, ok := r.IaCChange(); ok {
			owns = true
		} else if strings.Contains(r.Location, "(access-key-id)") {
			keyHit = true
		}
	}
	if !owns || !keyHit {
		t.Errorf("want the ownership and the key ID hit, got %+v", refs)
	}
}
