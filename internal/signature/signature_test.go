package signature

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// writeKeys writes a fresh Ed25519 key pair as PEM, the way openssl does.
func writeKeys(t *testing.T, dir string) (priv, pub string) {
	t.Helper()
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	skDER, err := x509.MarshalPKCS8PrivateKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	pkDER, err := x509.MarshalPKIXPublicKey(pk)
	if err != nil {
		t.Fatal(err)
	}
	priv, pub = filepath.Join(dir, "k.pem"), filepath.Join(dir, "k.pub.pem")
	if err := os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: skDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func TestEd25519SignVerifyFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	priv, pub := writeKeys(t, dir)
	s, err := NewSigner(ctx, priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(ctx, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID() != v.KeyID() {
		t.Fatalf("signer key %s, verifier key %s", s.KeyID(), v.KeyID())
	}
	doc := filepath.Join(dir, "manifest.json")
	body := []byte(`{"entries":[{"decision":"deactivate"}]}` + "\n")
	if err := os.WriteFile(doc, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := SignFile(ctx, s, doc); err != nil {
		t.Fatal(err)
	}
	got, sig, err := VerifyFile(ctx, v, doc)
	if err != nil || string(got) != string(body) || sig.Algorithm != AlgEd25519 {
		t.Fatalf("VerifyFile = %q, %+v, %v", got, sig, err)
	}

	// Every byte of the file matters.
	for i := range body {
		edited := append([]byte(nil), body...)
		edited[i] ^= 0x01
		if err := v.Verify(ctx, edited, sig); !errors.Is(err, ErrInvalid) {
			t.Fatalf("byte %d flipped: Verify = %v, want ErrInvalid", i, err)
		}
	}
	// A forged signature over the right hash fails.
	forged := *sig
	raw, _ := base64.StdEncoding.DecodeString(sig.Signature)
	raw[0] ^= 1
	forged.Signature = base64.StdEncoding.EncodeToString(raw)
	if err := v.Verify(ctx, body, &forged); !errors.Is(err, ErrInvalid) {
		t.Errorf("forged signature: %v", err)
	}
	// Another key's signature is refused, naming both keys.
	_, pub2 := writeKeys(t, t.TempDir())
	v2, err := NewVerifier(ctx, pub2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyFile(ctx, v2, doc); !errors.Is(err, ErrInvalid) {
		t.Errorf("verifying with another key = %v", err)
	}
	// A missing signature is ErrMissing.
	os.Remove(Path(doc))
	if _, _, err := VerifyFile(ctx, v, doc); !errors.Is(err, ErrMissing) {
		t.Errorf("no signature: %v", err)
	}
	// A private key is not a trust key, nor a public key a signing key.
	if _, err := NewVerifier(ctx, priv, nil); err == nil {
		t.Errorf("a private key was accepted as a trust key")
	}
	if _, err := NewSigner(ctx, pub, nil); err == nil {
		t.Errorf("a public key was accepted as a signing key")
	}
	if _, err := NewSigner(ctx, "kms:alias/x", nil); err == nil {
		t.Errorf("a KMS key with no client was accepted")
	}
}

// The commands docs/signature.md gives verify a signature with openssl alone.
func TestOpenSSLVerifiesEd25519(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		return cmd.CombinedOutput()
	}
	// Keys as the README says to make them.
	if out, err := run("genpkey", "-algorithm", "ed25519", "-out", "review.key"); err != nil {
		t.Skipf("this openssl cannot make Ed25519 keys: %v: %s", err, out)
	}
	if out, err := run("pkey", "-in", "review.key", "-pubout", "-out", "review.pub"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	s, err := NewSigner(ctx, filepath.Join(dir, "review.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "reviewed.manifest.json")
	if err := os.WriteFile(doc, []byte(`{"schema_version":"dormant.manifest/v1"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := SignFile(ctx, s, doc); err != nil {
		t.Fatal(err)
	}
	verify := func() ([]byte, error) {
		// docs/signature.md: extract, decode, verify.
		if out, err := exec.Command("sh", "-c", `cd "$1" && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signature"])' reviewed.manifest.json.sig | openssl base64 -d -A -out reviewed.manifest.json.sig.bin`, "sh", dir).CombinedOutput(); err != nil {
			return out, err
		}
		return run("pkeyutl", "-verify", "-pubin", "-inkey", "review.pub", "-rawin", "-in", "reviewed.manifest.json", "-sigfile", "reviewed.manifest.json.sig.bin")
	}
	if out, err := verify(); err != nil {
		t.Fatalf("openssl does not verify dormant's signature: %v: %s", err, out)
	}
	if err := os.WriteFile(doc, []byte(`{"schema_version":"dormant.manifest/v2"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(); err == nil {
		t.Fatalf("openssl verified an edited file: %s", out)
	}
	// The key ID is the SHA-256 of the public key's DER, as openssl prints it.
	out, err := exec.Command("sh", "-c", `cd "$1" && openssl pkey -pubin -in review.pub -outform DER | sha256sum | cut -d" " -f1`, "sh", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "ed25519:sha256:" + string(out[:64]); s.KeyID() != want {
		t.Errorf("key ID %s, openssl's fingerprint gives %s", s.KeyID(), want)
	}
}
