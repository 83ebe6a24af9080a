package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/dormant-iam/dormant/internal/awssession"
	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/reports/manifest"
)

// keyHelp is what --sign-key and --trust-key accept.
const (
	signKeyHelp  = "sign with this key: a PEM Ed25519 private key (openssl genpkey -algorithm ed25519) or kms:<key ARN or alias> (an ECC_NIST_P256 SIGN_VERIFY key; needs kms:Sign and kms:GetPublicKey)"
	trustKeyHelp = "trust only signatures by this key: a PEM Ed25519 public key (openssl pkey -pubout) or kms:<key ARN or alias> (needs kms:GetPublicKey)"
)

// awsKeyAccess is how a kms: key is reached: the command's AWS settings.
type awsKeyAccess struct{ profile, region, endpointURL string }

// kmsClient returns a KMS client only for a kms: spec, so a local key never
// needs AWS credentials.
func (a awsKeyAccess) kmsClient(ctx context.Context, spec string) (signature.KMSAPI, error) {
	if !signature.IsKMS(spec) {
		return nil, nil
	}
	cfg, err := awssession.Load(ctx, awssession.Settings{Profile: a.profile, Region: a.region, EndpointURL: a.endpointURL})
	if err != nil {
		return nil, fmt.Errorf("reaching KMS for key %s: %w", spec, err)
	}
	return kms.NewFromConfig(cfg), nil
}

// signer builds the --sign-key Signer; nil when spec is empty.
func (a awsKeyAccess) signer(ctx context.Context, spec string) (signature.Signer, error) {
	if spec == "" {
		return nil, nil
	}
	api, err := a.kmsClient(ctx, spec)
	if err != nil {
		return nil, err
	}
	s, err := signature.NewSigner(ctx, spec, api)
	if err != nil {
		return nil, usageError{fmt.Errorf("--sign-key %s: %w", spec, err)}
	}
	return s, nil
}

// verifier builds the --trust-key Verifier; nil when spec is empty.
func (a awsKeyAccess) verifier(ctx context.Context, spec string) (signature.Verifier, error) {
	if spec == "" {
		return nil, nil
	}
	api, err := a.kmsClient(ctx, spec)
	if err != nil {
		return nil, err
	}
	v, err := signature.NewVerifier(ctx, spec, api)
	if err != nil {
		return nil, usageError{fmt.Errorf("--trust-key %s: %w", spec, err)}
	}
	return v, nil
}

// checkSignatures adds to v what --trust-key checks: SHA256SUMS.sig, and a
// reviewed manifest's signature and digests.
func checkSignatures(ctx context.Context, v *pipeline.Verification, trust signature.Verifier, manifestPath string) {
	sums := filepath.Join(v.Dir, pipeline.SumsFile)
	if _, _, err := signature.VerifyFile(ctx, trust, sums); err != nil {
		v.Problems = append(v.Problems, err.Error())
	} else {
		v.Checked = append(v.Checked, pipeline.SumsFile+" signed by "+trust.KeyID())
	}
	if manifestPath == "" {
		return
	}
	data, _, err := signature.VerifyFile(ctx, trust, manifestPath)
	if err != nil {
		v.Problems = append(v.Problems, err.Error())
		return
	}
	m, err := manifest.Parse(data)
	if err == nil {
		err = m.Verify()
	}
	if err != nil {
		v.Problems = append(v.Problems, fmt.Sprintf("manifest %s: %v", manifestPath, err))
		return
	}
	v.Checked = append(v.Checked, fmt.Sprintf("manifest %s signed by %s, its digests match", manifestPath, trust.KeyID()))
}
