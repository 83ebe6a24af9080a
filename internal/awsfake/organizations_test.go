package awsfake

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

func TestListAccountsPaging(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	for i := 2; i <= 5; i++ {
		id := fmt.Sprintf("%012d", i*111111111111)
		opts := []AccountOption{AccountName(fmt.Sprintf("acct-%d", i))}
		if i == 4 {
			opts = append(opts, Suspended())
		}
		org.AddAccount(id, opts...)
	}
	s := start(t, org, WithPageSize(2))
	c := s.OrganizationsClient(org.CallerCredentials())

	var accounts []orgtypes.Account
	pages := 0
	p := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Accounts) > 2 {
			t.Errorf("page of %d accounts, page size is 2", len(out.Accounts))
		}
		accounts = append(accounts, out.Accounts...)
	}
	if pages != 3 || len(accounts) != 5 {
		t.Fatalf("%d accounts in %d pages, want 5 in 3", len(accounts), pages)
	}
	statuses := map[orgtypes.AccountStatus]int{}
	for i, a := range accounts {
		if aws.ToString(a.Id) != org.Accounts[i].ID {
			t.Errorf("account %d = %s, want %s (the Org's order)", i, aws.ToString(a.Id), org.Accounts[i].ID)
		}
		statuses[a.Status]++
		if a.JoinedTimestamp == nil || !a.JoinedTimestamp.Equal(DefaultDate) {
			t.Errorf("JoinedTimestamp = %v", a.JoinedTimestamp)
		}
		if want := fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", mgmtID, org.ID, aws.ToString(a.Id)); aws.ToString(a.Arn) != want {
			t.Errorf("Arn = %s, want %s", aws.ToString(a.Arn), want)
		}
	}
	if statuses[orgtypes.AccountStatusActive] != 4 || statuses[orgtypes.AccountStatusSuspended] != 1 {
		t.Errorf("statuses = %v, want 4 ACTIVE and 1 SUSPENDED", statuses)
	}

	if _, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("garbage")}); errorCode(err) != "InvalidInputException" {
		t.Errorf("bad NextToken: %v, want InvalidInputException", err)
	}

	d, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.Organization.MasterAccountId) != mgmtID || aws.ToString(d.Organization.Id) != org.ID || d.Organization.FeatureSet != orgtypes.OrganizationFeatureSetAll {
		t.Errorf("DescribeOrganization = %+v", d.Organization)
	}
}

func TestListAccountsOnlyFromManagementAccount(t *testing.T) {
	ctx := context.Background()
	org := NewOrg(mgmtID)
	caller := org.AddCaller(memberID, "arn:aws:iam::"+memberID+":user/x")
	org.AddAccount(memberID)
	s := start(t, org)
	_, err := s.OrganizationsClient(caller.Credentials()).ListAccounts(ctx, &organizations.ListAccountsInput{})
	var ade *orgtypes.AccessDeniedException
	if !errors.As(err, &ade) || httpStatus(err) != 403 {
		t.Fatalf("ListAccounts from a member account: %v, want AccessDeniedException 403", err)
	}
	if _, err := s.OrganizationsClient(caller.Credentials()).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Errorf("DescribeOrganization from a member account: %v", err)
	}
}
