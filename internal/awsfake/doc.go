// Package awsfake is a set of test-only AWS endpoints that speak the real wire
// protocols, so that real aws-sdk-go-v2 clients (iam, sts, organizations) can
// be pointed at them with BaseEndpoint and exercise the same serialization,
// error handling, pagination and retry code paths they use against AWS.
//
// The state served is an [Org]: an AWS Organization whose accounts each hold
// IAM users (with passwords, access keys, certificates, SSH keys,
// service-specific credentials, MFA devices, policies, groups, tags and
// boundaries), groups, roles and customer managed policies. Tests build it in
// Go with the builder helpers (NewOrg, AddAccount, AddUser, ...) and serve it
// with [New]:
//
//   - IAM and STS speak the Query protocol: form-encoded POST bodies with
//     Action and Version, XML responses wrapped in <XxxResponse><XxxResult>
//     and AWS's <ErrorResponse> error bodies with the right HTTP status.
//   - Organizations speaks JSON 1.1 (X-Amz-Target), with {"__type": ...}
//     error bodies.
//
// Requests are routed to an account by the access key ID in the SigV4
// Authorization header: the static caller keys of the Org map to their
// account, STS AssumeRole hands out temporary ASIA keys bound to the role's
// account and session, and a user's own active access key maps to that user.
// Signatures are not verified.
//
// IAM enforces what real IAM enforces where tests depend on it: DeleteUser
// refuses with DeleteConflict while anything is still attached to the user,
// deleting a virtual MFA device that is still assigned fails, and missing
// entities answer NoSuchEntity. The credential report is generated from the
// state in AWS's exact 22-column CSV format, with the generate/poll life cycle
// and the 4-hour reuse rule.
//
// [FromFiles] builds an Org from exported files instead (credential reports
// and authorization details as `aws iam` prints them, or as `dormant demo`
// writes them: internal/demo/demofake hands a demo directory over), so
// that real clients read back exactly what a files-based run reads: the
// reports verbatim, the entities of the authorization details.
//
// Options inject the faults a bulk inventory must survive: latency per call,
// throttling before success, LimitExceeded on report generation, AccessDenied
// for chosen accounts, slow report generation and small page sizes. Every
// call is counted, so tests can assert for example that a dry run made no
// mutating call.
package awsfake
