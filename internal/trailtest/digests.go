package trailtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// DigestTrail is written by WriteDigestTrail: it one account and region's logs in the real S3 layout,
// one log file every hour that has a record, and a digest every hour of the
// days read (as CloudTrail does, also for hours without log files), each
// chained to the previous by key and SHA-256 of its decompressed content.
type DigestTrail struct {
	Root, Acct, Region, Trail string
	Logs                      map[time.Time]string // hour -> log file path
	Digests                   []string             // in time order
}

func WriteDigestTrail(t *testing.T, root, acct, region string, q activity.Query) *DigestTrail {
	return WriteQuietDigestTrail(t, root, acct, region, q, nil)
}

// WriteQuietDigestTrail is WriteDigestTrail with no log file in the hours
// quiet reports (their digests list none, as CloudTrail's do).
func WriteQuietDigestTrail(t *testing.T, root, acct, region string, q activity.Query, quiet func(time.Time) bool) *DigestTrail {
	t.Helper()
	return WritePausedDigestTrail(t, root, acct, region, q, quiet, nil)
}

// WritePausedDigestTrail is WriteQuietDigestTrail with no digest in the hours
// paused reports, the next digest still naming the last one written: a chain
// whose links are intact around hours nobody vouches for.
func WritePausedDigestTrail(t *testing.T, root, acct, region string, q activity.Query, quiet, paused func(time.Time) bool) *DigestTrail {
	t.Helper()
	dt := &DigestTrail{Root: root, Acct: acct, Region: region, Trail: "org-trail", Logs: map[time.Time]string{}}
	first, last := q.ReadDays()
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	put := func(key string, data []byte) string {
		p := filepath.Join(root, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var prevKey, prevSum string
	n := 0
	for h := first; h.Before(last.AddDate(0, 0, 1)); h = h.Add(time.Hour) {
		type logRef struct {
			Bucket string `json:"s3Bucket"`
			Object string `json:"s3Object"`
			Hash   string `json:"hashValue"`
			Algo   string `json:"hashAlgorithm"`
		}
		refs := []logRef{}
		if h.Hour()%6 == 3 && (quiet == nil || !quiet(h)) { // a log file four times a day
			n++
			at := h.Add(10 * time.Minute)
			text := Fixture{Records: []Rec{Event(fmt.Sprintf("d1d1d1d1-0000-4000-8000-%012d", n), at.Format(time.RFC3339),
				"ec2.amazonaws.com", "DescribeInstances", region, "10.0.0.5", IAMUser(acct, "AIDAALICE"+acct, "alice", "AKIAALICE"+acct), nil)}}.Content()
			key := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_dg%06d.json.gz", acct, region,
				at.Format("2006/01/02"), acct, region, at.Format("20060102T1504Z"), n)
			dt.Logs[h] = put(key, gz(text))
			sum := sha256.Sum256(text)
			refs = append(refs, logRef{"trail-bucket", key, hex.EncodeToString(sum[:]), "SHA-256"})
		}
		if paused != nil && paused(h) {
			continue
		}
		end := h.Add(time.Hour + 31*time.Second)
		key := fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", acct, region,
			end.Format("2006/01/02"), acct, region, dt.Trail, region, end.Format("20060102T150405Z"))
		d := map[string]any{
			"awsAccountId": acct, "digestStartTime": h.Add(31 * time.Second).Format(time.RFC3339),
			"digestEndTime": end.Format(time.RFC3339), "digestS3Bucket": "trail-bucket", "digestS3Object": key,
			"digestPublicKeyFingerprint": demo.DigestKeyFingerprint(), "digestSignatureAlgorithm": "SHA256withRSA",
			"previousDigestS3Bucket": nil, "previousDigestS3Object": nil, "previousDigestHashValue": nil,
			"previousDigestHashAlgorithm": nil, "previousDigestSignature": nil, "logFiles": refs,
		}
		if prevKey != "" {
			d["previousDigestS3Bucket"], d["previousDigestS3Object"] = "trail-bucket", prevKey
			d["previousDigestHashValue"], d["previousDigestHashAlgorithm"] = prevSum, "SHA-256"
			d["previousDigestSignature"] = "00"
		}
		text, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		dt.Digests = append(dt.Digests, put(key, gz(text)))
		sum := sha256.Sum256(text)
		prevKey, prevSum = key, hex.EncodeToString(sum[:])
	}
	return dt
}

// GetDigestText reads a digest object from the fake S3, decompressed.
func GetDigestText(t *testing.T, s3c *s3.Client, key string) []byte {
	t.Helper()
	out, err := s3c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	zr, err := gzip.NewReader(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// PutDigest replaces a digest object in the fake S3 with text, gzipped,
// and the given user metadata.
func PutDigest(t *testing.T, s3c *s3.Client, key string, text []byte, meta map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(text)
	zw.Close()
	// gofakes3 merges an overwritten object's old metadata into the new;
	// S3 does not, so delete first.
	if _, err := s3c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(key),
		Body: bytes.NewReader(buf.Bytes()), Metadata: meta}); err != nil {
		t.Fatal(err)
	}
}
