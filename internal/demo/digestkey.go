package demo

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"sync"
)

// The demo's digest signing key stands in for CloudTrail's regional key:
// the fake S3 signs the demo's digests with it when it serves them
// (x-amz-meta-signature), and the fake CloudTrail's ListPublicKeys returns
// its public half. It is a fixed test key, published here on purpose, so
// the demo and its signatures are the same on every machine; it protects
// nothing.
const digestKeyPEM = `
-----BEGIN RSA PRIVATE KEY-----
MIIEpQIBAAKCAQEA1Gfs5qNVlAmXTJt6j9JDyCZ2dZi24Wexd/j+r1b6/5tiRDX7
r+VVHJWv5fRTK2Q6uJpwy9SFpGUCKKszfZjEReYdy3uefGqPNZN20r5NRJKXym0V
3TYu6F3/3ORUbIkAzveBPD1ecXpikVYw6F/t1vTDZDQrOxuxt+a0PLQHvQgjAMQJ
5xkiVAc7rEXRRoe2ZzQjetFz/ulZZGuXrhd1CC+3QF+hTPxrHIeAJvqnvepj1V51
75MMxKZxRYWd5V+rZoKwMeJsHvSMuxJmqjyDl/r9H41KnLmdi4DGO7qNIcvX9ICl
EC+sDQj3U1FNumaldnsWnhi5mwFaB/aweyEEuQIDAQABAoIBAAXImKZFD0j7I+AF
ocY1wvu5tGMKV/x2PtpV8NVkaGw6VmgmEibddz5SgxofV35oecLaDbU3IbZyu6bQ
1pOWa829cNVAFfYsTp72V3dwkBkMZs6vvrcpyQgxuwxQOU5FQrzf92hlAWPUocd0
UduZ9Rdzzbg2RXEUFXg8825ttoI6oEL1S/ocDQGOEBCYks6Rsb/LT/pglLKodBa4
lDPy7cSurqAKE3C/f1PmryEO3MxXXVzjRZJbsHeT7n5wsPqX2RXzHunQkawEsl/N
w2i46FxyZ/lGK9IwahB9dZElQoAoxsGRkPKs5ZIXg5R+NkoiMsKawbAW5dp/VxTD
rVjBwtMCgYEA+YhTX5bXKm2/D6E9QX/A5F7eOwbiSjpfYxMqKZK4OFlzD63HrxcR
NEwKFi+7tX9YxorM9dbPOkiZ+/MdC77407MJ9Wx2MLFoft4rl9P6xrO9u2Hv4iYP
hcu/W2792kEIDKK2ciPq9b/SHPKfOlGShq0COARLuq8NIDyXawGNvasCgYEA2elC
1wOTXSpXuFJiPIz2i8/N8WRJ9gRbFn+j2ld2Oxat1Zc6ILdTkZDdYfgbmscd9VaH
GwMjGmPj/jLkmf/WI9WVukdBIAPWc8oWw5Pcu1WaqLej/lMyV1CANSGwVyYD3DKv
XrbsqmVySqHa67Gikie4qow7UqTqLCalVZ+TeysCgYEA4C2nqZMcj1O1eNdE7xlV
NFY+lQ0kM8epdpr7IApeUtGZ25YmdZjlrfQ6g6AypWZZXVXJuXtZBWXAYWgSykCx
z49j/QeKT0izNndm9qpM/ELyy+u61ZOYEn3v1rcqfPA7yQ5NltHJ/ypsG/GlN4Gd
gDziZ20ElB08T5/f8RSeQK0CgYEAueQuO8P2G1z6tee5m9PYoo5kLc+S9IbkuX2r
ZqCD4IZJRtMaKDyb0qrU4DVKPzArU1Y8LQPxFxstrHT35JOFts4GS4FrggckE2TL
JI5nl3vAUrtN77BDWo72v9x8VOu+EUM/rTm5DOc7p4UJf1TqzWmLNBoqpSbACWfy
VOerZT8CgYEAwYAO2lvP66CvY9NUkZbYg3tXoNcKsn97ixFfig5DJjru9CYHP1rT
SFwC12PFJ6vGGGUCuEmIqSNcTYpAEMzRf6pq6+hIL8x5kkHehTKYT0of0Jz4Hf2h
3mRiJUtQHLSIiYe5pKR7amExXPIYE0PXIzRRZm3WS/yTV5TAtaIIqe0=
-----END RSA PRIVATE KEY-----
`

var digestKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(digestKeyPEM))
	if block == nil {
		return nil, fmt.Errorf("decoding the demo's digest signing key: no PEM block")
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("decoding the demo's digest signing key: %w", err)
	}
	return k, nil
})

// DigestPublicKey is the demo key's public half as CloudTrail's
// ListPublicKeys returns a key: a DER-encoded PKCS #1 RSAPublicKey.
func DigestPublicKey() []byte {
	k, err := digestKey()
	if err != nil {
		panic(err) // the constant above is a valid key; TestDigestKey proves it
	}
	return x509.MarshalPKCS1PublicKey(&k.PublicKey)
}

// DigestKeyFingerprint is what the demo's digests name in
// digestPublicKeyFingerprint and ListPublicKeys returns as the key's
// Fingerprint: the hex of the first 16 bytes of the public key's SHA-256
// (AWS does not document how it derives its own 32-hex-digit fingerprints;
// only their equality matters to a validator).
func DigestKeyFingerprint() string { return digestFingerprint() }

var digestFingerprint = sync.OnceValue(func() string {
	sum := sha256.Sum256(DigestPublicKey())
	return hex.EncodeToString(sum[:16])
})

// SignDigest signs a digest file's decompressed text as CloudTrail does
// (SHA256withRSA over the data-signing string of AWS's "Custom
// implementations of CloudTrail log file integrity validation") and returns
// the hex signature S3 keeps as the digest object's x-amz-meta-signature.
func SignDigest(text []byte) (string, error) {
	var d struct {
		End     string  `json:"digestEndTime"`
		Bucket  string  `json:"digestS3Bucket"`
		Object  string  `json:"digestS3Object"`
		PrevSig *string `json:"previousDigestSignature"`
	}
	if err := json.Unmarshal(text, &d); err != nil {
		return "", fmt.Errorf("signing a digest: its text is not a digest's JSON: %w", err)
	}
	prev := "null" // as the Java implementation, and aws cloudtrail validate-logs, write a first digest's
	if d.PrevSig != nil {
		prev = *d.PrevSig
	}
	sum := sha256.Sum256(text)
	data := d.End + "\n" + d.Bucket + "/" + d.Object + "\n" + hex.EncodeToString(sum[:]) + "\n" + prev
	k, err := digestKey()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(data))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
	if err != nil {
		return "", fmt.Errorf("signing digest %s: %w", d.Object, err)
	}
	return hex.EncodeToString(sig), nil
}
