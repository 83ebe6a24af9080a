package iac

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Getter is the one S3 call ReadStateAt makes, with the SDK's signature.
type S3Getter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// ReadStateAt reads the state given with --terraform-state: a file path, or
// s3://bucket/key (a remote backend's object) read through api.
func ReadStateAt(ctx context.Context, where string, api S3Getter, limit int64) ([]Resource, error) {
	rest, ok := strings.CutPrefix(where, "s3://")
	if !ok {
		return ReadStateFile(where, limit)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" || key == "" || strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf("reading Terraform state %s: give the state object as s3://bucket/key (the backend's bucket and key)", where)
	}
	if api == nil {
		return nil, fmt.Errorf("reading Terraform state %s: no S3 client; the state in S3 needs AWS credentials", where)
	}
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("reading Terraform state %s: %w; check the bucket, the key and the s3:GetObject permission", where, err)
	}
	defer out.Body.Close()
	return ReadState(where, out.Body, limit)
}
