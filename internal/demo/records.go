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
