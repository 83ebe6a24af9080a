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
// Given watch targets (Query.Watch: the users dormant deactivated), an
// engine also runs a watch query and returns the watch table (Result.Watch):
// the events after each target's deactivation by its unique ID or key IDs,
// failed calls included, its failed sign-ins and anyone re-enabling it. The
// queries only narrow CloudTrail to candidates; MatchWatch applies the
// per-target rules in Go for every engine (watch.go).
//
// This package holds only what every engine shares: the Engine interface,
// Query, Result and QueryRun, the digest report a Result carries, and the
// helpers each engine applies to its output (SortResult). The engines live
// in packages of their own, each importing this one:
//
//   - local reads CloudTrail log files on disk (or synced from S3): file
//     discovery, the Go and DuckDB scanners, the per-day cache and the digest
//     checks;
//   - athena runs the query on Amazon Athena over the trail's table;
//   - lake runs it on a CloudTrail Lake event data store.
//
// The CloudTrail record reader the local engine's Go scanner uses is
// internal/ctrecord; all SQL lives in package queries. A new engine is a new
// package beside these that implements Engine.
package activity
