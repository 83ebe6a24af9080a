package signature

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/dormant-iam/dormant/internal/awsfake"
)

func TestKMSSignVerifyFile(t *testing.T) {
	ctx := context.Background()
	org := awsfake.NewOrg("111111111111")
	srv := awsfake.New(org)
	defer srv.Close()
	c := srv.KMSClient(org.CallerCredentials())
	created, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/review"), TargetKeyId: created.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(ctx, "kms:alias/review", c)
	if err != nil {
		t.Fatal(err)
	}
	// Verifying names the key by ARN; both resolve to the same key.
	v, err := NewVerifier(ctx, "kms:"+aws.ToString(created.KeyMetadata.Arn), c)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID() != aws.ToString(created.KeyMetadata.Arn) || v.KeyID() != s.KeyID() {
		t.Fatalf("key IDs %s, %s", s.KeyID(), v.KeyID())
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "SHA256SUMS")
	// Larger than KMS's 4096-byte RAW limit: only the digest goes to KMS.
	body := []byte(strings.Repeat("0123456789abcdef  reports/file.csv\n", 200))
	if err := os.WriteFile(doc, body, 0o644); err != nil {
		t.Fatal(err)
	}
	sig, err := SignFile(ctx, s, doc)
	if err != nil {
		t.Fatal(err)
	}
	if sig.Algorithm != AlgECDSASHA256 {
		t.Errorf("algorithm %s", sig.Algorithm)
	}
	if _, _, err := VerifyFile(ctx, v, doc); err != nil {
		t.Fatal(err)
	}
	body[len(body)-2] ^= 1
	if err := v.Verify(ctx, body, sig); !errors.Is(err, ErrInvalid) {
		t.Errorf("an edited file: %v", err)
	}
	// A local key does not verify a KMS signature, nor the reverse.
	_, pub := writeKeys(t, dir)
	lv, err := NewVerifier(ctx, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyFile(ctx, lv, doc); !errors.Is(err, ErrInvalid) {
		t.Errorf("a local key verifying a KMS signature: %v", err)
	}
	// A symmetric or unknown key is refused up front.
	if _, err := NewSigner(ctx, "kms:alias/nope", c); err == nil {
		t.Error("an unknown KMS alias was accepted")
	}
}

// docs/signature.md: a KMS signature verifies with openssl alone, given the
// public key that kms:GetPublicKey returns (DER, converted to PEM).
func TestOpenSSLVerifiesKMS(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	ctx := context.Background()
	org := awsfake.NewOrg("111111111111")
	srv := awsfake.New(org)
	defer srv.Close()
	c := srv.KMSClient(org.CallerCredentials())
	created, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(ctx, "kms:"+aws.ToString(created.KeyMetadata.KeyId), c)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pk, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: created.KeyMetadata.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	// What `aws kms get-public-key --query PublicKey --output text | base64 -d` writes.
	if err := os.WriteFile(filepath.Join(dir, "kms.pub.der"), pk.PublicKey, 0o644); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "SHA256SUMS")
	if err := os.WriteFile(doc, []byte("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  reports/x.csv\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := SignFile(ctx, s, doc); err != nil {
		t.Fatal(err)
	}
	script := `set -e; cd "$1"
openssl pkey -pubin -inform DER -in kms.pub.der -out kms.pub.pem
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signature"])' SHA256SUMS.sig | openssl base64 -d -A -out SHA256SUMS.sig.der
openssl dgst -sha256 -verify kms.pub.pem -signature SHA256SUMS.sig.der SHA256SUMS`
	if out, err := exec.Command("sh", "-c", script, "sh", dir).CombinedOutput(); err != nil || !strings.Contains(string(out), "Verified OK") {
		t.Fatalf("openssl does not verify the KMS signature: %v: %s", err, out)
	}
	if err := os.WriteFile(doc, []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("sh", "-c", script, "sh", dir).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified an edited file: %s", out)
	}
}
