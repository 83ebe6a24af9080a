package awssession

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
)

func TestARN(t *testing.T) {
	for _, tt := range []struct{ partition, account, role, want string }{
		{"aws", "111122223333", "OrganizationAccountAccessRole", "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"},
		{"aws-us-gov", "111122223333", "/audit/dormant", "arn:aws-us-gov:iam::111122223333:role/audit/dormant"},
	} {
		if got := RoleARN(tt.partition, tt.account, tt.role); got != tt.want {
			t.Errorf("RoleARN(%q, %q, %q) = %q, want %q", tt.partition, tt.account, tt.role, got, tt.want)
		}
	}
}

// stsStub records the AssumeRole input and returns credentials.
type stsStub struct{ in *sts.AssumeRoleInput }

func (s *stsStub) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	s.in = in
	return &sts.AssumeRoleOutput{Credentials: &types.Credentials{
		AccessKeyId: aws.String("ASIAEXAMPLE"), SecretAccessKey: aws.String("secret"), SessionToken: aws.String("token"),
		Expiration: aws.Time(time.Now().Add(time.Hour)),
	}}, nil
}

func TestCredentialsPassOptions(t *testing.T) {
	stub := &stsStub{}
	creds := RoleCredentials(stub, "arn:aws:iam::111122223333:role/r", Role{SessionName: "dormant", ExternalID: "ext", Duration: 30 * time.Minute})
	got, err := creds.Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "ASIAEXAMPLE" {
		t.Fatalf("Retrieve = %+v, %v", got, err)
	}
	in := stub.in
	if aws.ToString(in.RoleArn) != "arn:aws:iam::111122223333:role/r" || aws.ToString(in.RoleSessionName) != "dormant" ||
		aws.ToString(in.ExternalId) != "ext" || aws.ToInt32(in.DurationSeconds) != 1800 {
		t.Fatalf("AssumeRole input = %+v", in)
	}
	stub2 := &stsStub{}
	if _, err := RoleCredentials(stub2, "arn:aws:iam::111122223333:role/r", Role{SessionName: "s"}).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if stub2.in.ExternalId != nil {
		t.Errorf("no external ID asked, but AssumeRole got %q", aws.ToString(stub2.in.ExternalId))
	}
}
