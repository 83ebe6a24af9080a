package demo

import (
	"strconv"
)

// This file holds the background records: role, service, STS and federated
// sign-in events that are no user's activity.

// --- background ------------------------------------------------------------

func (w *renderer) sessionName(ro *role) string {
	r := w.r
	switch ro.style {
	case styleECS:
		return randHex(r, 32)
	case styleLambda:
		return pick(r, w.a.functions)
	case styleEC2:
		return "i-0" + randHex(r, 16)
	case styleSSO:
		return email(r)
	case styleAdmin:
		return pick(r, []string{"admin", "break-glass", "platform-oncall"})
	case styleCI:
		if chance(r, 50) {
			return "GitHubActions"
		}
		return "terraform-" + strconv.FormatInt(w.now-int64(r.IntN(600)), 10)
	case styleService:
		return pick(r, []string{"AutoScaling", "ElasticLoadBalancing", "TrustedAdvisor", "AWSSupport"})
	}
	return "session"
}

func isSigninRegion(reg uint8) bool {
	return reg == rUSEast1 || reg == rUSEast2 || reg == rEUNorth || reg == rAPSE2
}

var serviceInvokers = []struct{ svc, role string }{
	{"lambda.amazonaws.com", "app-thumbnailer-lambda"},
	{"lambda.amazonaws.com", "app-export-lambda"},
	{"ecs-tasks.amazonaws.com", "app-orders-api-task"},
	{"ecs-tasks.amazonaws.com", "app-billing-worker-task"},
	{"ec2.amazonaws.com", "eks-node-group"},
	{"glue.amazonaws.com", "glue-etl"},
}

func (w *renderer) roleByName(name string) *role {
	for _, ro := range w.a.roles {
		if ro.name == name {
			return ro
		}
	}
	return w.a.roles[0]
}

// background writes one event by a principal that is not an IAM user of the
// organization: role sessions, AWS services, SAML and web-identity
// federation, a vendor account, and sign-ins with unknown user names.
func (w *renderer) background() {
	r, a := w.r, w.a
	x := r.IntN(1000)
	switch {
	case x < 10 && isSigninRegion(w.reg):
		w.hiddenLogin()
	case x < 130:
		inv := pick(r, serviceInvokers)
		ro := w.roleByName(inv.role)
		w.open()
		w.b = append(w.b, `{"type":"AWSService","invokedBy":"`...)
		w.b = append(w.b, inv.svc...)
		w.b = append(w.b, `"}`...)
		w.stsAssumeRole(ro, w.sessionName(ro), inv.svc, inv.svc)
		w.tail(tailOpts{ro: true, shared: true, resources: `[{"accountId":"$A","type":"AWS::IAM::Role","ARN":"` + ro.arn + `"}]`})
	case x < 145 && len(a.ssoRoles) > 0:
		w.samlLogin()
	case x < 160:
		w.webIdentity()
	case x < 170:
		ro := w.roleByName("security-audit")
		w.open()
		w.b = append(w.b, `{"type":"AWSAccount","principalId":"`...)
		w.b = append(w.b, w.o.externalUserID...)
		w.b = append(w.b, `","accountId":"`...)
		w.b = append(w.b, w.o.external...)
		w.b = append(w.b, `"}`...)
		w.stsAssumeRole(ro, "audit-"+randHex(r, 8), pick(r, []string{"52.94.133.131", "54.240.197.233"}), userAgents[2])
		w.tail(tailOpts{ro: true, shared: true, resources: `[{"accountId":"$A","type":"AWS::IAM::Role","ARN":"` + ro.arn + `"}]`, tlsHost: "sts.amazonaws.com"})
	default:
		w.roleCall()
	}
}

// roleCall is an API call by a role session: the bulk of a real trail.
func (w *renderer) roleCall() {
	r, a := w.r, w.a
	rc := &regionCatalogs[w.reg]
	n := rc.cum[len(rc.cum)-1]
	x := r.IntN(n)
	i := 0
	for rc.cum[i] <= x {
		i++
	}
	t := &catalog[rc.idx[i]]
	ro := pick(r, a.busyRoles)
	sess := w.sessionName(ro)
	invokedBy := ""
	if ro.style == styleService {
		invokedBy = ro.service
	}
	w.open()
	w.identAssumed(ro, sess, w.now-int64(r.IntN(ro.maxSession)), invokedBy)
	var code, msg string
	switch e := r.IntN(1000); {
	case e < 20:
		code = errorCode(t.errs, "Client.UnauthorizedOperation", "AccessDenied", "AccessDeniedException")
		msg = "User: arn:aws:sts::" + a.id + ":assumed-role/" + ro.name + "/" + sess + " is not authorized to perform: " + t.src + ":" + t.name + " because no identity-based policy allows the " + t.src + ":" + t.name + " action"
	case e < 25:
		code, msg = errorCode(t.errs, "Client.RequestLimitExceeded", "Throttling", "ThrottlingException"), "Rate exceeded"
	}
	ip, ua := "AWS Internal", "AWS Internal"
	switch ro.style {
	case styleSSO, styleAdmin:
		ip, ua = "203.0.113."+strconv.Itoa(1+r.IntN(254)), pick(r, browserAgents)
	case styleCI:
		ip, ua = "140.82.112."+strconv.Itoa(1+r.IntN(254)), userAgents[5]
	case styleECS, styleEC2, styleLambda:
		ip, ua = "10.0."+strconv.Itoa(r.IntN(256))+"."+strconv.Itoa(1+r.IntN(254)), pick(r, userAgents[2:])
	case styleService:
		ip, ua = invokedBy, invokedBy
	}
	w.call(t, ip, ua, code, msg, false)
}

// errorCode is the error code of a service of the given error style.
func errorCode(style, ec2, rest, json string) string {
	switch style {
	case "ec2":
		return ec2
	case "rest":
		return rest
	case "json":
		return json
	}
	return ""
}

func (w *renderer) stsAssumeRole(ro *role, sess, ip, ua string) {
	w.mid("sts", "AssumeRole", regions[w.reg], ip, ua)
	w.b = append(w.b, `,"requestParameters":{"roleArn":"`...)
	w.b = append(w.b, ro.arn...)
	w.b = append(w.b, `","roleSessionName":`...)
	w.b = appendJSONString(w.b, sess)
	w.b = append(w.b, `,"durationSeconds":3600},"responseElements":{"credentials":{"accessKeyId":"`...)
	w.b = appendID(w.b, w.r, "ASIA", 16)
	w.b = append(w.b, `","sessionToken":"`...)
	w.b = w.token(w.b)
	w.b = append(w.b, `","expiration":"`...)
	w.b = appendExpiration(w.b, w.now+3600)
	w.b = append(w.b, `"},"assumedRoleUser":{"assumedRoleId":"`...)
	w.b = append(w.b, ro.id...)
	w.b = append(w.b, ':')
	w.b = append(w.b, sess...)
	w.b = append(w.b, `","arn":"arn:aws:sts::`...)
	w.b = append(w.b, w.a.id...)
	w.b = append(w.b, `:assumed-role/`...)
	w.b = append(w.b, ro.name...)
	w.b = append(w.b, '/')
	w.b = append(w.b, sess...)
	w.b = append(w.b, `"}}`...)
}

func (w *renderer) hiddenLogin() {
	w.open()
	w.b = append(w.b, `{"type":"IAMUser","accountId":"`...)
	w.b = append(w.b, w.a.id...)
	w.b = append(w.b, `","accessKeyId":"","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}`...)
	w.mid("signin", "ConsoleLogin", regions[w.reg], "198.51.100."+strconv.Itoa(1+w.r.IntN(254)), pick(w.r, browserAgents))
	w.errorFields("", "No username found in supplied account")
	w.b = append(w.b, `,"requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"No"}`...)
	w.tail(tailOpts{eventType: "AwsConsoleSignIn"})
}

func (w *renderer) samlLogin() {
	r, a := w.r, w.a
	ro := pick(r, a.ssoRoles)
	who := email(r)
	idp := randHex(r, 28)
	w.open()
	w.b = append(w.b, `{"type":"SAMLUser","principalId":"`...)
	w.b = append(w.b, idp...)
	w.b = append(w.b, ':')
	w.b = append(w.b, who...)
	w.b = append(w.b, `","userName":"`...)
	w.b = append(w.b, who...)
	w.b = append(w.b, `","identityProvider":"`...)
	w.b = append(w.b, idp...)
	w.b = append(w.b, `"}`...)
	w.mid("sts", "AssumeRoleWithSAML", regions[w.reg], "203.0.113."+strconv.Itoa(1+r.IntN(254)), pick(r, browserAgents))
	w.b = append(w.b, `,"requestParameters":{"sAMLAssertionID":"_`...)
	w.b = appendHex(w.b, r, 32)
	w.b = append(w.b, `","roleSessionName":"`...)
	w.b = append(w.b, who...)
	w.b = append(w.b, `","durationSeconds":43200,"roleArn":"`...)
	w.b = append(w.b, ro.arn...)
	w.b = append(w.b, `","principalArn":"`...)
	w.b = append(w.b, a.saml...)
	w.b = append(w.b, `"},"responseElements":{"credentials":{"accessKeyId":"`...)
	w.b = appendID(w.b, r, "ASIA", 16)
	w.b = append(w.b, `","sessionToken":"`...)
	w.b = w.token(w.b)
	w.b = append(w.b, `","expiration":"`...)
	w.b = appendExpiration(w.b, w.now+43200)
	w.b = append(w.b, `"},"assumedRoleUser":{"assumedRoleId":"`...)
	w.b = append(w.b, ro.id...)
	w.b = append(w.b, ':')
	w.b = append(w.b, who...)
	w.b = append(w.b, `","arn":"arn:aws:sts::`...)
	w.b = append(w.b, a.id...)
	w.b = append(w.b, `:assumed-role/`...)
	w.b = append(w.b, ro.name...)
	w.b = append(w.b, '/')
	w.b = append(w.b, who...)
	w.b = append(w.b, `"},"packedPolicySize":1,"subject":"`...)
	w.b = append(w.b, who...)
	w.b = append(w.b, `","subjectType":"persistent","issuer":"https://portal.sso.us-east-1.amazonaws.com/saml/assertion/`...)
	w.b = append(w.b, idp...)
	w.b = append(w.b, `","audience":"https://signin.aws.amazon.com/saml","nameQualifier":"`...)
	w.b = append(w.b, idp...)
	w.b = append(w.b, `"}`...)
	w.tail(tailOpts{ro: true, shared: false, resources: `[{"accountId":"$A","type":"AWS::IAM::Role","ARN":"` + ro.arn + `"},{"accountId":"$A","type":"AWS::IAM::SAMLProvider","ARN":"` + a.saml + `"}]`, tlsHost: "sts.amazonaws.com"})
}

func (w *renderer) webIdentity() {
	r, a := w.r, w.a
	ro := w.roleByName("ci-deploy")
	prov := "arn:aws:iam::" + a.id + ":oidc-provider/token.actions.githubusercontent.com"
	sub := "repo:example-org/" + pick(r, []string{"orders-api", "billing", "infra", "web"}) + ":ref:refs/heads/main"
	w.open()
	w.b = append(w.b, `{"type":"WebIdentityUser","principalId":"`...)
	w.b = append(w.b, prov...)
	w.b = append(w.b, `:sts.amazonaws.com:`...)
	w.b = append(w.b, sub...)
	w.b = append(w.b, `","userName":"`...)
	w.b = append(w.b, sub...)
	w.b = append(w.b, `","identityProvider":"`...)
	w.b = append(w.b, prov...)
	w.b = append(w.b, `"}`...)
	w.mid("sts", "AssumeRoleWithWebIdentity", regions[w.reg], "140.82.112."+strconv.Itoa(1+r.IntN(254)), "aws-sdk-nodejs/2.1659.0 linux/v20.15.1 promise")
	w.b = append(w.b, `,"requestParameters":{"roleArn":"`...)
	w.b = append(w.b, ro.arn...)
	w.b = append(w.b, `","roleSessionName":"GitHubActions","durationSeconds":3600},"responseElements":{"credentials":{"accessKeyId":"`...)
	w.b = appendID(w.b, r, "ASIA", 16)
	w.b = append(w.b, `","sessionToken":"`...)
	w.b = w.token(w.b)
	w.b = append(w.b, `","expiration":"`...)
	w.b = appendExpiration(w.b, w.now+3600)
	w.b = append(w.b, `"},"subjectFromWebIdentityToken":"`...)
	w.b = append(w.b, sub...)
	w.b = append(w.b, `","assumedRoleUser":{"assumedRoleId":"`...)
	w.b = append(w.b, ro.id...)
	w.b = append(w.b, `:GitHubActions","arn":"arn:aws:sts::`...)
	w.b = append(w.b, a.id...)
	w.b = append(w.b, `:assumed-role/ci-deploy/GitHubActions"},"provider":"`...)
	w.b = append(w.b, prov...)
	w.b = append(w.b, `","audience":"sts.amazonaws.com"}`...)
	w.tail(tailOpts{ro: true, resources: `[{"accountId":"$A","type":"AWS::IAM::Role","ARN":"` + ro.arn + `"}]`, tlsHost: "sts.amazonaws.com"})
}
