package awsfake

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

func TestKMSSignAndGetPublicKey(t *testing.T) {
	ctx := context.Background()
	org := NewOrg("111111111111")
	org.AddAccount("222222222222")
	srv := New(org)
	defer srv.Close()
	c := srv.KMSClient(org.CallerCredentials())

	created, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify, Description: aws.String("review")})
	if err != nil {
		t.Fatal(err)
	}
	md := created.KeyMetadata
	if md.KeySpec != types.KeySpecEccNistP256 || aws.ToString(md.Arn) != "arn:aws:kms:us-east-1:111111111111:key/"+aws.ToString(md.KeyId) {
		t.Fatalf("key metadata %+v", md)
	}
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/dormant-review"), TargetKeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{aws.ToString(md.KeyId), aws.ToString(md.Arn), "alias/dormant-review", "arn:aws:kms:us-east-1:111111111111:alias/dormant-review"} {
		pk, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(ref)})
		if err != nil {
			t.Fatalf("GetPublicKey(%s): %v", ref, err)
		}
		if aws.ToString(pk.KeyId) != aws.ToString(md.Arn) || len(pk.SigningAlgorithms) != 1 || pk.SigningAlgorithms[0] != types.SigningAlgorithmSpecEcdsaSha256 {
			t.Errorf("GetPublicKey(%s) = %+v", ref, pk)
		}
		pub, err := x509.ParsePKIXPublicKey(pk.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("SHA256SUMS contents"))
		signed, err := c.Sign(ctx, &kms.SignInput{KeyId: aws.String(ref), Message: sum[:], MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
		if err != nil {
			t.Fatal(err)
		}
		if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), sum[:], signed.Signature) {
			t.Errorf("Sign(%s): the signature does not verify with GetPublicKey's key", ref)
		}
	}
	// Wrong digest length, unknown key, another account's key.
	var ve smithy.APIError
	if _, err := c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: []byte("short"), MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256}); !errors.As(err, &ve) || ve.ErrorCode() != "ValidationException" {
		t.Errorf("a 5-byte digest: %v", err)
	}
	var nf *types.NotFoundException
	if _, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String("alias/nope")}); !errors.As(err, &nf) {
		t.Errorf("unknown alias: %v", err)
	}
	if _, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecSymmetricDefault}); !errors.As(err, &ve) || ve.ErrorCode() != "ValidationException" {
		t.Errorf("a symmetric key: %v", err)
	}
}
