package demo

import (
	"fmt"
	"strconv"
	"time"
)

// makeResources names the account's buckets, keys, functions and network, which
// background events refer to.
func (b *builder) makeResources() {
	a, r := b.a, b.r
	env := pick(r, []string{"prod", "staging", "dev", "shared"})
	for _, w := range []string{"reports", "artifacts", "logs", "backups", "data-lake"} {
		a.buckets = append(a.buckets, fmt.Sprintf("%s-%s-%s", w, env, a.id))
	}
	for i := 0; i < 4; i++ {
		a.kmsKeys = append(a.kmsKeys, string(appendUUID(nil, r)))
	}
	for _, f := range []string{"thumbnailer", "orders-webhook", "nightly-export", "slack-notifier", "cost-report"} {
		a.functions = append(a.functions, f+"-"+env)
	}
	a.tables = []string{"orders", "customers", "sessions-" + env, "feature-flags"}
	a.vpc = "vpc-0" + randHex(r, 16)
	for i := 0; i < 3; i++ {
		a.subnets = append(a.subnets, "subnet-0"+randHex(r, 16))
	}
	a.saml = "arn:aws:iam::" + a.id + ":saml-provider/AWSSSO_" + randHex(r, 16) + "_DO_NOT_DELETE"
}

func (b *builder) doc(stmts ...statement) policyDoc {
	return policyDoc{Version: "2012-10-17", Statement: stmts}
}

// encodedChance: about a third of documents are printed URL-encoded, the form
// the SDKs return, the rest as JSON objects, as the CLI prints them.
func (b *builder) encodedChance() bool { return chance(b.r, 33) }

func (b *builder) newRole(name, path string, trust policyDoc, style sessionStyle) *role {
	o, a, r := b.o, b.a, b.r
	ro := &role{name: name, path: path, trust: trust, style: style, encoded: b.encodedChance(), maxSession: 3600}
	ro.id = o.uniqueID(r, "AROA", 17)
	ro.arn = "arn:aws:iam::" + a.id + ":role" + path + name
	ro.created = b.timeIn(a.created, o.winStart.Add(-30*day))
	if style != styleNone && a.trail != nil {
		ro.lastUsed = o.asOf.Add(-time.Duration(between(r, 3600, 5*86400)) * time.Second)
		ro.lastUsedRegion = pick(r, regions[:4])
	}
	a.roles = append(a.roles, ro)
	if style != styleNone {
		a.busyRoles = append(a.busyRoles, ro)
	}
	return ro
}

func serviceTrust(b *builder, svc string) policyDoc {
	return b.doc(statement{Effect: "Allow", Principal: &principal{Service: svc}, Action: "sts:AssumeRole"})
}

func (b *builder) awsManaged(name, path string, doc policyDoc) *managedPolicy {
	p := &managedPolicy{name: name, path: path, awsManaged: true, arn: "arn:aws:iam::aws:policy" + path + name}
	p.id = b.o.uniqueID(b.r, "ANPA", 17)
	p.created = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)
	p.updated = time.Date(2024, 6, 3, 20, 12, 38, 0, time.UTC)
	p.versions = []policyVersion{{id: "v" + strconv.Itoa(1+b.r.IntN(20)), doc: doc, isDefault: true, created: p.updated, encoded: b.encodedChance()}}
	b.a.policies = append(b.a.policies, p)
	return p
}

// customer adds a customer-managed policy with its versions (last is default).
func (b *builder) customer(name, desc string, docs ...policyDoc) *managedPolicy {
	o, a, r := b.o, b.a, b.r
	p := &managedPolicy{name: name, path: "/", arn: "arn:aws:iam::" + a.id + ":policy/" + name, description: desc}
	p.id = o.uniqueID(r, "ANPA", 17)
	p.created = b.timeIn(a.created, o.winStart.Add(-60*day))
	t := p.created
	for i, d := range docs {
		if i > 0 {
			t = b.timeIn(t, o.winStart.Add(-time.Duration(len(docs)-i)*day))
		}
		p.versions = append(p.versions, policyVersion{id: "v" + strconv.Itoa(i+1), doc: d, created: t, encoded: b.encodedChance()})
	}
	p.versions[len(p.versions)-1].isDefault = true
	p.updated = t
	a.policies = append(a.policies, p)
	return p
}

func (b *builder) newGroup(name string, attached []string, inline ...namedDoc) {
	o, a, r := b.o, b.a, b.r
	g := &group{name: name, path: "/", attached: attached, inline: inline}
	g.id = o.uniqueID(r, "AGPA", 17)
	g.arn = "arn:aws:iam::" + a.id + ":group/" + name
	g.created = b.timeIn(a.created, o.winStart.Add(-200*day))
	a.groups = append(a.groups, g)
}

func chunks(us []*user, n int) [][]*user {
	var out [][]*user
	for len(us) > 0 {
		k := min(n, len(us))
		out = append(out, us[:k])
		us = us[k:]
	}
	return out
}

func arns(us []*user) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.arn
	}
	return out
}

// oneOrMany prints a single value as a string, several as a list, as AWS does.
func oneOrMany(xs []string) any {
	if len(xs) == 1 {
		return xs[0]
	}
	return xs
}

// makeIAM builds groups, roles and managed policies, including the ones that
// name users: the reference cases, a prefix trap and an orphaned unique ID.
func (b *builder) makeIAM() {
	o, a, r := b.o, b.a, b.r
	acctRoot := "arn:aws:iam::" + a.id + ":root"

	// AWS managed policies in use.
	admin := b.awsManaged("AdministratorAccess", "/", b.doc(statement{Effect: "Allow", Action: "*", Resource: "*"}))
	readOnly := b.awsManaged("ReadOnlyAccess", "/", b.doc(statement{Effect: "Allow", Action: []string{"ec2:Describe*", "s3:Get*", "s3:List*", "iam:Get*", "iam:List*", "cloudtrail:LookupEvents", "logs:Describe*"}, Resource: "*"}))
	power := b.awsManaged("PowerUserAccess", "/", b.doc(
		statement{Effect: "Allow", NotAction: nil, Action: "*", Resource: "*"}.withNot([]string{"iam:*", "organizations:*", "account:*"}),
		statement{Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions"}, Resource: "*"}))
	changePw := b.awsManaged("IAMUserChangePassword", "/", b.doc(
		statement{Effect: "Allow", Action: []string{"iam:ChangePassword"}, Resource: []string{"arn:aws:iam::*:user/${aws:username}"}},
		statement{Effect: "Allow", Action: []string{"iam:GetAccountPasswordPolicy"}, Resource: "*"}))
	billing := b.awsManaged("Billing", "/job-function/", b.doc(statement{Effect: "Allow", Action: []string{"aws-portal:*Billing", "aws-portal:*Usage", "aws-portal:*PaymentMethods", "budgets:ViewBudget", "ce:Get*"}, Resource: "*"}))
	s3ro := b.awsManaged("AmazonS3ReadOnlyAccess", "/", b.doc(statement{Effect: "Allow", Action: []string{"s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"}, Resource: "*"}))

	// Customer-managed policies.
	boundary := b.customer("contractor-boundary", "Upper bound for contractor users",
		b.doc(statement{Sid: "AllowReadAndDev", Effect: "Allow", Action: []string{"ec2:Describe*", "s3:*", "logs:*", "cloudwatch:*"}, Resource: "*"},
			statement{Sid: "DenyIAM", Effect: "Deny", Action: "iam:*", Resource: "*"}))
	reports := b.customer("s3-reports-read", "Read the reports bucket",
		b.doc(statement{Effect: "Allow", Action: []string{"s3:GetObject", "s3:ListBucket"}, Resource: []string{"arn:aws:s3:::" + a.buckets[0], "arn:aws:s3:::" + a.buckets[0] + "/*"}}))
	baseline := b.customer("developer-baseline", "Baseline for developers",
		b.doc(statement{Effect: "Allow", Action: []string{"ec2:Describe*", "logs:Get*"}, Resource: "*"}),
		b.doc(statement{Effect: "Allow", Action: []string{"ec2:Describe*", "logs:Get*", "logs:FilterLogEvents"}, Resource: "*"}),
		b.doc(statement{Effect: "Allow", Action: []string{"ec2:Describe*", "logs:Get*", "logs:FilterLogEvents", "ssm:GetParameter*"}, Resource: "*"},
			statement{Effect: "Deny", Action: "ssm:GetParameter*", Resource: "arn:aws:ssm:*:" + a.id + ":parameter/prod/*"}))
	deployPerms := b.customer("ci-deploy-permissions", "What CI may deploy",
		b.doc(statement{Effect: "Allow", Action: []string{"cloudformation:*", "s3:PutObject", "ecr:*", "ecs:UpdateService", "lambda:UpdateFunctionCode"}, Resource: "*"},
			statement{Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::" + a.id + ":role/app-*"}))
	// Managed policies that name inactive users as resources.
	var rotation []string
	for i, us := range chunks(b.byCase[CaseReferencedPolicy], 20) {
		p := b.customer("key-rotation-"+strconv.Itoa(i+1), "Lets the rotation job manage these users' keys",
			b.doc(statement{Sid: "RotateKeys", Effect: "Allow", Action: []string{"iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"}, Resource: oneOrMany(arns(us))}))
		rotation = append(rotation, p.arn)
	}

	// Users' attachments, counted on the policies.
	counts := map[string]int{}
	boundaries := 0
	for _, u := range a.users {
		if !u.inGAAD {
			continue
		}
		for _, p := range u.attached {
			counts[p]++
		}
		if u.boundary != "" {
			boundaries++
		}
		if u.human && chance(r, 30) {
			u.attached = append(u.attached, changePw.arn)
			counts[changePw.arn]++
		}
	}
	boundary.boundaryUses = boundaries
	_ = reports // attached to service users in newUser, counted above

	// Groups.
	selfInline := namedDoc{name: "deny-without-mfa", encoded: b.encodedChance(), doc: b.doc(statement{Sid: "DenyAllExceptListedIfNoMFA", Effect: "Deny", Resource: "*",
		Condition: map[string]map[string]string{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}.withNot(
		[]string{"iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"}))}
	b.newGroup("admins", []string{admin.arn}, selfInline)
	b.newGroup("developers", []string{power.arn, baseline.arn})
	b.newGroup("readonly", []string{readOnly.arn})
	b.newGroup("billing", []string{billing.arn})
	b.newGroup("ci-robots", []string{s3ro.arn})
	b.newGroup("contractors", []string{readOnly.arn})
	counts[admin.arn]++
	counts[power.arn]++
	counts[baseline.arn]++
	counts[readOnly.arn] += 2
	counts[billing.arn]++
	counts[s3ro.arn]++

	// Roles.
	if a.idx != 0 {
		b.newRole("OrganizationAccountAccessRole", "/", b.doc(statement{Effect: "Allow", Principal: &principal{AWS: "arn:aws:iam::" + o.accounts[0].id + ":root"}, Action: "sts:AssumeRole"}), styleAdmin).attached = []string{admin.arn}
		counts[admin.arn]++
	}
	samlTrust := b.doc(statement{Effect: "Allow", Principal: &principal{Federated: a.saml}, Action: []string{"sts:AssumeRoleWithSAML", "sts:TagSession"},
		Condition: map[string]map[string]string{"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}})
	for _, ps := range []struct {
		set string
		pol *managedPolicy
	}{{"AdministratorAccess", admin}, {"ReadOnlyAccess", readOnly}, {"PowerUserAccess", power}} {
		ro := b.newRole("AWSReservedSSO_"+ps.set+"_"+randHex(r, 16), "/aws-reserved/sso.amazonaws.com/", samlTrust, styleSSO)
		ro.attached = []string{ps.pol.arn}
		ro.maxSession = 43200
		counts[ps.pol.arn]++
		a.ssoRoles = append(a.ssoRoles, ro)
	}
	for _, sl := range []struct{ name, svc string }{
		{"AWSServiceRoleForSupport", "support.amazonaws.com"},
		{"AWSServiceRoleForTrustedAdvisor", "trustedadvisor.amazonaws.com"},
		{"AWSServiceRoleForAutoScaling", "autoscaling.amazonaws.com"},
		{"AWSServiceRoleForElasticLoadBalancing", "elasticloadbalancing.amazonaws.com"},
	} {
		ro := b.newRole(sl.name, "/aws-service-role/"+sl.svc+"/", serviceTrust(b, sl.svc), styleService)
		ro.service = sl.svc
	}
	for _, app := range []struct {
		name, svc string
		style     sessionStyle
	}{
		{"app-orders-api-task", "ecs-tasks.amazonaws.com", styleECS},
		{"app-billing-worker-task", "ecs-tasks.amazonaws.com", styleECS},
		{"app-thumbnailer-lambda", "lambda.amazonaws.com", styleLambda},
		{"app-export-lambda", "lambda.amazonaws.com", styleLambda},
		{"eks-node-group", "ec2.amazonaws.com", styleEC2},
		{"bastion-instance", "ec2.amazonaws.com", styleEC2},
		{"glue-etl", "glue.amazonaws.com", styleNone},
	} {
		ro := b.newRole(app.name, "/", serviceTrust(b, app.svc), app.style)
		ro.service = app.svc
		ro.inline = []namedDoc{{name: "app-access", encoded: b.encodedChance(), doc: b.doc(
			statement{Effect: "Allow", Action: []string{"s3:GetObject", "s3:PutObject"}, Resource: "arn:aws:s3:::" + a.buckets[1+r.IntN(len(a.buckets)-1)] + "/*"},
			statement{Effect: "Allow", Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: "arn:aws:kms:us-east-1:" + a.id + ":key/" + a.kmsKeys[0]})}}
	}
	// CI: a few service users may assume it, plus GitHub's OIDC provider. The
	// prefix-trap user is one of them.
	var ciUsers []string
	for _, u := range b.byCase[CaseActiveKey] {
		if len(ciUsers) == 3 {
			break
		}
		ciUsers = append(ciUsers, u.arn)
	}
	ciStmts := []statement{{Sid: "GitHubActions", Effect: "Allow", Principal: &principal{Federated: "arn:aws:iam::" + a.id + ":oidc-provider/token.actions.githubusercontent.com"},
		Action: "sts:AssumeRoleWithWebIdentity", Condition: map[string]map[string]string{
			"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
			"StringLike":   {"token.actions.githubusercontent.com:sub": "repo:example-org/*:ref:refs/heads/main"}}}}
	if len(ciUsers) > 0 {
		ciStmts = append(ciStmts, statement{Sid: "DeployUsers", Effect: "Allow", Principal: &principal{AWS: oneOrMany(ciUsers)}, Action: "sts:AssumeRole"})
	}
	ci := b.newRole("ci-deploy", "/", b.doc(ciStmts...), styleCI)
	ci.attached = append([]string{deployPerms.arn}, rotation...)
	for _, p := range ci.attached {
		counts[p]++
	}
	b.newRole("security-audit", "/", b.doc(statement{Effect: "Allow", Principal: &principal{AWS: "arn:aws:iam::" + o.external + ":root"}, Action: "sts:AssumeRole",
		Condition: map[string]map[string]string{"StringEquals": {"sts:ExternalId": randHex(r, 24)}}}), styleNone).attached = []string{readOnly.arn}
	counts[readOnly.arn]++
	// Other accounts of the organization may assume partner-access: the
	// cross-account case's calls land here.
	var others []string
	for _, x := range o.accounts {
		if x != a {
			others = append(others, "arn:aws:iam::"+x.id+":root")
		}
	}
	if len(others) > 0 {
		a.partner = b.newRole("partner-access", "/", b.doc(statement{Effect: "Allow", Principal: &principal{AWS: oneOrMany(others)}, Action: "sts:AssumeRole"}), styleNone)
		a.partner.attached = []string{readOnly.arn}
		counts[readOnly.arn]++
	}
	// Trust policies naming inactive users: they must go to review.
	for i, us := range chunks(b.byCase[CaseReferencedTrust], 10) {
		b.newRole("deploy-approvers-"+strconv.Itoa(i+1), "/", b.doc(statement{Effect: "Allow", Principal: &principal{AWS: oneOrMany(arns(us))}, Action: "sts:AssumeRole",
			Condition: map[string]map[string]string{"Bool": {"aws:MultiFactorAuthPresent": "true"}}}), styleNone)
	}
	// A trust policy still naming the deleted predecessor of a re-created
	// user: IAM shows its bare unique ID (an orphaned reference).
	for _, u := range b.byCase[CaseRecreated] {
		if old := b.old[u]; old != nil {
			b.newRole("legacy-batch", "/", b.doc(statement{Effect: "Allow", Principal: &principal{AWS: []string{old.id, acctRoot}}, Action: "sts:AssumeRole"}), styleNone)
			break
		}
	}
	for _, p := range a.policies {
		p.attachments = counts[p.arn]
	}
	// Drop AWS managed policies nothing uses (GAAD lists only attached ones).
	kept := a.policies[:0]
	for _, p := range a.policies {
		if !p.awsManaged || p.attachments > 0 {
			kept = append(kept, p)
		}
	}
	a.policies = kept
}

// withNot turns a statement's Action into NotAction when not is non-nil; the
// document type keeps NotAction as a separate field.
func (s statement) withNot(not []string) statement {
	if not != nil {
		s.NotAction = not
		s.Action = nil
	}
	return s
}
