package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// renderer appends CloudTrail records, as JSON, to b. One per worker; all its
// randomness comes from r, which is reseeded for every file.
type renderer struct {
	o   *org
	r   *rand.Rand
	a   *account // the account whose trail logs the record
	reg uint8
	b   []byte
	now int64

	// Per-record choices, so a placeholder means the same thing twice.
	pB, pF, pT, pR, pk, pS string
	pI, pX                 []byte
}

func (w *renderer) reset(now int64) {
	w.now = now
	w.pB, w.pF, w.pT, w.pR, w.pk, w.pS = "", "", "", "", "", ""
	w.pI, w.pX = w.pI[:0], w.pX[:0]
}

// expand writes a template, filling its placeholders (see catalog).
func (w *renderer) expand(s string) {
	r, a := w.r, w.a
	for i := 0; i < len(s); i++ {
		// Copy the literal run up to the next placeholder in one append:
		// templates are mostly literal JSON.
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			w.b = append(w.b, s[i:]...)
			return
		}
		w.b = append(w.b, s[i:i+j]...)
		i += j
		if i+1 == len(s) {
			w.b = append(w.b, '$')
			return
		}
		i++
		switch s[i] {
		case '$':
			w.b = append(w.b, '$')
		case 'A':
			w.b = append(w.b, a.id...)
		case 'G':
			w.b = append(w.b, regions[w.reg]...)
		case 'B':
			if w.pB == "" {
				w.pB = pick(r, a.buckets)
			}
			w.b = append(w.b, w.pB...)
		case 'F':
			if w.pF == "" {
				w.pF = pick(r, a.functions)
			}
			w.b = append(w.b, w.pF...)
		case 'T':
			if w.pT == "" {
				w.pT = pick(r, a.tables)
			}
			w.b = append(w.b, w.pT...)
		case 'R':
			if w.pR == "" {
				w.pR = pick(r, a.roles).name
			}
			w.b = append(w.b, w.pR...)
		case 'k':
			if w.pk == "" {
				w.pk = pick(r, a.kmsKeys)
			}
			w.b = append(w.b, w.pk...)
		case 'S':
			if w.pS == "" {
				w.pS = pick(r, a.subnets)
			}
			w.b = append(w.b, w.pS...)
		case 'V':
			w.b = append(w.b, a.vpc...)
		case 'I':
			if len(w.pI) == 0 {
				w.pI = appendHex(append(w.pI, "i-0"...), r, 16)
			}
			w.b = append(w.b, w.pI...)
		case 'X':
			if len(w.pX) == 0 {
				w.pX = appendHex(append(w.pX, "sg-0"...), r, 16)
			}
			w.b = append(w.b, w.pX...)
		case 'U':
			w.b = appendUUID(w.b, r)
		case 'H':
			w.b = appendHex(w.b, r, 8)
		case 'h':
			w.b = appendHex(w.b, r, 16)
		case 'n':
			w.b = strconv.AppendInt(w.b, int64(r.IntN(256)), 10)
		case 'm':
			w.b = strconv.AppendInt(w.b, w.now*1000+int64(r.IntN(1000)), 10)
		case 'E':
			w.b = appendTimeZ(w.b, w.now-int64(r.IntN(3600)))
		case 'd':
			w.b = appendDate(w.b, w.now)
		case 'Q':
			w.b = appendID(w.b, r, "ASIA", 16)
		case 't':
			w.b = w.token(w.b)
		case 'e':
			w.b = appendExpiration(w.b, w.now+3600)
		default:
			w.b = append(w.b, '$', s[i])
		}
	}
}

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// token writes something shaped like an STS session token.
func (w *renderer) token(b []byte) []byte {
	b = append(b, "IQoJb3JpZ2luX2VjE"...)
	for n := 0; n < 160; {
		x := w.r.Uint64()
		for i := 0; i < 10 && n < 160; i++ {
			b = append(b, b64[x&63])
			x >>= 6
			n++
		}
	}
	return b
}

// --- the common parts of a record ----------------------------------------

var versions = []string{"1.08", "1.08", "1.08", "1.09", "1.09", "1.09", "1.09", "1.10", "1.10", "1.11"}

func (w *renderer) open() {
	w.b = append(w.b, `{"eventVersion":"`...)
	w.b = append(w.b, pick(w.r, versions)...)
	w.b = append(w.b, `","userIdentity":`...)
}

func (w *renderer) mid(src, name, region, ip, ua string) {
	w.b = append(w.b, `,"eventTime":"`...)
	w.b = appendTimeZ(w.b, w.now)
	w.b = append(w.b, `","eventSource":"`...)
	w.b = append(w.b, src...)
	w.b = append(w.b, `.amazonaws.com","eventName":"`...)
	w.b = append(w.b, name...)
	w.b = append(w.b, `","awsRegion":"`...)
	w.b = append(w.b, region...)
	w.b = append(w.b, `","sourceIPAddress":`...)
	w.b = appendJSONString(w.b, ip)
	w.b = append(w.b, `,"userAgent":`...)
	w.b = appendJSONString(w.b, ua)
}

func (w *renderer) errorFields(code, msg string) {
	if code != "" {
		w.b = append(w.b, ',')
		w.b = appendKV(w.b, "errorCode", code)
	}
	if msg != "" {
		w.b = append(w.b, ',')
		w.b = appendKV(w.b, "errorMessage", msg)
	}
}

type tailOpts struct {
	ro        bool
	eventType string // AwsApiCall by default
	resources string // a template, or ""
	shared    bool   // sharedEventID (cross-account and service events)
	tlsHost   string // tlsDetails.clientProvidedHostHeader, or "" for none
	tlsRegion string // if set, the host is tlsHost.tlsRegion.amazonaws.com
	console   bool   // sessionCredentialFromConsole
	vpce      bool
}

func (w *renderer) tail(o tailOpts) {
	r := w.r
	w.b = append(w.b, `,"requestID":"`...)
	w.b = appendUUID(w.b, r)
	w.b = append(w.b, `","eventID":"`...)
	w.b = appendUUID(w.b, r)
	w.b = append(w.b, `","readOnly":`...)
	w.b = strconv.AppendBool(w.b, o.ro)
	if o.resources != "" {
		w.b = append(w.b, `,"resources":`...)
		w.expand(o.resources)
	}
	et := o.eventType
	if et == "" {
		et = "AwsApiCall"
	}
	w.b = append(w.b, `,"eventType":"`...)
	w.b = append(w.b, et...)
	w.b = append(w.b, `","managementEvent":true,"recipientAccountId":"`...)
	w.b = append(w.b, w.a.id...)
	w.b = append(w.b, '"')
	if o.shared {
		w.b = append(w.b, `,"sharedEventID":"`...)
		w.b = appendUUID(w.b, r)
		w.b = append(w.b, '"')
	}
	if o.vpce {
		w.b = append(w.b, `,"vpcEndpointId":"vpce-0`...)
		w.b = appendHex(w.b, r, 16)
		w.b = append(w.b, `","vpcEndpointAccountId":"`...)
		w.b = append(w.b, w.a.id...)
		w.b = append(w.b, '"')
	}
	w.b = append(w.b, `,"eventCategory":"Management"`...)
	if o.tlsHost != "" {
		w.b = append(w.b, `,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"`...)
		w.b = append(w.b, o.tlsHost...)
		if o.tlsRegion != "" {
			w.b = append(w.b, '.')
			w.b = append(w.b, o.tlsRegion...)
			w.b = append(w.b, ".amazonaws.com"...)
		}
		w.b = append(w.b, `"}`...)
	}
	if o.console {
		w.b = append(w.b, `,"sessionCredentialFromConsole":"true"`...)
	}
	w.b = append(w.b, '}')
}

// hostFor is the host header of a call from template t: the service's
// global endpoint, or (host, region) for the regional one, which tail joins
// without building a string per record.
func hostFor(t *tmpl, region string) (host, reg string) {
	if t.global || t.src == "s3" && t.name == "ListBuckets" {
		return t.host, ""
	}
	return t.src, region
}

// call writes the body of an API call from template t, after the identity.
func (w *renderer) call(t *tmpl, ip, ua, errCode, errMsg string, console bool) {
	region := regions[w.reg]
	w.mid(t.src, t.name, region, ip, ua)
	w.errorFields(errCode, errMsg)
	w.b = append(w.b, `,"requestParameters":`...)
	w.expand(t.req)
	w.b = append(w.b, `,"responseElements":`...)
	if errCode != "" {
		w.b = append(w.b, "null"...)
	} else {
		w.expand(t.resp)
	}
	if t.add != "" {
		w.b = append(w.b, `,"additionalEventData":`...)
		w.expand(t.add)
	}
	host, hostRegion := hostFor(t, region)
	w.tail(tailOpts{ro: t.ro, resources: t.res, tlsHost: host, tlsRegion: hostRegion, console: console,
		vpce: (t.src == "s3" || t.src == "kms" || t.src == "ssm") && chance(w.r, 10)})
}

// --- identities -------------------------------------------------------------

func (w *renderer) sessionContext(issuer func(), created int64, mfa bool) {
	w.b = append(w.b, `,"sessionContext":{"sessionIssuer":{`...)
	if issuer != nil {
		issuer()
	}
	w.b = append(w.b, `},"webIdFederationData":{},"attributes":{"creationDate":"`...)
	w.b = appendTimeZ(w.b, created)
	if mfa {
		w.b = append(w.b, `","mfaAuthenticated":"true"}}`...)
	} else {
		w.b = append(w.b, `","mfaAuthenticated":"false"}}`...)
	}
}

func (w *renderer) identAssumed(ro *role, sess string, created int64, invokedBy string) {
	a := w.a
	w.b = append(w.b, `{"type":"AssumedRole","principalId":"`...)
	w.b = append(w.b, ro.id...)
	w.b = append(w.b, ':')
	w.b = append(w.b, sess...)
	w.b = append(w.b, `","arn":"arn:aws:sts::`...)
	w.b = append(w.b, a.id...)
	w.b = append(w.b, `:assumed-role/`...)
	w.b = append(w.b, ro.name...)
	w.b = append(w.b, '/')
	w.b = append(w.b, sess...)
	w.b = append(w.b, `","accountId":"`...)
	w.b = append(w.b, a.id...)
	w.b = append(w.b, `","accessKeyId":"`...)
	w.b = appendID(w.b, w.r, "ASIA", 16)
	w.b = append(w.b, '"')
	w.sessionContext(func() {
		w.b = append(w.b, `"type":"Role","principalId":"`...)
		w.b = append(w.b, ro.id...)
		w.b = append(w.b, `","arn":"`...)
		w.b = append(w.b, ro.arn...)
		w.b = append(w.b, `","accountId":"`...)
		w.b = append(w.b, a.id...)
		w.b = append(w.b, `","userName":"`...)
		w.b = append(w.b, ro.name...)
		w.b = append(w.b, '"')
	}, created, false)
	if invokedBy != "" {
		w.b = append(w.b, `,"invokedBy":"`...)
		w.b = append(w.b, invokedBy...)
		w.b = append(w.b, '"')
	}
	w.b = append(w.b, '}')
}

// identUser writes an IAMUser identity; keyID "" omits accessKeyId (console
// sign-in), and a console session adds its session context.
func (w *renderer) identUser(u *user, keyID string, withARN bool, consoleCreated int64, mfa bool) {
	w.b = append(w.b, `{"type":"IAMUser","principalId":"`...)
	w.b = append(w.b, u.id...)
	if withARN {
		w.b = append(w.b, `","arn":`...)
		w.b = appendJSONString(w.b, u.arn)
		w.b = append(w.b, `,"accountId":"`...)
	} else {
		w.b = append(w.b, `","accountId":"`...)
	}
	w.b = append(w.b, u.acct.id...)
	w.b = append(w.b, `","accessKeyId":"`...)
	w.b = append(w.b, keyID...)
	w.b = append(w.b, `","userName":`...)
	w.b = appendJSONString(w.b, u.name)
	if consoleCreated != 0 {
		w.sessionContext(nil, consoleCreated, mfa)
	}
	w.b = append(w.b, '}')
}

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

// --- a user's sessions -------------------------------------------------------

// sessionKey is the temporary key of a console or federated session: stable
// within the session, derived from it so that no state is kept.
func (w *renderer) sessionKey(s *session) []byte {
	rr := newRNG(w.o.seed, tagSessionKey, uint64(s.start), uint64(s.user))
	return appendID(make([]byte, 0, 20), rr, "ASIA", 16)
}

func userAgentFor(u *user) string { return userAgents[int(u.idx)%len(userAgents)] }

func loginTo(region string) string {
	return "https://" + region + ".console.aws.amazon.com/console/home?region=" + region + "#"
}

// sessionEvent writes event i of session s.
func (w *renderer) sessionEvent(s *session, i int32) {
	o, r := w.o, w.r
	u := o.principals[s.user]
	region := regions[w.reg]
	switch s.kind {
	case sessLogin:
		if s.n == 2 && i == 0 {
			w.open()
			w.identUser(u, "", false, 0, false)
			w.mid("signin", "CheckMfa", region, u.ip, pick(r, browserAgents))
			w.b = append(w.b, `,"requestParameters":null,"responseElements":{"CheckMfa":"Success"},"additionalEventData":{"MfaType":"Virtual MFA"}`...)
			w.tail(tailOpts{eventType: "AwsConsoleSignIn"})
			return
		}
		w.open()
		w.b = append(w.b, `{"type":"IAMUser","principalId":"`...)
		w.b = append(w.b, u.id...)
		w.b = append(w.b, `","arn":`...)
		w.b = appendJSONString(w.b, u.arn)
		w.b = append(w.b, `,"accountId":"`...)
		w.b = append(w.b, u.acct.id...)
		w.b = append(w.b, `","userName":`...)
		w.b = appendJSONString(w.b, u.name)
		w.b = append(w.b, '}')
		w.mid("signin", "ConsoleLogin", region, u.ip, pick(r, browserAgents))
		w.b = append(w.b, `,"requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"LoginTo":"`...)
		w.b = append(w.b, loginTo(regions[pick(r, workRegions)])...)
		if s.mfa {
			w.b = append(w.b, `","MobileVersion":"No","MFAIdentifier":`...)
			w.b = appendJSONString(w.b, "arn:aws:iam::"+u.acct.id+":mfa/"+u.name)
			w.b = append(w.b, `,"MFAUsed":"Yes"}`...)
		} else {
			w.b = append(w.b, `","MobileVersion":"No","MFAUsed":"No"}`...)
		}
		w.tail(tailOpts{eventType: "AwsConsoleSignIn"})
	case sessConsole:
		rc := &regionCatalogs[w.reg]
		t := &catalog[pick(r, rc.ro)]
		w.open()
		w.identUser(u, string(w.sessionKey(s)), true, s.start-int64(s.aux), s.mfa)
		ua := "AWS Internal"
		if chance(r, 40) {
			ua = pick(r, browserAgents)
		}
		w.call(t, u.ip, ua, "", "", true)
	case sessKey:
		g := &serviceGroups[s.svc]
		t := &catalog[pick(r, g.tmpls)]
		w.open()
		w.identUser(u, u.keys[s.slot].id, true, 0, false)
		w.call(t, u.ip, userAgentFor(u), "", "", false)
	case sessGetFedToken:
		w.open()
		w.identUser(u, u.keys[0].id, true, 0, false)
		w.mid("sts", "GetFederationToken", region, u.ip, userAgentFor(u))
		w.b = append(w.b, `,"requestParameters":{"name":`...)
		w.b = appendJSONString(w.b, u.fedName)
		w.b = append(w.b, `,"durationSeconds":129600,"policyArns":[{"arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}]},"responseElements":{"credentials":{"accessKeyId":"`...)
		w.b = appendID(w.b, r, "ASIA", 16)
		w.b = append(w.b, `","sessionToken":"`...)
		w.b = w.token(w.b)
		w.b = append(w.b, `","expiration":"`...)
		w.b = appendExpiration(w.b, w.now+129600)
		w.b = append(w.b, `"},"federatedUser":{"federatedUserId":"`...)
		w.b = append(w.b, u.acct.id...)
		w.b = append(w.b, ':')
		w.b = append(w.b, u.fedName...)
		w.b = append(w.b, `","arn":"arn:aws:sts::`...)
		w.b = append(w.b, u.acct.id...)
		w.b = append(w.b, `:federated-user/`...)
		w.b = append(w.b, u.fedName...)
		w.b = append(w.b, `"},"packedPolicySize":6}`...)
		w.tail(tailOpts{ro: true, tlsHost: "sts.amazonaws.com"})
	case sessFederated:
		g := &serviceGroups[s.svc]
		t := &catalog[pick(r, g.tmpls)]
		a := u.acct.id
		w.open()
		w.b = append(w.b, `{"type":"FederatedUser","principalId":"`...)
		w.b = append(w.b, a...)
		w.b = append(w.b, ':')
		w.b = append(w.b, u.fedName...)
		w.b = append(w.b, `","arn":"arn:aws:sts::`...)
		w.b = append(w.b, a...)
		w.b = append(w.b, `:federated-user/`...)
		w.b = append(w.b, u.fedName...)
		w.b = append(w.b, `","accountId":"`...)
		w.b = append(w.b, a...)
		w.b = append(w.b, `","accessKeyId":"`...)
		w.b = append(w.b, w.sessionKey(s)...)
		w.b = append(w.b, '"')
		w.sessionContext(func() {
			w.b = append(w.b, `"type":"IAMUser","principalId":"`...)
			w.b = append(w.b, u.id...)
			w.b = append(w.b, `","arn":`...)
			w.b = appendJSONString(w.b, u.arn)
			w.b = append(w.b, `,"accountId":"`...)
			w.b = append(w.b, a...)
			w.b = append(w.b, `","userName":`...)
			w.b = appendJSONString(w.b, u.name)
		}, s.start-int64(between(r, 60, 3600)), false)
		w.b = append(w.b, '}')
		w.call(t, u.ip, userAgentFor(u), "", "", false)
	case sessCross:
		ro := w.a.partner
		w.open()
		w.b = append(w.b, `{"type":"AWSAccount","principalId":"`...)
		w.b = append(w.b, u.id...)
		w.b = append(w.b, `","accountId":"`...)
		w.b = append(w.b, u.acct.id...)
		w.b = append(w.b, `"}`...)
		sess := u.name
		if len(sess) > 64 {
			sess = sess[:64]
		}
		w.stsAssumeRole(ro, sess, u.ip, userAgentFor(u))
		w.tail(tailOpts{ro: true, shared: true, resources: `[{"accountId":"$A","type":"AWS::IAM::Role","ARN":"` + ro.arn + `"}]`, tlsHost: "sts.amazonaws.com"})
	case sessRoleNamed:
		rc := &regionCatalogs[w.reg]
		t := &catalog[pick(r, rc.ro)]
		ro := w.a.ssoRoles[int(s.user)%len(w.a.ssoRoles)]
		w.open()
		w.identAssumed(ro, u.name, s.start-int64(between(r, 60, 3600)), "")
		w.call(t, u.ip, pick(r, browserAgents), "", "", true)
	case sessFailed:
		w.open()
		w.identUser(u, "", false, 0, false)
		w.mid("signin", "ConsoleLogin", region, "198.51.100."+strconv.Itoa(1+r.IntN(254)), pick(r, browserAgents))
		w.errorFields("", "Failed authentication")
		w.b = append(w.b, `,"requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"LoginTo":"`...)
		w.b = append(w.b, loginTo(region)...)
		w.b = append(w.b, `","MobileVersion":"No","MFAUsed":"No"}`...)
		w.tail(tailOpts{eventType: "AwsConsoleSignIn"})
	case sessRootLogin:
		a := u.acct.id
		w.open()
		w.b = append(w.b, `{"type":"Root","principalId":"`...)
		w.b = append(w.b, a...)
		w.b = append(w.b, `","arn":"arn:aws:iam::`...)
		w.b = append(w.b, a...)
		w.b = append(w.b, `:root","accountId":"`...)
		w.b = append(w.b, a...)
		w.b = append(w.b, `","accessKeyId":""}`...)
		w.mid("signin", "ConsoleLogin", "us-east-1", u.ip, pick(r, browserAgents))
		w.b = append(w.b, `,"requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"Yes"}`...)
		w.tail(tailOpts{eventType: "AwsConsoleSignIn"})
	}
}
