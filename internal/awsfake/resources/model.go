package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// State is what the server serves: accounts and their resources.
type State struct {
	Accounts []*Account
}

// Account is one AWS account's resources. Blank fields are filled by New.
type Account struct {
	ID string // 12 digits
	// AccessKeyID is the key whose requests act in this account (default
	// "AKIAFAKE" followed by the account ID).
	AccessKeyID string
	// CallerARN is who the requests act as, for AccessDenied messages
	// (default arn:aws:sts::ID:assumed-role/DormantAudit/dormant).
	CallerARN string
	// CanonicalID is the account's S3 canonical user ID (default derived from
	// the ID: 64 hex digits).
	CanonicalID string

	Buckets      []*Bucket
	Keys         []*Key
	Topics       []*Topic
	Queues       []*Queue
	Secrets      []*Secret
	Repositories []*Repository
	Functions    []*Function
	// Tagged are the resources the tagging API returns. The other
	// resources' tags are not modelled: tests name exactly which resources
	// carry owner tags.
	Tagged []*TaggedResource
}

// Bucket is an S3 bucket. Names are unique across all accounts.
type Bucket struct {
	Name   string
	Region string
	// LocationConstraint is what GetBucketLocation returns; default the
	// region, or empty for us-east-1, as S3 answers. "EU" is S3's legacy
	// name for eu-west-1.
	LocationConstraint string
	Policy             string // JSON; empty: NoSuchBucketPolicy
	Grants             []Grant
	DenyPolicy         bool // GetBucketPolicy answers AccessDenied
	DenyACL            bool // GetBucketAcl answers AccessDenied
}

// Grant is one ACL grant. The owner's FULL_CONTROL grant is always listed
// first; these come after it.
type Grant struct {
	Type       string // CanonicalUser, AmazonCustomerByEmail or Group
	ID         string // CanonicalUser
	Email      string // AmazonCustomerByEmail
	URI        string // Group
	Permission string // FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP
}

// Key is a KMS key.
type Key struct {
	ID     string // default a UUID derived from account, region and Alias
	Alias  string // for deriving the ID in tests; not served
	Region string
	Policy string // default: the account's default key policy
	Deny   bool   // GetKeyPolicy answers AccessDeniedException
}

// Topic is an SNS topic.
type Topic struct {
	Name, Region string
	Policy       string // default: SNS's default topic policy
	Deny         bool
}

// Queue is an SQS queue.
type Queue struct {
	Name, Region string
	Policy       string // empty: no Policy attribute
	Deny         bool
}

// Secret is a Secrets Manager secret.
type Secret struct {
	Name, Region string
	Policy       string // empty: no resource policy
	Deny         bool
}

// Repository is an ECR repository.
type Repository struct {
	Name, Region string
	Policy       string // empty: RepositoryPolicyNotFoundException
	Deny         bool
}

// Function is a Lambda function.
type Function struct {
	Name, Region string
	Policy       string // empty: ResourceNotFoundException from GetPolicy
	Deny         bool
}

// TaggedResource is a resource the tagging API returns.
type TaggedResource struct {
	ARN string
	// Region is where GetResources lists it; default the ARN's region. S3
	// bucket ARNs have none, so a bucket needs it.
	Region string
	Tags   map[string]string
}

// Partition is the ARN partition of every resource served.
const Partition = "aws"

// Account returns the account with the ID, or nil.
func (s *State) Account(id string) *Account {
	for _, a := range s.Accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// ARN returns the key's ARN in account.
func (k *Key) ARN(account string) string {
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", Partition, k.Region, account, k.ID)
}

// ARN returns the topic's ARN in account.
func (t *Topic) ARN(account string) string {
	return fmt.Sprintf("arn:%s:sns:%s:%s:%s", Partition, t.Region, account, t.Name)
}

// ARN returns the queue's ARN in account.
func (q *Queue) ARN(account string) string {
	return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", Partition, q.Region, account, q.Name)
}

// URL returns the queue's URL in account, as SQS shows it.
func (q *Queue) URL(account string) string {
	return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", q.Region, account, q.Name)
}

// ARN returns the secret's ARN in account: Secrets Manager appends a dash and
// six random characters to the name; here they are derived from it.
func (s *Secret) ARN(account string) string {
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-%s", Partition, s.Region, account, s.Name, digest(account, s.Region, s.Name)[:6])
}

// ARN returns the repository's ARN in account.
func (r *Repository) ARN(account string) string {
	return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", Partition, r.Region, account, r.Name)
}

// ARN returns the function's ARN in account.
func (f *Function) ARN(account string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", Partition, f.Region, account, f.Name)
}

// BucketARN returns a bucket's ARN.
func BucketARN(name string) string { return fmt.Sprintf("arn:%s:s3:::%s", Partition, name) }

func digest(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

// normalize fills blanks and checks that the state is consistent.
func (s *State) normalize() error {
	var errs []error
	accounts := map[string]bool{}
	keys := map[string]string{}
	buckets := map[string]string{}
	for i, a := range s.Accounts {
		if a == nil {
			errs = append(errs, fmt.Errorf("account %d is nil", i))
			continue
		}
		if len(a.ID) != 12 || strings.Trim(a.ID, "0123456789") != "" {
			errs = append(errs, fmt.Errorf("account %d: ID %q is not 12 digits", i, a.ID))
		}
		if accounts[a.ID] {
			errs = append(errs, fmt.Errorf("account %s is listed twice", a.ID))
		}
		accounts[a.ID] = true
		if a.AccessKeyID == "" {
			a.AccessKeyID = "AKIAFAKE" + a.ID
		}
		if other, ok := keys[a.AccessKeyID]; ok {
			errs = append(errs, fmt.Errorf("accounts %s and %s share access key %s", other, a.ID, a.AccessKeyID))
		}
		keys[a.AccessKeyID] = a.ID
		if a.CallerARN == "" {
			a.CallerARN = fmt.Sprintf("arn:%s:sts::%s:assumed-role/DormantAudit/dormant", Partition, a.ID)
		}
		if a.CanonicalID == "" {
			a.CanonicalID = digest("canonical", a.ID)
		}
		for _, b := range a.Buckets {
			if b.Name == "" || b.Region == "" {
				errs = append(errs, fmt.Errorf("account %s: a bucket needs a name and a region (%+v)", a.ID, *b))
			}
			if other, ok := buckets[b.Name]; ok {
				errs = append(errs, fmt.Errorf("bucket %s is in accounts %s and %s; bucket names are global", b.Name, other, a.ID))
			}
			buckets[b.Name] = a.ID
			if b.LocationConstraint == "" && b.Region != "us-east-1" {
				b.LocationConstraint = b.Region
			}
		}
		for _, k := range a.Keys {
			if k.Region == "" {
				errs = append(errs, fmt.Errorf("account %s: key %q has no region", a.ID, k.Alias))
			}
			if k.ID == "" {
				d := digest("key", a.ID, k.Region, k.Alias)
				k.ID = d[:8] + "-" + d[8:12] + "-4" + d[13:16] + "-8" + d[17:20] + "-" + d[20:32]
			}
			if k.Policy == "" {
				k.Policy = DefaultKeyPolicy(a.ID)
			}
		}
		for _, t := range a.Topics {
			if t.Policy == "" {
				t.Policy = DefaultTopicPolicy(t.ARN(a.ID), a.ID)
			}
		}
		named := func(kind, name, region string) {
			if name == "" || region == "" {
				errs = append(errs, fmt.Errorf("account %s: a %s needs a name and a region", a.ID, kind))
			}
		}
		for _, t := range a.Topics {
			named("topic", t.Name, t.Region)
		}
		for _, q := range a.Queues {
			named("queue", q.Name, q.Region)
		}
		for _, x := range a.Secrets {
			named("secret", x.Name, x.Region)
		}
		for _, r := range a.Repositories {
			named("repository", r.Name, r.Region)
		}
		for _, f := range a.Functions {
			named("function", f.Name, f.Region)
		}
		for _, t := range a.Tagged {
			f := strings.SplitN(t.ARN, ":", 6)
			if len(f) < 6 || f[0] != "arn" {
				errs = append(errs, fmt.Errorf("account %s: tagged resource %q has no ARN", a.ID, t.ARN))
				continue
			}
			if t.Region == "" {
				t.Region = f[3]
			}
			if t.Region == "" {
				errs = append(errs, fmt.Errorf("account %s: tagged resource %s needs a Region (its ARN has none)", a.ID, t.ARN))
			}
		}
	}
	return errors.Join(errs...)
}

// DefaultKeyPolicy is the key policy KMS gives a key created without one:
// the account may use IAM policies to allow access.
func DefaultKeyPolicy(account string) string {
	return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		account + `:root"},"Action":"kms:*","Resource":"*"}]}`
}

// DefaultTopicPolicy is the policy SNS gives a new topic.
func DefaultTopicPolicy(topicARN, account string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],` +
		`"Resource":"` + topicARN + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + account + `"}}}]}`
}
