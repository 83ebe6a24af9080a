// Package trailtest holds the CloudTrail fixtures the activity engines' and
// the record reader's tests share: the fixture trail's definitions (written
// under testdata/), its window, the analytics fake and table comparisons.
package trailtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// Accounts and principals of the fixture trail.
const (
	AcctA   = "111111111111" // trail in the account layout
	AcctB   = "222222222222" // organization trail: AWSLogs/o-exampleorgid/222222222222/...
	OrgID   = "o-exampleorgid"
	AliceID = "AIDAALICEEXAMPLE00001"
	BobID   = "AIDABOBEXAMPLE0000002"
	CarolID = "AIDACAROLEXAMPLE00003"
	DaveID  = "AIDADAVEEXAMPLE000004" // has no event of its own: only a role session named dave
	ErinID  = "AIDAERINEXAMPLE000005"
	GraceID = "AIDAGRACEEXAMPLE00007"
	HenryID = "AIDAHENRYEXAMPLE00008"
)

// Fixture is one file under testdata/.
type Fixture struct {
	Path    string // relative to testdata/
	Records []Rec  // the file is {"Records":[...]} of these
	Raw     string // verbatim content instead of records (digest file)
	Plain   bool   // written as .json, not gzipped
	Corrupt bool   // gzip stream cut in half
}

// Rec is a CloudTrail record; map keys come out sorted, which JSON allows.
type Rec map[string]any

// Trail is the fixture trail under testdata/trail (window 2026-10-01T00:00Z
// to 2026-10-03T12:00Z, so day folders 2026-09-30 to 2026-10-04 are read).
func Trail() []Fixture {
	ue1 := "trail/AWSLogs/111111111111/CloudTrail/us-east-1/"
	ue2 := "trail/AWSLogs/111111111111/CloudTrail/us-east-2/"
	org := "trail/AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/"
	return []Fixture{
		// Outside the days read (the day before the lead-in day): never opened.
		{Path: ue1 + "2026/09/29/111111111111_CloudTrail_us-east-1_20260929T2355Z_q3PjWm0bXkYg7TzR.json.gz", Records: []Rec{
			Event("0c1b7e52-0d0a-4f3e-9a51-1a2b3c4d5e01", "2026-09-29T23:50:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
				IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001"), nil),
		}},
		// The lead-in day: coverage evidence only.
		{Path: ue1 + "2026/09/30/111111111111_CloudTrail_us-east-1_20260930T2005Z_Hk2LrT8sVn4QpZ1x.json.gz", Records: []Rec{
			Event("1e6f2a10-5b7c-4d8e-9f01-2a3b4c5d6e01", "2026-09-30T11:58:00Z", "ec2.amazonaws.com", "DescribeInstances", "us-east-1", "10.0.0.5",
				AssumedRole(AcctA, "AROAAPPROLEEXAMPLE001", "app", "i-0abc123def4567890"), Rec{"requestParameters": Rec{"instancesSet": Rec{}, "filterSet": Rec{}}}),
			Event("1e6f2a10-5b7c-4d8e-9f01-2a3b4c5d6e02", "2026-09-30T12:00:00Z", "iam.amazonaws.com", "ListUsers", "us-east-1", "203.0.113.40",
				IAMUser(AcctA, GraceID, "grace", "AKIAGRACEKEY00000001"), nil),
			ConsoleLogin("1e6f2a10-5b7c-4d8e-9f01-2a3b4c5d6e03", "2026-09-30T20:00:00Z", "us-east-1", "198.51.100.20",
				IAMUserNoARN(AcctA, BobID, "bob"), false, false),
		}},
		// Not log files: a download in progress (hidden, and not gzip) and a
		// note someone left. Reading either would fail the scan.
		{Plain: true, Path: ue1 + "2026/10/01/.111111111111_CloudTrail_us-east-1_20261001T0915Z_Yh5Tg6Rf7Ed8Ws9Q.json.gz", Raw: "download in progress"},
		{Plain: true, Path: ue1 + "2026/10/01/NOTES.txt", Raw: "synced from s3://example-trail-bucket\n"},
		// Day 1, us-east-1.
		{Path: ue1 + "2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0905Z_Mu0KsOhtH1ar15ZZ.json.gz", Records: []Rec{
			ConsoleLogin("2a000000-0000-4000-8000-000000000001", "2026-10-01T07:00:00Z", "us-east-1", "198.51.100.1",
				Root(AcctA), true, false),
			ConsoleLogin("2a000000-0000-4000-8000-000000000002", "2026-10-01T08:00:00Z", "us-east-1", "198.51.100.20",
				IAMUserNoARN(AcctA, BobID, "bob"), false, false),
			ConsoleLogin("2a000000-0000-4000-8000-000000000003", "2026-10-01T08:30:00Z", "us-east-1", "198.51.100.66",
				Hidden(AcctA), false, false),
			Event("2a000000-0000-4000-8000-000000000004", "2026-10-01T09:00:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
				IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001"), nil),
			Event("2a000000-0000-4000-8000-000000000005", "2026-10-01T09:01:00Z", "ec2.amazonaws.com", "DescribeInstances", "us-east-1", "203.0.113.10",
				IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001"),
				Rec{"requestParameters": Rec{"instancesSet": Rec{"items": []Rec{{"instanceId": "i-0abc123def4567890"}}}, "filterSet": Rec{}, "maxResults": 5}}),
			// A role session named like a user never counts for the user.
			Event("2a000000-0000-4000-8000-000000000006", "2026-10-01T09:02:00Z", "iam.amazonaws.com", "ListRoles", "us-east-1", "203.0.113.30",
				AssumedRole(AcctA, "AROAADMINROLEEXAMPLE1", "Admin", "dave"), nil),
			Event("2a000000-0000-4000-8000-000000000007", "2026-10-01T09:03:00Z", "kms.amazonaws.com", "Decrypt", "us-east-1", "cloudtrail.amazonaws.com",
				AWSService("cloudtrail.amazonaws.com"), Rec{"requestParameters": Rec{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}}),
		}},
		// The same day again: a duplicate delivery of alice's DescribeInstances
		// (same eventID) and her second key.
		{Path: ue1 + "2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0910Z_Zt9QwErTy5UiOp3A.json.gz", Records: []Rec{
			Event("2a000000-0000-4000-8000-000000000005", "2026-10-01T09:01:00Z", "ec2.amazonaws.com", "DescribeInstances", "us-east-1", "203.0.113.10",
				IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001"),
				Rec{"requestParameters": Rec{"instancesSet": Rec{"items": []Rec{{"instanceId": "i-0abc123def4567890"}}}, "filterSet": Rec{}, "maxResults": 5}}),
			// requestParameters as a string, as some exporters write it.
			Event("2a000000-0000-4000-8000-000000000008", "2026-10-01T09:07:00Z", "iam.amazonaws.com", "GetUser", "us-east-1", "203.0.113.10",
				IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000002"), Rec{"requestParameters": `{"userName":"alice"}`}),
		}},
		// Day 2, us-east-1, uncompressed .json: federation, ARN-only records,
		// AccessDenied, root's failed sign-in, cross-account calls.
		{Plain: true, Path: ue1 + "2026/10/02/111111111111_CloudTrail_us-east-1_20261002T1405Z_Pa4SdFgHj6KlZx7C.json", Records: []Rec{
			ConsoleLogin("3b000000-0000-4000-8000-000000000001", "2026-10-02T07:00:00Z", "us-east-1", "198.51.100.99",
				Root(AcctA), false, false),
			Event("3b000000-0000-4000-8000-000000000002", "2026-10-02T09:00:00Z", "s3.amazonaws.com", "GetBucketAcl", "us-east-1", "203.0.113.50",
				Rec{"type": "IAMUser", "principalId": "", "arn": "arn:aws:iam::111111111111:user/frank", "accountId": AcctA, "userName": "frank"}, nil),
			Event("3b000000-0000-4000-8000-000000000003", "2026-10-02T09:30:00Z", "s3.amazonaws.com", "GetBucketPolicy", "us-east-1", "203.0.113.51",
				Rec{"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/frank", "accountId": AcctA, "userName": "frank"}, nil),
			Event("3b000000-0000-4000-8000-000000000004", "2026-10-02T10:00:00Z", "iam.amazonaws.com", "ListUsers", "us-east-1", "203.0.113.60",
				IAMUser(AcctA, HenryID, "henry", "AKIAHENRYKEY00000001"),
				Rec{"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111111111111:user/henry is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::111111111111:user/ because no identity-based policy allows the iam:ListUsers action"}),
			// erin (account B) assuming a role in account A: logged here as AWSAccount.
			Event("3b000000-0000-4000-8000-000000000005", "2026-10-02T11:00:00Z", "sts.amazonaws.com", "AssumeRole", "us-east-1", "192.0.2.15",
				Rec{"type": "AWSAccount", "principalId": ErinID, "accountId": AcctB},
				Rec{"requestParameters": Rec{"roleArn": "arn:aws:iam::111111111111:role/CrossAccountAudit", "roleSessionName": "erin"},
					"responseElements": Rec{"credentials": Rec{"accessKeyId": "ASIAERINSESSION00001", "expiration": "Oct 2, 2026, 12:00:00 PM", "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE"}},
					"sharedEventID":    "5c9d6e7f-0000-4000-8000-00000000aa01"}),
			// A role session from another account: never a user.
			Event("3b000000-0000-4000-8000-000000000006", "2026-10-02T11:05:00Z", "sts.amazonaws.com", "AssumeRole", "us-east-1", "192.0.2.16",
				Rec{"type": "AWSAccount", "principalId": "AROAOTHERROLEEXAMPLE1:ci", "accountId": "333333333333"},
				Rec{"requestParameters": Rec{"roleArn": "arn:aws:iam::111111111111:role/Deploy", "roleSessionName": "ci"}}),
			Event("3b000000-0000-4000-8000-000000000007", "2026-10-02T13:00:00Z", "sts.amazonaws.com", "GetFederationToken", "us-east-1", "203.0.113.70",
				IAMUser(AcctA, CarolID, "carol", "AKIACAROLKEY00000001"),
				Rec{"requestParameters": Rec{"name": "carol-fed", "durationSeconds": 3600}}),
			Event("3b000000-0000-4000-8000-000000000008", "2026-10-02T13:05:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.70",
				Federated(AcctA, "carol-fed", "ASIACAROLSESSION0001", CarolID, "carol"), nil),
		}},
		// Day 3, us-east-1: two events at exactly End (the later eventID is the
		// latest, though it comes first in the file), one just after End.
		{Path: ue1 + "2026/10/03/111111111111_CloudTrail_us-east-1_20261003T1305Z_Xc8VbNm2Qw1Er4Ty.json.gz", Records: []Rec{
			Event("7d5b0e0a-0000-4000-8000-000000000002", "2026-10-03T12:00:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.12",
				IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001"), nil),
			Event("7d5b0e0a-0000-4000-8000-000000000001", "2026-10-03T12:00:00Z", "sts.amazonaws.com", "GetCallerIdentity", "us-east-1", "203.0.113.11",
				IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001"), nil),
			Event("7d5b0e0a-0000-4000-8000-000000000003", "2026-10-03T12:00:01Z", "ec2.amazonaws.com", "RunInstances", "us-east-1", "203.0.113.13",
				IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000003"), nil),
		}},
		// A file with no records (CloudTrail delivers these).
		{Path: ue1 + "2026/10/03/111111111111_CloudTrail_us-east-1_20261003T1310Z_Em9TyRe3Wq2Lk5Jh.json.gz", Records: []Rec{}},
		// Day 4 (the extra day): a late delivery of an event in the window,
		// and events after it.
		{Path: ue1 + "2026/10/04/111111111111_CloudTrail_us-east-1_20261004T0010Z_Lp0OkIj9Uh8Yg7Tf.json.gz", Records: []Rec{
			Event("4c000000-0000-4000-8000-000000000001", "2026-10-03T11:59:00Z", "ec2.amazonaws.com", "DescribeRegions", "us-east-1", "198.51.100.7",
				Federated(AcctA, "carol-fed", "ASIACAROLSESSION0001", CarolID, "carol"), nil),
			Event("4c000000-0000-4000-8000-000000000002", "2026-10-04T00:01:00Z", "iam.amazonaws.com", "ListUsers", "us-east-1", "203.0.113.40",
				IAMUser(AcctA, GraceID, "grace", "AKIAGRACEKEY00000001"), nil),
			Event("4c000000-0000-4000-8000-000000000003", "2026-10-04T00:05:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
				IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001"), nil),
		}},
		// Two days after End: never opened.
		{Path: ue1 + "2026/10/05/111111111111_CloudTrail_us-east-1_20261005T0905Z_Rt5YuIo1Pa2Sd3Fg.json.gz", Records: []Rec{
			Event("5d000000-0000-4000-8000-000000000001", "2026-10-05T09:00:00Z", "iam.amazonaws.com", "ListUsers", "us-east-1", "203.0.113.40",
				IAMUser(AcctA, DaveID, "dave", "AKIADAVEKEY000000001"), nil),
		}},
		// us-east-2: console sign-ins through the global endpoint land here.
		{Path: ue2 + "2026/10/01/111111111111_CloudTrail_us-east-2_20261001T1005Z_Gh6JkLz7Xc8Vb9Nm.json.gz", Records: []Rec{
			// responseElements as a JSON string rather than an object.
			WithString(ConsoleLogin("2a100000-0000-4000-8000-000000000001", "2026-10-01T10:00:00Z", "us-east-2", "203.0.113.10",
				IAMUser(AcctA, AliceID, "alice", ""), true, true), "responseElements"),
		}},
		{Path: ue2 + "2026/10/02/111111111111_CloudTrail_us-east-2_20261002T0805Z_Qa1Ws2Ed3Rf4Tg5Y.json.gz", Records: []Rec{
			ConsoleLogin("3b100000-0000-4000-8000-000000000001", "2026-10-02T08:00:00Z", "us-east-2", "198.51.100.20",
				IAMUser(AcctA, BobID, "bob", ""), false, false),
			// responseElements as a bare string, requestParameters null.
			Event("3b100000-0000-4000-8000-000000000002", "2026-10-02T08:01:00Z", "ssm.amazonaws.com", "GetParameter", "us-east-2", "10.0.1.9",
				AssumedRole(AcctA, "AROAAPPROLEEXAMPLE001", "app", "i-0abc123def4567890"), Rec{"responseElements": "OK"}),
		}},
		// The organization trail's copy of account B's logs.
		{Path: org + "2026/10/02/222222222222_CloudTrail_eu-west-1_20261002T0815Z_Uj7Ik8Ol9Pz0Xa1S.json.gz", Records: []Rec{
			Event("3b200000-0000-4000-8000-000000000001", "2026-10-02T08:10:00Z", "ec2.amazonaws.com", "DescribeVpcs", "eu-west-1", "192.0.2.15",
				IAMUser(AcctB, ErinID, "erin", "AKIAERINKEY000000001"), nil),
			Event("3b200000-0000-4000-8000-000000000002", "2026-10-02T08:12:00Z", "ec2.amazonaws.com", "DescribeVpcs", "eu-west-1", "10.1.0.9",
				AssumedRole(AcctB, "AROABROLEEXAMPLE00001", "Ops", "erin"), nil),
		}},
		// Siblings of CloudTrail/ that must be skipped: a digest (no Records)
		// and Insights events (Records that are not API activity).
		{Path: "trail/AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/10/01/111111111111_CloudTrail-Digest_us-east-1_management_us-east-1_20261001T091500Z.json.gz",
			Raw: `{"awsAccountId":"111111111111","digestStartTime":"2026-10-01T08:15:00Z","digestEndTime":"2026-10-01T09:15:00Z","digestS3Bucket":"example-trail-bucket","digestS3Object":"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/10/01/111111111111_CloudTrail-Digest_us-east-1_management_us-east-1_20261001T091500Z.json.gz","digestPublicKeyFingerprint":"0123456789abcdef0123456789abcdef","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2026-10-01T09:03:00Z","oldestEventTime":"2026-10-01T07:00:00Z","previousDigestS3Bucket":"example-trail-bucket","previousDigestS3Object":"","logFiles":[{"s3Bucket":"example-trail-bucket","s3Object":"AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0905Z_Mu0KsOhtH1ar15ZZ.json.gz","hashValue":"00","hashAlgorithm":"SHA-256","newestEventTime":"2026-10-01T09:03:00Z","oldestEventTime":"2026-10-01T07:00:00Z"}]}`},
		{Path: "trail/AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2026/10/01/111111111111_CloudTrail-Insight_us-east-1_20261001T1000Z_Vb3Nm4Qw5Er6Ty7U.json.gz", Records: []Rec{
			{"eventVersion": "1.08", "eventTime": "2026-10-01T09:00:00Z", "awsRegion": "us-east-1", "eventID": "6e000000-0000-4000-8000-000000000001",
				"eventType": "AwsCloudTrailInsight", "recipientAccountId": AcctA, "sharedEventID": "6e000000-0000-4000-8000-0000000000ff",
				"insightDetails": Rec{"state": "Start", "eventSource": "iam.amazonaws.com", "eventName": "ListUsers", "insightType": "ApiCallRateInsight"},
				"eventCategory":  "Insight"},
		}},
	}
}

// CorruptTrail is a trail with one good file and one cut-off download.
func CorruptTrail() []Fixture {
	day := "corrupt/AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/"
	recs := []Rec{
		Event("8f000000-0000-4000-8000-000000000001", "2026-10-01T09:00:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
			IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001"), nil),
		Event("8f000000-0000-4000-8000-000000000002", "2026-10-01T09:01:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
			IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001"), nil),
	}
	return []Fixture{
		{Path: day + "111111111111_CloudTrail_us-east-1_20261001T0905Z_Ab1Cd2Ef3Gh4Ij5K.json.gz", Records: recs},
		{Path: day + "111111111111_CloudTrail_us-east-1_20261001T0910Z_Lm6No7Pq8Rs9Tu0V.json.gz", Records: recs, Corrupt: true},
	}
}

// Event is a management-event record as CloudTrail writes it; extra adds or
// replaces fields.
func Event(id, at, source, name, region, ip string, identity Rec, extra Rec) Rec {
	acct, _ := identity["accountId"].(string)
	if identity["type"] == "AWSAccount" || identity["type"] == "AWSService" || acct == "" {
		acct = AcctA // logged in the account whose trail this is
	}
	r := Rec{
		"eventVersion":       "1.09",
		"userIdentity":       identity,
		"eventTime":          at,
		"eventSource":        source,
		"eventName":          name,
		"awsRegion":          region,
		"sourceIPAddress":    ip,
		"userAgent":          "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8 cfg/retry-mode#standard",
		"requestParameters":  nil,
		"responseElements":   nil,
		"requestID":          "req-" + id[:8],
		"eventID":            id,
		"readOnly":           true,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": acct,
		"eventCategory":      "Management",
		"tlsDetails":         Rec{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": strings.TrimSuffix(source, ".amazonaws.com") + "." + region + ".amazonaws.com"},
	}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

// ConsoleLogin is a ConsoleLogin record; failures carry AWS's error message.
func ConsoleLogin(id, at, region, ip string, identity Rec, success, mfa bool) Rec {
	mfaUsed := "No"
	if mfa {
		mfaUsed = "Yes"
	}
	r := Event(id, at, "signin.amazonaws.com", "ConsoleLogin", region, ip, identity, Rec{
		"userAgent":           "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
		"readOnly":            false,
		"eventType":           "AwsConsoleSignIn",
		"additionalEventData": Rec{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": mfaUsed},
		"responseElements":    Rec{"ConsoleLogin": "Success"},
	})
	delete(r, "tlsDetails")
	if !success {
		r["responseElements"] = Rec{"ConsoleLogin": "Failure"}
		r["errorMessage"] = "Failed authentication"
		if identity["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS" {
			r["errorMessage"] = "No username found in supplied account"
		}
	}
	return r
}

// WithString replaces field with its JSON text, as a string.
func WithString(r Rec, field string) Rec {
	b, err := json.Marshal(r[field])
	if err != nil {
		panic(err) // fixture definitions are static
	}
	r[field] = string(b)
	return r
}

func IAMUser(acct, id, name, key string) Rec {
	r := Rec{"type": "IAMUser", "principalId": id, "arn": "arn:aws:iam::" + acct + ":user/" + name, "accountId": acct, "userName": name}
	r["accessKeyId"] = key
	return r
}

// IAMUserNoARN is the identity of a failed console sign-in by a known user,
// which AWS logs without the ARN.
func IAMUserNoARN(acct, id, name string) Rec {
	return Rec{"type": "IAMUser", "principalId": id, "accountId": acct, "accessKeyId": "", "userName": name}
}

func Hidden(acct string) Rec {
	return Rec{"type": "IAMUser", "accountId": acct, "accessKeyId": "", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}
}

func Root(acct string) Rec {
	return Rec{"type": "Root", "principalId": acct, "arn": "arn:aws:iam::" + acct + ":root", "accountId": acct, "accessKeyId": ""}
}

func AssumedRole(acct, roleID, role, session string) Rec {
	return Rec{
		"type": "AssumedRole", "principalId": roleID + ":" + session,
		"arn":       "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + session,
		"accountId": acct, "accessKeyId": "ASIA" + roleID[4:20],
		"sessionContext": Rec{
			"sessionIssuer":       Rec{"type": "Role", "principalId": roleID, "arn": "arn:aws:iam::" + acct + ":role/" + role, "accountId": acct, "userName": role},
			"webIdFederationData": Rec{},
			"attributes":          Rec{"creationDate": "2026-09-30T08:00:00Z", "mfaAuthenticated": "false"},
		},
	}
}

func Federated(acct, name, key, issuerID, issuer string) Rec {
	return Rec{
		"type": "FederatedUser", "principalId": acct + ":" + name,
		"arn":       "arn:aws:sts::" + acct + ":federated-user/" + name,
		"accountId": acct, "accessKeyId": key,
		"sessionContext": Rec{
			"sessionIssuer": Rec{"type": "IAMUser", "principalId": issuerID, "arn": "arn:aws:iam::" + acct + ":user/" + issuer, "accountId": acct, "userName": issuer},
			"attributes":    Rec{"creationDate": "2026-10-02T13:00:00Z", "mfaAuthenticated": "false"},
		},
	}
}

func AWSService(service string) Rec {
	return Rec{"type": "AWSService", "invokedBy": service}
}

// Content is the file's bytes before compression.
func (f Fixture) Content() []byte {
	if f.Raw != "" {
		return []byte(f.Raw)
	}
	recs := f.Records
	if recs == nil {
		recs = []Rec{}
	}
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		panic(err) // fixture definitions are static
	}
	return b
}

// Bytes is the file as stored.
func (f Fixture) Bytes() []byte {
	if f.Plain {
		return f.Content()
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b) // zero header time and no name: reproducible
	zw.Write(f.Content())
	zw.Close()
	if f.Corrupt {
		return b.Bytes()[:b.Len()/2]
	}
	return b.Bytes()
}

// The fixture trail's window: day folders 2026-09-30 to 2026-10-04 are read.
var (
	FixtureStart = TS("2026-10-01T00:00:00Z")
	FixtureEnd   = TS("2026-10-03T12:00:00Z")
)

func TS(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// DiffActivity compares activity tables row by row, so a failure says which
// principal differs.
func DiffActivity(t *testing.T, got, want []tables.Activity) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d activity rows, want %d", len(got), len(want))
	}
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("missing row %+v", want[i])
		case i >= len(want):
			t.Errorf("unexpected row %+v", got[i])
		case !reflect.DeepEqual(got[i], want[i]):
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// NewFake starts the analytics fake over a logs folder.
func NewFake(t testing.TB, cfg analytics.Config) *analytics.Server {
	t.Helper()
	s, err := analytics.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// fast polls the fakes without the production back-off.
const (
	FastPoll    = time.Millisecond
	FastPollMax = 5 * time.Millisecond
)

// SameTables compares two results' activity and coverage tables.
func SameTables(t *testing.T, what string, got, want *activity.Result) {
	t.Helper()
	if len(want.Activity)+len(want.Coverage) == 0 {
		t.Fatalf("%s: the expected result is empty: the comparison proves nothing", what)
	}
	if !reflect.DeepEqual(got.Activity, want.Activity) {
		t.Errorf("%s: activity differs", what)
		DiffActivity(t, got.Activity, want.Activity)
	}
	if !reflect.DeepEqual(got.Coverage, want.Coverage) {
		t.Errorf("%s: coverage differs:\n got %+v\nwant %+v", what, got.Coverage, want.Coverage)
	}
}

// WaitFor polls cond until it holds (or fails the test after a minute).
func WaitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestdataDir is the folder the fixture files are written to, found from
// this file's path so that every engine package's tests read the same copy.
var TestdataDir = func() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("trailtest: no caller information to find testdata/")
	}
	return filepath.Join(filepath.Dir(file), "testdata")
}()
