package activity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/gzip"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/tables"
)

// TestDigestSignaturesFromS3: the local engine on s3:// checks each
// digest's signature (S3 metadata the fake signed on upload) with the fake
// CloudTrail's public key. Untouched digests verify; a digest whose content
// or whose x-amz-meta-signature was changed in S3 is reported as tampered in
// the log files table and sends the account's candidate to review.
func TestDigestSignaturesFromS3(t *testing.T) {
	const acct, region = "777777777777", "us-east-1"
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	q := Query{Start: start, End: start.AddDate(0, 0, 3)}
	ctx := context.Background()
	bob := tables.User{
		AccountID: acct, UserName: "bob", UserID: "AIDABOB" + acct, ARN: "arn:aws:iam::" + acct + ":user/bob",
		CreateDate: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), PasswordState: tables.PasswordNA,
		ReportGeneratedAt: q.End.Add(-time.Hour), InCredentialReport: true, InAuthorizationDetails: true,
		Key1Active: true, Key1LastRotated: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		Key1LastUsed: start.AddDate(0, 0, -100), Key1LastUsedRegion: region,
	}
	fopts := findings.DefaultOptions(q.End)
	fopts.WindowDays = 3

	// run uploads a digest trail to the fake, lets damage change S3, and
	// runs the local engine from S3 with the fake's CloudTrail keys.
	run := func(t *testing.T, damage func(s3c *s3.Client, digestKeys []string)) (*Result, tables.Finding) {
		t.Helper()
		root := t.TempDir()
		dt := writeDigestTrail(t, root, acct, region, q)
		s := newFake(t, analytics.Config{LogsDir: root})
		var keys []string
		for _, p := range dt.digests {
			rel, _ := filepath.Rel(root, p)
			keys = append(keys, filepath.ToSlash(rel))
		}
		damage(s.S3Client(), keys)
		e := NewS3Local(s.S3Client(), s.TrailURI(), t.TempDir(), SyncOptions{Logger: quiet(), PublicKeys: s.CloudTrailClient()},
			WithThreads(2), WithLogger(quiet()))
		res, err := e.Run(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Digests == nil || !res.Digests.SignaturesChecked || res.Digests.Note() != DigestNoteS3 {
			t.Fatalf("digest report %+v; want signatures checked", res.Digests)
		}
		opts := fopts
		opts.DigestProblems, opts.DigestProven = tables.DigestProblems(res.LogFiles), tables.DigestProven(res.LogFiles)
		finds, err := findings.Classify([]tables.User{bob}, res.Activity, res.Coverage, nil, opts)
		if err != nil || len(finds) != 1 {
			t.Fatalf("findings %+v, %v", finds, err)
		}
		return res, finds[0]
	}
	// A digest in the middle of the window.
	target := func(keys []string) string {
		i := slices.IndexFunc(keys, func(k string) bool { return strings.Contains(k, "20260902T100031Z") })
		if i < 0 {
			t.Fatalf("no digest delivered at 2026-09-02T10:00:31Z among %q", keys)
		}
		return keys[i]
	}
	badSignature := func(t *testing.T, res *Result, f tables.Finding, key string) {
		t.Helper()
		var found bool
		for _, i := range res.Digests.Issues {
			if i.Kind == IssueBadSignature && strings.HasSuffix(filepath.ToSlash(i.Path), key) {
				found = true
				if want := time.Date(2026, 9, 2, 9, 0, 0, 0, time.UTC); !i.Start.Equal(want) || !i.End.Equal(want.Add(2*time.Hour)) {
					t.Errorf("bad signature hours %s..%s, want the digest's 09:00..11:00", i.Start, i.End)
				}
			}
		}
		if !found {
			t.Errorf("no %q issue for %s among %+v", IssueBadSignature, key, res.Digests.Issues)
		}
		rows := 0
		for _, r := range res.LogFiles {
			if r.Kind == tables.LogFileKindDigest && strings.HasSuffix(filepath.ToSlash(r.Path), key) {
				rows++
				if r.Verification != tables.VerificationMismatch || r.GapStart.IsZero() {
					t.Errorf("log files row of the tampered digest: %+v; want %q with its gap", r, tables.VerificationMismatch)
				}
			}
		}
		if rows != 1 {
			t.Errorf("%d log files rows for the tampered digest, want 1", rows)
		}
		if f.Decision != tables.DecisionReview || !slices.ContainsFunc(f.Reasons, func(r string) bool {
			return strings.Contains(r, "CloudTrail digests for account "+acct+" in "+region)
		}) {
			t.Errorf("bob: %s/%s, reasons %q; want review naming the digests", f.Status, f.Decision, f.Reasons)
		}
	}

	t.Run("untouched", func(t *testing.T) {
		res, f := run(t, func(*s3.Client, []string) {})
		if len(res.Digests.Issues) != 0 {
			t.Errorf("issues on untouched digests: %+v", res.Digests.Issues)
		}
		for _, r := range res.LogFiles {
			if r.Kind == tables.LogFileKindDigest && r.Verification != tables.VerificationVerified {
				t.Errorf("digest row %+v, want verified", r)
			}
		}
		if f.Decision == tables.DecisionReview {
			t.Errorf("bob: %s/%s, reasons %q; untouched signed digests prove the window", f.Status, f.Decision, f.Reasons)
		}
	})
	t.Run("digest changed, signature kept", func(t *testing.T) {
		var key string
		res, f := run(t, func(s3c *s3.Client, keys []string) {
			key = target(keys)
			head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			text := getDigestText(t, s3c, key)
			// Forge the time the digest vouches for, keeping its signature.
			forged := bytes.Replace(text, []byte(`"digestStartTime":"2026-09-02T09:00:31Z"`), []byte(`"digestStartTime":"2026-09-02T09:00:32Z"`), 1)
			if bytes.Equal(forged, text) {
				t.Fatalf("digest %s has no digestStartTime to forge: %s", key, text)
			}
			putDigest(t, s3c, key, forged, head.Metadata)
		})
		badSignature(t, res, f, key)
	})
	t.Run("signature metadata changed", func(t *testing.T) {
		var key string
		res, f := run(t, func(s3c *s3.Client, keys []string) {
			key = target(keys)
			head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			sig := []byte(head.Metadata["signature"])
			if len(sig) != 512 {
				t.Fatalf("the fake S3 serves metadata %v for %s; want a 2048-bit hex signature", head.Metadata, key)
			}
			if sig[10] == '0' { // any other hex digit
				sig[10] = '1'
			} else {
				sig[10] = '0'
			}
			head.Metadata["signature"] = string(sig)
			putDigest(t, s3c, key, getDigestText(t, s3c, key), head.Metadata)
		})
		badSignature(t, res, f, key)
		// Only the signature changed: the chain itself is intact.
		for _, i := range res.Digests.Issues {
			if i.Kind != IssueBadSignature {
				t.Errorf("issue %+v; only the signature was changed", i)
			}
		}
	})
	t.Run("signature metadata removed", func(t *testing.T) {
		var key string
		res, f := run(t, func(s3c *s3.Client, keys []string) {
			key = target(keys)
			putDigest(t, s3c, key, getDigestText(t, s3c, key), nil)
		})
		i := slices.IndexFunc(res.Digests.Issues, func(i DigestIssue) bool {
			return i.Kind == IssueUnsigned && strings.HasSuffix(filepath.ToSlash(i.Path), key)
		})
		if i < 0 || f.Decision != tables.DecisionReview {
			t.Errorf("issues %+v, bob %s; want %q for %s and review", res.Digests.Issues, f.Decision, IssueUnsigned, key)
		}
	})
}

// getDigestText reads a digest object from the fake S3, decompressed.
func getDigestText(t *testing.T, s3c *s3.Client, key string) []byte {
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

// putDigest replaces a digest object in the fake S3 with text, gzipped,
// and the given user metadata.
func putDigest(t *testing.T, s3c *s3.Client, key string, text []byte, meta map[string]string) {
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

// fixedKeys is a PublicKeysAPI answering with the given keys.
type fixedKeys []cttypes.PublicKey

func (k fixedKeys) ListPublicKeys(context.Context, *cloudtrail.ListPublicKeysInput, ...func(*cloudtrail.Options)) (*cloudtrail.ListPublicKeysOutput, error) {
	return &cloudtrail.ListPublicKeysOutput{PublicKeyList: k}, nil
}

// TestVerifySignatureKeys: the key must match the digest's fingerprint and
// be valid at its end time; CloudTrail's DER PKCS #1 key and a PKIX one
// both verify; a failing ListPublicKeys is an error saying what to grant.
func TestVerifySignatureKeys(t *testing.T) {
	text := []byte(`{"awsAccountId":"111111111111","digestStartTime":"2026-09-02T09:00:31Z","digestEndTime":"2026-09-02T10:00:31Z",` +
		`"digestS3Bucket":"trail-bucket","digestS3Object":"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/09/02/x.json.gz",` +
		`"digestPublicKeyFingerprint":"` + demo.DigestKeyFingerprint() + `","previousDigestSignature":null,"logFiles":[]}`)
	sig, err := demo.SignDigest(text)
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 9, 2, 10, 0, 31, 0, time.UTC)
	sum := sha256.Sum256(text)
	d := &digest{key: "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/09/02/x.json.gz", end: end, sum: hex.EncodeToString(sum[:]),
		endRaw: "2026-09-02T10:00:31Z", s3Bucket: "trail-bucket", s3Object: "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/09/02/x.json.gz",
		fingerprint: demo.DigestKeyFingerprint(), meta: &sigMeta{Signature: sig, SignatureAlgorithm: "SHA256withRSA", bucket: "trail-bucket"}}
	pkcs1 := demo.DigestPublicKey()
	pub, err := x509.ParsePKCS1PublicKey(pkcs1)
	if err != nil {
		t.Fatal(err)
	}
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	key := func(der []byte, fp string, from, to time.Time) cttypes.PublicKey {
		return cttypes.PublicKey{Value: der, Fingerprint: aws.String(fp), ValidityStartTime: aws.Time(from), ValidityEndTime: aws.Time(to)}
	}
	fp := demo.DigestKeyFingerprint()
	before, after := end.Add(-24*time.Hour), end.Add(24*time.Hour)
	for _, c := range []struct {
		name string
		keys fixedKeys
		want string // "" verified, or the issue kind
	}{
		{"PKCS1", fixedKeys{key(pkcs1, fp, before, after)}, ""},
		{"PKIX", fixedKeys{key(pkix, fp, before, after)}, ""},
		{"upper-case fingerprint", fixedKeys{key(pkcs1, strings.ToUpper(fp), before, after)}, ""},
		{"other fingerprint", fixedKeys{key(pkcs1, "00", before, after)}, IssueUnsigned},
		{"expired before the digest", fixedKeys{key(pkcs1, fp, before, end.Add(-time.Second))}, IssueUnsigned},
		{"no keys", nil, IssueUnsigned},
	} {
		d.sig = nil
		if err := (&signatureChecker{api: c.keys}).check(context.Background(), []*digest{d}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d.sig == nil || d.sig.kind != c.want {
			t.Errorf("%s: %+v, want kind %q", c.name, d.sig, c.want)
		}
	}
	// Read from another key than it names: moved, so tampered.
	moved := *d
	moved.key = "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/09/02/y.json.gz"
	if got := verifySignature(&moved, map[string][]publicKey{fp: {{key: pub, start: before, end: after}}}); got.kind != IssueBadSignature {
		t.Errorf("moved digest: %+v, want %q", got, IssueBadSignature)
	}
	err = (&signatureChecker{api: failingKeys{}}).check(context.Background(), []*digest{d})
	if err == nil || !strings.Contains(err.Error(), "cloudtrail:ListPublicKeys") {
		t.Errorf("ListPublicKeys failing: %v, want an error naming the permission", err)
	}
}

type failingKeys struct{}

func (failingKeys) ListPublicKeys(context.Context, *cloudtrail.ListPublicKeysInput, ...func(*cloudtrail.Options)) (*cloudtrail.ListPublicKeysOutput, error) {
	return nil, errors.New("AccessDeniedException")
}
