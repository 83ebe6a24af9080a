package activity

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/tables"
)

// Accounts and principals of the fixture trail.
const (
	acctA   = "111111111111" // trail in the account layout
	acctB   = "222222222222" // organization trail: AWSLogs/o-exampleorgid/222222222222/...
	orgID   = "o-exampleorgid"
	aliceID = "AIDAALICEEXAMPLE00001"
	bobID   = "AIDABOBEXAMPLE0000002"
	carolID = "AIDACAROLEXAMPLE00003"
	daveID  = "AIDADAVEEXAMPLE000004" // has no event of its own: only a role session named dave
	erinID  = "AIDAERINEXAMPLE000005"
	graceID = "AIDAGRACEEXAMPLE00007"
	henryID = "AIDAHENRYEXAMPLE00008"
)

// fixture is one file under testdata/.
type fixture struct {
	path    string // relative to testdata/
	records []rec  // the file is {"Records":[...]} of these
	raw     string // verbatim content instead of records (digest file)
	plain   bool   // written as .json, not gzipped
	corrupt bool   // gzip stream cut in half
}

// rec is a CloudTrail record; map keys come out sorted, which JSON allows.
type rec map[string]any

// trail is the fixture trail under testdata/trail (window 2026-10-01T00:00Z
// to 2026-10-03T12:00Z, so day folders 2026-09-30 to 2026-10-04 are read).
func trail() []fixture {
	ue1 := "trail/AWSLogs/111111111111/CloudTrail/us-east-1/"
	ue2 := "trail/AWSLogs/111111111111/CloudTrail/us-east-2/"
	org := "trail/AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/"
	return []fixture{
		// Outside the days read (the day before the lead-in day): never opened.
		{path: ue1 + "2026/09/29/111111111111_CloudTrail_us-east-1_20260929T2355Z_q3PjWm0bXkYg7TzR.json.gz", records: []rec{
			event("0c1b7e52-0d0a-4f3e-9a51-1a2b3c4d5e01", "2026-09-29T23:50:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
				iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000001"), nil),
		}},
		// The lead-in day: coverage evidence only.
		{path: ue1 + "2026/09/30/111111111111_CloudTrail_us-east-1_20260930T2005Z_Hk2LrT8sVn4QpZ1x.json.gz", records: []rec{
			event("1e6f2a10-5b7c-4d8e-9f01-2a3b4c5d6e01", "2026-09-30T11:58:00Z", "ec2.amazonaws.com", "DescribeInstances", "us-east-1", "10.0.0.5",
				assumedRole(acctA, "AROAAPPROLEEXAMPLE001", "app", "i-0abc123def4567890"), rec{"requestParameters": rec{"instancesSet": rec{}, "filterSet": rec{}}}),
			event("1e6f2a10-5b7c-4d8e-9f01-2a3b4c5d6e02", "2026-09-30T12:00:00Z", "iam.amazonaws.com", "ListUsers", "us-east-1", "203.0.113.40",
				iamUser(acctA, graceID, "grace", "AKIAGRACEKEY00000001"), nil),
			consoleLogin("1e6f2a10-5b7c-4d8e-9f01-2a3b4c5d6e03", "2026-09-30T20:00:00Z", "us-east-1", "198.51.100.20",
				iamUserNoARN(acctA, bobID, "bob"), false, false),
		}},
		// Not log files: a download in progress (hidden, and not gzip) and a
		// note someone left. Reading either would fail the scan.
		{plain: true, path: ue1 + "2026/10/01/.111111111111_CloudTrail_us-east-1_20261001T0915Z_Yh5Tg6Rf7Ed8Ws9Q.json.gz", raw: "download in progress"},
		{plain: true, path: ue1 + "2026/10/01/NOTES.txt", raw: "synced from s3://example-trail-bucket\n"},
		// Day 1, us-east-1.
		{path: ue1 + "2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0905Z_Mu0KsOhtH1ar15ZZ.json.gz", records: []rec{
			consoleLogin("2a000000-0000-4000-8000-000000000001", "2026-10-01T07:00:00Z", "us-east-1", "198.51.100.1",
				root(acctA), true, false),
			consoleLogin("2a000000-0000-4000-8000-000000000002", "2026-10-01T08:00:00Z", "us-east-1", "198.51.100.20",
				iamUserNoARN(acctA, bobID, "bob"), false, false),
			consoleLogin("2a000000-0000-4000-8000-000000000003", "2026-10-01T08:30:00Z", "us-east-1", "198.51.100.66",
				hidden(acctA), false, false),
			event("2a000000-0000-4000-8000-000000000004", "2026-10-01T09:00:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
				iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000001"), nil),
			event("2a000000-0000-4000-8000-000000000005", "2026-10-01T09:01:00Z", "ec2.amazonaws.com", "DescribeInstances", "us-east-1", "203.0.113.10",
				iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000001"),
				rec{"requestParameters": rec{"instancesSet": rec{"items": []rec{{"instanceId": "i-0abc123def4567890"}}}, "filterSet": rec{}, "maxResults": 5}}),
			// A role session named like a user never counts for the user.
			event("2a000000-0000-4000-8000-000000000006", "2026-10-01T09:02:00Z", "iam.amazonaws.com", "ListRoles", "us-east-1", "203.0.113.30",
				assumedRole(acctA, "AROAADMINROLEEXAMPLE1", "Admin", "dave"), nil),
			event("2a000000-0000-4000-8000-000000000007", "2026-10-01T09:03:00Z", "kms.amazonaws.com", "Decrypt", "us-east-1", "cloudtrail.amazonaws.com",
				awsService("cloudtrail.amazonaws.com"), rec{"requestParameters": rec{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}}),
		}},
		// The same day again: a duplicate delivery of alice's DescribeInstances
		// (same eventID) and her second key.
		{path: ue1 + "2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0910Z_Zt9QwErTy5UiOp3A.json.gz", records: []rec{
			event("2a000000-0000-4000-8000-000000000005", "2026-10-01T09:01:00Z", "ec2.amazonaws.com", "DescribeInstances", "us-east-1", "203.0.113.10",
				iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000001"),
				rec{"requestParameters": rec{"instancesSet": rec{"items": []rec{{"instanceId": "i-0abc123def4567890"}}}, "filterSet": rec{}, "maxResults": 5}}),
			// requestParameters as a string, as some exporters write it.
			event("2a000000-0000-4000-8000-000000000008", "2026-10-01T09:07:00Z", "iam.amazonaws.com", "GetUser", "us-east-1", "203.0.113.10",
				iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000002"), rec{"requestParameters": `{"userName":"alice"}`}),
		}},
		// Day 2, us-east-1, uncompressed .json: federation, ARN-only records,
		// AccessDenied, root's failed sign-in, cross-account calls.
		{plain: true, path: ue1 + "2026/10/02/111111111111_CloudTrail_us-east-1_20261002T1405Z_Pa4SdFgHj6KlZx7C.json", records: []rec{
			consoleLogin("3b000000-0000-4000-8000-000000000001", "2026-10-02T07:00:00Z", "us-east-1", "198.51.100.99",
				root(acctA), false, false),
			event("3b000000-0000-4000-8000-000000000002", "2026-10-02T09:00:00Z", "s3.amazonaws.com", "GetBucketAcl", "us-east-1", "203.0.113.50",
				rec{"type": "IAMUser", "principalId": "", "arn": "arn:aws:iam::111111111111:user/frank", "accountId": acctA, "userName": "frank"}, nil),
			event("3b000000-0000-4000-8000-000000000003", "2026-10-02T09:30:00Z", "s3.amazonaws.com", "GetBucketPolicy", "us-east-1", "203.0.113.51",
				rec{"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/frank", "accountId": acctA, "userName": "frank"}, nil),
			event("3b000000-0000-4000-8000-000000000004", "2026-10-02T10:00:00Z", "iam.amazonaws.com", "ListUsers", "us-east-1", "203.0.113.60",
				iamUser(acctA, henryID, "henry", "AKIAHENRYKEY00000001"),
				rec{"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111111111111:user/henry is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::111111111111:user/ because no identity-based policy allows the iam:ListUsers action"}),
			// erin (account B) assuming a role in account A: logged here as AWSAccount.
			event("3b000000-0000-4000-8000-000000000005", "2026-10-02T11:00:00Z", "sts.amazonaws.com", "AssumeRole", "us-east-1", "192.0.2.15",
				rec{"type": "AWSAccount", "principalId": erinID, "accountId": acctB},
				rec{"requestParameters": rec{"roleArn": "arn:aws:iam::111111111111:role/CrossAccountAudit", "roleSessionName": "erin"},
					"responseElements": rec{"credentials": rec{"accessKeyId": "ASIAERINSESSION00001", "expiration": "Oct 2, 2026, 12:00:00 PM", "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE"}},
					"sharedEventID":    "5c9d6e7f-0000-4000-8000-00000000aa01"}),
			// A role session from another account: never a user.
			event("3b000000-0000-4000-8000-000000000006", "2026-10-02T11:05:00Z", "sts.amazonaws.com", "AssumeRole", "us-east-1", "192.0.2.16",
				rec{"type": "AWSAccount", "principalId": "AROAOTHERROLEEXAMPLE1:ci", "accountId": "333333333333"},
				rec{"requestParameters": rec{"roleArn": "arn:aws:iam::111111111111:role/Deploy", "roleSessionName": "ci"}}),
			event("3b000000-0000-4000-8000-000000000007", "2026-10-02T13:00:00Z", "sts.amazonaws.com", "GetFederationToken", "us-east-1", "203.0.113.70",
				iamUser(acctA, carolID, "carol", "AKIACAROLKEY00000001"),
				rec{"requestParameters": rec{"name": "carol-fed", "durationSeconds": 3600}}),
			event("3b000000-0000-4000-8000-000000000008", "2026-10-02T13:05:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.70",
				federated(acctA, "carol-fed", "ASIACAROLSESSION0001", carolID, "carol"), nil),
		}},
		// Day 3, us-east-1: two events at exactly End (the later eventID is the
		// latest, though it comes first in the file), one just after End.
		{path: ue1 + "2026/10/03/111111111111_CloudTrail_us-east-1_20261003T1305Z_Xc8VbNm2Qw1Er4Ty.json.gz", records: []rec{
			event("7d5b0e0a-0000-4000-8000-000000000002", "2026-10-03T12:00:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.12",
				iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000001"), nil),
			event("7d5b0e0a-0000-4000-8000-000000000001", "2026-10-03T12:00:00Z", "sts.amazonaws.com", "GetCallerIdentity", "us-east-1", "203.0.113.11",
				iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000001"), nil),
			event("7d5b0e0a-0000-4000-8000-000000000003", "2026-10-03T12:00:01Z", "ec2.amazonaws.com", "RunInstances", "us-east-1", "203.0.113.13",
				iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000003"), nil),
		}},
		// A file with no records (CloudTrail delivers these).
		{path: ue1 + "2026/10/03/111111111111_CloudTrail_us-east-1_20261003T1310Z_Em9TyRe3Wq2Lk5Jh.json.gz", records: []rec{}},
		// Day 4 (the extra day): a late delivery of an event in the window,
		// and events after it.
		{path: ue1 + "2026/10/04/111111111111_CloudTrail_us-east-1_20261004T0010Z_Lp0OkIj9Uh8Yg7Tf.json.gz", records: []rec{
			event("4c000000-0000-4000-8000-000000000001", "2026-10-03T11:59:00Z", "ec2.amazonaws.com", "DescribeRegions", "us-east-1", "198.51.100.7",
				federated(acctA, "carol-fed", "ASIACAROLSESSION0001", carolID, "carol"), nil),
			event("4c000000-0000-4000-8000-000000000002", "2026-10-04T00:01:00Z", "iam.amazonaws.com", "ListUsers", "us-east-1", "203.0.113.40",
				iamUser(acctA, graceID, "grace", "AKIAGRACEKEY00000001"), nil),
			event("4c000000-0000-4000-8000-000000000003", "2026-10-04T00:05:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
				iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000001"), nil),
		}},
		// Two days after End: never opened.
		{path: ue1 + "2026/10/05/111111111111_CloudTrail_us-east-1_20261005T0905Z_Rt5YuIo1Pa2Sd3Fg.json.gz", records: []rec{
			event("5d000000-0000-4000-8000-000000000001", "2026-10-05T09:00:00Z", "iam.amazonaws.com", "ListUsers", "us-east-1", "203.0.113.40",
				iamUser(acctA, daveID, "dave", "AKIADAVEKEY000000001"), nil),
		}},
		// us-east-2: console sign-ins through the global endpoint land here.
		{path: ue2 + "2026/10/01/111111111111_CloudTrail_us-east-2_20261001T1005Z_Gh6JkLz7Xc8Vb9Nm.json.gz", records: []rec{
			// responseElements as a JSON string rather than an object.
			withString(consoleLogin("2a100000-0000-4000-8000-000000000001", "2026-10-01T10:00:00Z", "us-east-2", "203.0.113.10",
				iamUser(acctA, aliceID, "alice", ""), true, true), "responseElements"),
		}},
		{path: ue2 + "2026/10/02/111111111111_CloudTrail_us-east-2_20261002T0805Z_Qa1Ws2Ed3Rf4Tg5Y.json.gz", records: []rec{
			consoleLogin("3b100000-0000-4000-8000-000000000001", "2026-10-02T08:00:00Z", "us-east-2", "198.51.100.20",
				iamUser(acctA, bobID, "bob", ""), false, false),
			// responseElements as a bare string, requestParameters null.
			event("3b100000-0000-4000-8000-000000000002", "2026-10-02T08:01:00Z", "ssm.amazonaws.com", "GetParameter", "us-east-2", "10.0.1.9",
				assumedRole(acctA, "AROAAPPROLEEXAMPLE001", "app", "i-0abc123def4567890"), rec{"responseElements": "OK"}),
		}},
		// The organization trail's copy of account B's logs.
		{path: org + "2026/10/02/222222222222_CloudTrail_eu-west-1_20261002T0815Z_Uj7Ik8Ol9Pz0Xa1S.json.gz", records: []rec{
			event("3b200000-0000-4000-8000-000000000001", "2026-10-02T08:10:00Z", "ec2.amazonaws.com", "DescribeVpcs", "eu-west-1", "192.0.2.15",
				iamUser(acctB, erinID, "erin", "AKIAERINKEY000000001"), nil),
			event("3b200000-0000-4000-8000-000000000002", "2026-10-02T08:12:00Z", "ec2.amazonaws.com", "DescribeVpcs", "eu-west-1", "10.1.0.9",
				assumedRole(acctB, "AROABROLEEXAMPLE00001", "Ops", "erin"), nil),
		}},
		// Siblings of CloudTrail/ that must be skipped: a digest (no Records)
		// and Insights events (Records that are not API activity).
		{path: "trail/AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/10/01/111111111111_CloudTrail-Digest_us-east-1_management_us-east-1_20261001T091500Z.json.gz",
			raw: `{"awsAccountId":"111111111111","digestStartTime":"2026-10-01T08:15:00Z","digestEndTime":"2026-10-01T09:15:00Z","digestS3Bucket":"example-trail-bucket","digestS3Object":"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/10/01/111111111111_CloudTrail-Digest_us-east-1_management_us-east-1_20261001T091500Z.json.gz","digestPublicKeyFingerprint":"0123456789abcdef0123456789abcdef","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2026-10-01T09:03:00Z","oldestEventTime":"2026-10-01T07:00:00Z","previousDigestS3Bucket":"example-trail-bucket","previousDigestS3Object":"","logFiles":[{"s3Bucket":"example-trail-bucket","s3Object":"AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0905Z_Mu0KsOhtH1ar15ZZ.json.gz","hashValue":"00","hashAlgorithm":"SHA-256","newestEventTime":"2026-10-01T09:03:00Z","oldestEventTime":"2026-10-01T07:00:00Z"}]}`},
		{path: "trail/AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2026/10/01/111111111111_CloudTrail-Insight_us-east-1_20261001T1000Z_Vb3Nm4Qw5Er6Ty7U.json.gz", records: []rec{
			{"eventVersion": "1.08", "eventTime": "2026-10-01T09:00:00Z", "awsRegion": "us-east-1", "eventID": "6e000000-0000-4000-8000-000000000001",
				"eventType": "AwsCloudTrailInsight", "recipientAccountId": acctA, "sharedEventID": "6e000000-0000-4000-8000-0000000000ff",
				"insightDetails": rec{"state": "Start", "eventSource": "iam.amazonaws.com", "eventName": "ListUsers", "insightType": "ApiCallRateInsight"},
				"eventCategory":  "Insight"},
		}},
	}
}

// corruptTrail is a trail with one good file and one cut-off download.
func corruptTrail() []fixture {
	day := "corrupt/AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/"
	recs := []rec{
		event("8f000000-0000-4000-8000-000000000001", "2026-10-01T09:00:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
			iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000001"), nil),
		event("8f000000-0000-4000-8000-000000000002", "2026-10-01T09:01:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.10",
			iamUser(acctA, aliceID, "alice", "AKIAALICEKEY00000001"), nil),
	}
	return []fixture{
		{path: day + "111111111111_CloudTrail_us-east-1_20261001T0905Z_Ab1Cd2Ef3Gh4Ij5K.json.gz", records: recs},
		{path: day + "111111111111_CloudTrail_us-east-1_20261001T0910Z_Lm6No7Pq8Rs9Tu0V.json.gz", records: recs, corrupt: true},
	}
}

// event is a management-event record as CloudTrail writes it; extra adds or
// replaces fields.
func event(id, at, source, name, region, ip string, identity rec, extra rec) rec {
	acct, _ := identity["accountId"].(string)
	if identity["type"] == "AWSAccount" || identity["type"] == "AWSService" || acct == "" {
		acct = acctA // logged in the account whose trail this is
	}
	r := rec{
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
		"tlsDetails":         rec{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": strings.TrimSuffix(source, ".amazonaws.com") + "." + region + ".amazonaws.com"},
	}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

// consoleLogin is a ConsoleLogin record; failures carry AWS's error message.
func consoleLogin(id, at, region, ip string, identity rec, success, mfa bool) rec {
	mfaUsed := "No"
	if mfa {
		mfaUsed = "Yes"
	}
	r := event(id, at, "signin.amazonaws.com", "ConsoleLogin", region, ip, identity, rec{
		"userAgent":           "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
		"readOnly":            false,
		"eventType":           "AwsConsoleSignIn",
		"additionalEventData": rec{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": mfaUsed},
		"responseElements":    rec{"ConsoleLogin": "Success"},
	})
	delete(r, "tlsDetails")
	if !success {
		r["responseElements"] = rec{"ConsoleLogin": "Failure"}
		r["errorMessage"] = "Failed authentication"
		if identity["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS" {
			r["errorMessage"] = "No username found in supplied account"
		}
	}
	return r
}

// withString replaces field with its JSON text, as a string.
func withString(r rec, field string) rec {
	b, err := json.Marshal(r[field])
	if err != nil {
		panic(err) // fixture definitions are static
	}
	r[field] = string(b)
	return r
}

func iamUser(acct, id, name, key string) rec {
	r := rec{"type": "IAMUser", "principalId": id, "arn": "arn:aws:iam::" + acct + ":user/" + name, "accountId": acct, "userName": name}
	r["accessKeyId"] = key
	return r
}

// iamUserNoARN is the identity of a failed console sign-in by a known user,
// which AWS logs without the ARN.
func iamUserNoARN(acct, id, name string) rec {
	return rec{"type": "IAMUser", "principalId": id, "accountId": acct, "accessKeyId": "", "userName": name}
}

func hidden(acct string) rec {
	return rec{"type": "IAMUser", "accountId": acct, "accessKeyId": "", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}
}

func root(acct string) rec {
	return rec{"type": "Root", "principalId": acct, "arn": "arn:aws:iam::" + acct + ":root", "accountId": acct, "accessKeyId": ""}
}

func assumedRole(acct, roleID, role, session string) rec {
	return rec{
		"type": "AssumedRole", "principalId": roleID + ":" + session,
		"arn":       "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + session,
		"accountId": acct, "accessKeyId": "ASIA" + roleID[4:20],
		"sessionContext": rec{
			"sessionIssuer":       rec{"type": "Role", "principalId": roleID, "arn": "arn:aws:iam::" + acct + ":role/" + role, "accountId": acct, "userName": role},
			"webIdFederationData": rec{},
			"attributes":          rec{"creationDate": "2026-09-30T08:00:00Z", "mfaAuthenticated": "false"},
		},
	}
}

func federated(acct, name, key, issuerID, issuer string) rec {
	return rec{
		"type": "FederatedUser", "principalId": acct + ":" + name,
		"arn":       "arn:aws:sts::" + acct + ":federated-user/" + name,
		"accountId": acct, "accessKeyId": key,
		"sessionContext": rec{
			"sessionIssuer": rec{"type": "IAMUser", "principalId": issuerID, "arn": "arn:aws:iam::" + acct + ":user/" + issuer, "accountId": acct, "userName": issuer},
			"attributes":    rec{"creationDate": "2026-10-02T13:00:00Z", "mfaAuthenticated": "false"},
		},
	}
}

func awsService(service string) rec {
	return rec{"type": "AWSService", "invokedBy": service}
}

// content is the file's bytes before compression.
func (f fixture) content() []byte {
	if f.raw != "" {
		return []byte(f.raw)
	}
	recs := f.records
	if recs == nil {
		recs = []rec{}
	}
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		panic(err) // fixture definitions are static
	}
	return b
}

// bytes is the file as stored.
func (f fixture) bytes() []byte {
	if f.plain {
		return f.content()
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b) // zero header time and no name: reproducible
	zw.Write(f.content())
	zw.Close()
	if f.corrupt {
		return b.Bytes()[:b.Len()/2]
	}
	return b.Bytes()
}

// The fixture trail's window: day folders 2026-09-30 to 2026-10-04 are read.
var (
	fixtureStart = ts("2026-10-01T00:00:00Z")
	fixtureEnd   = ts("2026-10-03T12:00:00Z")
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// diffActivity compares activity tables row by row, so a failure says which
// principal differs.
func diffActivity(t *testing.T, got, want []tables.Activity) {
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

// newFake starts the analytics fake over a logs folder.
func newFake(t testing.TB, cfg analytics.Config) *analytics.Server {
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
	fastPoll    = time.Millisecond
	fastPollMax = 5 * time.Millisecond
)

// sameTables compares two results' activity and coverage tables.
func sameTables(t *testing.T, what string, got, want *Result) {
	t.Helper()
	if len(want.Activity)+len(want.Coverage) == 0 {
		t.Fatalf("%s: the expected result is empty: the comparison proves nothing", what)
	}
	if !reflect.DeepEqual(got.Activity, want.Activity) {
		t.Errorf("%s: activity differs", what)
		diffActivity(t, got.Activity, want.Activity)
	}
	if !reflect.DeepEqual(got.Coverage, want.Coverage) {
		t.Errorf("%s: coverage differs:\n got %+v\nwant %+v", what, got.Coverage, want.Coverage)
	}
}

// waitFor polls cond until it holds (or fails the test after a minute).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}

// testdataDir holds the fixture files.
var testdataDir = "testdata"
