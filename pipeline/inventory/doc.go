// Package inventory turns IAM inventory, in the formats AWS itself produces,
// into the rows of the inventory table (tables.User) and the policy documents
// reference checks read (tables.Policy).
//
// Two inputs describe an account's IAM users, and neither is enough alone:
//
//   - The credential report (GetCredentialReport): one CSV row per user with
//     password and access-key last use, but no unique IDs, groups or policies.
//     Accepted as the CSV AWS returns or as the JSON the AWS CLI prints
//     (base64 Content). Columns are read by header name, because older
//     reports have fewer columns.
//   - The account authorization details (GetAccountAuthorizationDetails):
//     unique IDs (AIDA... for real users), paths, groups, attached and inline policies,
//     permissions boundaries, tags, and every role, group and managed policy
//     document. Accepted as the JSON the AWS CLI prints (pages merged, policy
//     documents already decoded), a single raw page, or the raw IAM Query
//     API XML page; URL-encoded policy documents are decoded to plain JSON.
//
// Build joins them per account on the user's ARN (falling back to the name,
// so a user whose path changed still joins) and keeps a user found in only
// one input, saying which, so that later stages can explain it (for example a
// user deleted after the report was generated).
//
// Nothing is read as a fact the inputs do not hold. A report's generation
// time is GetCredentialReport's GeneratedTime (the CLI JSON, the live
// source) or a time the user states for a bare CSV, never a file's
// modification time; the latest date inside the report (ReportNotBefore)
// bounds its age either way. Evidence an input cannot give (a report column
// AWS writes but the file lacks, a list a filtered authorization-details
// export leaves out, a role without its trust policy, creation dates the two
// inputs disagree on) becomes an input gap on each affected row
// (tables.User.InputGaps), which keeps that user out of the removal
// candidates. Unique IDs are checked against IAM's contract ([\w]+, 16 to
// 128 characters), not against the AIDA convention, and no file over
// MaxInputBytes is read.
//
// The parsers never trust their input: every error names the file and the
// line, column or JSON path at fault, and says how to export the file again.
// The live source (pipeline/inventory/live) stores AWS's raw answers and runs
// them through the same parsers, so files and live runs give identical rows.
package inventory
