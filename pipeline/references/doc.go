// Package references finds who and what still names each IAM user, so that a
// user another policy depends on is never offered for removal. Deleting such a
// user breaks those policies for good: IAM rewrites the principal to the
// user's unique ID, S3 and KMS then refuse to save the policy, and re-creating
// the user does not restore access.
//
// Scan is the offline check over the policy documents of the authorization
// details (role trust policies, role, group and user inline policies, managed
// policy versions). Orphans reports unique IDs those documents still carry for
// principals that no longer exist. Checker is the seam for the live checks
// (S3, KMS, SNS, SQS, Secrets Manager, ECR, Lambda, tagging); Run runs any set
// of them, the offline PolicyChecker included, and Select picks them by name.
// Matcher and PolicyOrphans apply the same rules to the resource policies the
// live checks (package live) read, and Run collects the orphans of checks
// that are OrphanReporters.
//
// # What names a user
//
// The values of Principal and NotPrincipal (every key: AWS, Service,
// Federated, CanonicalUser), Resource and NotResource, and every condition
// value are compared with each user. A value names the user when it
//
//   - equals the user's ARN (case-sensitive, as IAM compares ARNs; the ARN
//     carries the path, so .../user/alice does not name /division/alice);
//   - equals the user's unique ID (AIDA...), alone or before a colon as in
//     aws:userid values;
//   - is an ARN pattern that matches the ARN under IAM's rules: * and ? work
//     within each colon-separated segment, * also across '/', and a * that
//     ends the pattern also across the colons after it. ${*}, ${?} and ${$}
//     stand for the literal characters;
//   - is, under the condition key aws:username, the user's name (or a pattern
//     matching it) and the policy is in the user's account.
//
// Operators decide whether * and ? are wildcards in a condition value: they
// are under the Like and Arn operators (ArnEquals matches like ArnLike), not
// under StringEquals and its kin, where the value is compared literally.
// IgnoreCase operators compare without case. Principal values get wildcard
// matching too, although IAM rejects partial wildcards there: a false match
// costs a review, a miss can break a policy for good.
//
// A value names nobody in particular, and so no user, when it is the bare "*",
// a name pattern made only of wildcards, an ARN pattern whose resource part is
// only wildcards (arn:aws:iam::111111111111:*), an ARN pattern with a wildcard
// service, or a value holding a policy variable such as ${aws:username}.
// Account principals (111111111111, arn:aws:iam::111111111111:root) name the
// account, not its users.
//
// A user's own inline policies never count for that user: they go away with
// it. Managed policies count through their default version only, the one in
// force; every version is still searched for orphans.
//
// # Reference rows
//
// Reference.AccountID, UserName, UserID and UserARN are the named user's, even
// when the policy lives in another account. Kind is one of the Kind*
// constants. ResourceARN is the ARN of what owns the document: the role for
// trust and role inline policies, the group, the user, or the managed policy
// (the plain policy ARN, so that it stays a valid ARN to look up). Region is
// empty: IAM is global. Location says where in the document, element first,
// then the inline policy name or managed policy version, then the statement
// (its Sid, or its 1-based position):
//
//	Principal (statement 1)
//	Condition StringEquals aws:username (policy self-service, Sid DenyOthers)
//	Resource (v2, statement 1)
//
// Match is the value as written in the policy.
package references
