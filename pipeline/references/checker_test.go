package references

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// stubChecker stands in for a live check: it returns what it is given, or
// fails, or waits for cancellation like a check blocked on the network.
type stubChecker struct {
	name      string
	refs      []tables.Reference
	unchecked []Unchecked
	err       error
	block     bool
}

func (s stubChecker) Name() string { return s.name }

func (s stubChecker) Check(ctx context.Context, _ []tables.User) ([]tables.Reference, []Unchecked, error) {
	if s.block {
		<-ctx.Done()
		return nil, nil, ctx.Err()
	}
	return s.refs, s.unchecked, s.err
}

func TestRun(t *testing.T) {
	policies := []tables.Policy{trust(acctA, roleA, stmt(`{"Effect":"Allow","Principal":{"AWS":"`+daveARN+`"},"Action":"sts:AssumeRole"}`))}
	bucketRef := tables.Reference{
		AccountID: acctA, UserName: "alice", UserID: "AIDAALICEEXAMPLE00001", UserARN: aliceARN,
		Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::payroll", Region: "eu-west-1", Location: "Principal (statement 1)", Match: aliceARN,
	}
	s3 := stubChecker{
		name: CheckS3,
		refs: []tables.Reference{bucketRef, bucketRef},
		unchecked: []Unchecked{
			{AccountID: acctB, Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::zeta", Region: "us-east-1", Error: "AccessDenied"},
			{AccountID: acctA, Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::alpha", Region: "us-east-1", Error: "AccessDenied"},
		},
	}
	res, err := Run(context.Background(), testUsers, s3, PolicyChecker{Policies: policies})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{CheckS3, CheckIAM}; !slices.Equal(res.Checks, want) {
		t.Errorf("checks = %v, want %v", res.Checks, want)
	}
	var got []string
	for _, r := range res.References {
		got = append(got, r.UserName+" "+r.Kind+" "+r.ResourceARN)
	}
	if want := []string{"alice s3 bucket policy arn:aws:s3:::payroll", "dave role trust policy " + roleA}; !slices.Equal(got, want) {
		t.Errorf("references = %q, want %q (sorted, duplicates merged)", got, want)
	}
	if len(res.Unchecked) != 2 || res.Unchecked[0].ResourceARN != "arn:aws:s3:::alpha" {
		t.Errorf("unchecked not sorted by account: %+v", res.Unchecked)
	}
}

func TestRunFailure(t *testing.T) {
	failing := stubChecker{name: CheckKMS, err: errors.New("ListKeys: AccessDeniedException")}
	blocked := stubChecker{name: CheckS3, block: true}
	res, err := Run(context.Background(), testUsers, blocked, failing)
	if err == nil {
		t.Fatalf("Run succeeded with a failing check: %+v", res)
	}
	if !strings.Contains(err.Error(), "running the kms reference check: ListKeys: AccessDeniedException") {
		t.Errorf("error %q does not name the failed check", err)
	}
	if strings.Contains(err.Error(), "s3") {
		t.Errorf("error %q reports the check cancelled because of the failure", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, testUsers, blocked); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context: err = %v, want context.Canceled", err)
	}
	if _, err := Run(context.Background(), testUsers, PolicyChecker{}, PolicyChecker{}); err == nil || !strings.Contains(err.Error(), `"iam" given twice`) {
		t.Errorf("Run with a check given twice: err = %v", err)
	}
	bad := PolicyChecker{Policies: []tables.Policy{trust(acctA, roleA, "{")}}
	if _, err := Run(context.Background(), testUsers, bad); err == nil || !strings.Contains(err.Error(), "running the iam reference check: parsing role trust policy of "+roleA) {
		t.Errorf("Run with a broken policy: err = %v", err)
	}
}
