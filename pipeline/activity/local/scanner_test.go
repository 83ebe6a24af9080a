package local

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// The Go scanner must return exactly what the DuckDB scanner (the SQL
// specification run verbatim) returns. These tests run both on the same
// files and compare the tables.

func runScanner(t testing.TB, root, scanner string, q activity.Query, opts ...LocalOption) *activity.Result {
	t.Helper()
	skipWithoutDuckDB(t, scanner)
	opts = append([]LocalOption{WithThreads(2), WithLogger(trailtest.Quiet()), WithScanner(scanner)}, opts...)
	res, err := NewLocal(root, opts...).Run(context.Background(), q)
	if err != nil {
		t.Fatalf("%s scanner: %v", scanner, err)
	}
	return res
}

// sameTables fails the test where got and want differ, row by row.
func agreeTables(t testing.TB, what string, got, want *activity.Result) {
	t.Helper()
	if len(got.Activity) != len(want.Activity) {
		t.Errorf("%s: %d activity rows, want %d", what, len(got.Activity), len(want.Activity))
	}
	for i := range min(len(got.Activity), len(want.Activity)) {
		if !reflect.DeepEqual(got.Activity[i], want.Activity[i]) {
			t.Errorf("%s: activity row %d:\n got %+v\nwant %+v", what, i, got.Activity[i], want.Activity[i])
		}
	}
	if !reflect.DeepEqual(got.Coverage, want.Coverage) {
		t.Errorf("%s: coverage:\n got %+v\nwant %+v", what, got.Coverage, want.Coverage)
	}
	if g, w := comparableFiles(got.LogFiles, want.LogFiles); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: log files:\n got %+v\nwant %+v", what, g, w)
	}
}

// comparableFiles compares what both scanners produce: the DuckDB scanner
// neither hashes files nor checks digests (only the Go scanner does), so
// where one side has no hashes, the other's hashes, digest rows and
// verification outcomes are left out.
func comparableFiles(got, want []tables.LogFile) ([]tables.LogFile, []tables.LogFile) {
	hashed := func(rows []tables.LogFile) bool {
		return slices.ContainsFunc(rows, func(f tables.LogFile) bool { return f.SHA256 != "" })
	}
	if hashed(got) && hashed(want) {
		return got, want
	}
	strip := func(rows []tables.LogFile) []tables.LogFile {
		var out []tables.LogFile
		for _, f := range rows {
			if f.Verification == tables.VerificationMissing || (f.Kind == tables.LogFileKindDigest && f.Digest != "") ||
				f.Verification == tables.VerificationGap {
				continue // added by the digest check, not read by the scan
			}
			f.SHA256, f.Digest, f.Verification, f.GapStart, f.GapEnd = "", "", "", time.Time{}, time.Time{}
			out = append(out, f)
		}
		return out
	}
	return strip(got), strip(want)
}

// Windows over the fixture trail: the usual ones, and edges inside days,
// on event times and on midnights.
var fixtureWindows = []struct {
	name string
	q    activity.Query
}{
	{"fixture window", activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}},
	{"midnight to midnight", activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-03T00:00:00Z")}},
	{"edges on events", activity.Query{Start: trailtest.TS("2026-10-01T09:01:00Z"), End: trailtest.TS("2026-10-02T13:05:00Z")}},
	{"edges a microsecond off", activity.Query{Start: trailtest.TS("2026-10-01T09:01:00Z").Add(time.Microsecond), End: trailtest.TS("2026-10-02T13:05:00Z").Add(-time.Microsecond)}},
	{"one instant", activity.Query{Start: trailtest.TS("2026-10-03T12:00:00Z"), End: trailtest.TS("2026-10-03T12:00:00Z")}},
	{"account B", activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd, Accounts: []string{trailtest.AcctB}}},
	{"lead-in day only", activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-01T00:00:00Z")}},
}

func TestScannersAgreeOnFixtures(t *testing.T) {
	root := filepath.Join(trailtest.TestdataDir, "trail")
	for _, w := range fixtureWindows {
		t.Run(w.name, func(t *testing.T) {
			agreeTables(t, "go vs duckdb", runScanner(t, root, ScannerGo, w.q), runScanner(t, root, ScannerDuckDB, w.q))
		})
	}
}

// edgeRecords are records of every shape the rules distinguish, and JSON
// spellings both readers must agree on.
func edgeRecords() []string {
	ui := func(fields string) string { return `"userIdentity":{` + fields + `}` }
	user := func(id, name string) string {
		return ui(`"type":"IAMUser","principalId":"` + id + `","arn":"arn:aws:iam::111111111111:user/` + name +
			`","accountId":"111111111111","accessKeyId":"AKIA` + strings.ToUpper(name) + `KEY0001","userName":"` + name + `"`)
	}
	// ev is a record with default name, source, region and IP, unless rest
	// sets them.
	ev := func(id, at, rest string) string {
		s := `{"eventVersion":"1.09","eventTime":"` + at + `","recipientAccountId":"111111111111"`
		for _, d := range [][2]string{{"eventSource", "iam.amazonaws.com"}, {"eventName", "ListUsers"},
			{"awsRegion", "us-east-1"}, {"sourceIPAddress", "203.0.113.1"}} {
			if !strings.Contains(rest, `"`+d[0]+`"`) {
				s += `,"` + d[0] + `":"` + d[1] + `"`
			}
		}
		if id != "" {
			s += `,"eventID":"` + id + `"`
		}
		if rest != "" {
			s += "," + rest
		}
		return s + "}"
	}
	const a1 = "AIDAEDGEUSER000000001"
	return []string{
		// Plain use, and a duplicate delivery of it.
		ev("00000000-0000-4000-8000-000000000001", "2026-10-01T09:00:00Z", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000001", "2026-10-01T09:00:00Z", user(a1, "ann")),
		// Equal times: the greater eventID is the latest, whatever the order.
		`{"eventID":"00000000-0000-4000-8000-00000000000b","eventTime":"2026-10-01T10:00:00Z","eventName":"Second","eventSource":"s3.amazonaws.com","awsRegion":"eu-west-1","sourceIPAddress":"10.0.0.2","recipientAccountId":"111111111111",` + user(a1, "ann") + `}`,
		`{"eventID":"00000000-0000-4000-8000-00000000000a","eventTime":"2026-10-01T10:00:00Z","eventName":"First","eventSource":"ec2.amazonaws.com","awsRegion":"us-east-2","sourceIPAddress":"10.0.0.1","recipientAccountId":"111111111111",` + user(a1, "ann") + `}`,
		// Uppercase and non-UUID eventIDs are text.
		ev("00000000-0000-4000-8000-00000000000C", "2026-10-01T10:00:00Z", user(a1, "ann")+`,"eventName":"Upper"`),
		ev("not-a-uuid", "2026-10-01T10:00:00Z", user(a1, "ann")+`,"eventName":"NotUUID"`),
		ev("", "2026-10-01T10:00:00Z", user(a1, "ann")+`,"eventName":"NoID"`),
		ev("", "2026-10-01T10:00:00Z", user(a1, "ann")+`,"eventName":"NoID"`),
		ev("", "2026-10-01T10:00:00Z", user(a1, "ann")+`,"eventName":"NoID2"`),
		// Time spellings DuckDB accepts.
		ev("00000000-0000-4000-8000-000000000010", "2026-10-01T11:00:00.123456Z", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000011", "2026-10-01T11:00:00.1234567Z", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000012", "2026-10-01T13:00:00+02:00", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000013", "2026-10-01 11:00:01", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000014", "2026-10-01T9:00:02Z", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000015", "2026-10-01T11:00:03 UTC", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000016", "2026-10-01T11:00:04-0130", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000017", "2026-10-01", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000018", "2026-09-30T24:00:00Z", user(a1, "ann")),
		ev("00000000-0000-4000-8000-000000000019", "  2026-10-01T11:00:05Z ", user(a1, "ann")),
		// No time: coverage counts the record, nobody's use.
		`{"eventID":"00000000-0000-4000-8000-00000000001a","eventTime":null,` + user(a1, "ann") + `}`,
		`{"eventID":"00000000-0000-4000-8000-00000000001b",` + user(a1, "ann") + `}`,
		// Escapes and non-ASCII text.
		ev("00000000-0000-4000-8000-000000000020", "2026-10-01T12:00:00Z",
			ui(`"type":"IAMUser","principalId":"AIDAEDGEUSER000000002","arn":"arn:aws:iam::111111111111:user/b\u00e9a","accountId":"111111111111","userName":"b\u00e9a\ud83d\ude00"`)+
				`,"eventName":"Get\"Quoted\\Name\/","sourceIPAddress":"caf\u00e9.example"`),
		ev("00000000-0000-4000-8000-000000000021", "2026-10-01T12:00:01Z",
			ui(`"type":"IAMUser","principalId":"AIDAEDGEUSER000000002","arn":"arn:aws:iam::111111111111:user/béa","accountId":"111111111111","userName":"béa"`)+
				`,"eventSource":"s3.amazonaws.com","awsRegion":"ap-northeast-1"`),
		// Non-string values where text is read.
		ev("00000000-0000-4000-8000-000000000022", "2026-10-01T12:00:02Z", user(a1, "ann")+`,"sourceIPAddress":{"ip" : [1, true, null, "x"]},"eventName":false`),
		// Missing fields, nulls and unknown fields.
		ev("00000000-0000-4000-8000-000000000023", "2026-10-01T12:00:03Z", user(a1, "ann")+`,"eventSource":null,"awsRegion":null,"sourceIPAddress":null,"future":{"a":[{"b":[]}]}`),
		// IAMUser without accountId, or with an empty one: the recipient account.
		`{"eventID":"00000000-0000-4000-8000-000000000030","eventTime":"2026-10-01T13:00:00Z","recipientAccountId":"111111111111",` +
			ui(`"type":"IAMUser","principalId":"AIDAEDGEUSER000000003","arn":"arn:aws:iam::111111111111:user/cy","userName":"cy"`) + `}`,
		`{"eventID":"00000000-0000-4000-8000-000000000031","eventTime":"2026-10-01T13:00:01Z","recipientAccountId":"111111111111",` +
			ui(`"type":"IAMUser","principalId":"AIDAEDGEUSER000000003","accountId":"","userName":"cy"`) + `}`,
		// Neither accountId nor recipient: counts for nobody.
		`{"eventID":"00000000-0000-4000-8000-000000000032","eventTime":"2026-10-01T13:00:02Z",` +
			ui(`"type":"IAMUser","principalId":"AIDAEDGEUSER000000004","userName":"nobody"`) + `}`,
		// Empty recipient: the account is '' (the SQL keeps it), coverage
		// falls back to the folder.
		`{"eventID":"00000000-0000-4000-8000-000000000033","eventTime":"2026-10-01T13:00:03Z","recipientAccountId":"","awsRegion":"",` +
			ui(`"type":"IAMUser","principalId":"AIDAEDGEUSER000000005","accountId":"","userName":"blank"`) + `}`,
		// IAMUser with neither ID nor ARN: nobody.
		ev("00000000-0000-4000-8000-000000000034", "2026-10-01T13:00:04Z", ui(`"type":"IAMUser","accountId":"111111111111","userName":"ghost"`)),
		// Federated sessions: an IAM user issuer counts, a role issuer does not.
		ev("00000000-0000-4000-8000-000000000040", "2026-10-01T14:00:00Z", ui(`"type":"FederatedUser","principalId":"111111111111:fed","accessKeyId":"ASIAFEDSESSION000001","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"`+a1+`","arn":"arn:aws:iam::111111111111:user/ann-renamed","accountId":"111111111111","userName":"ann-renamed"}}`)),
		ev("00000000-0000-4000-8000-000000000041", "2026-10-01T14:00:01Z", ui(`"type":"FederatedUser","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEDGE00000000001","accountId":"111111111111"}}`)),
		ev("00000000-0000-4000-8000-000000000042", "2026-10-01T14:00:02Z", ui(`"type":"FederatedUser","sessionContext":{"sessionIssuer":null}`)),
		ev("00000000-0000-4000-8000-000000000043", "2026-10-01T14:00:03Z", ui(`"type":"FederatedUser","sessionContext":{}`)),
		ev("00000000-0000-4000-8000-000000000044", "2026-10-01T14:00:04Z", ui(`"type":"FederatedUser","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEDGEUSER000000006"}}`)),
		// Cross-account calls: AIDA counts, anything else does not.
		ev("00000000-0000-4000-8000-000000000050", "2026-10-01T15:00:00Z", ui(`"type":"AWSAccount","principalId":"AIDAEDGEUSER000000007","accountId":"333333333333"`)),
		ev("00000000-0000-4000-8000-000000000051", "2026-10-01T15:00:01Z", ui(`"type":"AWSAccount","principalId":"AIDAedge","accountId":"333333333333"`)),
		ev("00000000-0000-4000-8000-000000000052", "2026-10-01T15:00:02Z", ui(`"type":"AWSAccount","principalId":"AROAEDGE:session","accountId":"333333333333"`)),
		ev("00000000-0000-4000-8000-000000000053", "2026-10-01T15:00:03Z", ui(`"type":"AWSAccount","principalId":"AIDA","accountId":"333333333333"`)),
		ev("00000000-0000-4000-8000-000000000054", "2026-10-01T15:00:04Z", ui(`"type":"AWSAccount","principalId":"AIDAEDGEUSER000000008"`)),
		// Root, with and without its account.
		ev("00000000-0000-4000-8000-000000000060", "2026-10-01T16:00:00Z", ui(`"type":"Root","principalId":"111111111111","accountId":"111111111111","accessKeyId":"AKIAROOTKEY000000001"`)),
		`{"eventID":"00000000-0000-4000-8000-000000000061","eventTime":"2026-10-01T16:00:01Z","recipientAccountId":"444444444444",` + ui(`"type":"Root"`) + `}`,
		// Roles and services never count.
		ev("00000000-0000-4000-8000-000000000070", "2026-10-01T17:00:00Z", ui(`"type":"AssumedRole","principalId":"AROAEDGE:ann","arn":"arn:aws:sts::111111111111:assumed-role/R/ann","accountId":"111111111111","userName":"ann"`)),
		ev("00000000-0000-4000-8000-000000000071", "2026-10-01T17:00:01Z", ui(`"type":"AWSService","invokedBy":"ec2.amazonaws.com"`)),
		ev("00000000-0000-4000-8000-000000000072", "2026-10-01T17:00:02Z", ui(`"principalId":"`+a1+`"`)),
		ev("00000000-0000-4000-8000-000000000073", "2026-10-01T17:00:03Z", `"userIdentity":null`),
		ev("00000000-0000-4000-8000-000000000074", "2026-10-01T17:00:04Z", ui(`"type":"iamuser","principalId":"`+a1+`"`)),
		// Console sign-ins: success and failure in every spelling.
		ev("00000000-0000-4000-8000-000000000080", "2026-10-01T18:00:00Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"}`),
		ev("00000000-0000-4000-8000-000000000081", "2026-10-01T18:00:01Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":"{\"ConsoleLogin\":\"Success\"}"`),
		ev("00000000-0000-4000-8000-000000000082", "2026-10-01T18:00:02Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":" { \"ConsoleLogin\" : \"Su\\u0063cess\" } "`),
		ev("00000000-0000-4000-8000-000000000083", "2026-10-01T18:00:03Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"}`),
		ev("00000000-0000-4000-8000-000000000084", "2026-10-01T18:00:04Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","errorMessage":"Failed authentication"`),
		ev("00000000-0000-4000-8000-000000000085", "2026-10-01T18:00:05Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":"{\"ConsoleLogin\":\"Failure\"}"`),
		ev("00000000-0000-4000-8000-000000000086", "2026-10-01T18:00:06Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":"{bad"`),
		ev("00000000-0000-4000-8000-000000000087", "2026-10-01T18:00:07Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":[{"ConsoleLogin":"Failure"}]`),
		ev("00000000-0000-4000-8000-000000000088", "2026-10-01T18:00:08Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":{"a":{"ConsoleLogin":"Failure"}}`),
		ev("00000000-0000-4000-8000-000000000089", "2026-10-01T18:00:09Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success","ConsoleLogin":"Failure"}`),
		ev("00000000-0000-4000-8000-00000000008a", "2026-10-01T18:00:10Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":"{\"ConsoleLogin\":\"Success\"} trailing"`),
		ev("00000000-0000-4000-8000-00000000008b", "2026-10-01T18:00:11Z", user(a1, "ann")+`,"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":null}`),
		ev("00000000-0000-4000-8000-00000000008c", "2026-10-01T18:00:12Z", user(a1, "ann")+`,"eventName":"GetUser","responseElements":{"ConsoleLogin":"Failure"}`),
		ev("00000000-0000-4000-8000-00000000008d", "2026-10-01T18:00:13Z", ui(`"type":"IAMUser","accountId":"111111111111","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"`)+`,"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"}`),
		// A failure then an AccessDenied: errors other than a failed
		// sign-in are use.
		ev("00000000-0000-4000-8000-000000000090", "2026-10-01T19:00:00Z", user("AIDAEDGEUSER000000009", "dan")+`,"eventName":"ConsoleLogin","errorMessage":"Failed authentication"`),
		ev("00000000-0000-4000-8000-000000000091", "2026-10-01T19:00:01Z", user("AIDAEDGEUSER000000009", "dan")+`,"errorCode":"AccessDenied","errorMessage":"not authorized"`),
		// Only failures.
		ev("00000000-0000-4000-8000-000000000092", "2026-10-01T19:00:02Z", user("AIDAEDGEUSER000000010", "eve")+`,"eventName":"ConsoleLogin","errorMessage":"Failed authentication"`),
		ev("00000000-0000-4000-8000-000000000092", "2026-10-01T19:00:02Z", user("AIDAEDGEUSER000000010", "eve")+`,"eventName":"ConsoleLogin","errorMessage":"Failed authentication"`),
		// Keys: AKIA counts, ASIA and odd spellings do not.
		ev("00000000-0000-4000-8000-0000000000a0", "2026-10-01T20:00:00Z", ui(`"type":"IAMUser","principalId":"`+a1+`","accountId":"111111111111","accessKeyId":"ASIATEMPORARY0000001"`)),
		ev("00000000-0000-4000-8000-0000000000a1", "2026-10-01T20:00:01Z", ui(`"type":"IAMUser","principalId":"`+a1+`","accountId":"111111111111","accessKeyId":"akiaLOWERCASE0000001"`)),
		ev("00000000-0000-4000-8000-0000000000a2", "2026-10-01T20:00:02Z", ui(`"type":"IAMUser","principalId":"`+a1+`","accountId":"111111111111","accessKeyId":"AKIASECONDKEY0000001"`)),
		// ARN-only principals (no principalId): keyed by ARN.
		ev("00000000-0000-4000-8000-0000000000b0", "2026-10-01T21:00:00Z", ui(`"type":"IAMUser","principalId":"","arn":"arn:aws:iam::111111111111:user/arnonly","accountId":"111111111111"`)),
		ev("00000000-0000-4000-8000-0000000000b1", "2026-10-01T21:00:01Z", ui(`"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/arnonly","accountId":"111111111111","userName":"arnonly"`)),
		// A null record: coverage counts it.
		`null`,
		// Other accounts and regions, for coverage.
		`{"eventID":"00000000-0000-4000-8000-0000000000c0","eventTime":"2026-10-02T01:00:00Z","recipientAccountId":"555555555555","awsRegion":"sa-east-1"}`,
		// Late events and events outside the window.
		ev("00000000-0000-4000-8000-0000000000d0", "2026-09-30T23:59:59.999999Z", user(a1, "ann")),
		ev("00000000-0000-4000-8000-0000000000d1", "2026-10-02T23:59:59Z", user(a1, "ann")),
		ev("00000000-0000-4000-8000-0000000000d2", "2026-10-03T00:00:00Z", user(a1, "ann")),
		ev("00000000-0000-4000-8000-0000000000d3", "2026-10-03T00:00:00.000001Z", user(a1, "ann")),
	}
}

// writeTrailFile writes records as one log file of acct's trail in the
// given day folder, gzipped when the name ends in .gz.
func writeTrailFile(t testing.TB, root, acct, region, day, name string, records []string) string {
	t.Helper()
	content := "{\"Records\":[\n" + strings.Join(records, ",\n") + "\n]}"
	p := filepath.Join(root, "AWSLogs", acct, "CloudTrail", region, filepath.FromSlash(day), name)
	if strings.HasSuffix(name, ".gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(content))
		zw.Close()
		content = b.String()
	}
	writeFile(t, p, content)
	return p
}

// edgeTrail writes the edge records over several files and day folders,
// with a duplicate delivery crossing day folders.
func edgeTrail(t testing.TB) string {
	root := t.TempDir()
	recs := edgeRecords()
	half := len(recs) / 2
	writeTrailFile(t, root, trailtest.AcctA, "us-east-1", "2026/10/01", trailtest.AcctA+"_CloudTrail_us-east-1_20261001T2355Z_EdgeEdgeEdge0001.json.gz", recs[:half])
	writeTrailFile(t, root, trailtest.AcctA, "us-east-1", "2026/10/02", trailtest.AcctA+"_CloudTrail_us-east-1_20261002T0005Z_EdgeEdgeEdge0002.json", recs[half:])
	// The first records delivered again, a day later, in another region's
	// folder.
	writeTrailFile(t, root, trailtest.AcctA, "eu-west-1", "2026/10/03", trailtest.AcctA+"_CloudTrail_eu-west-1_20261003T0005Z_EdgeEdgeEdge0003.json.gz", recs[:8])
	writeTrailFile(t, root, trailtest.AcctA, "eu-west-1", "2026/09/30", trailtest.AcctA+"_CloudTrail_eu-west-1_20260930T0005Z_EdgeEdgeEdge0004.json.gz",
		[]string{recs[0], `{"eventID":"early","eventTime":"2026-09-30T12:00:00Z","awsRegion":"eu-west-1"}`})
	return root
}

var edgeWindows = []struct {
	name string
	q    activity.Query
}{
	{"midnights", activity.Query{Start: trailtest.TS("2026-10-01T00:00:00Z"), End: trailtest.TS("2026-10-03T00:00:00Z")}},
	{"inside days", activity.Query{Start: trailtest.TS("2026-10-01T10:00:00Z"), End: trailtest.TS("2026-10-02T23:59:59Z")}},
	{"on equal times", activity.Query{Start: trailtest.TS("2026-10-01T10:00:00Z"), End: trailtest.TS("2026-10-01T10:00:00Z")}},
	{"wide", activity.Query{Start: trailtest.TS("2026-09-01T00:00:00Z"), End: trailtest.TS("2026-10-31T00:00:00Z")}},
}

func TestScannersAgreeOnEdgeCases(t *testing.T) {
	root := edgeTrail(t)
	for _, w := range edgeWindows {
		t.Run(w.name, func(t *testing.T) {
			got, want := runScanner(t, root, ScannerGo, w.q), runScanner(t, root, ScannerDuckDB, w.q)
			agreeTables(t, "go vs duckdb", got, want)
			if len(want.Activity) == 0 {
				t.Error("no activity: the edge trail tests nothing")
			}
		})
	}
}

// Both scanners refuse the same files, naming the same file with the same
// advice.
func TestScannersAgreeOnBadFiles(t *testing.T) {
	const good = `{"eventID":"x","eventTime":"2026-10-01T09:00:00Z"}`
	tests := []struct {
		name, content string
		gz            bool
		fix           string
		duckFix       string // when the DuckDB scanner's diagnosis differs
	}{
		// Not a CloudTrail log file: refused, not read as empty (these were
		// read as empty before issue 13, which could hide a trail's logs).
		{"empty file", ``, false, fixNotLog, ""},
		{"whitespace", " \n\t ", false, fixNotLog, ""},
		{"null", `null`, false, fixNotLog, ""},
		{"no Records", `{"awsAccountId":"111111111111","logFiles":[]}`, false, fixNotLog, ""},
		{"other key", `{"foo":[]}`, false, fixNotLog, ""},
		{"Records null", `{"Records":null}`, false, fixNotLog, ""},
		{"second object without Records", `{"Records":[` + good + `]}` + "\n" + `{"foo":[]}`, false, fixNotLog, ""},
		{"userIdentity a string", `{"Records":[{"eventID":"x","userIdentity":"alice"}]}`, false, fixShape, ""},
		{"sessionContext a string", `{"Records":[{"eventID":"x","userIdentity":{"sessionContext":"s"}}]}`, false, fixShape, ""},
		{"sessionIssuer an array", `{"Records":[{"eventID":"x","userIdentity":{"sessionContext":{"sessionIssuer":[]}}}]}`, false, fixShape, ""},
		{"Records an object", `{"Records":{"eventID":"x"}}`, false, fixShape, ""},
		{"record a number", `{"Records":[` + good + `,1]}`, false, fixShape, ""},
		{"duplicate field", `{"Records":[{"eventID":"x","eventName":"a","eventName":"b"}]}`, false, fixShape, ""},
		{"duplicate identity field", `{"Records":[{"eventID":"x","userIdentity":{"type":"a","type":"b"}}]}`, false, fixShape, ""},
		{"duplicate Records", `{"Records":[],"Records":[]}`, false, fixShape, ""},
		{"cut short", `{"Records":[` + good + `,{"eventID":"y","eventTi`, false, fixDamaged, ""},
		{"trailing garbage", `{"Records":[` + good + `]} garbage`, false, fixDamaged, ""},
		{"bad literal", `{"Records":[{"eventID":"x","requestParameters":{"a":tru}}]}`, false, fixDamaged, ""},
		{"bad escape", `{"Records":[{"eventID":"x\q"}]}`, false, fixDamaged, ""},
		{"control character", "{\"Records\":[{\"eventID\":\"a\tb\"}]}", false, fixDamaged, ""},
		// The DuckDB scanner diagnoses its errors by reading the file again
		// with encoding/json, which replaces bad UTF-8 and lone surrogates
		// rather than rejecting them, so it calls these files misshapen.
		{"invalid UTF-8", "{\"Records\":[{\"eventID\":\"x\xff\"}]}", false, fixDamaged, fixShape},
		{"lone surrogate", `{"Records":[{"eventID":"x\ud800"}]}`, false, fixDamaged, fixShape},
		{"not gzip", `{"Records":[]}`, true, fixDamaged, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			name := "111111111111_CloudTrail_us-east-1_20261001T0905Z_Aa1Bb2Cc3Dd4Ee5F.json"
			if tt.gz {
				name += ".gz" // a .gz name on plain text
			}
			p := filepath.Join(root, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1", "2026", "10", "01", name)
			writeFile(t, p, tt.content)
			writeTrailFile(t, root, trailtest.AcctA, "us-east-1", "2026/10/01", "111111111111_CloudTrail_us-east-1_20261001T0900Z_Good000000000000.json.gz", []string{good})
			for _, scanner := range Scanners() {
				_, err := NewLocal(root, WithThreads(2), WithLogger(trailtest.Quiet()), WithScanner(scanner)).
					Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
				var fe *FileError
				if !errors.As(err, &fe) {
					t.Fatalf("%s scanner: got %v, want a FileError", scanner, err)
				}
				fix := tt.fix
				if scanner == ScannerDuckDB && tt.duckFix != "" {
					fix = tt.duckFix
				}
				if fe.Path != sqlPath(p) || fe.Fix != fix {
					t.Errorf("%s scanner: error names %s with fix %q, want %s with fix %q (%v)", scanner, fe.Path, fe.Fix, p, fix, err)
				}
			}
		})
	}
}

// Files DuckDB reads although they are not quite CloudTrail's: both
// scanners read them alike.
func TestScannersAgreeOnOddFiles(t *testing.T) {
	tests := []struct{ name, content string }{
		{"two objects", `{"Records":[{"eventID":"a","eventTime":"2026-10-01T09:00:00Z"}]}` + "\n" + `{"Records":[{"eventID":"b","eventTime":"2026-10-01T09:00:01Z"}]}`},
		{"trailing commas", `{"Records":[{"eventID":"a","eventTime":"2026-10-01T09:00:00Z","x":[1,2,],},],}`},
		{"null record", `{"Records":[null,{"eventID":"a","eventTime":"2026-10-01T09:00:00Z"}]}`},
		{"deep free-form field", `{"Records":[{"eventID":"a","eventTime":"2026-10-01T09:00:00Z","requestParameters":` +
			strings.Repeat(`{"a":[`, 100) + strings.Repeat(`]}`, 100) + `}]}`},
		{"duplicate unread field", `{"Records":[{"eventID":"a","eventTime":"2026-10-01T09:00:00Z","requestID":"1","requestID":"2",` +
			`"userIdentity":{"type":"IAMUser","principalId":"AIDAODD","accountId":"111111111111","invokedBy":"a","invokedBy":"b"}}]}`},
		{"escaped key", `{"Records":[{"eventID":"a","event\u0054ime":"2026-10-01T09:00:00Z","userIdentity":{"type":"IAMUser","principalId":"AIDAODD","accountId":"111111111111"}}]}`},
		{"keys are case-sensitive", `{"Records":[{"eventID":"a","EventTime":"2026-10-01T09:00:00Z","eventTime":"2026-10-01T09:00:01Z","userIdentity":{"Type":"Root","type":"IAMUser","principalId":"AIDAODD","accountId":"111111111111"}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFile(t, filepath.Join(root, "AWSLogs", trailtest.AcctA, "CloudTrail", "us-east-1", "2026", "10", "01",
				"111111111111_CloudTrail_us-east-1_20261001T0905Z_Aa1Bb2Cc3Dd4Ee5F.json"), tt.content)
			q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
			agreeTables(t, "go vs duckdb", runScanner(t, root, ScannerGo, q), runScanner(t, root, ScannerDuckDB, q))
		})
	}
}

// demoOptions is a small organization, quick to generate and scan.
func demoOptions(asOf time.Time) demo.Options {
	o := demo.DefaultOptions()
	o.Users, o.Events, o.AsOf = 300, 40_000, asOf
	return o
}

// The demo organization, whose trail mixes every case the findings
// distinguish, gives identical tables with both scanners.
func TestScannersAgreeOnDemo(t *testing.T) {
	asOf := trailtest.TS("2026-10-01T00:00:00Z")
	out, err := demo.Generate(context.Background(), t.TempDir(), demoOptions(asOf))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []activity.Query{
		{Start: asOf.AddDate(0, 0, -90), End: asOf},
		{Start: asOf.AddDate(0, 0, -30).Add(13*time.Hour + 7*time.Minute), End: asOf.Add(-5 * time.Hour)},
	} {
		t.Run(fmt.Sprintf("%s to %s", q.Start.Format(time.RFC3339), q.End.Format(time.RFC3339)), func(t *testing.T) {
			got, want := runScanner(t, out.CloudTrail, ScannerGo, q), runScanner(t, out.CloudTrail, ScannerDuckDB, q)
			agreeTables(t, "go vs duckdb", got, want)
			if len(want.Activity) < 20 || len(want.Coverage) == 0 {
				t.Errorf("the demo gave %d activity and %d coverage rows: too few to compare", len(want.Activity), len(want.Coverage))
			}
		})
	}
}

// The evidence of a Go scan keeps the rules as runnable SQL, headed by a
// note saying which scanner ran.
func TestGoScanEvidence(t *testing.T) {
	root := filepath.Join(trailtest.TestdataDir, "trail")
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	goRun := runScanner(t, root, ScannerGo, q).Runs[0]
	duckRun := runScanner(t, root, ScannerDuckDB, q).Runs[0]
	if !strings.HasPrefix(goRun.SQL, goScanNote) || strings.TrimPrefix(goRun.SQL, goScanNote) != duckRun.SQL {
		t.Errorf("the Go scan's SQL is not the note followed by the DuckDB SQL:\n%.400s", goRun.SQL)
	}
	if goRun.QueryID == duckRun.QueryID || goRun.Files != duckRun.Files || goRun.BytesScanned != duckRun.BytesScanned {
		t.Errorf("runs: go %+v, duckdb %+v (SQL omitted)", runSansSQL(goRun), runSansSQL(duckRun))
	}
}

func runSansSQL(r activity.QueryRun) activity.QueryRun { r.SQL = ""; return r }

func TestUnknownScanner(t *testing.T) {
	_, err := NewLocal(filepath.Join(trailtest.TestdataDir, "trail"), WithScanner("spark"), WithLogger(trailtest.Quiet())).
		Run(context.Background(), activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd})
	if err == nil || !strings.Contains(err.Error(), `unknown scanner "spark"`) {
		t.Errorf("got %v, want the scanner refused", err)
	}
}

// A file larger than DuckDB's default maximum_object_size: the Go scan,
// which learns sizes by reading, records the SQL that Plan (which reads the
// gzip trailers) renders.
func TestGoScanEvidenceLargeFile(t *testing.T) {
	root := t.TempDir()
	pad := strings.Repeat("x", 1000)
	var recs []string
	for i := 0; len(recs)*1100 < 17<<20; i++ {
		recs = append(recs, fmt.Sprintf(`{"eventID":"big-%d","eventTime":"2026-10-01T09:00:00Z","requestParameters":{"pad":"%s"}}`, i, pad))
	}
	writeTrailFile(t, root, trailtest.AcctA, "us-east-1", "2026/10/01", "111111111111_CloudTrail_us-east-1_20261001T0905Z_Big0000000000000.json.gz", recs)
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	plan, err := NewLocal(root, WithLogger(trailtest.Quiet())).Plan(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if plan.MaxObject <= 16<<20 {
		t.Fatalf("the file's JSON is %d bytes: too small for the test", plan.Uncompressed)
	}
	run := runScanner(t, root, ScannerGo, q).Runs[0]
	if got := strings.TrimPrefix(run.SQL, goScanNote); got != plan.SQL {
		t.Errorf("the Go scan recorded SQL other than Plan's (maximum_object_size %d)", plan.MaxObject)
	}
}
