package awsfake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
)

// KMS, as much as signing needs: CreateKey (ECC_NIST_P256 SIGN_VERIFY
// keys, ECDSA_SHA_256), CreateAlias, GetPublicKey and Sign, over the JSON
// 1.1 protocol (X-Amz-Target "TrentService.<Action>"), each account with
// its own keys. Keys are made with crypto/rand: the signatures are real,
// and verify with the public key as they do against AWS.

const (
	svcKMS          = "kms"
	kmsTargetPrefix = "TrentService."
	kmsRegion       = "us-east-1"
	// kmsMaxRaw is the largest RAW message kms:Sign accepts.
	kmsMaxRaw = 4096
)

var kmsOperations = map[string]operation{
	"CreateKey":    {fn: kmsCreateKey, mutating: true},
	"CreateAlias":  {fn: kmsCreateAlias, mutating: true},
	"GetPublicKey": {fn: kmsGetPublicKey},
	"Sign":         {fn: kmsSign},
}

// jsonService reports whether svc speaks JSON 1.1 rather than Query/XML.
func jsonService(svc string) bool { return svc == svcOrgs || svc == svcKMS }

// jsonTarget maps an X-Amz-Target to its service, action and operations.
func jsonTarget(target string) (svc, action string, ops map[string]operation, ok bool) {
	switch {
	case strings.HasPrefix(target, orgsTargetPrefx):
		return svcOrgs, strings.TrimPrefix(target, orgsTargetPrefx), orgsOperations, true
	case strings.HasPrefix(target, kmsTargetPrefix):
		return svcKMS, strings.TrimPrefix(target, kmsTargetPrefix), kmsOperations, true
	}
	return svcOrgs, "", nil, false
}

// kmsKey is one asymmetric key.
type kmsKey struct {
	id, account string
	priv        *ecdsa.PrivateKey
	created     float64
	description string
}

func (k *kmsKey) arn() string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", kmsRegion, k.account, k.id)
}

// kmsStore holds every account's keys and aliases; Server.mu guards it.
type kmsStore struct {
	keys    map[string]*kmsKey // account + "/" + key ID
	aliases map[string]string  // account + "/" + alias name -> key ID
}

var kmsKeySeq atomic.Uint64

func kmsNotFound(msg string) *apiError {
	return &apiError{status: 400, code: "NotFoundException", msg: msg}
}

func kmsValidation(msg string) *apiError {
	return &apiError{status: 400, code: "ValidationException", msg: msg}
}

// kmsString reads an optional string member.
func kmsString(req *request, name string) (string, *apiError) {
	raw, ok := req.body[name]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &apiError{status: 400, code: "SerializationException", msg: name + " must be a string"}
	}
	return s, nil
}

// kmsBlob reads a blob member: JSON protocols carry blobs as base64 strings.
func kmsBlob(req *request, name string) ([]byte, *apiError) {
	raw, ok := req.body[name]
	if !ok {
		return nil, kmsValidation(fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", strings.ToLower(name[:1])+name[1:]))
	}
	var b []byte
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, &apiError{status: 400, code: "SerializationException", msg: name + " must be base64"}
	}
	return b, nil
}

// kmsResolve finds the caller's key by key ID, key ARN, alias name or alias ARN.
func kmsResolve(req *request, ref string) (*kmsKey, *apiError) {
	st := &req.s.kms
	acct := req.acct.ID
	id := ref
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.SplitN(ref, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" {
			return nil, kmsNotFound("Invalid arn " + ref)
		}
		if parts[4] != acct {
			return nil, &apiError{status: 400, code: "AccessDeniedException", msg: fmt.Sprintf("User: %s is not authorized to use key %s", req.p.arn, ref)}
		}
		id = strings.TrimPrefix(parts[5], "key/")
	}
	if strings.HasPrefix(id, "alias/") {
		kid, ok := st.aliases[acct+"/"+id]
		if !ok {
			return nil, kmsNotFound(fmt.Sprintf("Alias %s is not found.", fmt.Sprintf("arn:aws:kms:%s:%s:%s", kmsRegion, acct, id)))
		}
		id = kid
	}
	k, ok := st.keys[acct+"/"+id]
	if !ok {
		return nil, kmsNotFound(fmt.Sprintf("Key '%s' does not exist", fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", kmsRegion, acct, id)))
	}
	return k, nil
}

func (k *kmsKey) metadata() map[string]any {
	return map[string]any{
		"AWSAccountId": k.account, "KeyId": k.id, "Arn": k.arn(), "CreationDate": k.created,
		"Enabled": true, "Description": k.description, "KeyUsage": "SIGN_VERIFY", "KeyState": "Enabled",
		"Origin": "AWS_KMS", "KeyManager": "CUSTOMER", "CustomerMasterKeySpec": "ECC_NIST_P256", "KeySpec": "ECC_NIST_P256",
		"SigningAlgorithms": []string{"ECDSA_SHA_256"}, "MultiRegion": false,
	}
}

func kmsCreateKey(req *request) (any, *apiError) {
	spec, aerr := kmsString(req, "KeySpec")
	if aerr != nil {
		return nil, aerr
	}
	usage, aerr := kmsString(req, "KeyUsage")
	if aerr != nil {
		return nil, aerr
	}
	desc, aerr := kmsString(req, "Description")
	if aerr != nil {
		return nil, aerr
	}
	if spec != "ECC_NIST_P256" || usage != "SIGN_VERIFY" {
		return nil, kmsValidation(fmt.Sprintf("awsfake serves only KeySpec ECC_NIST_P256 with KeyUsage SIGN_VERIFY, not %q/%q", spec, usage))
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, &apiError{status: 500, code: "KMSInternalException", msg: err.Error()}
	}
	n := kmsKeySeq.Add(1)
	k := &kmsKey{id: fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n), account: req.acct.ID, priv: priv,
		created: float64(req.now.Unix()), description: desc}
	st := &req.s.kms
	if st.keys == nil {
		st.keys, st.aliases = map[string]*kmsKey{}, map[string]string{}
	}
	st.keys[k.account+"/"+k.id] = k
	return map[string]any{"KeyMetadata": k.metadata()}, nil
}

func kmsCreateAlias(req *request) (any, *apiError) {
	name, aerr := kmsString(req, "AliasName")
	if aerr != nil {
		return nil, aerr
	}
	target, aerr := kmsString(req, "TargetKeyId")
	if aerr != nil {
		return nil, aerr
	}
	if !strings.HasPrefix(name, "alias/") || strings.HasPrefix(name, "alias/aws/") || len(name) <= len("alias/") {
		return nil, kmsValidation("Alias must start with the prefix \"alias/\" and may not begin with alias/aws/")
	}
	k, aerr := kmsResolve(req, target)
	if aerr != nil {
		return nil, aerr
	}
	st := &req.s.kms
	if _, dup := st.aliases[req.acct.ID+"/"+name]; dup {
		return nil, &apiError{status: 400, code: "AlreadyExistsException", msg: fmt.Sprintf("An alias with the name arn:aws:kms:%s:%s:%s already exists", kmsRegion, req.acct.ID, name)}
	}
	st.aliases[req.acct.ID+"/"+name] = k.id
	return nil, nil
}

func kmsGetPublicKey(req *request) (any, *apiError) {
	ref, aerr := kmsString(req, "KeyId")
	if aerr != nil {
		return nil, aerr
	}
	k, aerr := kmsResolve(req, ref)
	if aerr != nil {
		return nil, aerr
	}
	der, err := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	if err != nil {
		return nil, &apiError{status: 500, code: "KMSInternalException", msg: err.Error()}
	}
	return map[string]any{
		"KeyId": k.arn(), "PublicKey": der, "KeySpec": "ECC_NIST_P256", "CustomerMasterKeySpec": "ECC_NIST_P256",
		"KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": []string{"ECDSA_SHA_256"},
	}, nil
}

func kmsSign(req *request) (any, *apiError) {
	ref, aerr := kmsString(req, "KeyId")
	if aerr != nil {
		return nil, aerr
	}
	k, aerr := kmsResolve(req, ref)
	if aerr != nil {
		return nil, aerr
	}
	msg, aerr := kmsBlob(req, "Message")
	if aerr != nil {
		return nil, aerr
	}
	alg, aerr := kmsString(req, "SigningAlgorithm")
	if aerr != nil {
		return nil, aerr
	}
	if alg != "ECDSA_SHA_256" {
		return nil, &apiError{status: 400, code: "InvalidKeyUsageException", msg: fmt.Sprintf("Signing algorithm %q is not valid for key %s, which supports ECDSA_SHA_256", alg, k.arn())}
	}
	typ, aerr := kmsString(req, "MessageType")
	if aerr != nil {
		return nil, aerr
	}
	var digest []byte
	switch typ {
	case "", "RAW":
		if len(msg) > kmsMaxRaw {
			return nil, kmsValidation(fmt.Sprintf("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to %d", kmsMaxRaw))
		}
		sum := sha256.Sum256(msg)
		digest = sum[:]
	case "DIGEST":
		if len(msg) != sha256.Size {
			return nil, kmsValidation(fmt.Sprintf("Digest is invalid length for algorithm ECDSA_SHA_256: %d bytes, want %d", len(msg), sha256.Size))
		}
		digest = msg
	default:
		return nil, kmsValidation(fmt.Sprintf("MessageType %q: use RAW or DIGEST", typ))
	}
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest)
	if err != nil {
		return nil, &apiError{status: 500, code: "KMSInternalException", msg: err.Error()}
	}
	return map[string]any{"KeyId": k.arn(), "Signature": sig, "SigningAlgorithm": alg}, nil
}
