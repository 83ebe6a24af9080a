// Package codesearch finds where code, configuration and object stores still
// name IAM users: the places the IAM API cannot see (a CI secret, a .env, an
// application config, a Terraform state), where a user that looks unused is
// often still wired into automation.
//
// Search reads directories, single files, git repositories (the working tree,
// and with Options.History every blob reachable from every ref, read with
// go-git so no git binary is needed) and s3://bucket/prefix objects. It runs
// one multi-pattern pass (an Aho-Corasick automaton over every candidate's
// patterns at once) over each file, files in parallel, each file streamed in
// fixed chunks with an overlap, so memory stays bounded whatever the tree.
//
// # What names a candidate
//
// Matching is ASCII case-insensitive throughout: IAM user names are unique
// without regard to case, and key IDs are not plausible in any other case.
//
//   - The user name as a whole token. IAM names use [A-Za-z0-9_+=,.@-]; a
//     match is rejected when a letter, digit or one of _ + @ - touches either
//     end (dave does not match davey, ci-dave, dave_ops or dave@corp.com), or
//     when a '.' before it or a '.' followed by such a character after it
//     (john.dave, dave.smith) makes it part of a longer name. '=' and ',' are
//     allowed to touch it although IAM names may contain them, because in
//     configuration they separate keys from values (USER=dave) and list items;
//     a trailing '.' that ends a sentence is allowed too. A match that a
//     name containing those characters would have avoided costs a review, a
//     miss could cost a user in use.
//   - The name as user/NAME (KindUserPath: "user/" then an optional IAM path
//     right before the name) and as an ARN (KindARN:
//     arn:PARTITION:iam::ACCOUNT:user/PATH/NAME). An ARN whose account is a
//     literal 12-digit ID other than the candidate's names another account's
//     user and is not reported for this candidate; an account written as a
//     variable (${AWS::AccountId}) is reported. Every ARN and user/ form is
//     also a whole-token match of the name ('/' is not a name character), so
//     the automaton holds the name once and each hit is classified by looking
//     back from it.
//   - The unique ID (AIDA...) and each access key ID (AKIA..., ASIA...),
//     anywhere: they are random enough that a coincidental match is not
//     plausible, and a key glued to other text (a URL query) still counts.
//
// # What a hit carries, and secrets
//
// A Hit names the candidate, the kind, the location (file path, s3://bucket/key
// or commit:path for history), the 1-based line, the text matched and an
// excerpt of the line around it. Anything in the excerpt that looks like a
// secret access key, a run of 40 or more characters of [A-Za-z0-9/+], is
// replaced by "[masked]", and so is a shorter run of 16 or more that the
// excerpt's cut edge splits (part of a secret is still a secret). The matched
// text is a name or ID; an ARN or user/ match is masked the same way, since
// an IAM path may hold any base64 character (a path 40 characters long
// without a '-' or '_' is masked too: a lost path costs less than a leak).
//
// # History
//
// With Options.History every repository found under a root (a directory
// holding .git, the root's own included) is read after its working tree:
// every commit reachable from every ref, each tree and blob once, a blob
// reported with the first commit found holding it (walking from the refs)
// and its path there. A blob identical to the working tree's file gives the
// same hit twice; DropHistoryDuplicates removes the history copy.
//
// # Terraform files and the References sheet
//
// Options.Collect and OnCollect hand the files the caller wants parsed
// (Terraform states and .tf files, for package iac) back after the scan.
// Hit.Reference makes the References row: kind code, config or terraform by
// the file's name (RefKind).
//
// # What is skipped
//
// Binary files (a NUL byte in the first chunk), the internals of .git
// directories, files over Options.MaxFileSize, and anything that is not a
// regular file (symbolic links are not followed) are skipped and counted in
// Stats.Skipped by reason.
package codesearch
