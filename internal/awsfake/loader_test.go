package awsfake

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/dormant-iam/dormant/internal/demo"
	inv "github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/tables"
)

// smallDemo generates a demo organization once per test binary run.
func smallDemo(t *testing.T, accounts int) (string, *demo.Output) {
	t.Helper()
	dir := t.TempDir()
	opts := demo.DefaultOptions()
	opts.Accounts, opts.Users, opts.Events = accounts, 30*accounts, 0
	opts.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	out, err := demo.Generate(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return dir, out
}

// demoOrg loads the demo's files the way any caller hands them over: plain
// paths and generation times (internal/demo/demofake does the same from
// the directory alone).
func demoOrg(t *testing.T, dir string, out *demo.Output) *Org {
	t.Helper()
	exports := make([]AccountExport, len(out.Accounts))
	for i, a := range out.Accounts {
		exports[i] = AccountExport{
			CredentialReport:     filepath.Join(dir, filepath.FromSlash(a.CredentialReport)),
			AuthorizationDetails: filepath.Join(dir, filepath.FromSlash(a.AuthorizationDetails)),
			ReportGeneratedAt:    a.ReportGeneratedAt,
		}
	}
	org, err := FromFiles(out.Accounts[0].AccountID, exports)
	if err != nil {
		t.Fatal(err)
	}
	return org
}

// pageJSON is a GetAccountAuthorizationDetails page as JSON in the API's
// member names, as the live inventory stores it.
func pageJSON(t *testing.T, out *iam.GetAccountAuthorizationDetailsOutput) []byte {
	t.Helper()
	b, err := json.Marshal(struct {
		UserDetailList  []types.UserDetail
		GroupDetailList []types.GroupDetail
		RoleDetailList  []types.RoleDetail
		Policies        []types.ManagedPolicyDetail
		IsTruncated     bool
		Marker          *string
	}{out.UserDetailList, out.GroupDetailList, out.RoleDetailList, out.Policies, out.IsTruncated, out.Marker})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFromFilesServesTheFiles checks the loader's promise: for every account,
// the credential report the fake returns is the file's CSV byte for byte,
// and the authorization details it pages out parse to what the file parses
// to, so the inventory built from either is the same.
func TestFromFilesServesTheFiles(t *testing.T) {
	dir, out := smallDemo(t, 4)
	org := demoOrg(t, dir, out)
	if got, want := len(org.Accounts), len(out.Accounts); got != want {
		t.Fatalf("loaded %d accounts, the demo has %d", got, want)
	}
	if org.ManagementAccountID != out.Accounts[0].AccountID {
		t.Fatalf("management account %s, want the demo's first account %s", org.ManagementAccountID, out.Accounts[0].AccountID)
	}
	s := start(t, org, WithPageSize(7))
	ctx := context.Background()
	caller := org.CallerCredentials()

	fileInv, err := inv.LoadFiles(ctx, out.CredentialReports, out.AuthorizationDetails)
	if err != nil {
		t.Fatal(err)
	}
	var reports []*inv.CredentialReport
	var pages []*inv.AuthorizationDetails
	for i, info := range out.Accounts {
		creds := caller
		if info.AccountID != org.ManagementAccountID {
			if creds, err = s.AssumeRole(ctx, caller, "arn:aws:iam::"+info.AccountID+":role/OrganizationAccountAccessRole", ""); err != nil {
				t.Fatalf("account %s: %v", info.AccountID, err)
			}
		}
		client := s.IAMClient(creds)

		// The seeded report is complete: no generation needed.
		rep, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		if err != nil {
			t.Fatalf("account %s: %v", info.AccountID, err)
		}
		fileRep := fileInv.Reports[i]
		if !bytes.Equal(rep.Content, fileRep.CSV) {
			t.Errorf("account %s: served report differs from %s", info.AccountID, fileRep.Name)
		}
		if !aws.ToTime(rep.GeneratedTime).Equal(fileRep.GeneratedAt) {
			t.Errorf("account %s: GeneratedTime %s, file says %s", info.AccountID, aws.ToTime(rep.GeneratedTime), fileRep.GeneratedAt)
		}
		parsed, err := inv.ParseCredentialReport(fileRep.Name, rep.Content)
		if err != nil {
			t.Fatal(err)
		}
		parsed.GeneratedAt = aws.ToTime(rep.GeneratedTime)
		reports = append(reports, parsed)

		var acctPages []*inv.AuthorizationDetails
		p := iam.NewGetAccountAuthorizationDetailsPaginator(client, &iam.GetAccountAuthorizationDetailsInput{})
		for p.HasMorePages() {
			pg, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("account %s: %v", info.AccountID, err)
			}
			d, err := inv.ParseAuthorizationDetails(fmt.Sprintf("%s page %d", info.AccountID, len(acctPages)+1), pageJSON(t, pg))
			if err != nil {
				t.Fatal(err)
			}
			acctPages = append(acctPages, d)
		}
		if len(acctPages) < 2 {
			t.Errorf("account %s: %d page(s); page size 7 should split the details", info.AccountID, len(acctPages))
		}
		merged, err := inv.MergeAuthorizationDetails(acctPages...)
		if err != nil {
			t.Fatal(err)
		}
		compareDetails(t, info.AccountID, merged, fileInv.Details[i])
		// A last page holding only AWS managed policies names no account,
		// so Build would drop it: give Build the merged pages.
		pages = append(pages, merged)
	}

	users, policies, err := inv.Build(reports, pages)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(withoutSource(users), withoutSource(fileInv.Users)) {
		t.Errorf("inventory from the fake differs from the files:\n%s", firstDiff(withoutSource(users), withoutSource(fileInv.Users)))
	}
	if !reflect.DeepEqual(policies, fileInv.Policies) {
		t.Errorf("policies from the fake differ from the files:\n%s", firstDiff(policies, fileInv.Policies))
	}
}

// compareDetails compares the entities of two parsed exports, ignoring
// order and file names. The permissions boundary type is not compared: the
// fake always answers IAM's PermissionsBoundaryPolicy, and the inventory
// reads only the ARN. AWS managed policies are compared by ARN only: their
// attachment counts are IAM's to compute. The role the test assumed has a
// new last-used date, as in IAM.
func compareDetails(t *testing.T, acct string, got, want *inv.AuthorizationDetails) {
	t.Helper()
	norm := func(d *inv.AuthorizationDetails) inv.AuthorizationDetails {
		c := *d
		c.Name = ""
		c.Users = slices.Clone(c.Users)
		for i := range c.Users {
			if b := c.Users[i].PermissionsBoundary; b != nil {
				c.Users[i].PermissionsBoundary = &inv.AttachedPermissionsBoundary{PermissionsBoundaryArn: b.PermissionsBoundaryArn}
			}
		}
		c.Roles = slices.Clone(c.Roles)
		for i := range c.Roles {
			if c.Roles[i].RoleName == "OrganizationAccountAccessRole" {
				c.Roles[i].RoleLastUsed = nil // the test's AssumeRole just used it
			}
			if b := c.Roles[i].PermissionsBoundary; b != nil {
				c.Roles[i].PermissionsBoundary = &inv.AttachedPermissionsBoundary{PermissionsBoundaryArn: b.PermissionsBoundaryArn}
			}
		}
		c.Policies = slices.Clone(c.Policies)
		for i, p := range c.Policies {
			if p.AWSManaged() {
				c.Policies[i] = inv.ManagedPolicyDetail{Arn: p.Arn}
			}
		}
		slices.SortFunc(c.Users, func(a, b inv.UserDetail) int { return strings.Compare(a.Arn, b.Arn) })
		slices.SortFunc(c.Groups, func(a, b inv.GroupDetail) int { return strings.Compare(a.Arn, b.Arn) })
		slices.SortFunc(c.Roles, func(a, b inv.RoleDetail) int { return strings.Compare(a.Arn, b.Arn) })
		slices.SortFunc(c.Policies, func(a, b inv.ManagedPolicyDetail) int { return strings.Compare(a.Arn, b.Arn) })
		return c
	}
	g, w := norm(got), norm(want)
	if !reflect.DeepEqual(g.Users, w.Users) {
		t.Errorf("account %s: users differ:\n%s", acct, firstDiff(g.Users, w.Users))
	}
	if !reflect.DeepEqual(g.Groups, w.Groups) {
		t.Errorf("account %s: groups differ:\n%s", acct, firstDiff(g.Groups, w.Groups))
	}
	if !reflect.DeepEqual(g.Roles, w.Roles) {
		t.Errorf("account %s: roles differ:\n%s", acct, firstDiff(g.Roles, w.Roles))
	}
	if !reflect.DeepEqual(g.Policies, w.Policies) {
		t.Errorf("account %s: policies differ:\n%s", acct, firstDiff(g.Policies, w.Policies))
	}
	if g.AccountID != w.AccountID || g.IsTruncated || w.IsTruncated {
		t.Errorf("account %s: account %q truncated %v, want %q truncated %v", acct, g.AccountID, g.IsTruncated, w.AccountID, w.IsTruncated)
	}
}

func withoutSource(users []tables.User) []tables.User {
	out := slices.Clone(users)
	for i := range out {
		out[i].Source = ""
	}
	return out
}

// firstDiff describes the first element where two slices differ.
func firstDiff[T any](got, want []T) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("element %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("got %d elements, want %d", len(got), len(want))
}

// TestFromFilesCredentialsMatchTheReport checks that the loaded users'
// credentials render the same report rows as the file, so per-user calls
// (GetUser, ListAccessKeys...) agree with the report.
func TestFromFilesCredentialsMatchTheReport(t *testing.T) {
	dir, out := smallDemo(t, 2)
	org := demoOrg(t, dir, out)
	for _, a := range org.Accounts {
		file := readCSV(t, a.ReportTemplate)
		rendered := readCSV(t, a.CredentialReportCSV())
		matched := 0
		for name, row := range rendered {
			want, ok := file[name]
			if !ok {
				// Created after the report: only the authorization details have it.
				continue
			}
			if !slices.Equal(keySlotsSorted(row), keySlotsSorted(want)) {
				t.Errorf("account %s: user %s renders\n %q\nthe file has\n %q", a.ID, name, row, want)
			}
			matched++
		}
		if matched < 10 {
			t.Errorf("account %s: only %d rows compared", a.ID, matched)
		}
	}
}

// keySlotsSorted orders a report row's two access key column groups by
// rotation date: the fake fills slots by creation date, while IAM keeps a
// key in its slot after the other one is replaced.
func keySlotsSorted(row []string) []string {
	out := slices.Clone(row)
	k1, k2 := out[8:13], out[13:18]
	if k2[1] != "N/A" && (k1[1] == "N/A" || k2[1] < k1[1]) {
		tmp := slices.Clone(k1)
		copy(k1, k2)
		copy(k2, tmp)
	}
	return out
}

func readCSV(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range recs[1:] {
		out[r[0]] = r
	}
	return out
}

// TestReportTemplateSurvivesRegeneration checks that a loaded account keeps
// serving the exported rows when IAM generates a new report (the seeded
// one is older than four hours), with the new generation time.
func TestReportTemplateSurvivesRegeneration(t *testing.T) {
	dir, out := smallDemo(t, 1)
	org := demoOrg(t, dir, out)
	clock := newClock(out.Accounts[0].ReportGeneratedAt.Add(30 * time.Hour))
	s := start(t, org, WithClock(clock.Now))
	client := s.IAMClient(org.CallerCredentials())
	ctx := context.Background()
	gen, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if gen.State != types.ReportStateTypeStarted {
		t.Fatalf("state %s, want STARTED for a report 30 hours old", gen.State)
	}
	rep, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rep.Content, org.Accounts[0].ReportTemplate) {
		t.Error("the regenerated report is not the exported CSV")
	}
	if !aws.ToTime(rep.GeneratedTime).Equal(clock.Now().Truncate(time.Second)) {
		t.Errorf("GeneratedTime %s, want the regeneration time %s", aws.ToTime(rep.GeneratedTime), clock.Now())
	}
}

func TestFromFilesErrors(t *testing.T) {
	dir, out := smallDemo(t, 2)
	a0, a1 := out.Accounts[0], out.Accounts[1]
	path := func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }
	write := func(name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var cli struct{ Content []byte }
	if data, err := os.ReadFile(path(a0.CredentialReport)); err != nil || json.Unmarshal(data, &cli) != nil {
		t.Fatalf("reading %s: %v", a0.CredentialReport, err)
	}
	bareCSV := string(cli.Content)
	cases := []struct {
		name    string
		mgmt    string
		exports []AccountExport
		want    string
	}{
		{"files of two accounts", a0.AccountID, []AccountExport{{CredentialReport: path(a0.CredentialReport), AuthorizationDetails: path(a1.AuthorizationDetails)}},
			"give each account's two files together"},
		{"management account missing", a1.AccountID, []AccountExport{{CredentialReport: path(a0.CredentialReport), AuthorizationDetails: path(a0.AuthorizationDetails)}},
			"management account " + a1.AccountID + " has no files"},
		{"account twice", a0.AccountID, []AccountExport{
			{CredentialReport: path(a0.CredentialReport), AuthorizationDetails: path(a0.AuthorizationDetails)},
			{CredentialReport: path(a0.CredentialReport), AuthorizationDetails: path(a0.AuthorizationDetails)}},
			"is given twice"},
		{"truncated details", a0.AccountID, []AccountExport{{CredentialReport: path(a0.CredentialReport),
			AuthorizationDetails: write("gaad.json", `{"UserDetailList":[],"IsTruncated":true,"Marker":"x"}`)}},
			"export every page"},
		{"bad document", a0.AccountID, []AccountExport{{CredentialReport: path(a0.CredentialReport),
			AuthorizationDetails: write("gaad.json", `{"GroupDetailList":[{"GroupName":"g","Path":"/","Arn":"arn:aws:iam::`+a0.AccountID+`:group/g","GroupPolicyList":[{"PolicyName":"p","PolicyDocument":"%7Bnot"}]}]}`)}},
			"GroupDetailList[0].GroupPolicyList[0].PolicyDocument"},
		{"customer policy missing", a0.AccountID, []AccountExport{{CredentialReport: path(a0.CredentialReport),
			AuthorizationDetails: write("gaad.json", `{"GroupDetailList":[{"GroupName":"g","Path":"/","Arn":"arn:aws:iam::`+a0.AccountID+`:group/g","AttachedManagedPolicies":[{"PolicyName":"x","PolicyArn":"arn:aws:iam::`+a0.AccountID+`:policy/x"}]}]}`)}},
			"is attached but not among the Policies"},
		{"not a report", a0.AccountID, []AccountExport{{CredentialReport: write("r.csv", "a,b\n1,2\n"), AuthorizationDetails: path(a0.AuthorizationDetails)}},
			"column user missing"},
		// A bare CSV carries no generation time, and its mtime proves nothing.
		{"CSV without a stated time", a0.AccountID, []AccountExport{{CredentialReport: write("bare.csv", bareCSV), AuthorizationDetails: path(a0.AuthorizationDetails)}},
			"bare.csv carries no generation time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromFiles(tc.mgmt, tc.exports)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
