// Package demo generates a synthetic AWS organization for `dormant demo`,
// benchmarks and end-to-end tests: per account a credential report (CSV, or
// the JSON the AWS CLI prints), the authorization details as the CLI prints
// them, CloudTrail log files in the AWSLogs layout (gzipped {"Records":[...]}
// plus digest files), an allowlist, and a ground-truth file that says, for
// every user, the status and decision the classification rules must reach.
//
// Each user is built to exercise one case (console use, key-only use, use seen
// only in CloudTrail, federated sessions, cross-account calls, re-created
// users, role sessions named like a user, failed sign-ins, references in
// policies, missing trail coverage, exemptions, root...). The expected result
// is set by construction and checked against the rules in the tests, which
// re-derive it from the generated files alone.
//
// A quarter after the first (Options.Quarter) is the same organization drawn
// at a later as-of, carrying the IAM state the previous quarter's
// remediation left, as read back from the fake IAM (demofake): deleted users
// are gone, deactivated users keep remediation's dormant tags without a
// password or an active key, and the lifecycle cases are placed on them
// (quarter.go); its ground truth gives each of those users its lifecycle
// role, and lists the orphaned unique IDs a policy still names.
//
// Generation is deterministic for a given Seed and AsOf (same bytes out), and
// streams: CloudTrail files are rendered and gzipped by GOMAXPROCS workers,
// one (account, period) at a time, so memory depends on the number of users,
// not on the number of events.
package demo
