package tables

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func goldenFindings() []Finding {
	t0 := time.Date(2026, 5, 1, 12, 30, 0, 0, time.UTC)
	return []Finding{
		{AccountID: "111111111111", UserName: "alice", UserID: "AIDAAAAAAAAAAAAAAAAAA", ARN: "arn:aws:iam::111111111111:user/alice", Path: "/",
			CreateDate: t0, PasswordEnabled: true, PasswordLastUsed: t0.Add(time.Hour), PasswordState: PasswordUsed,
			Key1Active: true, Key1LastRotated: t0, CloudTrailLastEvent: t0.Add(2 * time.Hour), CloudTrailEvents: 7,
			LastActivity: t0.Add(2 * time.Hour), LastActivitySource: SourceCloudTrail, DaysInactive: 140,
			Status: StatusInactive, Decision: DecisionDelete, Reasons: []string{"inactive 140 days, more than 90: delete"},
			UnusedKeys: []int64{1, 2}, References: 1, InCredentialReport: true, InAuthorizationDetails: true,
			ReportGeneratedAt: t0.Add(24 * time.Hour), CredentialReportGiven: true, AuthorizationDetailsGiven: true},
		{AccountID: "111111111111", UserName: "bob", Status: StatusExempt, Decision: DecisionKeep, Exemption: "allowlist",
			ExemptionOwner: "ops", ExemptionReason: "break glass", ExemptionExpires: t0.AddDate(1, 0, 0), DaysInactive: -1},
	}
}

func goldenActivity() []Activity {
	t0 := time.Date(2026, 5, 1, 12, 30, 0, 0, time.UTC)
	return []Activity{
		{AccountID: "111111111111", PrincipalID: "AIDAAAAAAAAAAAAAAAAAA", ARN: "arn:aws:iam::111111111111:user/alice", UserName: "alice",
			FirstEvent: t0, LastEvent: t0.Add(time.Hour), Events: 3, LastEventName: "GetCallerIdentity", LastEventSource: "sts.amazonaws.com",
			LastSourceIP: "192.0.2.1", LastRegion: "eu-west-1", ConsoleLogins: 1, FailedConsoleLogins: 2, LastFailedConsoleLogin: t0,
			AccessKeyIDs: []string{"AKIAAAAAAAAAAAAAAAAA"}},
		{AccountID: "222222222222", ARN: "arn:aws:iam::222222222222:user/gone", Events: 1},
	}
}

// Files an earlier build wrote (testdata) keep their schema and rows, so
// existing run directories and evidence bundles stay readable.
func TestGoldenParquetFilesRead(t *testing.T) {
	users := normalize(sampleUsers())
	users[0].CreateDate = users[0].CreateDate.Truncate(time.Microsecond)
	checkGolden(t, "users.parquet", users)
	checkGolden(t, "findings.parquet", normalize(goldenFindings()))
	checkGolden(t, "activity.parquet", normalize(goldenActivity()))
}

func checkGolden[T any](t *testing.T, name string, want []T) {
	t.Helper()
	p := filepath.Join("testdata", name)
	got, err := ReadParquet[T](p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(got), want) {
		t.Errorf("%s: got %+v\nwant %+v", name, got, want)
	}
	pf, err := file.OpenParquetFile(p, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	// Columns added since the file was written (tag option ",added") are
	// absent from it; every other column keeps its place and type.
	_, ps, err := schemaOf(reflect.TypeFor[T]())
	if err != nil {
		t.Fatal(err)
	}
	var fields []arrow.Field
	for i, f := range Schema[T]().Fields() {
		if !ps[i].added || i < stored.NumFields() && stored.Field(i).Name == f.Name {
			fields = append(fields, f)
		}
	}
	if stored.NumFields() != len(fields) {
		t.Fatalf("%s: %d columns stored, want %d", name, stored.NumFields(), len(fields))
	}
	for i, w := range fields {
		// Parquet adds field IDs as metadata; the name, type and nullability are the contract.
		if g := stored.Field(i); g.Name != w.Name || !arrow.TypeEqual(g.Type, w.Type) || g.Nullable != w.Nullable {
			t.Errorf("%s: column %d is %s, want %s", name, i, g, w)
		}
	}
}
