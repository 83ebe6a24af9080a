package inventory

import (
	"errors"
	"strings"
	"testing"
)

func TestParseIAMARN(t *testing.T) {
	tests := []struct {
		arn      string
		allowAWS bool
		want     iamARN
		wantErr  string
	}{
		{arn: "arn:aws:iam::111111111111:user/alice", want: iamARN{"aws", "111111111111", "user", "/", "alice"}},
		{arn: "arn:aws:iam::111111111111:user/division/team/bob", want: iamARN{"aws", "111111111111", "user", "/division/team/", "bob"}},
		{arn: "arn:aws:iam::111111111111:root", want: iamARN{Partition: "aws", Account: "111111111111", Type: "root"}},
		{arn: "arn:aws-cn:iam::111111111111:role/r", want: iamARN{"aws-cn", "111111111111", "role", "/", "r"}},
		{arn: "arn:aws-iso-b:iam::111111111111:group/g", want: iamARN{"aws-iso-b", "111111111111", "group", "/", "g"}},
		{arn: "arn:aws:iam::aws:policy/ReadOnlyAccess", allowAWS: true, want: iamARN{"aws", "aws", "policy", "/", "ReadOnlyAccess"}},
		{arn: "arn:aws:iam::111111111111:role/aws-service-role/a:b.amazonaws.com/X", want: iamARN{"aws", "111111111111", "role", "/aws-service-role/a:b.amazonaws.com/", "X"}},
		{arn: "arn:aws:iam::aws:policy/ReadOnlyAccess", wantErr: `account "aws" is not a 12-digit account ID`},
		{arn: "arn:aws:iam::11111111111a:user/x", wantErr: "is not a 12-digit account ID"},
		{arn: "arn:aws:iam::1111111111111:user/x", wantErr: "is not a 12-digit account ID"},
		{arn: "arn:azure:iam::111111111111:user/x", wantErr: `unknown partition "azure"`},
		{arn: "arn:aws-:iam::111111111111:user/x", wantErr: "unknown partition"},
		{arn: "arn:AWS:iam::111111111111:user/x", wantErr: "unknown partition"},
		{arn: "arn:aws:s3:::bucket", wantErr: "not an IAM ARN"},
		{arn: "arn:aws:iam:us-east-1:111111111111:user/x", wantErr: "IAM ARNs have no region"},
		{arn: "arn:aws:iam::111111111111:user", wantErr: "is not TYPE/NAME"},
		{arn: "arn:aws:iam::111111111111:user/", wantErr: "is not TYPE/NAME"},
		{arn: "arn:aws:iam::111111111111:user/x/", wantErr: "empty name"},
		{arn: "arn:aws:iam::111111111111:user//x", wantErr: "malformed path"},
		{arn: "arn:aws:iam::111111111111:mfa/x", wantErr: `resource type "mfa"`},
		{arn: "aws:iam::111111111111:user/x", wantErr: "is not an ARN"},
		{arn: "", wantErr: "is not an ARN"},
	}
	for _, tt := range tests {
		got, err := parseIAMARN(tt.arn, tt.allowAWS)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err %v, want %q", tt.arn, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %+v, %v; want %+v", tt.arn, got, err, tt.want)
		}
	}
}

func TestInputErrorUnwrap(t *testing.T) {
	_, err := ParseCredentialReport("r.csv", reportCSV(map[string]string{colUserCreationTime: "2013-10-14T18:32:25"}))
	if err == nil || !strings.Contains(err.Error(), "no time zone offset") {
		t.Fatalf("err = %v", err)
	}
	// The wrapped chain stays inspectable for callers.
	var ie *InputError
	if !errors.As(err, &ie) || ie.File != "r.csv" || ie.Line != 2 || ie.Field != "column user_creation_time" || ie.Unwrap() == nil {
		t.Errorf("InputError = %+v", ie)
	}
}
