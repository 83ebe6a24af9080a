package iac

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func TestReadStateAt(t *testing.T) {
	state, err := os.ReadFile("testdata/terraform.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	backend := s3mem.New()
	backend.CreateBucket("tf-state")
	if _, err := backend.PutObject("tf-state", "env/prod/terraform.tfstate", map[string]string{}, strings.NewReader(string(state)), int64(len(state)), nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Credentials: aws.AnonymousCredentials{}})

	ctx := context.Background()
	rs, err := ReadStateAt(ctx, "s3://tf-state/env/prod/terraform.tfstate", client, DefaultMaxStateSize)
	if err != nil {
		t.Fatal(err)
	}
	local, err := ReadStateAt(ctx, "testdata/terraform.tfstate", nil, DefaultMaxStateSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(local) || len(rs) == 0 || rs[0].File != "s3://tf-state/env/prod/terraform.tfstate" || rs[0].Address != local[0].Address {
		t.Errorf("from S3: %s\nfrom the file: %s", render(rs), render(local))
	}
	for where, want := range map[string]string{
		"s3://tf-state/env/prod/missing.tfstate": "s3:GetObject permission",
		"s3://tf-state/":                         "s3://bucket/key",
	} {
		if _, err := ReadStateAt(ctx, where, client, DefaultMaxStateSize); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", where, err, want)
		}
	}
	if _, err := ReadStateAt(ctx, "s3://tf-state/x.tfstate", nil, DefaultMaxStateSize); err == nil || !strings.Contains(err.Error(), "no S3 client") {
		t.Errorf("no client: err = %v", err)
	}
}
