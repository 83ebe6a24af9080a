package awsfake

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// TestOrganizationInventoryConcurrently runs the inventory a multi-account
// scan makes (ListAccounts, AssumeRole, credential report, GAAD) on many
// accounts at once, with throttling, latency, slow reports, small pages and
// one denied account: run it with -race.
func TestOrganizationInventoryConcurrently(t *testing.T) {
	const accounts = 25
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	org := NewOrg(mgmtID)
	var denied string
	for i := 1; i <= accounts; i++ {
		id := fmt.Sprintf("%012d", 100000000000+i)
		a := org.AddAccount(id)
		a.AddRole("OrganizationAccountAccessRole")
		for j := 0; j < i%4+1; j++ {
			u := a.AddUser(fmt.Sprintf("u%d-%d", i, j))
			u.AddAccessKey()
			u.PutInlinePolicy("p", policyDoc)
		}
		if i == 7 {
			denied = id
		}
	}
	s := start(t, org,
		WithThrottling(2, "GenerateCredentialReport", "GetAccountAuthorizationDetails", "AssumeRole"),
		WithLatency(time.Millisecond),
		WithReportDelay(30*time.Millisecond),
		WithPageSize(2),
		WithDeniedIAM(denied),
	)
	caller := org.CallerCredentials()

	var ids []string
	p := organizations.NewListAccountsPaginator(s.OrganizationsClient(caller), &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Accounts {
			if a.Status == orgtypes.AccountStatusActive && aws.ToString(a.Id) != mgmtID {
				ids = append(ids, aws.ToString(a.Id))
			}
		}
	}
	if len(ids) != accounts {
		t.Fatalf("listed %d member accounts, want %d", len(ids), accounts)
	}

	type result struct {
		reportUsers, gaadUsers int
		err                    error
	}
	results := make([]result, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = inventory(ctx, s, caller, id)
		}()
	}
	wg.Wait()

	for i, id := range ids {
		r := results[i]
		if id == denied {
			if errorCode(r.err) != "AccessDenied" {
				t.Errorf("account %s: %v, want AccessDenied", id, r.err)
			}
			continue
		}
		if r.err != nil {
			t.Errorf("account %s: %v", id, r.err)
			continue
		}
		want := len(org.Account(id).Users)
		if r.reportUsers != want || r.gaadUsers != want {
			t.Errorf("account %s: report has %d users, GAAD %d; want %d", id, r.reportUsers, r.gaadUsers, want)
		}
	}
	if n := s.MutatingCalls(); n != 0 {
		t.Errorf("inventory made %d mutating calls", n)
	}
}

func inventory(ctx context.Context, s *Server, caller aws.Credentials, account string) (r struct {
	reportUsers, gaadUsers int
	err                    error
}) {
	creds, err := s.AssumeRole(ctx, caller, "arn:aws:iam::"+account+":role/OrganizationAccountAccessRole", "")
	if err != nil {
		r.err = err
		return r
	}
	c := s.IAMClient(creds)
	for {
		out, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			r.err = err
			return r
		}
		if out.State == iamtypes.ReportStateTypeComplete {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	rep, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		r.err = err
		return r
	}
	recs, err := csv.NewReader(bytes.NewReader(rep.Content)).ReadAll()
	if err != nil {
		r.err = err
		return r
	}
	r.reportUsers = len(recs) - 2 // header and root row
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			r.err = err
			return r
		}
		r.gaadUsers += len(out.UserDetailList)
	}
	return r
}

// BenchmarkAccountInventory measures the fake's own cost of one account's
// inventory (AssumeRole, report, GAAD) with no injected latency, so
// pipeline benchmarks can tell the fake's overhead from their own.
func BenchmarkAccountInventory(b *testing.B) {
	org := NewOrg(mgmtID)
	a := org.AddAccount(memberID)
	a.AddRole("OrganizationAccountAccessRole")
	for j := 0; j < 50; j++ {
		u := a.AddUser(fmt.Sprintf("user%02d", j))
		u.AddAccessKey()
		u.PutInlinePolicy("p", policyDoc)
	}
	s := New(org)
	defer s.Close()
	ctx := context.Background()
	for b.Loop() {
		if r := inventory(ctx, s, org.CallerCredentials(), memberID); r.err != nil || r.gaadUsers != 50 {
			b.Fatalf("inventory: %v (%d users)", r.err, r.gaadUsers)
		}
	}
}
