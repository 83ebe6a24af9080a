// Package iac tells which IAM users infrastructure as code manages. Deleting
// such a user through the API only creates drift: Terraform re-creates it on
// the next apply with a new unique ID (breaking every policy that named the
// old one), and a CloudFormation stack fails its next update. Such a user is
// removed in its code, not by dormant.
//
// # Terraform
//
// ReadState reads a state file in format version 4 (Terraform 0.12 and
// later), streamed one resource at a time so that a large state costs the
// memory of its largest resource, and keeps the managed instances of
//
//	aws_iam_user                    name, unique_id, arn
//	aws_iam_access_key              user, id (the access key ID)
//	aws_iam_user_login_profile      user
//	aws_iam_user_policy             user
//	aws_iam_user_policy_attachment  user
//	aws_iam_user_group_membership   user
//	aws_iam_group_membership        users (each)
//
// with their address (module path, type.name, [index]) as `terraform state
// list` prints it. Data sources only read a user and are not ownership.
//
// ReadConfig parses a .tf file with HashiCorp's HCL parser and keeps the
// resource blocks of the same types, with the user name where the
// configuration writes it as a literal. A name computed from variables is
// kept as its expression text: the resource exists, which user it is cannot
// be known without evaluating the module.
//
// # CloudFormation
//
// CloudFormation tags every user it creates with aws:cloudformation:stack-name
// and aws:cloudformation:logical-id; CloudFormationOwner reads them.
//
// # Matching users
//
// Match pairs users with resources: by unique ID, by ARN, by access key ID,
// or by name (IAM names are unique without regard to case within an
// account). A resource whose ARN puts it in another account never matches by
// name. A name match with no account in the resource (a login profile, a .tf
// literal) is reported with MatchedBy "name" so that the reader knows the
// account was not confirmed.
package iac
