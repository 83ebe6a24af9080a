package awsfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestQueryWireFormat pins the bytes IAM and STS answers carry: the
// response envelope and namespace, lists as <member>, URL-encoded documents,
// and the <ErrorResponse> body with its HTTP status.
func TestQueryWireFormat(t *testing.T) {
	org := NewOrg(mgmtID)
	a := org.Account(mgmtID)
	u := a.AddUser("alice", UserCreated(date("2019-04-01T10:00:00Z")))
	u.PutInlinePolicy("p", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}`)
	u.AddToGroup("devs").SetPassword(DefaultDate, nil)
	akid := org.CallerCredentials().AccessKeyID
	tests := []struct {
		name, service string
		form          url.Values
		status        int
	}{
		{"gaad.xml", "iam", url.Values{"Action": {"GetAccountAuthorizationDetails"}, "Version": {"2010-05-08"}, "Filter.member.1": {"User"}}, 200},
		{"get-caller-identity.xml", "sts", url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}, 200},
		{"delete-user-conflict.xml", "iam", url.Values{"Action": {"DeleteUser"}, "Version": {"2010-05-08"}, "UserName": {"alice"}}, 409},
		{"no-such-entity.xml", "iam", url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {"bob"}}, 404},
		{"tag-user-empty-result.xml", "iam", url.Values{"Action": {"TagUser"}, "Version": {"2010-05-08"}, "UserName": {"alice"}, "Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"}}, 200},
	}
	s := start(t, org)
	for _, tc := range tests {
		status, body := rawCall(t, s, akid, tc.service, tc.form)
		if status != tc.status {
			t.Errorf("%s: HTTP %d, want %d: %s", tc.name, status, tc.status, body)
		}
		golden(t, tc.name, []byte(body))
	}
}

func TestAuthenticationIsRequired(t *testing.T) {
	org := NewOrg(mgmtID)
	s := start(t, org)
	form := url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}}

	status, body := rawCall(t, s, "", "iam", form)
	if status != 403 || !strings.Contains(body, "<Code>MissingAuthenticationToken</Code>") {
		t.Errorf("no Authorization header: HTTP %d %s", status, body)
	}
	status, body = rawCall(t, s, org.CallerCredentials().AccessKeyID, "sts", form)
	if status != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") || !strings.Contains(body, "scoped to correct service") {
		t.Errorf("credential scoped to sts on an IAM call: HTTP %d %s", status, body)
	}
	status, body = rawCall(t, s, org.CallerCredentials().AccessKeyID, "iam", url.Values{"Action": {"CreateAccessKey"}, "Version": {"2010-05-08"}})
	if status != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Errorf("unserved action: HTTP %d %s", status, body)
	}
	status, body = rawCall(t, s, org.CallerCredentials().AccessKeyID, "iam", url.Values{"Action": {"ListUsers"}, "Version": {"2009-01-01"}})
	if status != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Errorf("unknown version: HTTP %d %s", status, body)
	}
	// Unauthenticated calls are logged without an account.
	for _, c := range s.CallLog() {
		if c.Action == "ListUsers" && c.Status == 403 && c.AccountID != "" {
			t.Errorf("unauthenticated call attributed to %s", c.AccountID)
		}
	}
}

func TestJSONWireFormat(t *testing.T) {
	org := NewOrg(mgmtID)
	caller := org.AddCaller(memberID, "arn:aws:iam::"+memberID+":user/x")
	org.AddAccount(memberID)
	s := start(t, org)
	post := func(akid, target, contentType, body string) (int, http.Header, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&m); err != nil {
			t.Fatalf("response is not JSON: %s", raw)
		}
		return resp.StatusCode, resp.Header, m
	}
	status, hdr, m := post(org.CallerCredentials().AccessKeyID, "AWSOrganizationsV20161128.ListAccounts", "application/x-amz-json-1.1", `{"MaxResults":1}`)
	if status != 200 || hdr.Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Fatalf("ListAccounts: HTTP %d %v", status, hdr)
	}
	accts, _ := m["Accounts"].([]any)
	if len(accts) != 1 || m["NextToken"] == nil {
		t.Errorf("MaxResults 1 gave %v", m)
	}
	if ts, ok := accts[0].(map[string]any)["JoinedTimestamp"].(float64); !ok || ts != float64(DefaultDate.Unix()) {
		t.Errorf("JoinedTimestamp must be epoch seconds, got %v", accts[0])
	}
	status, _, m = post(caller.AccessKeyID, "AWSOrganizationsV20161128.ListAccounts", "application/x-amz-json-1.1", `{}`)
	if status != 403 || m["__type"] != "AccessDeniedException" || m["Message"] == "" {
		t.Errorf("member caller: HTTP %d %v", status, m)
	}
	status, _, m = post(caller.AccessKeyID, "AWSOrganizationsV20161128.ListAccounts", "application/json", `{}`)
	if status != 400 || m["__type"] != "SerializationException" {
		t.Errorf("wrong content type: HTTP %d %v", status, m)
	}
	status, _, m = post(caller.AccessKeyID, "AWSOrganizationsV20161128.CloseAccount", "application/x-amz-json-1.1", `{}`)
	if status != 400 || m["__type"] != "UnknownOperationException" {
		t.Errorf("unserved operation: HTTP %d %v", status, m)
	}
}
