package signature

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
)

// maxKeyFile bounds a PEM key file read: an Ed25519 key is about 120 bytes.
const maxKeyFile = 64 << 10

// Ed25519Signer signs with a local Ed25519 private key.
type Ed25519Signer struct {
	key   ed25519.PrivateKey
	keyID string
}

// Ed25519Verifier verifies with a local Ed25519 public key.
type Ed25519Verifier struct {
	key   ed25519.PublicKey
	keyID string
}

// Ed25519KeyID is the key ID of an Ed25519 public key: the SHA-256 of its
// SubjectPublicKeyInfo DER, which `openssl pkey -pubin -outform DER |
// sha256sum` prints too.
func Ed25519KeyID(pub ed25519.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding the Ed25519 public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return "ed25519:sha256:" + hex.EncodeToString(sum[:]), nil
}

// NewEd25519Signer wraps a private key.
func NewEd25519Signer(key ed25519.PrivateKey) (*Ed25519Signer, error) {
	id, err := Ed25519KeyID(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	return &Ed25519Signer{key: key, keyID: id}, nil
}

// NewEd25519Verifier wraps a public key.
func NewEd25519Verifier(pub ed25519.PublicKey) (*Ed25519Verifier, error) {
	id, err := Ed25519KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &Ed25519Verifier{key: pub, keyID: id}, nil
}

func (s *Ed25519Signer) KeyID() string { return s.keyID }

// Sign is PureEdDSA over message itself, which `openssl pkeyutl -verify
// -rawin` checks.
func (s *Ed25519Signer) Sign(_ context.Context, message []byte) (*File, error) {
	return newFile(AlgEd25519, s.keyID, message, ed25519.Sign(s.key, message)), nil
}

func (v *Ed25519Verifier) KeyID() string { return v.keyID }

func (v *Ed25519Verifier) Verify(_ context.Context, message []byte, sig *File) error {
	raw, err := checkCommon(v, AlgEd25519, message, sig)
	if err != nil {
		return err
	}
	if !ed25519.Verify(v.key, message, raw) {
		return fmt.Errorf("%w: the Ed25519 signature is not of this file by key %s", ErrInvalid, v.keyID)
	}
	return nil
}

// readPEM reads the one PEM block of a key file.
func readPEM(path, want string) (*pem.Block, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading key %s: %w", path, err)
	}
	if fi.Size() > maxKeyFile {
		return nil, fmt.Errorf("reading key %s: %d bytes is too large for a PEM key; give the %s written by openssl", path, fi.Size(), want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key %s: %w", path, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("reading key %s: no PEM block; give the %s written by openssl", path, want)
	}
	return block, nil
}

// LoadEd25519Signer reads a PKCS#8 PEM private key ("PRIVATE KEY"), as
// `openssl genpkey -algorithm ed25519` writes it.
func LoadEd25519Signer(path string) (*Ed25519Signer, error) {
	const want = "PKCS#8 Ed25519 private key (openssl genpkey -algorithm ed25519)"
	block, err := readPEM(path, want)
	if err != nil {
		return nil, err
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("reading key %s: PEM block %q is not a %s", path, block.Type, want)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("reading key %s: %w; give a %s", path, err, want)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("reading key %s: a %T, not an Ed25519 key; give a %s (or kms:<key> for KMS)", path, k, want)
	}
	return NewEd25519Signer(priv)
}

// LoadEd25519Verifier reads a SubjectPublicKeyInfo PEM public key ("PUBLIC
// KEY"), as `openssl pkey -pubout` writes it.
func LoadEd25519Verifier(path string) (*Ed25519Verifier, error) {
	const want = "SubjectPublicKeyInfo Ed25519 public key (openssl pkey -pubout)"
	block, err := readPEM(path, want)
	if err != nil {
		return nil, err
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("reading key %s: PEM block %q is not a %s; a private key is never needed to verify", path, block.Type, want)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("reading key %s: %w; give a %s", path, err, want)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("reading key %s: a %T, not an Ed25519 key; give a %s (or kms:<key> for KMS)", path, k, want)
	}
	return NewEd25519Verifier(pub)
}
