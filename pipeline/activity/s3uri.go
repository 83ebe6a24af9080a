package activity

import (
	"fmt"
	"net/url"
	"strings"
)

// ParseS3URI splits s3://bucket/key.
func ParseS3URI(uri string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an S3 URI (s3://bucket/prefix/)", uri)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket (s3://bucket/prefix/)", uri)
	}
	if k, err := url.PathUnescape(key); err == nil && strings.Contains(key, "%") {
		key = k
	}
	return bucket, key, nil
}
