package demo

import (
	"strconv"
)

// This file holds the records of a user's sessions: each event of a console,
// key, federated or cross-account session.

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
	case sessReenable:
		// An admin, through the account's admin role, sets the deactivated
		// user's key Active again (IAM is global: logged in us-east-1).
		re := u.reenabledBy
		w.open()
		w.identAssumed(w.roleByName(re.RoleName), re.SessionName, s.start-int64(between(r, 60, 3600)), "")
		w.mid("iam", "UpdateAccessKey", "us-east-1", "203.0.113."+strconv.Itoa(1+r.IntN(254)), "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/iam.update-access-key")
		w.b = append(w.b, `,"requestParameters":{"userName":`...)
		w.b = appendJSONString(w.b, u.name)
		w.b = append(w.b, `,"accessKeyId":"`...)
		w.b = append(w.b, u.keys[s.slot].id...)
		w.b = append(w.b, `","status":"Active"},"responseElements":null`...)
		w.tail(tailOpts{tlsHost: "iam.amazonaws.com"})
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
