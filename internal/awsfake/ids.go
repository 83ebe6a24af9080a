package awsfake

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"
)

// detached numbers the ID generators of accounts built outside an Org, so
// their IDs cannot collide with each other.
var detached atomic.Uint64

func detachedSeq() uint64 { return detached.Add(1) << 40 }

// nextID returns prefix followed by n characters of [A-Z2-7], derived from
// the Org's sequence so that the same building steps give the same IDs (and
// golden files stay stable), and distinct calls never collide.
func (o *Org) nextID(prefix string, n int) string {
	o.seq++
	h := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", o.ManagementAccountID, prefix, o.seq))
	s := base32.StdEncoding.EncodeToString(h[:])
	for len(s) < n {
		s += s
	}
	return prefix + s[:n]
}

// nextSecret returns a 40-character secret access key.
func (o *Org) nextSecret() string {
	o.seq++
	h := sha256.Sum256(fmt.Appendf(nil, "secret/%s/%d", o.ManagementAccountID, o.seq))
	return base64.StdEncoding.EncodeToString(h[:])[:40]
}

// nextToken returns an opaque session token.
func (o *Org) nextToken() string {
	o.seq++
	var b strings.Builder
	for i := 0; i < 4; i++ {
		h := sha256.Sum256(fmt.Appendf(nil, "token/%s/%d/%d", o.ManagementAccountID, o.seq, i))
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
	}
	return "IQoJb3JpZ2luX2Vj" + strings.TrimRight(b.String(), "=")
}

// defaultOrgID derives an organization ID (o- and 10 lowercase characters)
// from the management account.
func defaultOrgID(managementAccountID string) string {
	h := sha256.Sum256([]byte("org/" + managementAccountID))
	return "o-" + strings.ToLower(base32.StdEncoding.EncodeToString(h[:]))[:10]
}
