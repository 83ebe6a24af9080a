// Package review reads a reviewer's decisions back from the auditor's
// workbook and turns them into the manifest remediation will carry out
// (`dormant manifest --from-workbook reviewed.xlsx --run OUT`).
//
// The reviewer chooses Approve, Reject or Defer in the "Reviewer decision"
// column of the Findings sheet (for users) and of the Unused keys sheet (for
// each access key on its own: approving a user does not approve its keys, nor
// the other way round), with an optional "Reviewer comment". The new manifest
// keeps only the run's entries whose row says Approve, with the comment, and
// is re-signed; rejected, deferred and undecided entries are dropped.
//
// Only the reviewer's columns are read. The rest of each row is there to
// tie it to the run: the rows may be sorted and filtered, but a workbook
// whose rows no longer match the run (an account, user name, user ID, ARN
// or key edited; rows added, removed or duplicated; another run's workbook)
// is refused, each problem naming its sheet and row.
package review
