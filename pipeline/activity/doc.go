// Package activity answers one question for the findings stage: which IAM
// users (and account roots) used their credentials between the window start
// and the as-of, and over what span of CloudTrail data that answer holds.
//
// An Engine runs the activity query where the logs are and returns two
// tables: activity (one row per principal that acted, or failed to sign in,
// in the window) and coverage (per account and region, the first and last
// event the engine saw). Every engine applies the same identity rules, so the
// tables do not depend on where the query ran:
//
//   - IAMUser events count for userIdentity.principalId (the AIDA unique ID),
//     so a user deleted and re-created under the same name never inherits
//     the old one's events; an event with an ARN but no ID is keyed by ARN.
//   - FederatedUser events whose session issuer is an IAM user count for the
//     issuer; a cross-account call logged as AWSAccount with an AIDA
//     principalId counts for that user.
//   - Role sessions never count for a user, whatever their session name.
//   - Root events form one row per account, keyed by arn:aws:iam::<acct>:root.
//   - Failed console sign-ins are counted apart and are not use; a failed
//     sign-in under an unknown name (HIDDEN_DUE_TO_SECURITY_REASONS) is
//     ignored; other errors (AccessDenied...) still prove the credential was
//     presented and count as use.
//   - A duplicate delivery of an event (same eventID) counts once.
//
// Odd files and records follow one rule in both local scanners (and the
// SQL of queries/local): a file whose objects hold no Records array (not
// JSON, cut short, {"Records":null}, {"foo":[]}) is an error naming it; a
// CloudTrail-Digest object or an Insights file is recognised and counted,
// never read as activity; a record that cannot be attributed (JSON null, no
// eventTime or one that is not a time, no userIdentity) is skipped and
// counted per file with its reason in Result.LogFiles, and is never use. A
// file whose JSON, inflated, passes WithMaxLogFileSize is refused, naming it.
//
// The local engine (Local) reads CloudTrail log files on disk, walking only
// the day folders the window needs. By default its Go scanner (goscan.go)
// decompresses the files and picks the rules' fields out of each record
// with a hand-written JSON reader, aggregating on every core; the DuckDB
// scanner runs the SQL of queries/local instead, which is the rules'
// specification: tests check both give identical tables, and benchmarks
// measure one against the other. With a cache (WithCache), per-day
// aggregates are kept and a run reads only the day folders that changed
// (cache.go, rollup.go). The Athena and CloudTrail
// Lake engines run the same logic in their own SQL dialects; all SQL lives in
// package queries.
package activity
