package live

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/dormant-iam/dormant/pipeline/references"
)

func init() {
	register(references.CheckS3, 20, func(c *Clients, opts Options) *Checker { return NewS3(c.S3, opts) })
}

// S3API is the S3 calls the s3 check makes; *s3.Client satisfies it.
type S3API interface {
	ListBuckets(ctx context.Context, params *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketLocation(ctx context.Context, params *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketPolicy(ctx context.Context, params *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetBucketAcl(ctx context.Context, params *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
}

// NewS3 returns the s3 check: every bucket's policy and ACL, read in the
// bucket's region. Buckets are listed once per account, in its first region.
func NewS3(clients ClientFunc[S3API], opts Options) *Checker {
	c := newChecker(&Checker{
		name: references.CheckS3, kinds: []string{KindS3Policy, KindS3ACL}, global: true, opts: opts,
		scope: func(u unit) string { return "arn:" + u.partition + ":s3:::*" },
	})
	c.scan = func(ctx context.Context, r *run, u unit) { scanS3(ctx, r, u, clients) }
	return c
}

func scanS3(ctx context.Context, r *run, u unit, clients ClientFunc[S3API]) {
	list, err := clients(ctx, u.account, u.region)
	if err != nil {
		if msg, ok := failed(ctx, err); ok {
			r.uncheckAll(r.c, u, "", fmt.Sprintf("creating the s3 client for account %s in %s: %s", u.account, u.region, msg))
		}
		return
	}
	var buckets []s3types.Bucket
	p := s3.NewListBucketsPaginator(list, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1000)})
	err = r.pages(ctx, p.HasMorePages, func(ctx context.Context) error {
		out, err := p.NextPage(ctx)
		if err == nil {
			buckets = append(buckets, out.Buckets...)
		}
		return err
	})
	if err != nil {
		r.listFailed(ctx, u, err)
	}
	forEach(ctx, r, buckets, func(ctx context.Context, b s3types.Bucket) {
		scanBucket(ctx, r, u, list, clients, aws.ToString(b.Name), aws.ToString(b.BucketRegion))
	})
}

// scanBucket reads one bucket's policy and ACL in its region; list is the
// client that listed it, which asks GetBucketLocation when the listing did
// not say the region.
func scanBucket(ctx context.Context, r *run, u unit, list S3API, clients ClientFunc[S3API], name, region string) {
	arn := "arn:" + u.partition + ":s3:::" + name
	both := func(msg string) {
		r.uncheck(u.account, KindS3Policy, arn, region, msg)
		r.uncheck(u.account, KindS3ACL, arn, region, msg)
	}
	if region == "" {
		var loc *s3.GetBucketLocationOutput
		err := r.call(ctx, func(ctx context.Context) (err error) {
			loc, err = list.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)})
			return err
		})
		if isA[*s3types.NoSuchBucket](err) {
			return // deleted since it was listed
		}
		if err != nil {
			if msg, ok := failed(ctx, err); ok {
				both(msg)
			}
			return
		}
		region = bucketRegion(loc.LocationConstraint)
	}
	client, err := clients(ctx, u.account, region)
	if err != nil {
		if msg, ok := failed(ctx, err); ok {
			both(fmt.Sprintf("creating the s3 client for account %s in %s: %s", u.account, region, msg))
		}
		return
	}

	var pol *s3.GetBucketPolicyOutput
	err = r.call(ctx, func(ctx context.Context) (err error) {
		pol, err = client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(name)})
		return err
	})
	switch {
	case isA[*s3types.NoSuchBucket](err):
		return
	case errorCode(err) == "NoSuchBucketPolicy":
	case err != nil:
		if msg, ok := failed(ctx, err); ok {
			r.uncheck(u.account, KindS3Policy, arn, region, msg)
		}
	default:
		r.policy(references.ResourcePolicy{AccountID: u.account, Kind: KindS3Policy, ResourceARN: arn, Region: region, Document: aws.ToString(pol.Policy)})
	}

	var acl *s3.GetBucketAclOutput
	err = r.call(ctx, func(ctx context.Context) (err error) {
		acl, err = client.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(name)})
		return err
	})
	switch {
	case isA[*s3types.NoSuchBucket](err):
	case err != nil:
		if msg, ok := failed(ctx, err); ok {
			r.uncheck(u.account, KindS3ACL, arn, region, msg)
		}
	default:
		scanACL(r, acl, arn, region)
	}
}

// scanACL compares the ACL's owner and grantee values with the candidates'
// ARNs and unique IDs. S3 grantees are accounts and groups, so this finds
// something only where a value was set to a user's ARN or ID by hand.
func scanACL(r *run, acl *s3.GetBucketAclOutput, arn, region string) {
	check := func(location string, values ...*string) {
		for _, v := range values {
			for _, u := range r.byLiteral[aws.ToString(v)] {
				r.reference(u, KindS3ACL, arn, region, location, aws.ToString(v))
			}
		}
	}
	if acl.Owner != nil {
		check("Owner", acl.Owner.ID, acl.Owner.DisplayName)
	}
	for _, g := range acl.Grants {
		if g.Grantee == nil {
			continue
		}
		check(fmt.Sprintf("Grant %s (grantee %s)", g.Permission, g.Grantee.Type),
			g.Grantee.ID, g.Grantee.EmailAddress, g.Grantee.URI, g.Grantee.DisplayName)
	}
}

// bucketRegion turns GetBucketLocation's answer into a region: empty is
// us-east-1, and EU is S3's old name for eu-west-1.
func bucketRegion(c s3types.BucketLocationConstraint) string {
	switch c {
	case "":
		return "us-east-1"
	case s3types.BucketLocationConstraintEu:
		return "eu-west-1"
	default:
		return string(c)
	}
}
