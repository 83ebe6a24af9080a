package activity

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// Digest signatures, as AWS documents them ("Custom implementations of
// CloudTrail log file integrity validation") and `aws cloudtrail
// validate-logs` checks them: each digest object carries S3 user metadata
// x-amz-meta-signature (hex) and x-amz-meta-signature-algorithm
// (SHA256withRSA); the signature is over the data-signing string
//
//	digestEndTime "\n" digestS3Bucket "/" digestS3Object "\n"
//	hex SHA-256 of the decompressed digest "\n" previousDigestSignature
//
// (the last "null" for a chain's first digest), with the public key whose
// fingerprint the digest names, from CloudTrail's ListPublicKeys (a DER
// PKCS #1 RSA public key, valid over a time range that holds the digest's
// end time). Metadata is not on disk, so only a run that synced the digests
// from S3 (SyncS3 keeps it in the day folder's index) checks signatures.

// PublicKeysAPI is the CloudTrail call signature checks make
// (*cloudtrail.Client implements it).
type PublicKeysAPI interface {
	ListPublicKeys(ctx context.Context, in *cloudtrail.ListPublicKeysInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.ListPublicKeysOutput, error)
}

// DigestNoteS3 is the line the reports print for a run whose digests came
// from S3 with their signatures.
const DigestNoteS3 = "Digest file signatures were checked against CloudTrail's public keys (ListPublicKeys), as `aws cloudtrail validate-logs` does; log file hashes and the digest chain were checked too."

// Kinds of DigestIssue a signature check adds.
const (
	IssueBadSignature = "digest signature invalid"  // the digest or its signature was changed: tampering
	IssueUnsigned     = "digest signature unproven" // no signature metadata, or no public key for it
)

// signatureAlgorithm is the only algorithm CloudTrail documents.
const signatureAlgorithm = "SHA256withRSA"

// digestSig is what a digest's signature check found.
type digestSig struct {
	problem string // "" when the signature verified
	kind    string // IssueBadSignature or IssueUnsigned when problem is set
}

// signatureChecker verifies digests' signatures with CloudTrail's keys.
type signatureChecker struct {
	api PublicKeysAPI
}

// withDigestSignatures makes the Local engine check each digest's
// signature from the sync index beside it (S3Local sets it; a folder from
// disk has no signatures to check).
func withDigestSignatures(api PublicKeysAPI) LocalOption {
	return func(l *Local) { l.sigs = &signatureChecker{api: api} }
}

// publicKey is one of CloudTrail's digest signing keys.
type publicKey struct {
	key        *rsa.PublicKey
	start, end time.Time
}

// keys lists CloudTrail's public keys valid between from and to, by
// fingerprint (a fingerprint can recur across validity ranges).
func (c *signatureChecker) keys(ctx context.Context, from, to time.Time) (map[string][]publicKey, error) {
	out := map[string][]publicKey{}
	in := &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(from), EndTime: aws.Time(to)}
	for page := 0; ; page++ {
		res, err := c.api.ListPublicKeys(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing CloudTrail's public keys to check the digest signatures (%s to %s): %w; "+
				"grant cloudtrail:ListPublicKeys, or copy the logs to disk to skip signatures", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
		}
		for i, k := range res.PublicKeyList {
			fp := strings.ToLower(aws.ToString(k.Fingerprint))
			pub, err := parsePublicKey(k.Value)
			if err != nil {
				return nil, fmt.Errorf("reading CloudTrail's public key %q (ListPublicKeys page %d, key %d): %w", fp, page+1, i+1, err)
			}
			out[fp] = append(out[fp], publicKey{key: pub, start: aws.ToTime(k.ValidityStartTime), end: aws.ToTime(k.ValidityEndTime)})
		}
		if aws.ToString(res.NextToken) == "" {
			return out, nil
		}
		in.NextToken = res.NextToken
	}
}

// parsePublicKey reads a key as ListPublicKeys returns it: DER PKCS #1
// RSAPublicKey (what validate-logs loads), or a PKIX-wrapped RSA key.
func parsePublicKey(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not a DER RSA public key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an RSA public key", k)
	}
	return rk, nil
}

// dataToSign is the digest's data-signing string.
func (d *digest) dataToSign() string {
	prev := "null" // a first digest's, as validate-logs and CloudTrail's Java writer spell it
	if d.prevSig != nil {
		prev = *d.prevSig
	}
	return d.endRaw + "\n" + d.s3Bucket + "/" + d.s3Object + "\n" + d.sum + "\n" + prev
}

// check verifies every digest's signature, setting d.sig; only a failure to
// list the keys is an error, a bad or missing signature is the digest's.
func (c *signatureChecker) check(ctx context.Context, all []*digest) error {
	if len(all) == 0 {
		return nil
	}
	from, to := all[0].end, all[0].end
	for _, d := range all {
		from, to = minTime(from, d.end), maxTime(to, d.end)
	}
	keys, err := c.keys(ctx, from, to)
	if err != nil {
		return err
	}
	for _, d := range all {
		d.sig = verifySignature(d, keys)
	}
	return nil
}

// verifySignature checks one digest against the keys.
func verifySignature(d *digest, keys map[string][]publicKey) *digestSig {
	bad := func(format string, a ...any) *digestSig {
		return &digestSig{kind: IssueBadSignature, problem: fmt.Sprintf(format, a...)}
	}
	unproven := func(format string, a ...any) *digestSig {
		return &digestSig{kind: IssueUnsigned, problem: fmt.Sprintf(format, a...)}
	}
	m := d.meta
	switch {
	case m == nil || m.Signature == "":
		return unproven("S3 kept no x-amz-meta-signature for %s", d.key)
	case m.SignatureAlgorithm != signatureAlgorithm:
		return unproven("x-amz-meta-signature-algorithm %q is not %s", m.SignatureAlgorithm, signatureAlgorithm)
	}
	// A digest moved to another account, region or hour's key is a replay:
	// refused, as validate-logs refuses it. Another bucket or key prefix is
	// not (archives replicate trail buckets); the signed string still names
	// the bucket CloudTrail wrote to.
	if objKey, _ := awsLogsKey(d.s3Object); objKey != d.key {
		return bad("it names s3://%s/%s but was read from s3://%s/…/%s", d.s3Bucket, d.s3Object, m.bucket, d.key)
	}
	sig, err := hex.DecodeString(m.Signature)
	if err != nil {
		return bad("x-amz-meta-signature is not hex: %v", err)
	}
	var key *rsa.PublicKey
	for _, k := range keys[strings.ToLower(d.fingerprint)] {
		if !d.end.Before(k.start) && !d.end.After(k.end) {
			key = k.key
			break
		}
	}
	if key == nil {
		return unproven("CloudTrail lists no public key with fingerprint %q valid at %s", d.fingerprint, d.endRaw)
	}
	h := sha256.Sum256([]byte(d.dataToSign()))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], sig); err != nil {
		return bad("its signature does not verify with public key %s: the digest or its signature was changed after delivery", d.fingerprint)
	}
	return &digestSig{}
}

// sigMeta is a digest's signature metadata as the sync index keeps it,
// with the bucket it came from.
type sigMeta struct {
	Signature, SignatureAlgorithm string
	bucket                        string
}

// readSignatures attaches to each digest the signature metadata the sync
// index of its folder kept. A folder without an index leaves its digests
// without metadata (they are then unproven); an unreadable index is an
// error naming it.
func readSignatures(all []*digest) error {
	type folder struct {
		idx    syncIndex
		bucket string
	}
	folders := map[string]*folder{}
	for _, d := range all {
		dir := filepath.Dir(d.path)
		f, ok := folders[dir]
		if !ok {
			f = &folder{}
			folders[dir] = f
			data, err := os.ReadFile(filepath.Join(dir, syncIndexName))
			switch {
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				return fmt.Errorf("reading the digests' signatures in %s: %w", filepath.Join(dir, syncIndexName), err)
			default:
				if f.idx, err = decodeIndex(data); err != nil {
					return fmt.Errorf("reading the digests' signatures in %s: %w (delete it to sync the folder again)", filepath.Join(dir, syncIndexName), err)
				}
				f.bucket, _, _ = strings.Cut(strings.TrimPrefix(f.idx.Source, "s3://"), "/")
			}
		}
		if o, ok := f.idx.Objects[filepath.Base(d.path)]; ok {
			d.meta = &sigMeta{Signature: o.Signature, SignatureAlgorithm: o.SignatureAlgorithm, bucket: f.bucket}
		}
	}
	return nil
}
