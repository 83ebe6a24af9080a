package live

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/dormant-iam/dormant/pipeline/references"
)

func init() {
	register(references.CheckKMS, 30, func(c *Clients, opts Options) *Checker { return NewKMS(c.KMS, opts) })
	register(references.CheckSNS, 40, func(c *Clients, opts Options) *Checker { return NewSNS(c.SNS, opts) })
	register(references.CheckSQS, 50, func(c *Clients, opts Options) *Checker { return NewSQS(c.SQS, opts) })
	register(references.CheckSecretsManager, 60, func(c *Clients, opts Options) *Checker { return NewSecretsManager(c.SecretsManager, opts) })
	register(references.CheckECR, 70, func(c *Clients, opts Options) *Checker { return NewECR(c.ECR, opts) })
	register(references.CheckLambda, 80, func(c *Clients, opts Options) *Checker { return NewLambda(c.Lambda, opts) })
}

// isA reports whether err is, or wraps, an error of type E.
func isA[E error](err error) bool {
	var e E
	return err != nil && errors.As(err, &e)
}

// KMSAPI is the KMS calls the kms check makes; *kms.Client satisfies it.
type KMSAPI interface {
	ListKeys(ctx context.Context, params *kms.ListKeysInput, optFns ...func(*kms.Options)) (*kms.ListKeysOutput, error)
	GetKeyPolicy(ctx context.Context, params *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
}

// NewKMS returns the kms check: the default policy of every key in every
// region, pending deletion or not.
func NewKMS(clients ClientFunc[KMSAPI], opts Options) *Checker {
	return regional(references.CheckKMS, KindKMSPolicy, clients, opts,
		func(u unit) string { return fmt.Sprintf("arn:%s:kms:%s:%s:key/*", u.partition, u.region, u.account) },
		func(ctx context.Context, r *run, u unit, client KMSAPI) {
			var keys []string
			p := kms.NewListKeysPaginator(client, &kms.ListKeysInput{Limit: aws.Int32(1000)})
			err := r.pages(ctx, p.HasMorePages, func(ctx context.Context) error {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, k := range out.Keys {
					arn := aws.ToString(k.KeyArn)
					if arn == "" {
						arn = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", u.partition, u.region, u.account, aws.ToString(k.KeyId))
					}
					keys = append(keys, arn)
				}
				return nil
			})
			if err != nil {
				r.listFailed(ctx, u, err)
			}
			readPolicies(ctx, r, u, KindKMSPolicy, keys, identity,
				func(ctx context.Context, arn string) (string, error) {
					out, err := client.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(arn), PolicyName: aws.String("default")})
					if err != nil {
						return "", err
					}
					return aws.ToString(out.Policy), nil
				},
				isA[*kmstypes.NotFoundException])
		})
}

// SNSAPI is the SNS calls the sns check makes; *sns.Client satisfies it.
type SNSAPI interface {
	ListTopics(ctx context.Context, params *sns.ListTopicsInput, optFns ...func(*sns.Options)) (*sns.ListTopicsOutput, error)
	GetTopicAttributes(ctx context.Context, params *sns.GetTopicAttributesInput, optFns ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
}

// NewSNS returns the sns check: every topic's access policy.
func NewSNS(clients ClientFunc[SNSAPI], opts Options) *Checker {
	return regional(references.CheckSNS, KindSNSPolicy, clients, opts,
		func(u unit) string { return fmt.Sprintf("arn:%s:sns:%s:%s:*", u.partition, u.region, u.account) },
		func(ctx context.Context, r *run, u unit, client SNSAPI) {
			var topics []string
			p := sns.NewListTopicsPaginator(client, &sns.ListTopicsInput{})
			err := r.pages(ctx, p.HasMorePages, func(ctx context.Context) error {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, t := range out.Topics {
					topics = append(topics, aws.ToString(t.TopicArn))
				}
				return nil
			})
			if err != nil {
				r.listFailed(ctx, u, err)
			}
			readPolicies(ctx, r, u, KindSNSPolicy, topics, identity,
				func(ctx context.Context, arn string) (string, error) {
					out, err := client.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
					if err != nil {
						return "", err
					}
					return out.Attributes["Policy"], nil
				},
				isA[*snstypes.NotFoundException])
		})
}

// SQSAPI is the SQS calls the sqs check makes; *sqs.Client satisfies it.
type SQSAPI interface {
	ListQueues(ctx context.Context, params *sqs.ListQueuesInput, optFns ...func(*sqs.Options)) (*sqs.ListQueuesOutput, error)
	GetQueueAttributes(ctx context.Context, params *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// NewSQS returns the sqs check: every queue's Policy attribute.
func NewSQS(clients ClientFunc[SQSAPI], opts Options) *Checker {
	return regional(references.CheckSQS, KindSQSPolicy, clients, opts,
		func(u unit) string { return fmt.Sprintf("arn:%s:sqs:%s:%s:*", u.partition, u.region, u.account) },
		func(ctx context.Context, r *run, u unit, client SQSAPI) {
			type queue struct{ url, arn string }
			var queues []queue
			// Without MaxResults SQS returns at most 1,000 queues and no token.
			p := sqs.NewListQueuesPaginator(client, &sqs.ListQueuesInput{MaxResults: aws.Int32(1000)})
			err := r.pages(ctx, p.HasMorePages, func(ctx context.Context) error {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, q := range out.QueueUrls {
					queues = append(queues, queue{q, queueARN(u, q)})
				}
				return nil
			})
			if err != nil {
				r.listFailed(ctx, u, err)
			}
			readPolicies(ctx, r, u, KindSQSPolicy, queues, func(q queue) string { return q.arn },
				func(ctx context.Context, q queue) (string, error) {
					out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
						QueueUrl:       aws.String(q.url),
						AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy},
					})
					if err != nil {
						return "", err
					}
					return out.Attributes[string(sqstypes.QueueAttributeNamePolicy)], nil
				},
				func(err error) bool {
					// The query-compatible error code wins over the type name.
					return isA[*sqstypes.QueueDoesNotExist](err) || errorCode(err) == "AWS.SimpleQueueService.NonExistentQueue"
				})
		})
}

// queueARN derives a queue's ARN from its URL
// (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), in the unit's region.
func queueARN(u unit, queueURL string) string {
	account, name := u.account, queueURL
	if p, err := url.Parse(queueURL); err == nil {
		if parts := strings.Split(strings.Trim(p.Path, "/"), "/"); len(parts) == 2 {
			account, name = parts[0], parts[1]
		}
	}
	return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", u.partition, u.region, account, name)
}

// SecretsManagerAPI is the Secrets Manager calls the secretsmanager check
// makes; *secretsmanager.Client satisfies it.
type SecretsManagerAPI interface {
	ListSecrets(ctx context.Context, params *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	GetResourcePolicy(ctx context.Context, params *secretsmanager.GetResourcePolicyInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error)
}

// NewSecretsManager returns the secretsmanager check: every secret's
// resource policy (secrets scheduled for deletion are not listed).
func NewSecretsManager(clients ClientFunc[SecretsManagerAPI], opts Options) *Checker {
	return regional(references.CheckSecretsManager, KindSecretPolicy, clients, opts,
		func(u unit) string {
			return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:*", u.partition, u.region, u.account)
		},
		func(ctx context.Context, r *run, u unit, client SecretsManagerAPI) {
			var secrets []string
			p := secretsmanager.NewListSecretsPaginator(client, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100)})
			err := r.pages(ctx, p.HasMorePages, func(ctx context.Context) error {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, s := range out.SecretList {
					secrets = append(secrets, aws.ToString(s.ARN))
				}
				return nil
			})
			if err != nil {
				r.listFailed(ctx, u, err)
			}
			readPolicies(ctx, r, u, KindSecretPolicy, secrets, identity,
				func(ctx context.Context, arn string) (string, error) {
					out, err := client.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(arn)})
					if err != nil {
						return "", err
					}
					return aws.ToString(out.ResourcePolicy), nil
				},
				isA[*smtypes.ResourceNotFoundException])
		})
}

// ECRAPI is the ECR calls the ecr check makes; *ecr.Client satisfies it.
type ECRAPI interface {
	DescribeRepositories(ctx context.Context, params *ecr.DescribeRepositoriesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	GetRepositoryPolicy(ctx context.Context, params *ecr.GetRepositoryPolicyInput, optFns ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error)
}

// NewECR returns the ecr check: every repository's policy.
func NewECR(clients ClientFunc[ECRAPI], opts Options) *Checker {
	return regional(references.CheckECR, KindECRPolicy, clients, opts,
		func(u unit) string {
			return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/*", u.partition, u.region, u.account)
		},
		func(ctx context.Context, r *run, u unit, client ECRAPI) {
			var repos []ecrtypes.Repository
			p := ecr.NewDescribeRepositoriesPaginator(client, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(1000)})
			err := r.pages(ctx, p.HasMorePages, func(ctx context.Context) error {
				out, err := p.NextPage(ctx)
				if err == nil {
					repos = append(repos, out.Repositories...)
				}
				return err
			})
			if err != nil {
				r.listFailed(ctx, u, err)
			}
			readPolicies(ctx, r, u, KindECRPolicy, repos,
				func(repo ecrtypes.Repository) string { return aws.ToString(repo.RepositoryArn) },
				func(ctx context.Context, repo ecrtypes.Repository) (string, error) {
					out, err := client.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: repo.RepositoryName, RegistryId: repo.RegistryId})
					if err != nil {
						return "", err
					}
					return aws.ToString(out.PolicyText), nil
				},
				func(err error) bool {
					return isA[*ecrtypes.RepositoryPolicyNotFoundException](err) || isA[*ecrtypes.RepositoryNotFoundException](err)
				})
		})
}

// LambdaAPI is the Lambda calls the lambda check makes; *lambda.Client
// satisfies it.
type LambdaAPI interface {
	ListFunctions(ctx context.Context, params *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	GetPolicy(ctx context.Context, params *lambda.GetPolicyInput, optFns ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

// NewLambda returns the lambda check: every function's resource-based
// policy (unqualified; versions' and aliases' own policies are not read).
func NewLambda(clients ClientFunc[LambdaAPI], opts Options) *Checker {
	return regional(references.CheckLambda, KindLambdaPolicy, clients, opts,
		func(u unit) string {
			return fmt.Sprintf("arn:%s:lambda:%s:%s:function:*", u.partition, u.region, u.account)
		},
		func(ctx context.Context, r *run, u unit, client LambdaAPI) {
			var fns []string
			p := lambda.NewListFunctionsPaginator(client, &lambda.ListFunctionsInput{MaxItems: aws.Int32(50)})
			err := r.pages(ctx, p.HasMorePages, func(ctx context.Context) error {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, f := range out.Functions {
					fns = append(fns, aws.ToString(f.FunctionArn))
				}
				return nil
			})
			if err != nil {
				r.listFailed(ctx, u, err)
			}
			readPolicies(ctx, r, u, KindLambdaPolicy, fns, identity,
				func(ctx context.Context, arn string) (string, error) {
					out, err := client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(arn)})
					if err != nil {
						return "", err
					}
					return aws.ToString(out.Policy), nil
				},
				// Lambda answers a function without a policy as it answers a
				// deleted one: neither holds a reference.
				isA[*lambdatypes.ResourceNotFoundException])
		})
}

func identity(s string) string { return s }
