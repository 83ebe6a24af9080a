// Package live reads IAM inventory straight from AWS, for the caller's
// account, a list of accounts, or every ACTIVE account of an Organization.
//
// For each account it generates and fetches the credential report
// (GenerateCredentialReport until the report exists, then
// GetCredentialReport) and every page of GetAccountAuthorizationDetails,
// keeps AWS's answers raw (the report's CSV bytes exactly as returned, each
// page as JSON in the API's member names with the URL-encoded policy
// documents untouched), and runs them through the same parsers as exported
// files (package inventory). A live run and a run over the same data saved
// as files therefore give the same inventory rows.
//
// Accounts other than the caller's are read through sts:AssumeRole into
// arn:<partition>:iam::<account>:role/<RoleName> (with the external ID, and a
// session name identifying the tool); the caller's own account, which is
// the management account when run from it, is read with the caller's
// credentials. Accounts are read in parallel, bounded by
// Options.Concurrency; throttling is absorbed by the SDK's adaptive retry
// mode, and report generation is polled with a growing interval. Every wait
// ends when the context is cancelled.
//
// One account's failure (AssumeRole or IAM denied, a report IAM will not
// generate) never stops the others: its AccountInventory carries an
// *AccountError naming the stage and AWS's error code, and its users must be
// reported as not assessed rather than as inactive.
//
// The IAM permissions the inventory needs are, in the caller's account,
// sts:AssumeRole on the roles (and organizations:ListAccounts and
// organizations:DescribeOrganization with Org), and in every account read,
// iam:GenerateCredentialReport, iam:GetCredentialReport and
// iam:GetAccountAuthorizationDetails. sts:GetCallerIdentity needs none.
package live
