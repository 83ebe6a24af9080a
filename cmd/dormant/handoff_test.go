package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/xuri/excelize/v2"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/demo/demofake"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/tables"
)

// Issue 15's end-to-end hand-off: a signed run, a review in the workbook
// (one downgrade, one reject), a signed reviewed manifest, and remediate
// --trust-key applying exactly the approved decisions against the fake IAM;
// a changed byte anywhere is refused.

func TestHandOffLocalKey(t *testing.T) {
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	signKey, trustKey := filepath.Join(dir, "review.key"), filepath.Join(dir, "review.pub")
	if err := os.WriteFile(signKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(trustKey, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	handOff(t, dir, func(*awsfake.Server, *awsfake.Org) (string, string) { return signKey, trustKey })
}

func TestHandOffKMSKey(t *testing.T) {
	handOff(t, t.TempDir(), func(srv *awsfake.Server, org *awsfake.Org) (string, string) {
		ctx := context.Background()
		c := srv.KMSClient(org.CallerCredentials())
		k, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecEccNistP256, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/dormant-review"), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
			t.Fatal(err)
		}
		// The reviewers sign by alias; operations trust the key's ARN.
		return "kms:alias/dormant-review", "kms:" + aws.ToString(k.KeyMetadata.Arn)
	})
}

func handOff(t *testing.T, dir string, keys func(*awsfake.Server, *awsfake.Org) (sign, trust string)) {
	ctx := context.Background()
	o := demo.DefaultOptions()
	o.AsOf = time.Now().UTC().Truncate(24 * time.Hour)
	o.Users, o.Events = 40, 4000
	srcDir := filepath.Join(dir, "src")
	src, err := demo.Generate(ctx, srcDir, o)
	if err != nil {
		t.Fatal(err)
	}
	org, err := demofake.Org(srcDir)
	if err != nil {
		t.Fatal(err)
	}
	srv := awsfake.New(org)
	t.Cleanup(srv.Close)
	if err := srv.Err(); err != nil {
		t.Fatal(err)
	}
	setFakeAWSEnv(t, dir, org)
	signKey, trustKey := keys(srv, org)
	endpoint := []string{"--endpoint-url", srv.URL()}

	// 1. The run, signed.
	out := filepath.Join(dir, "run")
	args := []string{"run", "--out", out, "--as-of", o.AsOf.Format(time.RFC3339), "--window", "90d", "--log-level", "warn",
		"--cloudtrail", src.CloudTrail, "--allowlist", src.Allowlist, "--sign-key", signKey}
	for i := range src.CredentialReports {
		args = append(args, "--credential-report", src.CredentialReports[i], "--authorization-details", src.AuthorizationDetails[i])
	}
	if code, stdout, stderr := run(t, append(args, endpoint...)...); code != exitOK && code != exitFindings {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := run(t, append(append([]string{"verify", "--trust-key", trustKey}, endpoint...), out)...); code != exitOK || !strings.Contains(stdout, "SHA256SUMS signed by") {
		t.Fatalf("verify --trust-key: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// 2. The review: downgrade a delete, reject a deactivate, approve one more.
	findings, err := tables.ReadParquet[tables.Finding](filepath.Join(out, "tables", "findings.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	var down, rejected, approved *tables.Finding
	for i := range findings {
		f := &findings[i]
		switch {
		case f.Decision == tables.DecisionDelete && down == nil:
			down = f
		case f.Decision == tables.DecisionDeactivate && rejected == nil:
			rejected = f
		case (f.Decision == tables.DecisionDeactivate || f.Decision == tables.DecisionDelete) && approved == nil:
			approved = f
		}
	}
	if down == nil || rejected == nil || approved == nil {
		t.Fatalf("the demo run lacks a delete and two other planned users")
	}
	wb, err := excelize.OpenFile(filepath.Join(out, filepath.FromSlash(reports.XLSXPath)))
	if err != nil {
		t.Fatal(err)
	}
	setCell := func(f *tables.Finding, title, v string) {
		t.Helper()
		rows, err := wb.GetRows(reports.SheetFindings, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		col, idc := slices.Index(rows[0], title), slices.Index(rows[0], reports.TitleUserID)
		for r, row := range rows[1:] {
			if idc < len(row) && row[idc] == f.UserID {
				cell, _ := excelize.CoordinatesToCellName(col+1, r+2)
				if err := wb.SetCellValue(reports.SheetFindings, cell, v); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatalf("no Findings row for %s", f.UserName)
	}
	setCell(down, "Decision", tables.DecisionDeactivate)
	setCell(down, reports.TitleReviewerDecision, reports.ReviewApprove)
	setCell(rejected, reports.TitleReviewerDecision, reports.ReviewReject)
	setCell(approved, reports.TitleReviewerDecision, reports.ReviewApprove)
	// The sign-off: who approved, and when.
	summary, err := wb.GetRows(reports.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	signed := map[string]string{reports.SignOffReviewerLabel: "Dana Reviewer", reports.SignOffRoleLabel: "IAM owner",
		reports.SignOffDateLabel: time.Now().UTC().Format(time.DateOnly), reports.SignOffStatementLabel: "Approved rows reviewed with their owners."}
	for i, row := range summary {
		if v, ok := signed[strings.Join(row[:min(1, len(row))], "")]; ok {
			if err := wb.SetCellValue(reports.SheetSummary, fmt.Sprintf("B%d", i+1), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	reviewed := filepath.Join(dir, "review", "reviewed.xlsx")
	if err := os.MkdirAll(filepath.Dir(reviewed), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := wb.SaveAs(reviewed); err != nil {
		t.Fatal(err)
	}
	wb.Close()

	// 3. The reviewed manifest, signed, from a run whose signature is checked.
	plan := filepath.Join(dir, "review", "plan.json")
	manifestArgs := append([]string{"manifest", "--from-workbook", reviewed, "--run", out, "--out", plan, "--trust-key", trustKey, "--sign-key", signKey}, endpoint...)
	if code, stdout, stderr := run(t, manifestArgs...); code != exitOK || !strings.Contains(stdout, "2 entries approved") {
		t.Fatalf("manifest: exit %d\n%s\n%s", code, stdout, stderr)
	}

	planData, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(planData, []byte(`"reviewer": "Dana Reviewer"`)) || !bytes.Contains(planData, []byte(`"statement": "Approved rows reviewed with their owners."`)) {
		t.Errorf("the reviewed manifest does not carry the sign-off:\n%.2000s", planData)
	}

	if code, stdout, stderr := run(t, append(append([]string{"verify", "--trust-key", trustKey, "--manifest", plan}, endpoint...), out)...); code != exitOK ||
		!strings.Contains(stdout, "its digests match") {
		t.Errorf("verify --manifest: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// 4. Any changed byte of the plan or its signature is refused.
	remediate := func(path string, extra ...string) (int, string, string) {
		return run(t, append(append([]string{"remediate", "--manifest", path, "--trust-key", trustKey, "--role-name", "OrganizationAccountAccessRole",
			"--log-level", "warn", "--backup-dir", filepath.Join(dir, "backups"), "--journal", filepath.Join(dir, "journal.jsonl")}, endpoint...), extra...)...)
	}
	before := srv.MutatingCalls()
	for _, name := range []string{plan, plan + ".sig"} {
		orig, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		step := max(1, len(orig)/40)
		for i := 0; i < len(orig); i += step {
			flipped := bytes.Clone(orig)
			flipped[i] ^= 0x01
			if err := os.WriteFile(name, flipped, 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _, stderr := remediate(plan, "--apply"); code == exitOK {
				t.Fatalf("%s with byte %d changed was carried out:\n%s", filepath.Base(name), i, stderr)
			}
		}
		if err := os.WriteFile(name, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// And any changed byte of the run refuses the review.
	for _, name := range []string{"tables/findings.parquet", "SHA256SUMS", "SHA256SUMS.sig", "reports/remediation-manifest.json"} {
		p := filepath.Join(out, filepath.FromSlash(name))
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		flipped := bytes.Clone(orig)
		flipped[len(flipped)/2] ^= 0x01
		if err := os.WriteFile(p, flipped, 0o644); err != nil {
			t.Fatal(err)
		}
		other := append(slices.Clone(manifestArgs), "--out", filepath.Join(dir, "review", "other.json"))
		if code, stdout, _ := run(t, other...); code == exitOK {
			t.Errorf("a run with a byte of %s changed was reviewed: %s", name, stdout)
		}
		if err := os.WriteFile(p, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.MutatingCalls() - before; n != 0 {
		t.Fatalf("refused manifests made %d mutating calls", n)
	}

	// 5. Remediation applies exactly the approved decisions.
	code, stdout, stderr := remediate(plan, "--apply")
	if code != exitOK || !strings.Contains(stdout, "summary: 2 done") {
		t.Fatalf("remediate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	touched := map[string]bool{}
	for _, c := range srv.CallLog() {
		// DeleteVirtualMFADevice names the device by serial, not the user.
		if c.Mutating && c.Service == "iam" && c.Action != "DeleteVirtualMFADevice" {
			touched[c.AccountID+"/"+c.Params["UserName"]] = true
		}
	}
	want := map[string]bool{down.AccountID + "/" + down.UserName: true, approved.AccountID + "/" + approved.UserName: true}
	if fmt.Sprint(touched) != fmt.Sprint(want) {
		t.Errorf("remediation changed %v, want exactly %v", touched, want)
	}
	srv.Do(func(o *awsfake.Org) {
		if u := o.Account(down.AccountID).User(down.UserName); u == nil {
			t.Errorf("%s was downgraded to deactivate but deleted", down.UserName)
		} else if _, ok := u.Tag("dormant:deactivated"); !ok {
			t.Errorf("%s was not deactivated", down.UserName)
		}
		if o.Account(rejected.AccountID).User(rejected.UserName) == nil {
			t.Errorf("rejected %s was removed", rejected.UserName)
		}
		gone := o.Account(approved.AccountID).User(approved.UserName) == nil
		if gone != (approved.Decision == tables.DecisionDelete) {
			t.Errorf("approved %s (%s): gone = %v", approved.UserName, approved.Decision, gone)
		}
	})
}

// setFakeAWSEnv points the SDK's default chain at the org's caller and
// nothing else on this machine.
func setFakeAWSEnv(t *testing.T, dir string, org *awsfake.Org) {
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
	t.Setenv("AWS_ENDPOINT_URL_KMS", "")
}
