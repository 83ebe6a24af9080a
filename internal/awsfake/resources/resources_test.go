package resources

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

const (
	acct  = "111111111111"
	other = "222222222222"
	pol   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"*","Resource":"*"}]}`
)

func testState() *State {
	return &State{Accounts: []*Account{
		{
			ID: acct,
			Buckets: []*Bucket{
				{Name: "alpha", Region: "us-east-1", Policy: pol, Grants: []Grant{{Type: "Group", URI: "http://acs.amazonaws.com/groups/s3/LogDelivery", Permission: "WRITE"}}},
				{Name: "beta", Region: "eu-west-1"},
				{Name: "gamma", Region: "eu-west-1", LocationConstraint: "EU", DenyPolicy: true, DenyACL: true},
			},
			Keys:         []*Key{{Alias: "a", Region: "us-east-1", Policy: pol}, {Alias: "b", Region: "us-east-1", Deny: true}, {Alias: "c", Region: "eu-west-1"}},
			Topics:       []*Topic{{Name: "t1", Region: "us-east-1", Policy: pol}, {Name: "t2", Region: "us-east-1"}},
			Queues:       []*Queue{{Name: "q1", Region: "us-east-1", Policy: pol}, {Name: "q2", Region: "us-east-1"}},
			Secrets:      []*Secret{{Name: "s1", Region: "us-east-1", Policy: pol}, {Name: "s2", Region: "us-east-1"}},
			Repositories: []*Repository{{Name: "r1", Region: "us-east-1", Policy: pol}, {Name: "r2", Region: "us-east-1"}},
			Functions:    []*Function{{Name: "f1", Region: "us-east-1", Policy: pol}, {Name: "f2", Region: "us-east-1"}},
			Tagged: []*TaggedResource{
				{ARN: "arn:aws:ec2:us-east-1:111111111111:instance/i-1", Tags: map[string]string{"Owner": "alice", "env": "prod"}},
				{ARN: "arn:aws:s3:::alpha", Region: "us-east-1", Tags: map[string]string{"CreatedBy": "bob"}},
			},
		},
		{ID: other, Buckets: []*Bucket{{Name: "theirs", Region: "us-east-1", Policy: pol}}},
	}}
}

func newServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	srv, err := New(testState(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func cfg(srv *Server, account, region string) aws.Config {
	c := srv.Config()
	c.Region = region
	c.Credentials = srv.CredentialsProvider(account)
	return c
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestS3(t *testing.T) {
	srv := newServer(t, WithPageSize(2))
	ctx := context.Background()
	client := func(region string) *s3.Client {
		return s3.NewFromConfig(cfg(srv, acct, region), func(o *s3.Options) { o.UsePathStyle = true })
	}
	var names, regions []string
	p := s3.NewListBucketsPaginator(client("us-east-1"), &s3.ListBucketsInput{MaxBuckets: aws.Int32(1000)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, b := range out.Buckets {
			names = append(names, aws.ToString(b.Name))
			regions = append(regions, aws.ToString(b.BucketRegion))
		}
	}
	if !slices.Equal(names, []string{"alpha", "beta", "gamma"}) || !slices.Equal(regions, []string{"us-east-1", "eu-west-1", "eu-west-1"}) || pages != 2 {
		t.Errorf("ListBuckets: %v %v in %d pages", names, regions, pages)
	}

	loc, err := client("us-east-1").GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("alpha")})
	if err != nil || loc.LocationConstraint != "" {
		t.Errorf("GetBucketLocation alpha = %q, %v; want empty (us-east-1)", loc.LocationConstraint, err)
	}
	loc, err = client("us-east-1").GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("gamma")})
	if err != nil || loc.LocationConstraint != s3types.BucketLocationConstraintEu {
		t.Errorf("GetBucketLocation gamma = %q, %v; want EU", loc.LocationConstraint, err)
	}

	pout, err := client("us-east-1").GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("alpha")})
	if err != nil || aws.ToString(pout.Policy) != pol {
		t.Errorf("GetBucketPolicy alpha = %v, %v", pout, err)
	}
	for _, tc := range []struct{ bucket, region, code string }{
		{"beta", "eu-west-1", "NoSuchBucketPolicy"},
		{"beta", "us-east-1", "AuthorizationHeaderMalformed"},
		{"gamma", "eu-west-1", "AccessDenied"},
		{"theirs", "us-east-1", "AccessDenied"},
		{"nobody", "us-east-1", "NoSuchBucket"},
	} {
		_, err := client(tc.region).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(tc.bucket)})
		if got := apiCode(err); got != tc.code {
			t.Errorf("GetBucketPolicy %s in %s: code %q (%v), want %s", tc.bucket, tc.region, got, err, tc.code)
		}
	}

	acl, err := client("us-east-1").GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("alpha")})
	if err != nil {
		t.Fatal(err)
	}
	if len(acl.Grants) != 2 || acl.Grants[0].Grantee.Type != s3types.TypeCanonicalUser || aws.ToString(acl.Grants[0].Grantee.ID) != aws.ToString(acl.Owner.ID) ||
		acl.Grants[1].Grantee.Type != s3types.TypeGroup || !strings.HasSuffix(aws.ToString(acl.Grants[1].Grantee.URI), "LogDelivery") {
		t.Errorf("GetBucketAcl alpha: owner %+v grants %+v", acl.Owner, acl.Grants)
	}
	if _, err := client("eu-west-1").GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("gamma")}); apiCode(err) != "AccessDenied" {
		t.Errorf("GetBucketAcl gamma: %v, want AccessDenied", err)
	}
}

func TestS3LegacyListBuckets(t *testing.T) {
	srv := newServer(t, WithLegacyListBuckets(), WithPageSize(1))
	c := s3.NewFromConfig(cfg(srv, acct, "us-east-1"), func(o *s3.Options) { o.UsePathStyle = true })
	out, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{MaxBuckets: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Buckets) != 3 || out.ContinuationToken != nil || out.Buckets[0].BucketRegion != nil {
		t.Errorf("legacy ListBuckets: %d buckets, token %v, region %v", len(out.Buckets), out.ContinuationToken, out.Buckets[0].BucketRegion)
	}
}

func TestKMS(t *testing.T) {
	srv := newServer(t, WithPageSize(1))
	ctx := context.Background()
	c := kms.NewFromConfig(cfg(srv, acct, "us-east-1"))
	var arns []string
	p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range out.Keys {
			arns = append(arns, aws.ToString(k.KeyArn))
		}
	}
	if len(arns) != 2 || !strings.HasPrefix(arns[0], "arn:aws:kms:us-east-1:"+acct+":key/") {
		t.Fatalf("ListKeys in us-east-1: %v", arns)
	}
	out, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(arns[0]), PolicyName: aws.String("default")})
	if err != nil || aws.ToString(out.Policy) != pol {
		t.Errorf("GetKeyPolicy: %v, %v", out, err)
	}
	if _, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(arns[1])}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("GetKeyPolicy of a denied key: %v", err)
	}
	if _, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String("nope")}); apiCode(err) != "NotFoundException" {
		t.Errorf("GetKeyPolicy of a missing key: %v", err)
	}
}

func TestSNS(t *testing.T) {
	srv := newServer(t, WithPageSize(1))
	ctx := context.Background()
	c := sns.NewFromConfig(cfg(srv, acct, "us-east-1"))
	var arns []string
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range out.Topics {
			arns = append(arns, aws.ToString(tp.TopicArn))
		}
	}
	if !slices.Equal(arns, []string{"arn:aws:sns:us-east-1:" + acct + ":t1", "arn:aws:sns:us-east-1:" + acct + ":t2"}) {
		t.Fatalf("ListTopics: %v", arns)
	}
	out, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arns[0])})
	if err != nil || out.Attributes["Policy"] != pol || out.Attributes["TopicArn"] != arns[0] {
		t.Errorf("GetTopicAttributes: %v, %v", out, err)
	}
	out, err = c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arns[1])})
	if err != nil || !strings.Contains(out.Attributes["Policy"], "__default_statement_ID") {
		t.Errorf("GetTopicAttributes of a topic with the default policy: %v, %v", out, err)
	}
	if _, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arns[0] + "x")}); apiCode(err) != "NotFound" {
		t.Errorf("GetTopicAttributes of a missing topic: %v", err)
	}
}

func TestSQS(t *testing.T) {
	srv := newServer(t, WithPageSize(1))
	ctx := context.Background()
	c := sqs.NewFromConfig(cfg(srv, acct, "us-east-1"))
	var urls []string
	p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, out.QueueUrls...)
	}
	if len(urls) != 2 || urls[0] != "https://sqs.us-east-1.amazonaws.com/"+acct+"/q1" {
		t.Fatalf("ListQueues: %v", urls)
	}
	names := []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy, sqstypes.QueueAttributeNameQueueArn}
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(urls[0]), AttributeNames: names})
	if err != nil || out.Attributes["Policy"] != pol || out.Attributes["QueueArn"] != "arn:aws:sqs:us-east-1:"+acct+":q1" {
		t.Errorf("GetQueueAttributes: %v, %v", out, err)
	}
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(urls[0] + "x"), AttributeNames: names})
	var missing *sqstypes.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Errorf("GetQueueAttributes of a missing queue: %v, want QueueDoesNotExist", err)
	}
}

func TestSecretsManager(t *testing.T) {
	srv := newServer(t, WithPageSize(1))
	ctx := context.Background()
	c := secretsmanager.NewFromConfig(cfg(srv, acct, "us-east-1"))
	var arns []string
	p := secretsmanager.NewListSecretsPaginator(c, &secretsmanager.ListSecretsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.SecretList {
			arns = append(arns, aws.ToString(s.ARN))
		}
	}
	if len(arns) != 2 || !strings.HasPrefix(arns[0], "arn:aws:secretsmanager:us-east-1:"+acct+":secret:s1-") {
		t.Fatalf("ListSecrets: %v", arns)
	}
	out, err := c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(arns[0])})
	if err != nil || aws.ToString(out.ResourcePolicy) != pol {
		t.Errorf("GetResourcePolicy: %v, %v", out, err)
	}
	out, err = c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(arns[1])})
	if err != nil || out.ResourcePolicy != nil {
		t.Errorf("GetResourcePolicy of a secret without a policy: %v, %v", out, err)
	}
}

func TestECR(t *testing.T) {
	srv := newServer(t, WithPageSize(1))
	ctx := context.Background()
	c := ecr.NewFromConfig(cfg(srv, acct, "us-east-1"))
	var names []string
	p := ecr.NewDescribeRepositoriesPaginator(c, &ecr.DescribeRepositoriesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Repositories {
			names = append(names, aws.ToString(r.RepositoryName)+" "+aws.ToString(r.RepositoryArn))
		}
	}
	if !slices.Equal(names, []string{"r1 arn:aws:ecr:us-east-1:" + acct + ":repository/r1", "r2 arn:aws:ecr:us-east-1:" + acct + ":repository/r2"}) {
		t.Fatalf("DescribeRepositories: %v", names)
	}
	out, err := c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("r1")})
	if err != nil || aws.ToString(out.PolicyText) != pol {
		t.Errorf("GetRepositoryPolicy: %v, %v", out, err)
	}
	if _, err := c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("r2")}); apiCode(err) != "RepositoryPolicyNotFoundException" {
		t.Errorf("GetRepositoryPolicy without a policy: %v", err)
	}
}

func TestLambda(t *testing.T) {
	srv := newServer(t, WithPageSize(1))
	ctx := context.Background()
	c := lambda.NewFromConfig(cfg(srv, acct, "us-east-1"))
	var arns []string
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range out.Functions {
			arns = append(arns, aws.ToString(f.FunctionArn))
		}
	}
	if len(arns) != 2 || arns[0] != "arn:aws:lambda:us-east-1:"+acct+":function:f1" {
		t.Fatalf("ListFunctions: %v", arns)
	}
	out, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(arns[0])})
	if err != nil || aws.ToString(out.Policy) != pol {
		t.Errorf("GetPolicy: %v, %v", out, err)
	}
	if _, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("f2")}); apiCode(err) != "ResourceNotFoundException" {
		t.Errorf("GetPolicy without a policy: %v", err)
	}
}

func TestTagging(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	c := tagging.NewFromConfig(cfg(srv, acct, "us-east-1"))
	out, err := c.GetResources(ctx, &tagging.GetResourcesInput{TagFilters: []taggingtypes.TagFilter{{Key: aws.String("Owner")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ResourceTagMappingList) != 1 || aws.ToString(out.ResourceTagMappingList[0].ResourceARN) != "arn:aws:ec2:us-east-1:"+acct+":instance/i-1" ||
		len(out.ResourceTagMappingList[0].Tags) != 2 || aws.ToString(out.PaginationToken) != "" {
		t.Errorf("GetResources Owner: %+v", out)
	}
	out, err = c.GetResources(ctx, &tagging.GetResourcesInput{TagFilters: []taggingtypes.TagFilter{{Key: aws.String("Owner"), Values: []string{"bob"}}}})
	if err != nil || len(out.ResourceTagMappingList) != 0 {
		t.Errorf("GetResources Owner=bob: %+v, %v", out, err)
	}
}

// TestDeniedAndThrottled checks the account-wide denial in every service's
// error format and that throttling errors are ones the SDK retries.
func TestDeniedAndThrottled(t *testing.T) {
	services := []string{ServiceS3, ServiceKMS, ServiceSNS, ServiceSQS, ServiceSecretsManager, ServiceECR, ServiceLambda, ServiceTagging}
	var opts []Option
	for _, s := range services {
		opts = append(opts, WithDenied(acct, s, "eu-west-1"))
	}
	srv := newServer(t, append(opts, WithThrottling(2))...)
	ctx := context.Background()
	calls := func(region string) map[string]error {
		c := cfg(srv, acct, region)
		m := map[string]error{}
		_, m[ServiceS3] = s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{})
		_, m[ServiceKMS] = kms.NewFromConfig(c).ListKeys(ctx, &kms.ListKeysInput{})
		_, m[ServiceSNS] = sns.NewFromConfig(c).ListTopics(ctx, &sns.ListTopicsInput{})
		_, m[ServiceSQS] = sqs.NewFromConfig(c).ListQueues(ctx, &sqs.ListQueuesInput{})
		_, m[ServiceSecretsManager] = secretsmanager.NewFromConfig(c).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
		_, m[ServiceECR] = ecr.NewFromConfig(c).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
		_, m[ServiceLambda] = lambda.NewFromConfig(c).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		_, m[ServiceTagging] = tagging.NewFromConfig(c).GetResources(ctx, &tagging.GetResourcesInput{})
		return m
	}
	denied := map[string]string{
		ServiceS3: "AccessDenied", ServiceKMS: "AccessDeniedException", ServiceSNS: "AuthorizationError", ServiceSQS: "AccessDenied",
		ServiceSecretsManager: "AccessDeniedException", ServiceECR: "AccessDeniedException", ServiceLambda: "AccessDeniedException", ServiceTagging: "AccessDeniedException",
	}
	for svc, err := range calls("eu-west-1") {
		if got := apiCode(err); got != denied[svc] {
			t.Errorf("%s in a denied region: %q (%v), want %s", svc, got, err, denied[svc])
		}
	}
	for svc, err := range calls("us-east-1") {
		if err != nil {
			t.Errorf("%s after throttling: %v; the SDK should have retried", svc, err)
		}
		throttled := srv.Count(func(c Call) bool { return c.Service == svc && c.Region == "us-east-1" && c.ErrorCode != "" })
		if throttled != 2 {
			t.Errorf("%s: %d throttled calls, want 2", svc, throttled)
		}
	}

	bad := srv.Config()
	bad.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIANOBODY", SecretAccessKey: "x"}, nil
	}))
	if _, err := kms.NewFromConfig(bad).ListKeys(ctx, &kms.ListKeysInput{}); apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("unknown access key: %v", err)
	}
}

func TestInvalidState(t *testing.T) {
	_, err := New(&State{Accounts: []*Account{
		{ID: "1", Buckets: []*Bucket{{Name: "x", Region: "us-east-1"}}},
		{ID: acct, Buckets: []*Bucket{{Name: "x", Region: "us-east-1"}}, Tagged: []*TaggedResource{{ARN: "arn:aws:s3:::x"}}},
	}})
	for _, want := range []string{`ID "1" is not 12 digits`, "bucket x is in accounts", "needs a Region"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
