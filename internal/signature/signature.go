// Package signature writes and checks the detached signatures that make a
// run's SHA256SUMS and a reviewed manifest attributable: a digest is a
// checksum anyone can recompute, a signature is not.
//
// A signature file sits beside the file it signs, named <file>.sig, and
// holds one JSON object (see File). Two kinds of key sign: a local Ed25519
// key in PEM (PureEdDSA over the file's bytes) and an AWS KMS asymmetric
// ECC_NIST_P256 key (ECDSA_SHA_256 over the file's SHA-256, kms:Sign with
// MessageType DIGEST). Both verify offline with openssl; docs/signature.md
// shows how.
package signature

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Algorithms a File names.
const (
	// AlgEd25519 is PureEdDSA (RFC 8032) over the signed file's bytes.
	AlgEd25519 = "ED25519"
	// AlgECDSASHA256 is ECDSA on P-256 over the signed file's SHA-256, the
	// signature ASN.1 DER encoded (KMS's ECDSA_SHA_256).
	AlgECDSASHA256 = "ECDSA_SHA_256"
)

// Suffix is appended to a signed file's name to name its signature.
const Suffix = ".sig"

// maxSigFile bounds a signature file read: a real one is a few hundred bytes.
const maxSigFile = 64 << 10

// File is a detached signature, as written to <file>.sig.
type File struct {
	// Algorithm is AlgEd25519 or AlgECDSASHA256.
	Algorithm string `json:"algorithm"`
	// KeyID names the key: "ed25519:sha256:<hex of the public key's
	// SubjectPublicKeyInfo DER>" for a local key, the key's ARN for KMS.
	KeyID string `json:"key_id"`
	// SignedSHA256 is the lowercase hex SHA-256 of the signed file, so a
	// reader can tell "another file" from "a forged signature".
	SignedSHA256 string `json:"signed_sha256"`
	// Signature is the signature bytes, standard base64.
	Signature string `json:"signature"`
}

// Signer signs a file's bytes.
type Signer interface {
	// KeyID is what File.KeyID will say.
	KeyID() string
	// Sign returns the detached signature of message.
	Sign(ctx context.Context, message []byte) (*File, error)
}

// Verifier checks a detached signature against the one key it trusts.
type Verifier interface {
	KeyID() string
	// Verify returns nil only if sig is a valid signature of message by the
	// trusted key.
	Verify(ctx context.Context, message []byte, sig *File) error
}

// ErrInvalid is what every failed verification matches with errors.Is.
var ErrInvalid = errors.New("signature does not verify")

// ErrMissing means the file has no signature beside it.
var ErrMissing = errors.New("no signature")

// Path is the signature file of path.
func Path(path string) string { return path + Suffix }

// SignFile signs the file at path and writes Path(path); it returns the
// signature written.
func SignFile(ctx context.Context, s Signer, path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", path, err)
	}
	sig, err := s.Sign(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("signing %s with %s: %w", path, s.KeyID(), err)
	}
	out, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the signature of %s: %w", path, err)
	}
	if err := writeFile(Path(path), append(out, '\n')); err != nil {
		return nil, fmt.Errorf("writing the signature of %s: %w", path, err)
	}
	return sig, nil
}

// VerifyFile checks Path(path) against the file at path with v. It returns
// the bytes that verified, so the caller acts on exactly what was signed
// rather than re-reading a file that could change in between.
func VerifyFile(ctx context.Context, v Verifier, path string) ([]byte, *File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("verifying the signature of %s: %w", path, err)
	}
	sig, err := ReadFile(Path(path))
	if err != nil {
		return nil, nil, err
	}
	if err := v.Verify(ctx, data, sig); err != nil {
		return nil, sig, fmt.Errorf("verifying %s against %s: %w", path, Path(path), err)
	}
	return data, sig, nil
}

// ReadFile reads and checks the form of a signature file.
func ReadFile(sigPath string) (*File, error) {
	fh, err := os.Open(sigPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist; sign the file (--sign-key) or do not require a signature", ErrMissing, sigPath)
	}
	if err != nil {
		return nil, fmt.Errorf("reading signature %s: %w", sigPath, err)
	}
	defer fh.Close()
	dec := json.NewDecoder(&limitReader{r: fh, n: maxSigFile})
	dec.DisallowUnknownFields()
	var sig File
	if err := dec.Decode(&sig); err != nil {
		return nil, fmt.Errorf("%w: reading signature %s: %v; it must be the JSON object dormant writes (docs/signature.md)", ErrInvalid, sigPath, err)
	}
	if sig.Algorithm == "" || sig.KeyID == "" || sig.Signature == "" || len(sig.SignedSHA256) != 64 {
		return nil, fmt.Errorf("%w: signature %s lacks algorithm, key_id, signed_sha256 or signature", ErrInvalid, sigPath)
	}
	return &sig, nil
}

// checkCommon checks what every algorithm shares: the key, the algorithm
// and the signed file's hash; it returns the decoded signature bytes.
func checkCommon(v Verifier, alg string, message []byte, sig *File) ([]byte, error) {
	if sig == nil {
		return nil, fmt.Errorf("%w: no signature given", ErrInvalid)
	}
	if sig.KeyID != v.KeyID() {
		return nil, fmt.Errorf("%w: signed by key %s, not by the trusted key %s", ErrInvalid, sig.KeyID, v.KeyID())
	}
	if sig.Algorithm != alg {
		return nil, fmt.Errorf("%w: algorithm %q, but key %s signs with %s", ErrInvalid, sig.Algorithm, v.KeyID(), alg)
	}
	sum := sha256.Sum256(message)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(sig.SignedSHA256, got) {
		return nil, fmt.Errorf("%w: the signature is of a file with SHA-256 %s, this file's is %s: the file changed after it was signed", ErrInvalid, sig.SignedSHA256, got)
	}
	raw, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not base64: %v", ErrInvalid, err)
	}
	return raw, nil
}

func newFile(alg, keyID string, message, raw []byte) *File {
	sum := sha256.Sum256(message)
	return &File{Algorithm: alg, KeyID: keyID, SignedSHA256: hex.EncodeToString(sum[:]), Signature: base64.StdEncoding.EncodeToString(raw)}
}
