package codesearch

import (
	"strings"
	"testing"
	"time"
)

func TestReadAccessKeys(t *testing.T) {
	in := `{"AccessKeyMetadata": [{"UserName": "svc-reports", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active", "CreateDate": "2021-01-01T00:00:00Z"}]}
{"AccessKeyMetadata": []}
[{"AccessKeyMetadata": [{"UserName": "dave", "AccessKeyId": "AKIAEXAMPLEDAVEKEY01", "Status": "Inactive"}]}]
`
	keys, err := ReadAccessKeys("keys.json", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] != (AccessKey{"svc-reports", keyID, "Active", time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}) || keys[1].UserName != "dave" {
		t.Errorf("keys %+v", keys)
	}
	for in, want := range map[string]string{
		"":              "empty",
		`{"Users": []}`: "no AccessKeyMetadata",
		`{"AccessKeyMetadata": [{"UserName": "x", "AccessKeyId": "short"}]}`: `access key ID "short"`,
		`{"AccessKeyMetadata": [`: "output 1",
	} {
		if _, err := ReadAccessKeys("keys.json", strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "keys.json") {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}
