package demo

// An independent reading of the generated files and of the classification
// spec: parse the credential reports, authorization details, allowlist and
// every CloudTrail file, classify each user by the rules, and compare with the
// ground truth. It shares no code with the generator beyond the header list
// it checks against a literal.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dormant-iam/dormant/tables"
)

// The header AWS writes, copied from aws-facts §1.
const awsReportHeader = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

type pKey struct {
	active            bool
	rotated, lastUsed time.Time
}

type pUser struct {
	acct, name, id, arn string
	created             time.Time
	root                bool
	inReport, inGAAD    bool
	pwState             string
	pwLastUsed          time.Time
	keys                [2]pKey
	tags                map[string]string
	reportAt            time.Time
}

type pAct struct {
	last   time.Time
	failed int
}

type pCoverage struct{ first, last time.Time }

// parsed is everything the spec needs, read back from the files, plus facts
// about the logs that tests check.
type parsed struct {
	users    map[string]*pUser // acct/name
	order    []string
	refs     map[string]map[string]bool // acct -> every string value in its policy documents
	allow    []allowYAML
	act      map[string]*pAct // acct/principalId, successful use and failed sign-ins in the window
	coverage map[string]*pCoverage
	facts    map[string]int
	encoded  int // policy documents printed as URL-encoded strings
	objects  int
	jsonRep  int
	csvRep   int
	logFiles int
	digests  int
	records  int64
	dupIDs   int
	rawBytes int64
}

type allowYAML struct {
	AccountID string    `yaml:"account_id"`
	UserName  string    `yaml:"user_name"`
	Reason    string    `yaml:"reason"`
	Owner     string    `yaml:"owner"`
	Expires   time.Time `yaml:"expires"`
}

func parseTime(t *testing.T, what, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s: bad date %q: %v", what, s, err)
	}
	return v
}

func accountOfARN(t *testing.T, arn string) string {
	t.Helper()
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || len(parts[4]) != 12 {
		t.Fatalf("bad ARN %q", arn)
	}
	return parts[4]
}

func (p *parsed) user(acct, name string) *pUser {
	k := acct + "/" + name
	u := p.users[k]
	if u == nil {
		u = &pUser{acct: acct, name: name, tags: map[string]string{}}
		p.users[k] = u
		p.order = append(p.order, k)
	}
	return u
}

func parseDemo(t *testing.T, out *Output, asOf time.Time, windowDays int) *parsed {
	t.Helper()
	p := &parsed{users: map[string]*pUser{}, refs: map[string]map[string]bool{}, act: map[string]*pAct{}, coverage: map[string]*pCoverage{}, facts: map[string]int{}}
	for _, path := range out.CredentialReports {
		p.readReport(t, path)
	}
	for _, path := range out.AuthorizationDetails {
		p.readGAAD(t, path)
	}
	data, err := os.ReadFile(out.Allowlist)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &p.allow); err != nil {
		t.Fatalf("allowlist into time.Time: %v", err)
	}
	var asStrings []struct {
		AccountID string `yaml:"account_id"`
		Expires   string `yaml:"expires"`
	}
	if err := yaml.Unmarshal(data, &asStrings); err != nil {
		t.Fatalf("allowlist into strings: %v", err)
	}
	for i, e := range asStrings {
		if len(e.AccountID) != 12 || e.Expires != p.allow[i].Expires.Format("2006-01-02") {
			t.Errorf("allowlist entry %d read as strings: %+v", i, e)
		}
	}
	p.readLogs(t, out.CloudTrail, asOf.Add(-days(int64(windowDays))), asOf)
	return p
}

func (p *parsed) readReport(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var generated time.Time
	if strings.HasSuffix(path, ".json") {
		var cli struct{ Content, ReportFormat, GeneratedTime string }
		if err := json.Unmarshal(data, &cli); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if cli.ReportFormat != "text/csv" {
			t.Errorf("%s: ReportFormat %q", path, cli.ReportFormat)
		}
		generated = parseTime(t, path, cli.GeneratedTime)
		if data, err = base64.StdEncoding.DecodeString(cli.Content); err != nil {
			t.Fatalf("%s: Content: %v", path, err)
		}
		p.jsonRep++
	} else {
		// A bare CSV has no generation time (its mtime proves nothing).
		p.csvRep++
	}
	if first, _, _ := bytes.Cut(data, []byte("\n")); string(first) != awsReportHeader {
		t.Fatalf("%s: header\n%s\nwant\n%s", path, first, awsReportHeader)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, row := range rows[1:] {
		get := func(c string) string { return row[col[c]] }
		acct := accountOfARN(t, get("arn"))
		u := p.user(acct, get("user"))
		u.arn, u.inReport, u.reportAt = get("arn"), true, generated
		u.created = parseTime(t, path, get("user_creation_time"))
		u.root = u.name == tables.RootUserName
		switch v := get("password_last_used"); v {
		case "no_information":
			u.pwState = tables.PasswordNever
			if u.created.Before(passwordTrackingStart) {
				u.pwState = tables.PasswordNoInformation
			}
		case "N/A":
			u.pwState = tables.PasswordNA
		case "not_supported":
			u.pwState = tables.PasswordNotSupported
		default:
			u.pwState, u.pwLastUsed = tables.PasswordUsed, parseTime(t, path, v)
		}
		for i := range 2 {
			n := fmt.Sprint(i + 1)
			k := &u.keys[i]
			k.active = strings.EqualFold(get("access_key_"+n+"_active"), "true")
			if v := get("access_key_" + n + "_last_rotated"); v != "N/A" {
				k.rotated = parseTime(t, path, v)
			}
			if v := get("access_key_" + n + "_last_used_date"); v != "N/A" {
				k.lastUsed = parseTime(t, path, v)
			}
		}
	}
}

// policyStrings adds every string value of a policy document (object or
// URL-encoded string) to set.
func (p *parsed) policyStrings(t *testing.T, raw json.RawMessage, set map[string]bool) {
	t.Helper()
	if len(raw) == 0 {
		t.Fatal("empty policy document")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		dec, err := url.QueryUnescape(s)
		if err != nil {
			t.Fatalf("policy document does not URL-decode: %v", err)
		}
		raw = json.RawMessage(dec)
		p.encoded++
	} else {
		p.objects++
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("policy document: %v\n%s", err, raw)
	}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			set[x] = true
		case []any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
}

func (p *parsed) readGAAD(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type inline struct{ PolicyDocument json.RawMessage }
	var g struct {
		UserDetailList []struct {
			UserName, UserId, Arn, CreateDate string
			Tags                              []struct{ Key, Value string }
			UserPolicyList                    []inline
		}
		GroupDetailList []struct{ GroupPolicyList []inline }
		RoleDetailList  []struct {
			AssumeRolePolicyDocument json.RawMessage
			RolePolicyList           []inline
			InstanceProfileList      []struct {
				Roles []struct{ AssumeRolePolicyDocument json.RawMessage }
			}
		}
		Policies []struct {
			Arn               string
			PolicyVersionList []struct{ Document json.RawMessage }
		}
	}
	var loose map[string]json.RawMessage
	if err := json.Unmarshal(data, &loose); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for k := range loose {
		if !slices.Contains([]string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"}, k) {
			t.Errorf("%s: unexpected top-level key %q", path, k)
		}
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	acct := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "authorization-details-"), ".json")
	set := map[string]bool{}
	p.refs[acct] = set
	for _, ud := range g.UserDetailList {
		if accountOfARN(t, ud.Arn) != acct {
			t.Errorf("%s: user %s with ARN in another account", path, ud.Arn)
		}
		u := p.user(acct, ud.UserName)
		u.id, u.inGAAD = ud.UserId, true
		if u.arn != "" && u.arn != ud.Arn {
			t.Errorf("%s: %s ARN %s differs from the report's %s", path, ud.UserName, ud.Arn, u.arn)
		}
		u.arn = ud.Arn
		u.created = parseTime(t, path, ud.CreateDate)
		for _, tg := range ud.Tags {
			u.tags[tg.Key] = tg.Value
		}
		for _, ip := range ud.UserPolicyList {
			p.policyStrings(t, ip.PolicyDocument, set)
		}
	}
	for _, gd := range g.GroupDetailList {
		for _, ip := range gd.GroupPolicyList {
			p.policyStrings(t, ip.PolicyDocument, set)
		}
	}
	for _, rd := range g.RoleDetailList {
		p.policyStrings(t, rd.AssumeRolePolicyDocument, set)
		for _, ip := range rd.RolePolicyList {
			p.policyStrings(t, ip.PolicyDocument, set)
		}
		for _, prof := range rd.InstanceProfileList {
			for _, r := range prof.Roles {
				p.policyStrings(t, r.AssumeRolePolicyDocument, set)
			}
		}
	}
	for _, pol := range g.Policies {
		for _, v := range pol.PolicyVersionList {
			p.policyStrings(t, v.Document, set)
		}
	}
}

type ctRecord struct {
	EventTime, EventID, EventName, EventSource, AWSRegion string
	ErrorCode, ErrorMessage, RecipientAccountID           string
	UserIdentity                                          struct {
		Type, PrincipalID, ARN, AccountID, AccessKeyID, UserName string
		SessionContext                                           struct {
			SessionIssuer struct{ Type, PrincipalID, ARN string }
		}
	}
	RequestParameters json.RawMessage
	ResponseElements  json.RawMessage
}

func shape(raw json.RawMessage) string {
	switch {
	case len(raw) == 0:
		return "absent"
	case raw[0] == '{':
		return "object"
	case raw[0] == '"':
		return "string"
	case string(raw) == "null":
		return "null"
	}
	return "other"
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return data
}

func (p *parsed) readLogs(t *testing.T, root string, winStart, asOf time.Time) {
	t.Helper()
	seen := map[string]string{} // eventID -> file
	type digestRef struct{ key, sum string }
	var refs []digestRef
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		parts := strings.Split(rel, "/")
		// AWSLogs/<acct>/<CloudTrail|CloudTrail-Digest>/<region>/YYYY/MM/DD/<file>
		if len(parts) != 8 || parts[0] != "AWSLogs" || !strings.HasSuffix(parts[7], ".json.gz") {
			t.Errorf("file outside the AWSLogs layout: %s", rel)
			return nil
		}
		acct, kind, region := parts[1], parts[2], parts[3]
		data := gunzip(t, path)
		if kind == "CloudTrail-Digest" {
			p.digests++
			var dg struct {
				AWSAccountID    string `json:"awsAccountId"`
				DigestStartTime string
				LogFiles        []struct{ S3Object, HashValue string }
				Records         json.RawMessage
			}
			if err := json.Unmarshal(data, &dg); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			if dg.AWSAccountID != acct || dg.DigestStartTime == "" || len(dg.LogFiles) == 0 || dg.Records != nil {
				t.Errorf("%s: not a digest file: %.200s", rel, data)
			}
			for _, lf := range dg.LogFiles {
				refs = append(refs, digestRef{lf.S3Object, lf.HashValue})
			}
			return nil
		}
		if kind != "CloudTrail" {
			t.Errorf("unexpected folder %s", rel)
			return nil
		}
		name := parts[7]
		prefix := acct + "_CloudTrail_" + region + "_" + strings.Join(parts[4:7], "") + "T"
		if !strings.HasPrefix(name, prefix) || len(name) != len(prefix)+len("1504Z_")+16+len(".json.gz") {
			t.Errorf("log file name %s does not follow <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16>.json.gz", name)
		}
		p.logFiles++
		p.rawBytes += int64(len(data))
		var f struct{ Records []ctRecord }
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if len(f.Records) == 0 {
			t.Errorf("%s: no records", rel)
		}
		for _, r := range f.Records {
			p.records++
			if r.AWSRegion != region || r.RecipientAccountID != acct {
				t.Errorf("%s: record of %s/%s in the wrong file", rel, r.RecipientAccountID, r.AWSRegion)
			}
			at := parseTime(t, rel, r.EventTime)
			c := p.coverage[acct]
			if c == nil {
				c = &pCoverage{at, at}
				p.coverage[acct] = c
			}
			c.first, c.last = minTime(c.first, at), maxTime(c.last, at)
			if prev, ok := seen[r.EventID]; ok {
				if prev == rel {
					t.Errorf("%s: eventID %s twice in one file", rel, r.EventID)
				}
				p.dupIDs++
				continue
			}
			seen[r.EventID] = rel
			p.fact(r)
			if at.Before(winStart) || at.After(asOf) {
				continue
			}
			id := r.UserIdentity
			var resp struct{ ConsoleLogin string }
			if shape(r.ResponseElements) == "object" {
				_ = json.Unmarshal(r.ResponseElements, &resp)
			}
			if r.EventName == "ConsoleLogin" && resp.ConsoleLogin == "Failure" {
				if id.PrincipalID != "" && id.UserName != "HIDDEN_DUE_TO_SECURITY_REASONS" {
					p.actOf(id.AccountID, id.PrincipalID).failed++
				}
				continue
			}
			if r.ErrorCode != "" {
				continue
			}
			var pid string
			switch id.Type {
			case "IAMUser":
				pid = id.PrincipalID
			case "FederatedUser":
				if id.SessionContext.SessionIssuer.Type == "IAMUser" {
					pid = id.SessionContext.SessionIssuer.PrincipalID
				}
			case "AWSAccount":
				pid, _, _ = strings.Cut(id.PrincipalID, ":")
			}
			if strings.HasPrefix(pid, "AIDA") {
				a := p.actOf(id.AccountID, pid)
				a.last = maxTime(a.last, at)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(ref.key)))
		if err != nil {
			t.Errorf("digest names a missing log file: %v", err)
			continue
		}
		// A digest's hashValue is the SHA-256 of the decompressed text, as
		// aws cloudtrail validate-logs computes it.
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Errorf("log file %s: %v", ref.key, err)
			continue
		}
		text, err := io.ReadAll(zr)
		if err != nil {
			t.Errorf("log file %s: %v", ref.key, err)
			continue
		}
		if sum := sha256.Sum256(text); hex.EncodeToString(sum[:]) != ref.sum {
			t.Errorf("digest hash of %s does not match the file", ref.key)
		}
	}
}

func (p *parsed) actOf(acct, pid string) *pAct {
	k := acct + "/" + pid
	if p.act[k] == nil {
		p.act[k] = &pAct{}
	}
	return p.act[k]
}

// fact counts the record shapes and kinds the demo promises.
func (p *parsed) fact(r ctRecord) {
	f := p.facts
	f["identity:"+r.UserIdentity.Type]++
	f["requestParameters:"+shape(r.RequestParameters)]++
	f["responseElements:"+shape(r.ResponseElements)]++
	f["region:"+r.AWSRegion]++
	if r.ErrorCode != "" {
		f["error:"+r.ErrorCode]++
	}
	if r.UserIdentity.UserName == "HIDDEN_DUE_TO_SECURITY_REASONS" {
		f["hidden"]++
	}
	if r.EventName == "ConsoleLogin" && r.ErrorMessage == "" {
		f["login:"+r.UserIdentity.Type+":"+r.AWSRegion]++
	}
	if r.EventName == "ConsoleLogin" && r.ErrorMessage == "Failed authentication" {
		f["failed-login"]++
	}
	if strings.HasPrefix(r.UserIdentity.AccessKeyID, "AKIA") {
		f["akia"]++
	}
	if r.UserIdentity.Type == "IAMUser" && strings.HasPrefix(r.UserIdentity.AccessKeyID, "ASIA") {
		f["console-session"]++
	}
}

// classify applies /tmp/classify-spec.md to what was parsed.
func (p *parsed) classify(t *testing.T, asOf time.Time, windowDays, deleteAfter int) map[string]Expected {
	t.Helper()
	S := asOf.Add(-days(int64(windowDays)))
	out := map[string]Expected{}
	for _, k := range p.order {
		u := p.users[k]
		e := Expected{AccountID: u.acct, UserName: u.name, UserID: u.id, ARN: u.arn}
		consider := func(at time.Time, src string) {
			if !at.IsZero() && at.After(e.LastActivity) {
				e.LastActivity, e.LastActivitySource = at, src
			}
		}
		if u.pwState == tables.PasswordUsed {
			consider(u.pwLastUsed, tables.SourceConsole)
		}
		for _, key := range u.keys {
			consider(key.lastUsed, tables.SourceAccessKey)
		}
		var act *pAct
		if u.id != "" {
			act = p.act[u.acct+"/"+u.id]
		}
		if act != nil {
			consider(act.last, tables.SourceCloudTrail)
		}
		ref := e.LastActivity
		if ref.IsZero() {
			ref = u.created
		}
		e.DaysInactive = -1
		if !ref.IsZero() {
			e.DaysInactive = int64(asOf.Sub(ref) / (24 * time.Hour))
		}
		exempt := strings.EqualFold(u.tags["dormant:exempt"], "true")
		for _, a := range p.allow {
			if a.AccountID == u.acct && a.UserName == u.name && !a.Expires.Before(asOf) {
				exempt = true
			}
		}
		switch {
		case u.root:
			e.Status, e.Decision = tables.StatusRoot, tables.DecisionKeep
		case exempt:
			e.Status, e.Decision = tables.StatusExempt, tables.DecisionKeep
		case !e.LastActivity.IsZero() && !e.LastActivity.Before(S):
			e.Status, e.Decision = tables.StatusActive, tables.DecisionKeep
			for i, key := range u.keys {
				if key.active && (key.lastUsed.IsZero() || key.lastUsed.Before(S)) && key.rotated.Before(S) {
					e.UnusedKeys = append(e.UnusedKeys, i+1)
				}
			}
		case !u.created.Before(S) && e.LastActivity.IsZero():
			e.Status, e.Decision = tables.StatusNew, tables.DecisionKeep
		default:
			preTracking := u.pwState == tables.PasswordNoInformation
			for _, key := range u.keys {
				if key.active && key.lastUsed.IsZero() && !key.rotated.IsZero() && key.rotated.Before(keyTrackingStart) {
					preTracking = true
				}
			}
			if e.LastActivity.IsZero() && !preTracking {
				e.Status = tables.StatusNeverUsed
				e.Decision = tables.DecisionDeactivate
				if asOf.Sub(u.created) > days(int64(deleteAfter)) {
					e.Decision = tables.DecisionDelete
				}
			} else {
				e.Status = tables.StatusInactive
				e.Decision = tables.DecisionDeactivate
				if e.DaysInactive > int64(deleteAfter) {
					e.Decision = tables.DecisionDelete
				}
			}
			c := p.coverage[u.acct]
			if c == nil || c.first.After(S) || c.last.Before(asOf.Add(-24*time.Hour)) {
				e.Review = append(e.Review, ReviewCoverage)
			}
			if act != nil && act.failed > 0 {
				e.Review = append(e.Review, ReviewFailedLogins)
			}
			if refs := p.refs[u.acct]; refs[u.arn] || u.id != "" && refs[u.id] {
				e.Review = append(e.Review, ReviewReferences)
			}
			if !u.reportAt.IsZero() && asOf.Sub(u.reportAt) > 7*24*time.Hour {
				e.Review = append(e.Review, ReviewReportAge)
			}
			if !u.inReport {
				e.Review = append(e.Review, ReviewNotInReport)
			}
			if !u.inGAAD {
				e.Review = append(e.Review, ReviewNotInAuthorizationDetails)
			}
			if len(e.Review) > 0 {
				e.Status, e.Decision = tables.StatusReview, tables.DecisionReview
			}
		}
		out[k] = e
	}
	return out
}

// generate writes a demo into a temporary directory.
func generate(t testing.TB, opts Options) *Output {
	t.Helper()
	out, err := Generate(t.Context(), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var testAsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func opts(accounts, users, events int, seed int64) Options {
	return Options{Accounts: accounts, Users: users, Events: events, Seed: seed, AsOf: testAsOf, WindowDays: 90, DeleteAfterDays: 365}
}

// TestGroundTruthFollowsSpec classifies the generated files by the spec and
// requires the ground truth to agree on every user and every field.
func TestGroundTruthFollowsSpec(t *testing.T) {
	short := opts(5, 130, 20000, 7)
	short.WindowDays, short.DeleteAfterDays = 30, 180
	short.AsOf = time.Date(2027, 2, 14, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"default size", opts(4, 200, 40000, 1)},
		{"short window, unaligned as-of", short},
		{"one account", opts(1, 40, 8000, 3)},
		{"two accounts", opts(2, 70, 10000, 4)},
		{"few users", opts(4, 30, 6000, 5)},
		{"no users, no events", opts(3, 0, 0, 6)},
		{"more accounts than users", opts(7, 5, 500, 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := generate(t, tc.opts)
			p := parseDemo(t, out, tc.opts.AsOf, tc.opts.WindowDays)
			got := p.classify(t, tc.opts.AsOf, tc.opts.WindowDays, tc.opts.DeleteAfterDays)
			if len(got) != len(out.Truth) {
				t.Errorf("the files hold %d users, the ground truth %d", len(got), len(out.Truth))
			}
			for _, want := range out.Truth {
				k := want.AccountID + "/" + want.UserName
				g, ok := got[k]
				if !ok {
					t.Errorf("%s (%s) is in the ground truth but not in the files", k, want.Case)
					continue
				}
				g.Case = want.Case
				if !equalExpected(g, want) {
					t.Errorf("%s (%s):\n spec says  %+v\n truth says %+v", k, want.Case, g, want)
				}
			}
			if p.records != out.Events {
				t.Errorf("read %d records, Output.Events says %d", p.records, out.Events)
			}
			if p.rawBytes != out.RawBytes {
				t.Errorf("read %d uncompressed bytes, Output.RawBytes says %d", p.rawBytes, out.RawBytes)
			}
			if int64(p.logFiles) != out.LogFiles {
				t.Errorf("read %d log files, Output.LogFiles says %d", p.logFiles, out.LogFiles)
			}
		})
	}
}

func equalExpected(a, b Expected) bool {
	return a.AccountID == b.AccountID && a.UserName == b.UserName && a.UserID == b.UserID && a.ARN == b.ARN &&
		a.Case == b.Case && a.Status == b.Status && a.Decision == b.Decision &&
		slices.Equal(a.UnusedKeys, b.UnusedKeys) && slices.Equal(a.Review, b.Review) &&
		a.LastActivity.Equal(b.LastActivity) && a.LastActivitySource == b.LastActivitySource && a.DaysInactive == b.DaysInactive
}
