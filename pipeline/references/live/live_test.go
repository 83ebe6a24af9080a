package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/dormant-iam/dormant/internal/awsfake/resources"
	"github.com/dormant-iam/dormant/pipeline/references"
	"github.com/dormant-iam/dormant/tables"
)

const (
	acctA = "111111111111" // candidates alice and dave; alice2 and carol are not candidates
	acctB = "222222222222" // candidate bob
	acctC = "333333333333" // no candidates: must never be called
)

func user(account, path, name, id string) tables.User {
	return tables.User{AccountID: account, UserName: name, UserID: id, Path: path, ARN: "arn:aws:iam::" + account + ":user" + path + name}
}

var (
	alice  = user(acctA, "/", "alice", "AIDAALICEEXAMPLE00001")
	alice2 = user(acctA, "/", "alice2", "AIDAALICE2EXAMPLE0002")
	dave   = user(acctA, "/division/", "dave", "AIDADAVEEXAMPLE000004")
	carol  = user(acctA, "/", "carol", "AIDACAROLEXAMPLE00006")
	bob    = user(acctB, "/", "bob", "AIDABOBEXAMPLE0000005")
	eve    = user(acctC, "/", "eve", "AIDAEVEEXAMPLE0000007")

	candidates = []tables.User{alice, dave, bob}
	inventory  = []tables.User{alice, alice2, dave, carol, bob, eve,
		{AccountID: acctA, UserName: tables.RootUserName, ARN: "arn:aws:iam::" + acctA + ":root", IsRoot: true}}
	regions = []string{"us-east-1", "eu-west-1"}
)

// doc builds a policy document from statements.
func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

func allow(principal string) string {
	return `{"Effect":"Allow","Principal":{"AWS":` + principal + `},"Action":"*","Resource":"*"}`
}

// state is a two-candidate-account organization with a reference of every
// kind, references that must not match, denied resources and services,
// orphaned IDs, and a third account that names alice but holds no
// candidate.
func state() *resources.State {
	q := func(s string) string { return `"` + s + `"` }
	return &resources.State{Accounts: []*resources.Account{
		{
			ID: acctA,
			Buckets: []*resources.Bucket{
				{Name: "payroll", Region: "us-east-1", Policy: doc(`{"Sid":"AllowAlice","Effect":"Allow","Principal":{"AWS":"` + alice.ARN + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::payroll/*"}`)},
				{Name: "logs-eu", Region: "eu-west-1", Policy: doc(allow(q("arn:aws:iam::" + acctA + ":user/division/*")))},
				{Name: "prefix-trap", Region: "us-east-1", Policy: doc(
					allow(`["arn:aws:iam::`+acctA+`:user/alice2","arn:aws:iam::`+acctA+`:user/alice-admin","arn:aws:iam::`+acctA+`:user/division/dave-ops"]`),
					`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:username":["alice2","alicex"]}}}`)},
				{Name: "denied-bucket", Region: "us-east-1", Policy: doc(allow(q(alice.ARN))), DenyPolicy: true, DenyACL: true},
				// S3 ACLs name accounts, not users; a grantee set to a user's
				// unique ID by hand is still reported.
				{Name: "acl-bucket", Region: "us-west-2", Grants: []resources.Grant{{Type: "CanonicalUser", ID: alice.UserID, Permission: "READ"}}},
				{Name: "orphan-bucket", Region: "eu-west-1", Policy: doc(allow(`["AIDAGONEEXAMPLE000009","` + carol.UserID + `"]`))},
				{Name: "broken-bucket", Region: "us-east-1", Policy: `{"Statement": not json`},
			},
			Keys: []*resources.Key{
				{Alias: "alice", Region: "eu-west-1", Policy: doc(
					`{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:root"},"Action":"kms:*","Resource":"*"}`,
					`{"Sid":"AllowAliceUse","Effect":"Allow","Principal":{"AWS":"`+alice.ARN+`"},"Action":["kms:Decrypt"],"Resource":"*"}`)},
				{Alias: "denied", Region: "us-east-1", Deny: true},
				{Alias: "orphan", Region: "us-east-1", Policy: doc(allow(q("AIDAGONEEXAMPLE000010")))},
				{Alias: "default", Region: "us-east-1"},
			},
			Topics: []*resources.Topic{
				{Name: "alerts", Region: "us-east-1", Policy: doc(`{"Sid":"Ops","Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::` + acctA + `:user/division/d*"}}}`)},
				{Name: "default", Region: "eu-west-1"},
			},
			Queues: []*resources.Queue{
				{Name: "jobs", Region: "eu-west-1", Policy: doc(allow(q(alice.ARN)))},
				{Name: "plain", Region: "us-east-1"},
			},
			Secrets: []*resources.Secret{
				{Name: "db", Region: "us-east-1", Policy: doc(allow(q(bob.ARN)))},
				{Name: "plain", Region: "eu-west-1"},
			},
			Repositories: []*resources.Repository{
				{Name: "app", Region: "eu-west-1", Policy: doc(`{"Sid":"Pull","Effect":"Allow","Principal":{"AWS":["` + alice.ARN + `"]},"Action":"ecr:BatchGetImage"}`)},
				{Name: "nopolicy", Region: "us-east-1"},
			},
			Functions: []*resources.Function{
				{Name: "worker", Region: "us-east-1", Policy: doc(`{"Effect":"Allow","Principal":{"AWS":"` + alice.ARN + `"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:` + acctA + `:function:worker"}`)},
				{Name: "nopolicy", Region: "eu-west-1"},
			},
			Tagged: []*resources.TaggedResource{
				{ARN: "arn:aws:ec2:us-east-1:" + acctA + ":instance/i-0alice", Tags: map[string]string{"Owner": "alice", "env": "prod"}},
				{ARN: "arn:aws:ec2:us-east-1:" + acctA + ":instance/i-2", Tags: map[string]string{"Owner": "alice2", "owner": " ALICE "}},
				{ARN: "arn:aws:ec2:us-east-1:" + acctA + ":instance/i-3", Tags: map[string]string{"Team": "alice", "Owner": "alice-admin"}},
				{ARN: "arn:aws:ec2:eu-west-1:" + acctA + ":volume/vol-1", Tags: map[string]string{"created-by": dave.ARN}},
				{ARN: "arn:aws:s3:::payroll", Region: "us-east-1", Tags: map[string]string{"CreatedBy": dave.UserID}},
			},
		},
		{
			ID: acctB,
			Buckets: []*resources.Bucket{
				{Name: "bob-bucket", Region: "us-east-1", Policy: doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"aws:userid":"` + bob.UserID + `:*"}}}`)},
			},
			// A user's name in another account's tag names nobody here.
			Tagged: []*resources.TaggedResource{{ARN: "arn:aws:ec2:us-east-1:" + acctB + ":instance/i-b", Tags: map[string]string{"Owner": "alice"}}},
		},
		{
			ID:      acctC,
			Buckets: []*resources.Bucket{{Name: "c-bucket", Region: "us-east-1", Policy: doc(allow(`"` + alice.ARN + `"`))}},
			Keys:    []*resources.Key{{Alias: "c", Region: "us-east-1", Policy: doc(allow(`"` + alice.ARN + `"`))}},
			Tagged:  []*resources.TaggedResource{{ARN: "arn:aws:ec2:us-east-1:" + acctC + ":instance/i-c", Tags: map[string]string{"Owner": alice.ARN}}},
		},
	}}
}

// fixture serves st and returns the server and Clients pointed at it.
func fixture(t *testing.T, st *resources.State, opts ...resources.Option) (*resources.Server, *Clients) {
	t.Helper()
	srv, err := resources.New(st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, &Clients{
		Config: srv.Config(),
		Credentials: func(_ context.Context, id string) (aws.CredentialsProvider, error) {
			return srv.CredentialsProvider(id), nil
		},
		S3UsePathStyle: true,
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func keyARN(srv *resources.Server, account, alias string) string {
	var arn string
	srv.Do(func(s *resources.State) {
		for _, k := range s.Account(account).Keys {
			if k.Alias == alias {
				arn = k.ARN(account)
			}
		}
	})
	return arn
}

func refStrings(refs []tables.Reference) []string {
	var out []string
	for _, r := range refs {
		out = append(out, strings.Join([]string{r.AccountID, r.UserName, r.UserID, r.UserARN, r.Kind, r.ResourceARN, r.Region, r.Location, r.Match}, "|"))
	}
	return out
}

func ref(u tables.User, kind, resource, region, location, match string) string {
	return strings.Join([]string{u.AccountID, u.UserName, u.UserID, u.ARN, kind, resource, region, location, match}, "|")
}

// uncheckedStrings renders rows with the error cut to its first words, which
// are what the tests pin down.
func uncheckedStrings(rows []references.Unchecked, errWords int) []string {
	var out []string
	for _, u := range rows {
		words := strings.Fields(u.Error)
		out = append(out, strings.Join([]string{u.AccountID, u.Kind, u.ResourceARN, u.Region, strings.Join(words[:min(errWords, len(words))], " ")}, "|"))
	}
	return out
}

// TestEndToEnd runs every live check through real SDK clients against the
// fake and checks every reference, unchecked row and orphan.
func TestEndToEnd(t *testing.T) {
	srv, clients := fixture(t, state(),
		resources.WithDenied(acctB, resources.ServiceKMS, "eu-west-1"),
		resources.WithDenied(acctB, resources.ServiceLambda),
		resources.WithPageSize(2))
	opts := Options{Regions: StaticRegions(regions...), Inventory: inventory, Concurrency: 4, Logger: quiet()}
	res, err := references.Run(context.Background(), candidates, Checkers(clients, opts)...)
	if err != nil {
		t.Fatal(err)
	}
	// Every check but iam (from the inventory) and code (from files) reads AWS.
	wantChecks := slices.DeleteFunc(slices.Clone(references.KnownChecks()), func(c string) bool {
		return c == references.CheckIAM || c == references.CheckCode
	})
	if !slices.Equal(res.Checks, wantChecks) {
		t.Errorf("checks = %v, want %v", res.Checks, wantChecks)
	}

	aliceKey, deniedKey, orphanKey := keyARN(srv, acctA, "alice"), keyARN(srv, acctA, "denied"), keyARN(srv, acctA, "orphan")
	var secretARN string
	srv.Do(func(s *resources.State) { secretARN = s.Account(acctA).Secrets[0].ARN(acctA) })
	want := []string{
		ref(alice, KindECRPolicy, "arn:aws:ecr:eu-west-1:"+acctA+":repository/app", "eu-west-1", "Principal (Sid Pull)", alice.ARN),
		ref(alice, KindKMSPolicy, aliceKey, "eu-west-1", "Principal (Sid AllowAliceUse)", alice.ARN),
		ref(alice, KindLambdaPolicy, "arn:aws:lambda:us-east-1:"+acctA+":function:worker", "us-east-1", "Principal (statement 1)", alice.ARN),
		ref(alice, KindS3ACL, "arn:aws:s3:::acl-bucket", "us-west-2", "Grant READ (grantee CanonicalUser)", alice.UserID),
		ref(alice, KindS3Policy, "arn:aws:s3:::payroll", "us-east-1", "Principal (Sid AllowAlice)", alice.ARN),
		ref(alice, KindSQSPolicy, "arn:aws:sqs:eu-west-1:"+acctA+":jobs", "eu-west-1", "Principal (statement 1)", alice.ARN),
		ref(alice, KindTaggedResource, "arn:aws:ec2:us-east-1:"+acctA+":instance/i-0alice", "us-east-1", "Tag:Owner", "alice"),
		ref(alice, KindTaggedResource, "arn:aws:ec2:us-east-1:"+acctA+":instance/i-2", "us-east-1", "Tag:owner", " ALICE "),
		ref(dave, KindS3Policy, "arn:aws:s3:::logs-eu", "eu-west-1", "Principal (statement 1)", "arn:aws:iam::"+acctA+":user/division/*"),
		ref(dave, KindSNSPolicy, "arn:aws:sns:us-east-1:"+acctA+":alerts", "us-east-1", "Condition ArnLike aws:PrincipalArn (Sid Ops)", "arn:aws:iam::"+acctA+":user/division/d*"),
		ref(dave, KindTaggedResource, "arn:aws:ec2:eu-west-1:"+acctA+":volume/vol-1", "eu-west-1", "Tag:created-by", dave.ARN),
		ref(dave, KindTaggedResource, "arn:aws:s3:::payroll", "us-east-1", "Tag:CreatedBy", dave.UserID),
		ref(bob, KindS3Policy, "arn:aws:s3:::bob-bucket", "us-east-1", "Condition StringLike aws:userid (statement 1)", bob.UserID+":*"),
		ref(bob, KindSecretPolicy, secretARN, "us-east-1", "Principal (statement 1)", bob.ARN),
	}
	got := refStrings(res.References)
	if !slices.Equal(got, want) {
		t.Errorf("references:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	kinds := map[string]bool{}
	for _, r := range res.References {
		kinds[r.Kind] = true
	}
	for _, k := range []string{KindS3Policy, KindS3ACL, KindKMSPolicy, KindSNSPolicy, KindSQSPolicy, KindSecretPolicy, KindECRPolicy, KindLambdaPolicy, KindTaggedResource} {
		if !kinds[k] {
			t.Errorf("no %s reference found", k)
		}
	}

	wantUnchecked := []string{
		acctA + "|" + KindKMSPolicy + "|" + deniedKey + "|us-east-1|GetKeyPolicy: AccessDeniedException:",
		acctA + "|" + KindS3ACL + "|arn:aws:s3:::denied-bucket|us-east-1|GetBucketAcl: AccessDenied:",
		acctA + "|" + KindS3Policy + "|arn:aws:s3:::broken-bucket|us-east-1|parsing the",
		acctA + "|" + KindS3Policy + "|arn:aws:s3:::denied-bucket|us-east-1|GetBucketPolicy: AccessDenied:",
		acctB + "|" + KindKMSPolicy + "|arn:aws:kms:eu-west-1:" + acctB + ":key/*|eu-west-1|ListKeys: AccessDeniedException:",
		acctB + "|" + KindLambdaPolicy + "|arn:aws:lambda:eu-west-1:" + acctB + ":function:*|eu-west-1|ListFunctions: AccessDeniedException:",
		acctB + "|" + KindLambdaPolicy + "|arn:aws:lambda:us-east-1:" + acctB + ":function:*|us-east-1|ListFunctions: AccessDeniedException:",
	}
	if got := uncheckedStrings(res.Unchecked, 2); !slices.Equal(got, wantUnchecked) {
		t.Errorf("unchecked:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(wantUnchecked, "\n      "))
	}

	wantOrphans := []references.Orphan{
		{AccountID: acctA, Kind: KindKMSPolicy, ResourceARN: orphanKey, Location: "Principal (statement 1)", UniqueID: "AIDAGONEEXAMPLE000010"},
		{AccountID: acctA, Kind: KindS3Policy, ResourceARN: "arn:aws:s3:::orphan-bucket", Location: "Principal (statement 1)", UniqueID: "AIDAGONEEXAMPLE000009"},
	}
	if !slices.Equal(res.Orphans, wantOrphans) {
		t.Errorf("orphans = %+v, want %+v", res.Orphans, wantOrphans)
	}

	if n := srv.Count(func(c resources.Call) bool { return c.AccountID == acctC }); n != 0 {
		t.Errorf("%d calls to account %s, which holds no candidate", n, acctC)
	}
	// Every bucket is read in its own region: the fake refuses others.
	if n := srv.Count(func(c resources.Call) bool { return c.ErrorCode == "AuthorizationHeaderMalformed" }); n != 0 {
		t.Errorf("%d bucket calls signed for the wrong region", n)
	}
	if n := srv.Count(func(c resources.Call) bool { return c.Action == "GetBucketLocation" }); n != 0 {
		t.Errorf("%d GetBucketLocation calls although ListBuckets gave every region", n)
	}
}

// TestLegacyListBuckets: an endpoint whose ListBuckets gives no region makes
// the check ask GetBucketLocation, and S3's "EU" means eu-west-1.
func TestLegacyListBuckets(t *testing.T) {
	st := &resources.State{Accounts: []*resources.Account{{ID: acctA, Buckets: []*resources.Bucket{
		{Name: "old-eu", Region: "eu-west-1", LocationConstraint: "EU", Policy: doc(allow(`"` + alice.ARN + `"`))},
		{Name: "east", Region: "us-east-1", Policy: doc(allow(`"` + dave.ARN + `"`))},
	}}}}
	srv, clients := fixture(t, st, resources.WithLegacyListBuckets())
	refs, unchecked, err := NewS3(clients.S3, Options{Regions: StaticRegions("us-east-1"), Logger: quiet()}).Check(context.Background(), []tables.User{alice, dave})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		ref(alice, KindS3Policy, "arn:aws:s3:::old-eu", "eu-west-1", "Principal (statement 1)", alice.ARN),
		ref(dave, KindS3Policy, "arn:aws:s3:::east", "us-east-1", "Principal (statement 1)", dave.ARN),
	}
	if got := refStrings(refs); !slices.Equal(got, want) || len(unchecked) != 0 {
		t.Errorf("references %q, unchecked %+v; want %q", got, unchecked, want)
	}
	if n := srv.Count(func(c resources.Call) bool { return c.Action == "GetBucketLocation" }); n != 2 {
		t.Errorf("%d GetBucketLocation calls, want 2", n)
	}
}

// TestThrottlingAndConcurrency: throttled calls are retried to the same
// result, calls in flight stay within the bound, and a serial run agrees
// with a concurrent one (run with -race).
func TestThrottlingAndConcurrency(t *testing.T) {
	big := state()
	a := big.Accounts[0]
	for i := range 12 {
		for _, region := range regions {
			a.Buckets = append(a.Buckets, &resources.Bucket{Name: fmt.Sprintf("bulk-%s-%d", region, i), Region: region, Policy: doc(allow(`"` + alice.ARN + `"`))})
			a.Keys = append(a.Keys, &resources.Key{Alias: fmt.Sprintf("bulk-%d", i), Region: region})
			a.Queues = append(a.Queues, &resources.Queue{Name: fmt.Sprintf("bulk-%d", i), Region: region, Policy: doc(allow(`"` + dave.ARN + `"`))})
		}
	}
	run := func(concurrency int, opts ...resources.Option) (references.Result, *resources.Server) {
		srv, clients := fixture(t, big, opts...)
		o := Options{Regions: StaticRegions(regions...), Inventory: inventory, Concurrency: concurrency, Logger: quiet()}
		res, err := references.Run(context.Background(), candidates, Checkers(clients, o)...)
		if err != nil {
			t.Fatal(err)
		}
		return res, srv
	}
	serial, srv1 := run(1)
	if m := srv1.MaxInFlight(); m != 1 {
		t.Errorf("Concurrency 1: %d calls in flight at once", m)
	}
	parallel, srv := run(3, resources.WithLatency(2*time.Millisecond), resources.WithThrottling(1), resources.WithPageSize(5))
	if m := srv.MaxInFlight(); m > 3 || m < 2 {
		t.Errorf("Concurrency 3: at most %d calls in flight at once; want 2 or 3", m)
	}
	throttles := []string{"SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "TooManyRequestsException"}
	for _, svc := range []string{resources.ServiceS3, resources.ServiceKMS, resources.ServiceSNS, resources.ServiceSQS,
		resources.ServiceSecretsManager, resources.ServiceECR, resources.ServiceLambda, resources.ServiceTagging} {
		if n := srv.Count(func(c resources.Call) bool { return c.Service == svc && slices.Contains(throttles, c.ErrorCode) }); n == 0 {
			t.Errorf("no %s call was throttled; the test does not test its retries", svc)
		}
	}
	if !slices.Equal(refStrings(serial.References), refStrings(parallel.References)) {
		t.Errorf("throttled concurrent run found other references than the serial run:\n%q\n%q", refStrings(parallel.References), refStrings(serial.References))
	}
	if !slices.Equal(uncheckedStrings(serial.Unchecked, 2), uncheckedStrings(parallel.Unchecked, 2)) || !slices.Equal(serial.Orphans, parallel.Orphans) {
		t.Errorf("throttled concurrent run differs in unchecked or orphans:\n%q\n%q", uncheckedStrings(parallel.Unchecked, 2), uncheckedStrings(serial.Unchecked, 2))
	}
	if len(serial.References) < 48 {
		t.Errorf("%d references; the bulk resources were not all read", len(serial.References))
	}
}

// TestRegionsFailure: an account whose regions are unknown is unchecked for
// every kind, and the other accounts are still read.
func TestRegionsFailure(t *testing.T) {
	srv, clients := fixture(t, state())
	opts := Options{Logger: quiet(), Regions: func(_ context.Context, id string) ([]string, error) {
		if id == acctB {
			return nil, errors.New("account:ListRegions: AccessDeniedException")
		}
		return regions, nil
	}}
	for _, c := range []*Checker{NewS3(clients.S3, opts), NewKMS(clients.KMS, opts)} {
		refs, unchecked, err := c.Check(context.Background(), candidates)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		if c.Name() == references.CheckS3 {
			want = []string{
				acctA + "|" + KindS3ACL + "|arn:aws:s3:::denied-bucket|us-east-1|GetBucketAcl:",
				acctA + "|" + KindS3Policy + "|arn:aws:s3:::broken-bucket|us-east-1|parsing",
				acctA + "|" + KindS3Policy + "|arn:aws:s3:::denied-bucket|us-east-1|GetBucketPolicy:",
				acctB + "|" + KindS3ACL + "|arn:aws:s3:::*||listing",
				acctB + "|" + KindS3Policy + "|arn:aws:s3:::*||listing",
			}
		} else {
			want = []string{
				acctA + "|" + KindKMSPolicy + "|" + keyARN(srv, acctA, "denied") + "|us-east-1|GetKeyPolicy:",
				acctB + "|" + KindKMSPolicy + "|arn:aws:kms:*:" + acctB + ":key/*|*|listing",
			}
		}
		if got := uncheckedStrings(unchecked, 1); !slices.Equal(got, want) {
			t.Errorf("%s unchecked:\n got  %q\n want %q", c.Name(), got, want)
		}
		if !strings.Contains(unchecked[len(unchecked)-1].Error, "account:ListRegions: AccessDeniedException") {
			t.Errorf("%s: unchecked row %+v does not carry the cause", c.Name(), unchecked[len(unchecked)-1])
		}
		if len(refs) == 0 {
			t.Errorf("%s: account %s was not read after %s failed", c.Name(), acctA, acctB)
		}
	}
	if n := srv.Count(func(c resources.Call) bool { return c.AccountID == acctB }); n != 0 {
		t.Errorf("%d calls to account %s whose regions are unknown", n, acctB)
	}
}

// TestDeniedService: a service denied in a whole account is one unchecked
// row per region naming everything of the kind there.
func TestDeniedService(t *testing.T) {
	_, clients := fixture(t, state(), resources.WithDenied(acctA, resources.ServiceS3), resources.WithDenied(acctA, resources.ServiceTagging, "eu-west-1"))
	opts := Options{Regions: StaticRegions(regions...), Logger: quiet()}
	_, unchecked, err := NewS3(clients.S3, opts).Check(context.Background(), candidates)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{acctA + "|" + KindS3ACL + "|arn:aws:s3:::*||ListBuckets: AccessDenied:", acctA + "|" + KindS3Policy + "|arn:aws:s3:::*||ListBuckets: AccessDenied:"}
	if got := uncheckedStrings(unchecked, 2); !slices.Equal(got, want) {
		t.Errorf("s3 unchecked %q, want %q", got, want)
	}
	refs, unchecked, err := NewTagging(clients.Tagging, opts).Check(context.Background(), candidates)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{acctA + "|" + KindTaggedResource + "|arn:aws:*:eu-west-1:" + acctA + ":*|eu-west-1|GetResources: AccessDeniedException:"}
	if got := uncheckedStrings(unchecked, 2); !slices.Equal(got, want) {
		t.Errorf("tagging unchecked %q, want %q", got, want)
	}
	if len(refs) != 3 {
		t.Errorf("tagging in us-east-1 found %d references, want 3: %q", len(refs), refStrings(refs))
	}
}

func TestOwnerTagKeys(t *testing.T) {
	st := &resources.State{Accounts: []*resources.Account{{ID: acctA, Tagged: []*resources.TaggedResource{
		{ARN: "arn:aws:ec2:us-east-1:" + acctA + ":instance/i-1", Tags: map[string]string{"team-owner": "Alice", "Owner": "dave"}},
	}}}}
	_, clients := fixture(t, st)
	refs, _, err := NewTagging(clients.Tagging, Options{Regions: StaticRegions("us-east-1"), OwnerTagKeys: []string{"team-owner"}, Logger: quiet()}).
		Check(context.Background(), candidates)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ref(alice, KindTaggedResource, "arn:aws:ec2:us-east-1:"+acctA+":instance/i-1", "us-east-1", "Tag:team-owner", "Alice")}
	if got := refStrings(refs); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q (only the configured key counts)", got, want)
	}
}

// TestNoInventoryNoOrphans: without the inventory every non-candidate's ID
// would look orphaned, so none are reported.
func TestNoInventoryNoOrphans(t *testing.T) {
	_, clients := fixture(t, state())
	c := NewS3(clients.S3, Options{Regions: StaticRegions(regions...), Logger: quiet()})
	if _, _, err := c.Check(context.Background(), candidates); err != nil {
		t.Fatal(err)
	}
	if o := c.Orphans(); len(o) != 0 {
		t.Errorf("orphans without an inventory: %+v", o)
	}
}

func TestNoCandidates(t *testing.T) {
	srv, clients := fixture(t, state())
	root := []tables.User{{AccountID: acctA, UserName: tables.RootUserName, ARN: "arn:aws:iam::" + acctA + ":root", IsRoot: true}}
	for _, c := range Checkers(clients, Options{Regions: StaticRegions(regions...), Logger: quiet()}) {
		refs, unchecked, err := c.Check(context.Background(), root)
		if err != nil || len(refs) != 0 || len(unchecked) != 0 {
			t.Errorf("%s with no candidates: %v %v %v", c.Name(), refs, unchecked, err)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d calls with no candidates", n)
	}
}

func TestBadInput(t *testing.T) {
	_, clients := fixture(t, state())
	if _, _, err := NewKMS(clients.KMS, Options{}).Check(context.Background(), candidates); err == nil || !strings.Contains(err.Error(), "Options.Regions") {
		t.Errorf("no regions: error %v", err)
	}
	bad := []tables.User{{AccountID: acctA, UserName: "x", ARN: "arn:aws:iam::" + acctA + ":role/x"}}
	if _, _, err := NewKMS(clients.KMS, Options{Regions: StaticRegions("us-east-1")}).Check(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "not an IAM user ARN") {
		t.Errorf("bad candidate ARN: error %v", err)
	}
}

// TestCancel: a cancelled check fails rather than return a partial answer
// as complete.
func TestCancel(t *testing.T) {
	_, clients := fixture(t, state(), resources.WithLatency(200*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	refs, unchecked, err := NewS3(clients.S3, Options{Regions: StaticRegions(regions...), Logger: quiet()}).Check(ctx, candidates)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled check: %d refs, %d unchecked, error %v; want context.Canceled", len(refs), len(unchecked), err)
	}
}

// TestClients: adaptive retry unless the config has a retryer, one
// credentials provider per account, and a credentials failure leaves the
// account unchecked instead of failing the check.
func TestClients(t *testing.T) {
	srv, err := resources.New(state())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var mu sync.Mutex
	asked := map[string]int{}
	cfg := srv.Config()
	cfg.Retryer = nil
	clients := &Clients{Config: cfg, Credentials: func(_ context.Context, id string) (aws.CredentialsProvider, error) {
		mu.Lock()
		defer mu.Unlock()
		asked[id]++
		if id == acctB {
			return nil, errors.New("AssumeRole: AccessDenied")
		}
		return srv.CredentialsProvider(id), nil
	}}
	k, err := clients.KMS(context.Background(), acctA, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := k.(*kms.Client).Options().Retryer.(*retry.AdaptiveMode); !ok {
		t.Errorf("retryer is %T, want *retry.AdaptiveMode", k.(*kms.Client).Options().Retryer)
	}
	again, _ := clients.KMS(context.Background(), acctA, "us-east-1")
	if again != k {
		t.Error("the client for the same account and region was not reused")
	}

	_, unchecked, err := NewKMS(clients.KMS, Options{Regions: StaticRegions(regions...), Logger: quiet()}).Check(context.Background(), candidates)
	if err != nil {
		t.Fatal(err)
	}
	var forB []string
	for _, u := range unchecked {
		if u.AccountID == acctB {
			forB = append(forB, u.Region+" "+u.ResourceARN)
			if !strings.Contains(u.Error, "AssumeRole: AccessDenied") {
				t.Errorf("unchecked row %+v does not carry the credentials error", u)
			}
		}
	}
	if want := []string{"eu-west-1 arn:aws:kms:eu-west-1:" + acctB + ":key/*", "us-east-1 arn:aws:kms:us-east-1:" + acctB + ":key/*"}; !slices.Equal(forB, want) {
		t.Errorf("account without credentials: unchecked %q, want %q", forB, want)
	}
	if asked[acctA] != 1 {
		t.Errorf("credentials for %s asked %d times, want once", acctA, asked[acctA])
	}
}
