// Package live holds the reference checks that read AWS: S3 bucket policies
// and ACLs, KMS key policies, SNS topic, SQS queue, Secrets Manager secret,
// ECR repository and Lambda function policies, and owner tags through the
// Resource Groups Tagging API. Each is a references.Checker (and a
// references.OrphanReporter) built by NewS3, NewKMS, NewSNS, NewSQS,
// NewSecretsManager, NewECR, NewLambda or NewTagging, or all at once by
// Checkers.
//
// # Where and how
//
// Only the candidates' accounts are read, in the regions Options.Regions
// gives for each (the caller asks EC2 DescribeRegions or account:ListRegions
// which are enabled). S3 is listed once per account, in the first of its
// regions, and each bucket is then read in its own region (ListBuckets'
// BucketRegion, or GetBucketLocation where the endpoint does not give it).
// Accounts and regions run concurrently; Options.Concurrency bounds the calls
// in flight across all of them. Clients come from a factory per account and
// region, each checker asking for a narrow interface holding exactly the SDK
// calls it makes, with the SDK's signatures, so that the real clients (see
// Clients, which gives them the SDK's adaptive retry mode) satisfy them.
//
// Policies are matched with references.Matcher, by the rules the offline
// scan applies to the authorization details: ARNs (any path), unique IDs,
// wildcard ARNs and aws:username values, in Principal, NotPrincipal,
// Resource, NotResource and condition values. Location says where, as the
// offline scan writes it: "Principal (Sid AllowAlice)".
//
// # Nothing silently passes
//
// What cannot be read is returned as references.Unchecked, never taken as
// clean: a resource whose policy read fails (AccessDenied, a throttle the
// retries did not outlast, a policy that is not JSON) is one row naming the
// resource; a list call that fails, or a client that cannot be made, is one
// row naming everything of the kind in that account and region with an ARN
// pattern (arn:aws:kms:eu-west-1:111111111111:key/*); an account whose
// regions cannot be had is one row per kind with region "*". Only
// cancellation fails a Check. "No policy" answers (NoSuchBucketPolicy,
// RepositoryPolicyNotFoundException, Lambda's ResourceNotFoundException) and
// resources deleted between the list and the read are no reference.
//
// # Decisions
//
//   - S3 ACLs cannot name an IAM user: grantees are accounts (canonical user
//     ID, or e-mail address, which S3 turns into the canonical ID) and
//     predefined groups (URI). The ACL is still read, so that a bucket whose
//     ACL is denied is reported unchecked, and its owner and grantee values
//     are compared with the candidates' ARNs and unique IDs, so that a value
//     naming a user is never overlooked.
//   - KMS keys pending deletion are read like any other: deletion can be
//     cancelled during the waiting period, and the key's policy would then
//     be broken. AWS managed keys are read too (their policies name
//     services and accounts, so they cost one call and find nothing); no
//     DescribeKey is needed.
//   - Secrets scheduled for deletion are not listed (ListSecrets' default).
//   - Lambda: the function's unqualified policy is read; policies of
//     published versions and aliases are not.
//   - Owner tags (Options.OwnerTagKeys, default Owner, owner, CreatedBy,
//     created-by; keys are case-sensitive) name a candidate when the value,
//     trimmed, equals the user's ARN or unique ID, or its name compared
//     without case (IAM user names are unique regardless of case) for a
//     resource in the user's own account. Location is "Tag:<key>".
//   - Orphans: a unique ID in a resource policy that belongs to no user of
//     Options.Inventory is reported by Orphans, by the rules of
//     references.Orphans. Without an inventory none are reported, since
//     every user who is not a candidate would look deleted.
package live
