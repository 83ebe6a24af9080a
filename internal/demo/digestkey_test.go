package demo

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"testing"
)

// TestDigestKey: the embedded key parses, its fingerprint is 32 hex digits
// like CloudTrail's, and SignDigest signs the documented data-signing string
// (a first digest's previous signature spelled "null").
func TestDigestKey(t *testing.T) {
	k, err := digestKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKCS1PublicKey(DigestPublicKey())
	if err != nil || !pub.Equal(&k.PublicKey) {
		t.Fatalf("DigestPublicKey is not the key's PKCS #1 public half: %v", err)
	}
	if fp := DigestKeyFingerprint(); len(fp) != 32 {
		t.Errorf("fingerprint %q, want 32 hex digits", fp)
	}
	for _, prev := range []string{`null`, `"abcd"`} {
		text := []byte(`{"digestEndTime":"2026-09-02T10:00:31Z","digestS3Bucket":"b","digestS3Object":"AWSLogs/x.json.gz","previousDigestSignature":` + prev + `}`)
		sig, err := SignDigest(text)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := hex.DecodeString(sig)
		if err != nil {
			t.Fatal(err)
		}
		want := "null"
		if prev != "null" {
			want = "abcd"
		}
		sum := sha256.Sum256(text)
		data := sha256.Sum256([]byte("2026-09-02T10:00:31Z\nb/AWSLogs/x.json.gz\n" + hex.EncodeToString(sum[:]) + "\n" + want))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, data[:], raw); err != nil {
			t.Errorf("previous signature %s: the signature is not over the documented string: %v", prev, err)
		}
	}
	if _, err := SignDigest([]byte("not json")); err == nil {
		t.Error("SignDigest accepted text that is no digest")
	}
}
