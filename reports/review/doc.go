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
//
// The reviewed manifest is the review: Apply checks the run
// directory against its SHA256SUMS (and SHA256SUMS.sig with a trust key),
// rebuilds the plan from the findings table, which must give the run's
// manifest, and compares every non-review column with the run. The only
// edit allowed outside the reviewer's columns is Decision from delete to
// deactivate, rebuilt as a deactivation. The Summary's sign-off block and
// each row's Reviewer and Review date say who approved and when; an approval
// that names neither is refused. A workbook that inflates or runs far past
// what the run wrote is refused before it is parsed.
package review
