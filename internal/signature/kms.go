package signature

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// KMSPrefix marks a key spec as an AWS KMS key: kms:<key ARN, ID or alias>.
const KMSPrefix = "kms:"

// KMSAPI is the part of the KMS client signing and verifying use.
type KMSAPI interface {
	Sign(ctx context.Context, in *kms.SignInput, optFns ...func(*kms.Options)) (*kms.SignOutput, error)
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
}

// KMSKey signs with kms:Sign and verifies offline with the public key that
// kms:GetPublicKey returned, so verifying needs only kms:GetPublicKey (or
// the exported public key), never kms:Sign.
type KMSKey struct {
	api   KMSAPI
	keyID string // the key's ARN, as GetPublicKey returns it
	pub   *ecdsa.PublicKey
}

// NewKMSKey looks the key up with kms:GetPublicKey and checks that it is an
// ECC_NIST_P256 SIGN_VERIFY key that signs with ECDSA_SHA_256. ref is the
// key ARN, ID, alias name ("alias/x") or alias ARN.
func NewKMSKey(ctx context.Context, api KMSAPI, ref string) (*KMSKey, error) {
	if api == nil {
		return nil, fmt.Errorf("KMS key %s: no KMS client", ref)
	}
	if ref == "" {
		return nil, errors.New("KMS key: give kms:<key ARN or alias>")
	}
	out, err := api.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(ref)})
	if err != nil {
		return nil, fmt.Errorf("getting the public key of KMS key %s (kms:GetPublicKey): %w", ref, err)
	}
	if out.KeySpec != types.KeySpecEccNistP256 || out.KeyUsage != types.KeyUsageTypeSignVerify ||
		!slices.Contains(out.SigningAlgorithms, types.SigningAlgorithmSpecEcdsaSha256) {
		return nil, fmt.Errorf("KMS key %s is %s for %s (algorithms %v): create it with --key-spec ECC_NIST_P256 --key-usage SIGN_VERIFY, which signs with ECDSA_SHA_256",
			ref, out.KeySpec, out.KeyUsage, out.SigningAlgorithms)
	}
	k, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("parsing the public key of KMS key %s: %w", ref, err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("KMS key %s: its public key is a %T, not a P-256 ECDSA key", ref, k)
	}
	id := aws.ToString(out.KeyId)
	if id == "" {
		return nil, fmt.Errorf("KMS key %s: GetPublicKey returned no key ID", ref)
	}
	return &KMSKey{api: api, keyID: id, pub: pub}, nil
}

func (k *KMSKey) KeyID() string { return k.keyID }

// Sign asks KMS to sign the message's SHA-256 (MessageType DIGEST, so a
// large file never goes to KMS, whose RAW messages stop at 4096 bytes).
func (k *KMSKey) Sign(ctx context.Context, message []byte) (*File, error) {
	sum := sha256.Sum256(message)
	out, err := k.api.Sign(ctx, &kms.SignInput{
		KeyId: aws.String(k.keyID), Message: sum[:], MessageType: types.MessageTypeDigest,
		SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		return nil, fmt.Errorf("signing with KMS key %s (kms:Sign): %w", k.keyID, err)
	}
	if !ecdsa.VerifyASN1(k.pub, sum[:], out.Signature) {
		return nil, fmt.Errorf("KMS key %s returned a signature its own public key does not verify", k.keyID)
	}
	return newFile(AlgECDSASHA256, k.keyID, message, out.Signature), nil
}

func (k *KMSKey) Verify(_ context.Context, message []byte, sig *File) error {
	raw, err := checkCommon(k, AlgECDSASHA256, message, sig)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(message)
	if !ecdsa.VerifyASN1(k.pub, sum[:], raw) {
		return fmt.Errorf("%w: the ECDSA signature is not of this file by KMS key %s", ErrInvalid, k.keyID)
	}
	return nil
}

// IsKMS reports whether spec names a KMS key.
func IsKMS(spec string) bool { return strings.HasPrefix(spec, KMSPrefix) }

// NewSigner returns the Signer a --sign-key value names: kms:<key> (api is
// then required) or the path of a PEM Ed25519 private key.
func NewSigner(ctx context.Context, spec string, api KMSAPI) (Signer, error) {
	if IsKMS(spec) {
		return NewKMSKey(ctx, api, strings.TrimPrefix(spec, KMSPrefix))
	}
	return LoadEd25519Signer(spec)
}

// NewVerifier returns the Verifier a --trust-key value names: kms:<key>
// (api is then required) or the path of a PEM Ed25519 public key.
func NewVerifier(ctx context.Context, spec string, api KMSAPI) (Verifier, error) {
	if IsKMS(spec) {
		return NewKMSKey(ctx, api, strings.TrimPrefix(spec, KMSPrefix))
	}
	return LoadEd25519Verifier(spec)
}
