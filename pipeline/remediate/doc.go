// Package remediate carries out a remediation manifest (reports/manifest)
// safely, and puts users back from their backups.
//
// A [Remediator] reads a signed manifest, refuses it when it was edited
// (digest), is of an unknown schema or is older than the maximum age, and
// then, for every entry, in the entry's account:
//
//  1. re-checks the user live: same unique ID (a re-created user is never
//     touched), password and access keys not used after the manifest's
//     as-of, no exemption tag added since;
//  2. writes a backup of everything it will change (path, tags, groups,
//     policies with their documents, boundary, credentials' IDs and states,
//     MFA serials, login profile) before the first change;
//  3. deactivates (access keys Inactive, login profile deleted, user
//     tagged) or deletes (every attachment in the order IAM requires, then
//     the user), or for an unused-key entry deactivates or deletes just that
//     key.
//
// Nothing changes without Apply: a dry run prints, per user, the exact calls
// in order and why. Every call made is appended to a journal (JSON lines),
// so a re-run after a failure or Ctrl-C continues where it stopped. One
// user's failure never stops the others. [Remediator.Restore] recreates a
// user from its backup and lists what cannot come back (secrets).
package remediate
