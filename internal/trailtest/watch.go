package trailtest

import (
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// The watch fixture's deactivated users (issue 17): ivan in the account
// layout, judy in the organization trail.
const (
	IvanID   = "AIDAIVANEXAMPLE000009"
	IvanKey1 = "AKIAIVANKEY000000001" // made inactive at deactivation, then used
	IvanKey2 = "AKIAIVANKEY000000002"
	JudyID   = "AIDAJUDYEXAMPLE000010"
	JudyKey  = "AKIAJUDYKEY000000001"
)

// WatchTargets are the watch fixture's targets: ivan deactivated on
// 2026-10-02, judy on 2026-10-01.
func WatchTargets() []tables.WatchTarget {
	return []tables.WatchTarget{
		{AccountID: AcctA, UserName: "ivan", UserID: IvanID, AccessKeyIDs: []string{IvanKey1, IvanKey2}, Since: TS("2026-10-02T00:00:00Z")},
		{AccountID: AcctB, UserName: "judy", UserID: JudyID, AccessKeyIDs: []string{JudyKey}, Since: TS("2026-10-01T00:00:00Z")},
	}
}

// WatchTrail is the trail under testdata/watch (the fixture trail's window,
// 2026-10-01T00:00Z to 2026-10-03T12:00Z): every case of the watch, and
// events it must not report.
func WatchTrail() []Fixture {
	a := "watch/AWSLogs/111111111111/CloudTrail/us-east-1/"
	b := "watch/AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/"
	ivan := IAMUser(AcctA, IvanID, "ivan", IvanKey2)
	alice := IAMUser(AcctA, AliceID, "alice", "AKIAALICEKEY00000001")
	accessDenied := Event("9a000000-0000-4000-8000-000000000003", "2026-10-02T10:00:00Z", "iam.amazonaws.com", "ListUsers", "us-east-1", "203.0.113.90",
		ivan, Rec{"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111111111111:user/ivan is not authorized to perform: iam:ListUsers"})
	return []Fixture{
		// Before the window: judy's use on the lead-in day is not watched.
		{Path: b + "2026/09/30/222222222222_CloudTrail_eu-west-1_20260930T1205Z_Wa1Tc2Hb3Id4Je5K.json.gz", Records: []Rec{
			Event("9b000000-0000-4000-8000-000000000001", "2026-09-30T12:00:00Z", "s3.amazonaws.com", "ListBuckets", "eu-west-1", "203.0.113.91",
				IAMUser(AcctB, JudyID, "judy", JudyKey), nil),
		}},
		{Path: a + "2026/10/01/111111111111_CloudTrail_us-east-1_20261001T1005Z_Wa2Tc3Hb4Id5Je6K.json.gz", Records: []Rec{
			// In the window but before ivan's deactivation: not watched.
			Event("9a000000-0000-4000-8000-000000000001", "2026-10-01T10:00:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.90",
				IAMUser(AcctA, IvanID, "ivan", IvanKey1), nil),
		}},
		{Path: a + "2026/10/02/111111111111_CloudTrail_us-east-1_20261002T0905Z_Wa3Tc4Hb5Id6Je7K.json.gz", Records: []Rec{
			// A call with ivan's inactive key, refused: only the key names him.
			Event("9a000000-0000-4000-8000-000000000002", "2026-10-02T09:00:00Z", "sts.amazonaws.com", "GetCallerIdentity", "us-east-1", "203.0.113.90",
				Rec{"type": "IAMUser", "accountId": AcctA, "accessKeyId": IvanKey1},
				Rec{"errorCode": "InvalidClientTokenId", "errorMessage": "The security token included in the request is invalid."}),
			accessDenied,
			// A failed console sign-in under ivan's name, and one under a
			// name IAM does not know (masked: nobody's).
			ConsoleLogin("9a000000-0000-4000-8000-000000000004", "2026-10-02T11:00:00Z", "us-east-1", "198.51.100.90",
				IAMUserNoARN(AcctA, IvanID, "ivan"), false, false),
			ConsoleLogin("9a000000-0000-4000-8000-000000000005", "2026-10-02T11:30:00Z", "us-east-1", "198.51.100.91",
				Hidden(AcctA), false, false),
			// A role session named like him is not him.
			Event("9a000000-0000-4000-8000-000000000006", "2026-10-02T12:00:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "10.0.0.9",
				AssumedRole(AcctA, "AROAAPPROLEEXAMPLE001", "app", "ivan"), nil),
		}},
		// The AccessDenied call delivered a second time: one event.
		{Path: a + "2026/10/02/111111111111_CloudTrail_us-east-1_20261002T1010Z_Wa4Tc5Hb6Id7Je8K.json.gz", Records: []Rec{accessDenied}},
		{Path: a + "2026/10/03/111111111111_CloudTrail_us-east-1_20261003T0815Z_Wa5Tc6Hb7Id8Je9K.json.gz", Records: []Rec{
			// An admin turns ivan's key on again (his name in another case).
			Event("9a000000-0000-4000-8000-000000000007", "2026-10-03T08:00:00Z", "iam.amazonaws.com", "UpdateAccessKey", "us-east-1", "203.0.113.10",
				alice, Rec{"readOnly": false, "requestParameters": Rec{"userName": "Ivan", "accessKeyId": IvanKey1, "status": "Active"}}),
			// Turning it off, and a refused password, are not re-enables.
			Event("9a000000-0000-4000-8000-000000000008", "2026-10-03T08:05:00Z", "iam.amazonaws.com", "UpdateAccessKey", "us-east-1", "203.0.113.10",
				alice, Rec{"readOnly": false, "requestParameters": Rec{"userName": "ivan", "accessKeyId": IvanKey1, "status": "Inactive"}}),
			Event("9a000000-0000-4000-8000-000000000009", "2026-10-03T08:10:00Z", "iam.amazonaws.com", "CreateLoginProfile", "us-east-1", "203.0.113.10",
				alice, Rec{"readOnly": false, "errorCode": "AccessDenied", "errorMessage": "not authorized", "requestParameters": Rec{"userName": "ivan"}}),
			// A failed sign-in under ivan's name in another account is not his.
			ConsoleLogin("9a000000-0000-4000-8000-000000000010", "2026-10-03T09:00:00Z", "us-east-1", "198.51.100.92",
				IAMUserNoARN(AcctB, "AIDAOTHERIVANEXAMPLE1", "ivan"), false, false),
			// After the window's end: not watched.
			Event("9a000000-0000-4000-8000-000000000011", "2026-10-03T13:00:00Z", "s3.amazonaws.com", "ListBuckets", "us-east-1", "203.0.113.90",
				IAMUser(AcctA, IvanID, "ivan", IvanKey2), nil),
		}},
		{Path: b + "2026/10/02/222222222222_CloudTrail_eu-west-1_20261002T1405Z_Wb1Tc2Hb3Id4Je5K.json.gz", Records: []Rec{
			// A GetFederationToken session judy issued.
			Event("9b000000-0000-4000-8000-000000000002", "2026-10-02T13:00:00Z", "s3.amazonaws.com", "ListBuckets", "eu-west-1", "203.0.113.92",
				Federated(AcctB, "judy-session", "ASIAJUDYSESSION00001", JudyID, "judy"), nil),
			// An admin gives judy a new key; requestParameters as a string.
			WithString(Event("9b000000-0000-4000-8000-000000000003", "2026-10-02T14:00:00Z", "iam.amazonaws.com", "CreateAccessKey", "eu-west-1", "203.0.113.93",
				IAMUser(AcctB, "AIDAADMINEXAMPLE00011", "admin", "AKIAADMINKEY00000001"),
				Rec{"readOnly": false, "requestParameters": Rec{"userName": "judy"}}), "requestParameters"),
			// ivan, across accounts, logged in judy's account.
			Event("9b000000-0000-4000-8000-000000000004", "2026-10-02T15:00:00Z", "s3.amazonaws.com", "GetObject", "eu-west-1", "203.0.113.90",
				Rec{"type": "AWSAccount", "principalId": IvanID, "accountId": AcctA}, Rec{"recipientAccountId": AcctB}),
		}},
	}
}

// WatchWant is the watch table the engines must return for WatchTargets
// over the fixture trail's window.
func WatchWant() []tables.WatchEvent {
	at := func(s string) time.Time { return TS(s) }
	return []tables.WatchEvent{
		{AccountID: AcctA, UserName: "ivan", UserID: IvanID, Kind: tables.WatchUse, EventTime: at("2026-10-02T09:00:00Z"),
			EventSource: "sts.amazonaws.com", EventName: "GetCallerIdentity", ErrorCode: "InvalidClientTokenId", AccessKeyID: IvanKey1,
			SourceIP: "203.0.113.90", Region: "us-east-1", EventID: "9a000000-0000-4000-8000-000000000002"},
		{AccountID: AcctA, UserName: "ivan", UserID: IvanID, Kind: tables.WatchUse, EventTime: at("2026-10-02T10:00:00Z"),
			EventSource: "iam.amazonaws.com", EventName: "ListUsers", ErrorCode: "AccessDenied", AccessKeyID: IvanKey2,
			SourceIP: "203.0.113.90", Region: "us-east-1", ActorARN: "arn:aws:iam::111111111111:user/ivan", EventID: "9a000000-0000-4000-8000-000000000003"},
		{AccountID: AcctA, UserName: "ivan", UserID: IvanID, Kind: tables.WatchSigninFailure, EventTime: at("2026-10-02T11:00:00Z"),
			EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", SourceIP: "198.51.100.90", Region: "us-east-1",
			EventID: "9a000000-0000-4000-8000-000000000004"},
		{AccountID: AcctA, UserName: "ivan", UserID: IvanID, Kind: tables.WatchUse, EventTime: at("2026-10-02T15:00:00Z"),
			EventSource: "s3.amazonaws.com", EventName: "GetObject", SourceIP: "203.0.113.90", Region: "eu-west-1",
			EventID: "9b000000-0000-4000-8000-000000000004"},
		{AccountID: AcctA, UserName: "ivan", UserID: IvanID, Kind: tables.WatchReenable, EventTime: at("2026-10-03T08:00:00Z"),
			EventSource: "iam.amazonaws.com", EventName: "UpdateAccessKey", AccessKeyID: "AKIAALICEKEY00000001",
			SourceIP: "203.0.113.10", Region: "us-east-1", ActorARN: "arn:aws:iam::111111111111:user/alice", EventID: "9a000000-0000-4000-8000-000000000007"},
		{AccountID: AcctB, UserName: "judy", UserID: JudyID, Kind: tables.WatchUse, EventTime: at("2026-10-02T13:00:00Z"),
			EventSource: "s3.amazonaws.com", EventName: "ListBuckets", AccessKeyID: "ASIAJUDYSESSION00001", SourceIP: "203.0.113.92", Region: "eu-west-1",
			ActorARN: "arn:aws:sts::222222222222:federated-user/judy-session", EventID: "9b000000-0000-4000-8000-000000000002"},
		{AccountID: AcctB, UserName: "judy", UserID: JudyID, Kind: tables.WatchReenable, EventTime: at("2026-10-02T14:00:00Z"),
			EventSource: "iam.amazonaws.com", EventName: "CreateAccessKey", AccessKeyID: "AKIAADMINKEY00000001", SourceIP: "203.0.113.93",
			Region: "eu-west-1", ActorARN: "arn:aws:iam::222222222222:user/admin", EventID: "9b000000-0000-4000-8000-000000000003"},
	}
}
