package codesearch

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of the S3 client the search calls, with the SDK's
// signatures, so that *s3.Client and test fakes both fit.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// ParseS3URI splits s3://bucket/prefix.
func ParseS3URI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("reading %q: not an s3:// URI; write s3://bucket/prefix", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("reading %q: no bucket; write s3://bucket/prefix", uri)
	}
	return bucket, prefix, nil
}

// listS3 sends every object under the URI's prefix.
func listS3(ctx context.Context, api S3API, uri string, send func(job) error) error {
	bucket, prefix, err := ParseS3URI(uri)
	if err != nil {
		return err
	}
	if api == nil {
		return fmt.Errorf("searching %s: no S3 client; the search needs AWS credentials for S3 paths", uri)
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	pages := s3.NewListObjectsV2Paginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing %s: %w; check the bucket name and the s3:ListBucket permission", uri, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if strings.HasSuffix(key, "/") {
				continue // a folder marker
			}
			size := int64(-1)
			if o.Size != nil {
				size = *o.Size
			}
			err := send(job{
				src:  Source{Kind: "s3", Bucket: bucket, Path: key},
				size: size,
				open: func(ctx context.Context) (io.ReadCloser, int64, error) {
					out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
					if err != nil {
						return nil, 0, fmt.Errorf("getting s3://%s/%s: %w", bucket, key, err)
					}
					n := int64(-1)
					if out.ContentLength != nil {
						n = *out.ContentLength
					}
					return out.Body, n, nil
				},
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
