package codesearch

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 serves an in-memory bucket through gofakes3 and returns an SDK
// client for it.
func fakeS3(t *testing.T, bucket string, objects map[string]string) *s3.Client {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	for k, v := range objects {
		if _, err := backend.PutObject(bucket, k, map[string]string{}, strings.NewReader(v), int64(len(v)), nil); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  aws.AnonymousCredentials{},
	})
}

// countingS3 records the calls the search makes, to hold it to S3API.
type countingS3 struct {
	S3API
	calls []string
}

func (c *countingS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opt ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	c.calls = append(c.calls, "ListObjectsV2")
	return c.S3API.ListObjectsV2(ctx, in, opt...)
}

func TestSearchS3(t *testing.T) {
	client := fakeS3(t, "configs", map[string]string{
		"prod/app.env":       "AWS_ACCESS_KEY_ID=" + keyID + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n",
		"prod/deploy.json":   `{"user": "arn:aws:iam::` + acct + `:user/deploy-bot"}`,
		"prod/big.bin":       string(bytes.Repeat([]byte("dave "), 100)),
		"staging/other.conf": "dave\n",
	})
	api := &countingS3{S3API: client}
	hits, st := search(t, []string{"s3://configs/prod/"}, cands, Options{S3: api, MaxFileSize: 400})
	got := render(hits)
	want := `s3://configs/prod/app.env:1 svc-reports access-key-id "AKIAIOSFODNN7EXAMPLE" "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"
s3://configs/prod/deploy.json:1 deploy-bot arn "arn:aws:iam::111111111111:user/deploy-bot" "{\"user\": \"arn:aws:iam::111111111111:user/deploy-bot\"}"
`
	if got != want {
		t.Errorf("hits:\n%s\nwant:\n%s", got, want)
	}
	if st.Skipped[SkipTooLarge] != 1 || st.Files != 2 {
		t.Errorf("stats %+v, want 2 objects read and big.bin skipped as too large", st)
	}
	if len(api.calls) != 1 {
		t.Errorf("ListObjectsV2 calls %v", api.calls)
	}

	_, err := Search(context.Background(), []string{"s3://configs/prod/"}, cands, Options{MaxFileSize: 1}, func(Hit) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no S3 client") {
		t.Errorf("no client: err = %v", err)
	}
	_, err = Search(context.Background(), []string{"s3://missing-bucket/"}, cands, Options{S3: client, MaxFileSize: 1}, func(Hit) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "listing s3://missing-bucket/") {
		t.Errorf("missing bucket: err = %v", err)
	}
}
