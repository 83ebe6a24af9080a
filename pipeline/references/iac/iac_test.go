package iac

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

func render(rs []Resource) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %s line=%d %s name=%q expr=%q id=%q arn=%q key=%q deposed=%v\n", r.Kind, r.Address, r.Line, r.Type, r.UserName, r.NameExpr, r.UserID, r.ARN, r.AccessKeyID, r.Deposed)
	}
	return b.String()
}

func TestReadState(t *testing.T) {
	rs, err := ReadStateFile("testdata/terraform.tfstate", DefaultMaxStateSize)
	if err != nil {
		t.Fatal(err)
	}
	got := render(rs)
	want := `terraform-state module.service_users.aws_iam_user.this["reports"] line=0 aws_iam_user name="svc-reports" expr="" id="AIDAEXAMPLEREPORTS001" arn="arn:aws:iam::111111111111:user/svc/svc-reports" key="" deposed=false
terraform-state module.service_users.aws_iam_user.this["etl"] line=0 aws_iam_user name="svc-etl" expr="" id="AIDAEXAMPLEETL0000001" arn="arn:aws:iam::222222222222:user/svc/svc-etl" key="" deposed=false
terraform-state aws_iam_access_key.ci[0] line=0 aws_iam_access_key name="ci-runner" expr="" id="" arn="" key="AKIAEXAMPLECIKEY0001" deposed=false
terraform-state aws_iam_group_membership.admins line=0 aws_iam_group_membership name="alice" expr="" id="" arn="" key="" deposed=false
terraform-state aws_iam_group_membership.admins line=0 aws_iam_group_membership name="bob" expr="" id="" arn="" key="" deposed=false
terraform-state aws_iam_user_login_profile.old line=0 aws_iam_user_login_profile name="frank" expr="" id="" arn="" key="" deposed=true
`
	if got != want {
		t.Errorf("resources:\n%s\nwant:\n%s", got, want)
	}
	for _, r := range rs {
		if r.File != "testdata/terraform.tfstate" {
			t.Errorf("%s: file %q", r.Address, r.File)
		}
	}
}

func TestReadStateBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, content string
		limit         int64
		want          string
	}{
		{"v3.tfstate", `{"version": 3, "modules": []}`, 1 << 20, "format version 3 is from Terraform 0.11"},
		{"v5.tfstate", `{"version": 5, "resources": []}`, 1 << 20, "newer than the version 4"},
		{"garbage.tfstate", `{"version": 4, "resources": [ {"type": `, 1 << 20, "reading resource 0"},
		{"list.tfstate", `[1, 2]`, 1 << 20, "not an object"},
		{"noversion.tfstate", `{"resources": []}`, 1 << 20, "no \"version\""},
		{"big.tfstate", `{"version": 4, "resources": [` + strings.Repeat(`{"mode":"managed","type":"x","name":"y","instances":[]},`, 100) + `{}]}`, 1000, "larger than 1000 bytes"},
		{"badkey.tfstate", `{"version": 4, "resources": [{"mode":"managed","type":"aws_iam_user","name":"u","instances":[{"index_key": true, "attributes": {}}]}]}`, 1 << 20, "neither a number nor a string"},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadStateFile(p, c.limit)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want one naming the file and saying %q", c.name, err, c.want)
		}
	}
	// Exactly at the bound is within it.
	p := filepath.Join(dir, "exact.tfstate")
	content := `{"version": 4, "resources": []}`
	os.WriteFile(p, []byte(content), 0o644)
	if _, err := ReadStateFile(p, int64(len(content))); err != nil {
		t.Errorf("a state exactly at the bound: %v", err)
	}
}

func TestReadConfig(t *testing.T) {
	rs, err := ReadConfigFile("testdata/users.tf", DefaultMaxConfigSize)
	if err != nil {
		t.Fatal(err)
	}
	got := render(rs)
	want := `terraform-config aws_iam_user.legacy line=5 aws_iam_user name="legacy-uploader" expr="" id="" arn="" key="" deposed=false
terraform-config aws_iam_user.computed line=10 aws_iam_user name="" expr="\"${var.prefix}-deployer\"" id="" arn="" key="" deposed=false
terraform-config aws_iam_group_membership.ops line=14 aws_iam_group_membership name="erin" expr="" id="" arn="" key="" deposed=false
terraform-config aws_iam_group_membership.ops line=14 aws_iam_group_membership name="" expr="aws_iam_user.legacy.name" id="" arn="" key="" deposed=false
terraform-config aws_iam_user_policy_attachment.legacy_ro line=20 aws_iam_user_policy_attachment name="legacy-uploader" expr="" id="" arn="" key="" deposed=false
`
	if got != want {
		t.Errorf("resources:\n%s\nwant:\n%s", got, want)
	}

	_, err = ReadConfig("broken.tf", []byte("resource \"aws_iam_user\" \"x\" {\n  name = \n"))
	if err == nil || !strings.Contains(err.Error(), "broken.tf:") {
		t.Errorf("syntax error: err = %v, want one naming broken.tf and the line", err)
	}
	p := filepath.Join(t.TempDir(), "huge.tf")
	os.WriteFile(p, []byte(strings.Repeat("# x\n", 100)), 0o644)
	if _, err := ReadConfigFile(p, 100); err == nil || !strings.Contains(err.Error(), "larger than 100 bytes") {
		t.Errorf("huge file: err = %v", err)
	}
}

func TestMatch(t *testing.T) {
	state, err := ReadStateFile("testdata/terraform.tfstate", DefaultMaxStateSize)
	if err != nil {
		t.Fatal(err)
	}
	config, err := ReadConfigFile("testdata/users.tf", DefaultMaxConfigSize)
	if err != nil {
		t.Fatal(err)
	}
	users := []User{
		{AccountID: "111111111111", UserName: "svc-reports", UserID: "AIDAEXAMPLEREPORTS001", ARN: "arn:aws:iam::111111111111:user/svc/svc-reports"},
		{AccountID: "111111111111", UserName: "svc-etl", UserID: "AIDAEXAMPLEETLOTHER01"}, // same name, the state's is account 2222
		{AccountID: "111111111111", UserName: "Legacy-Uploader"},
		{AccountID: "111111111111", UserName: "ci-runner", AccessKeyIDs: []string{"AKIAEXAMPLECIKEY0001"}},
		{AccountID: "111111111111", UserName: "stack-user", Tags: map[string]string{TagStackName: "payments", TagLogicalID: "UploaderUser", "team": "pay"}},
		{AccountID: "111111111111", UserName: "carol", UserID: "AIDAEXAMPLECAROL00001"},   // only a data source reads her
		{AccountID: "222222222222", UserName: "svc-etl", UserID: "AIDAEXAMPLEETLNEW0001"}, // re-created since the state
	}
	var b strings.Builder
	for _, o := range Match(users, append(state, config...)) {
		fmt.Fprintf(&b, "%s %s %s %s by=%s note=%q\n", users[o.User].UserName, o.Kind, o.Address, o.File, o.MatchedBy, o.Note)
	}
	want := `svc-reports terraform-state module.service_users.aws_iam_user.this["reports"] testdata/terraform.tfstate by=unique-id note=""
Legacy-Uploader terraform-config aws_iam_user.legacy testdata/users.tf by=name note="the resource does not say its account; check it is this account's"
Legacy-Uploader terraform-config aws_iam_user_policy_attachment.legacy_ro testdata/users.tf by=name note="the resource does not say its account; check it is this account's"
ci-runner terraform-state aws_iam_access_key.ci[0] testdata/terraform.tfstate by=access-key-id note=""
stack-user cloudformation payments/UploaderUser  by=tags note=""
svc-etl terraform-state module.service_users.aws_iam_user.this["etl"] testdata/terraform.tfstate by=name-and-account note="the state records unique ID AIDAEXAMPLEETL0000001, the user has AIDAEXAMPLEETLNEW0001: the user was re-created since the state was written, and Terraform still manages it by name"
`
	if got := b.String(); got != want {
		t.Errorf("ownerships:\n%s\nwant:\n%s", got, want)
	}
}

func TestChange(t *testing.T) {
	o := Ownership{Kind: KindCloudFormation, Stack: "payments", LogicalID: "UploaderUser"}
	if got := o.Change(); got != "remove resource UploaderUser from CloudFormation stack payments and update the stack" {
		t.Errorf("change %q", got)
	}
	if _, _, ok := CloudFormationOwner(map[string]string{"team": "x"}); ok {
		t.Error("a user without CloudFormation tags is owned by a stack")
	}
	if s, _, ok := CloudFormationOwner(map[string]string{TagStackID: "arn:aws:cloudformation:us-east-1:111111111111:stack/p/1"}); !ok || s == "" {
		t.Error("the stack ID tag alone does not name the stack")
	}
}

func TestFromTables(t *testing.T) {
	u := FromTables(tables.User{AccountID: "111111111111", UserName: "cfn-user", UserID: "AIDAEXAMPLECFNUSER001",
		Tags: []tables.Tag{{Key: TagStackName, Value: "payments"}, {Key: TagLogicalID, Value: "UploaderUser"}}}, []string{"AKIAEXAMPLECFNKEY001"})
	os := Match([]User{u}, nil)
	if len(os) != 1 || os[0].Stack != "payments" || os[0].LogicalID != "UploaderUser" || os[0].Reference(u).Kind != RefCloudFormation {
		t.Errorf("ownerships %+v", os)
	}
}
