package awsfake

import (
	"net/url"
	"testing"
)

func TestEncodePolicyDocument(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a": "b"}`, "%7B%22a%22%3A%20%22b%22%7D"},
		{"s3:Get*", "s3%3AGet%2A"},
		{"a+b/c~d_e.f-g", "a%2Bb%2Fc~d_e.f-g"},
		{"é", "%C3%A9"},
		{"", ""},
	}
	for _, tc := range tests {
		got := encodePolicyDocument(tc.in)
		if got != tc.want {
			t.Errorf("encode(%q) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := url.QueryUnescape(got)
		if err != nil || back != tc.in {
			t.Errorf("QueryUnescape(%q) = %q, %v; want the original", got, back, err)
		}
	}
}

func TestTrustAllows(t *testing.T) {
	caller := trustCaller{accountID: "111111111111", arn: "arn:aws:iam::111111111111:user/auditor", uniqueID: "AIDAAUDITOR"}
	tests := []struct {
		name, doc, externalID string
		want                  bool
	}{
		{"root of caller account", trustPolicyDocument([]string{"111111111111"}, ""), "", true},
		{"other account", trustPolicyDocument([]string{"333333333333"}, ""), "", false},
		{"exact ARN", trustPolicyDocument([]string{caller.arn}, ""), "", true},
		{"unique ID", trustPolicyDocument([]string{"AIDAAUDITOR"}, ""), "", true},
		{"other user's ARN", trustPolicyDocument([]string{"arn:aws:iam::111111111111:user/other"}, ""), "", false},
		{"external ID matches", trustPolicyDocument([]string{"111111111111"}, "x1"), "x1", true},
		{"external ID missing", trustPolicyDocument([]string{"111111111111"}, "x1"), "", false},
		{"external ID differs", trustPolicyDocument([]string{"111111111111"}, "x1"), "x2", false},
		{"wildcard principal, single statement object", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:*"}}`, "", true},
		{"string principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["sts:AssumeRole"]}]}`, "", true},
		{"service principal only", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, "", false},
		{"other action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:TagSession"}]}`, "", false},
		{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"*"}]}`, "", false},
		{"unknown condition fails closed", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, "", false},
		{"StringLike external ID", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:ExternalId":"team-*"}}}]}`, "team-7", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := trustAllows(tc.doc, caller, tc.externalID)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("trustAllows = %v, want %v for %s", got, tc.want, tc.doc)
			}
		})
	}
	if _, err := trustAllows("{", caller, ""); err == nil {
		t.Error("a broken trust policy must be an error")
	}
}
