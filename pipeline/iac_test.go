package pipeline_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/demo/demofake"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// iacSecret sits next to svc-reports' key ID in a .env: no output may hold it.
const iacSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// iacScenario is issue 18's tree: seven users never used for years, each
// named in one place, added to a demo organization's fully covered account.
type iacScenario struct {
	acct            string
	users           map[string]*awsfake.User
	files           map[string]string // search tree, relative path -> content
	state           string            // the Terraform state managing tf-managed
	repo            string            // a git repository holding old-etl's key in history only
	leaked          string            // the commit that held it
	keysExport      string            // list-access-keys export of the keyed users
	src             *demo.Output
	asOf            time.Time
	org             *awsfake.Org
	searchRoot, dir string
}

func newIACScenario(t *testing.T) *iacScenario {
	t.Helper()
	dir := t.TempDir()
	o := smallDemo(t)
	o.Accounts, o.Users, o.Events = 2, 30, 3000
	src, err := demo.Generate(context.Background(), filepath.Join(dir, "src"), o)
	if err != nil {
		t.Fatal(err)
	}
	acct := ""
	for _, a := range src.Accounts {
		if a.Coverage == "full" {
			acct = a.AccountID
			break
		}
	}
	if acct == "" {
		t.Fatal("the demo has no fully covered account")
	}
	org, err := demofake.Org(src.Dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &iacScenario{acct: acct, users: map[string]*awsfake.User{}, src: src, asOf: o.AsOf, org: org, dir: dir}
	a := org.Account(acct)
	for _, n := range []string{"tf-managed", "tf-declared", "deploy-bot", "svc-reports", "dave", "old-etl", "cfn-user"} {
		s.users[n] = a.AddUser(n, awsfake.UserCreated(o.AsOf.AddDate(-2, 0, 0)))
	}
	s.users["cfn-user"].SetTag("aws:cloudformation:stack-name", "payments").SetTag("aws:cloudformation:logical-id", "UploaderUser")
	reportsKey := s.users["svc-reports"].AddAccessKey()
	oldKey := s.users["old-etl"].AddAccessKey()
	// The demo's report predates the added users: generate one from the model.
	a.CredentialReport, a.ReportTemplate = nil, nil

	s.state = `{"version": 4, "terraform_version": "1.9.5", "serial": 3, "lineage": "x", "outputs": {},
  "resources": [{"mode": "managed", "type": "aws_iam_user", "name": "managed", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
    "instances": [{"schema_version": 0, "attributes": {"name": "tf-managed", "unique_id": "` + s.users["tf-managed"].UserID + `", "arn": "` + s.users["tf-managed"].ARN(acct) + `", "id": "tf-managed"}}]}]}`
	s.files = map[string]string{
		"infra/users.tf":               "resource \"aws_iam_user\" \"declared\" {\n  name = \"tf-declared\"\n}\n",
		".github/workflows/deploy.yml": "jobs:\n  deploy:\n    steps:\n      - run: deploy --as " + s.users["deploy-bot"].ARN(acct) + "\n",
		"app/.env":                     "AWS_ACCESS_KEY_ID=" + reportsKey.ID + "\nAWS_SECRET_ACCESS_KEY=" + iacSecret + "\n",
		"docs/team.md":                 "Ask davey about the reports.\n",
	}
	s.searchRoot = filepath.Join(dir, "tree")
	for rel, content := range s.files {
		writeFile(t, filepath.Join(s.searchRoot, rel), content)
	}
	// A repository where old-etl's key ID exists only in history.
	s.repo = filepath.Join(s.searchRoot, "legacy-etl")
	repo, err := git.PlainInit(s.repo, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}
	commit := func(content string) string {
		writeFile(t, filepath.Join(s.repo, "etl.cfg"), content)
		if _, err := wt.Add("etl.cfg"); err != nil {
			t.Fatal(err)
		}
		h, err := wt.Commit("c", &git.CommitOptions{Author: sig})
		if err != nil {
			t.Fatal(err)
		}
		return h.String()
	}
	s.leaked = commit("key = " + oldKey.ID + "\n")
	commit("profile = etl\n")

	type meta struct {
		UserName, AccessKeyId, Status string
		CreateDate                    time.Time
	}
	var export []map[string][]meta
	for _, n := range []string{"svc-reports", "old-etl"} {
		k := s.users[n].AccessKeys[0]
		export = append(export, map[string][]meta{"AccessKeyMetadata": {{n, k.ID, "Active", k.CreateDate}}})
	}
	b, _ := json.Marshal(export)
	s.keysExport = filepath.Join(dir, "access-keys.json")
	writeFile(t, s.keysExport, string(b))
	return s
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// check asserts each user's decision and reference, that dave is no
// reference of davey's, that the secret is in no output, and that the
// bundle verifies.
func (s *iacScenario) check(t *testing.T, res *pipeline.Result, logs string, where map[string]string) {
	t.Helper()
	finds, err := tables.ReadParquet[tables.Finding](filepath.Join(res.Out, pipeline.FindingsTable))
	if err != nil {
		t.Fatal(err)
	}
	refs, err := tables.ReadParquet[tables.Reference](filepath.Join(res.Out, pipeline.ReferenceTable))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ decision, kind string }{
		"tf-managed":  {tables.DecisionRemoveInIaC, tables.RefKindTerraform},
		"tf-declared": {tables.DecisionRemoveInIaC, tables.RefKindTerraform},
		"cfn-user":    {tables.DecisionRemoveInIaC, tables.RefKindCloudFormation},
		"deploy-bot":  {tables.DecisionReview, tables.RefKindConfig},
		"svc-reports": {tables.DecisionReview, tables.RefKindConfig},
		"old-etl":     {tables.DecisionReview, tables.RefKindConfig},
		"dave":        {tables.DecisionDelete, ""},
	}
	for _, f := range finds {
		w, ok := want[f.UserName]
		if !ok || f.AccountID != s.acct {
			continue
		}
		delete(want, f.UserName)
		if f.Decision != w.decision {
			t.Errorf("%s: decision %s, want %s; reasons %q", f.UserName, f.Decision, w.decision, f.Reasons)
		}
		var mine []tables.Reference
		for _, r := range refs {
			if r.UserID == f.UserID && r.Kind != "" && (r.Kind == tables.RefKindCode || r.Kind == tables.RefKindConfig || r.Kind == tables.RefKindTerraform || r.Kind == tables.RefKindCloudFormation) {
				mine = append(mine, r)
			}
		}
		if w.kind == "" {
			if len(mine) != 0 {
				t.Errorf("%s: references %+v, want none (davey is not dave)", f.UserName, mine)
			}
			continue
		}
		if len(mine) != 1 || mine[0].Kind != w.kind || !strings.Contains(mine[0].Location, where[f.UserName]) {
			t.Errorf("%s: references %+v, want one %s at %q", f.UserName, mine, w.kind, where[f.UserName])
			continue
		}
		text := strings.Join(f.Reasons, "\n")
		if !strings.Contains(text, where[f.UserName]) {
			t.Errorf("%s: the reasons do not name %q: %q", f.UserName, where[f.UserName], f.Reasons)
		}
	}
	if len(want) > 0 {
		t.Errorf("no findings for %v", want)
	}

	m, err := manifest.Read(filepath.Join(res.Out, "reports", "remediation-manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	iacEntries := 0
	for _, e := range m.Entries {
		if e.Decision == manifest.DecisionRemoveInIaC {
			iacEntries++
			if len(e.IaC) == 0 {
				t.Errorf("%s: remove-in-iac entry without its owner", e.Label())
			}
		}
	}
	if iacEntries != 3 {
		t.Errorf("%d remove-in-iac manifest entries, want 3", iacEntries)
	}

	// The secret next to the key ID is in no output.
	leak := func(where, text string) {
		if strings.Contains(text, iacSecret) || strings.Contains(text, iacSecret[:16]) {
			t.Errorf("%s holds the secret access key", where)
		}
	}
	leak("the log", logs)
	leak("the references table", fmt.Sprint(refs))
	leak("the findings table", fmt.Sprint(finds))
	err = filepath.Walk(res.Out, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		leak(p, string(b))
		if strings.HasSuffix(p, ".xlsx") {
			z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				return err
			}
			for _, zf := range z.File {
				rc, err := zf.Open()
				if err != nil {
					return err
				}
				x, _ := io.ReadAll(rc)
				rc.Close()
				leak(p+"!"+zf.Name, string(x))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := pipeline.Verify(context.Background(), res.Out)
	if err != nil || !v.OK() {
		t.Fatalf("the bundle does not verify: %v %v", err, v.Problems)
	}
}

// TestIaCAndCodeReferences is issue 18's done-when, against the fake IAM and
// S3 (live: ListAccessKeys gives the key IDs, the tree and the state are in
// S3, the history in a local repository) and then on files (the live run's
// stored inputs, --access-keys, the tree on disk).
func TestIaCAndCodeReferences(t *testing.T) {
	s := newIACScenario(t)

	backend := s3mem.New()
	if err := backend.CreateBucket("org-configs"); err != nil {
		t.Fatal(err)
	}
	put := func(key, content string) {
		if _, err := backend.PutObject("org-configs", key, map[string]string{}, strings.NewReader(content), int64(len(content)), nil); err != nil {
			t.Fatal(err)
		}
	}
	for rel, content := range s.files {
		put("repos/"+rel, content)
	}
	put("state/prod.tfstate", s.state)
	base, t0 := s.asOf, time.Now()
	iamSrv := awsfake.New(s.org, awsfake.WithClock(func() time.Time { return base.Add(time.Since(t0)) }))
	defer iamSrv.Close()
	s3h := gofakes3.New(backend).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Authorization"), "/s3/aws4_request") {
			s3h.ServeHTTP(w, r)
			return
		}
		iamSrv.ServeHTTP(w, r)
	}))
	defer srv.Close()
	creds := s.org.CallerCredentials()
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", creds.SessionToken)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(s.dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(s.dir, "no-credentials"))
	t.Setenv("AWS_PROFILE", "")

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	liveCfg := pipeline.Config{
		Accounts: []string{s.acct}, RoleName: "OrganizationAccountAccessRole", EndpointURL: srv.URL,
		CloudTrail: s.src.CloudTrail, AsOf: s.asOf, Out: filepath.Join(s.dir, "live"), Logger: logger,
		ReferenceChecks: []string{"iam", "code"}, FreshReport: true,
		Search: []string{"s3://org-configs/repos/", s.repo}, SearchHistory: true,
		TerraformState: []string{"s3://org-configs/state/prod.tfstate"},
	}
	live, err := pipeline.Run(context.Background(), liveCfg)
	if err != nil {
		t.Fatalf("live run: %v\n%s", err, logs.String())
	}
	if n := iamSrv.Calls("ListAccessKeys"); n < 2 {
		t.Errorf("%d ListAccessKeys calls, want one per keyed user at least", n)
	}
	keys, err := tables.ReadParquet[tables.AccessKey](filepath.Join(live.Out, pipeline.AccessKeysTable))
	if err != nil || len(keys) < 2 {
		t.Errorf("access keys table: %d rows, %v", len(keys), err)
	}
	s.check(t, live, logs.String(), map[string]string{
		"tf-managed":  "s3://org-configs/state/prod.tfstate aws_iam_user.managed",
		"tf-declared": "s3://org-configs/repos/infra/users.tf:1 aws_iam_user.declared",
		"cfn-user":    "stack payments, logical ID UploaderUser",
		"deploy-bot":  "s3://org-configs/repos/.github/workflows/deploy.yml:4 (arn)",
		"svc-reports": "s3://org-configs/repos/app/.env:1 (access-key-id)",
		"old-etl":     s.repo + "@" + s.leaked + ":etl.cfg:1 (access-key-id)",
	})

	// On files: the live run's stored inputs, the exports, the tree on disk.
	writeFile(t, filepath.Join(s.searchRoot, "infra", "terraform.tfstate"), s.state)
	fileCfg := pipeline.Config{
		CredentialReports:    []string{filepath.Join(live.Out, "inputs", s.acct, "credential-report.csv")},
		AuthorizationDetails: []string{filepath.Join(live.Out, "inputs", s.acct, "authorization-details-page-001.json")},
		ReportGeneratedAt:    map[string]time.Time{s.acct: live.Record.Accounts[0].ReportGeneratedAt},
		CloudTrail:           s.src.CloudTrail, AsOf: s.asOf, Out: filepath.Join(s.dir, "files"), Logger: logger,
		Search: []string{s.searchRoot}, SearchHistory: true, AccessKeysFiles: []string{s.keysExport},
	}
	logs.Reset()
	files, err := pipeline.Run(context.Background(), fileCfg)
	if err != nil {
		t.Fatalf("file run: %v\n%s", err, logs.String())
	}
	r := s.searchRoot + string(filepath.Separator)
	s.check(t, files, logs.String(), map[string]string{
		"tf-managed":  r + "infra/terraform.tfstate aws_iam_user.managed",
		"tf-declared": r + "infra/users.tf:1 aws_iam_user.declared",
		"cfn-user":    "stack payments, logical ID UploaderUser",
		"deploy-bot":  r + ".github/workflows/deploy.yml:4 (arn)",
		"svc-reports": r + "app/.env:1 (access-key-id)",
		"old-etl":     s.repo + "@" + s.leaked + ":etl.cfg:1 (access-key-id)",
	})
}

// TestCodeSearchConfigValidate: the code check's settings are refused
// before any work when they cannot run.
func TestCodeSearchConfigValidate(t *testing.T) {
	dir := t.TempDir()
	base := pipeline.Config{Out: filepath.Join(dir, "out"), CredentialReports: []string{}, Logger: quiet}
	for _, tc := range []struct {
		name string
		edit func(c *pipeline.Config)
		want string
	}{
		{"missing search path", func(c *pipeline.Config) { c.Search = []string{filepath.Join(dir, "nope")} }, "--search"},
		{"missing state", func(c *pipeline.Config) { c.TerraformState = []string{filepath.Join(dir, "nope.tfstate")} }, "--terraform-state"},
		{"missing access keys", func(c *pipeline.Config) { c.AccessKeysFiles = []string{filepath.Join(dir, "keys.json")} }, "--access-keys"},
		{"history without search", func(c *pipeline.Config) { c.SearchHistory = true }, "--search-history"},
		{"search outside the checks", func(c *pipeline.Config) {
			c.Search, c.ReferenceChecks = []string{dir}, []string{"iam"}
		}, "--reference-checks"},
		{"search with references skipped", func(c *pipeline.Config) { c.Search, c.SkipReferences = []string{dir}, true }, "--skip-references"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			err := c.WithDefaults().Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}
