package codesearch

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/coregx/ahocorasick"
)

// Candidate is one IAM user to look for.
type Candidate struct {
	AccountID    string   // 12 digits, compared with an ARN's account
	UserName     string   // required
	UserID       string   // unique ID (AIDA...), optional
	AccessKeyIDs []string // optional
	ARN          string   // optional, carried to the reference rows (Reference), not matched
}

// Kind says how a hit names its candidate.
type Kind string

const (
	KindARN         Kind = "arn"           // arn:PARTITION:iam::ACCOUNT:user/PATH/NAME
	KindUserPath    Kind = "user-path"     // user/PATH/NAME without a recognisable ARN before it
	KindName        Kind = "name"          // the name as a whole token
	KindUniqueID    Kind = "unique-id"     // AIDA...
	KindAccessKeyID Kind = "access-key-id" // AKIA..., ASIA...
)

// target is what one automaton pattern stands for: several candidates may
// share a name (one per account) and so a pattern.
type target struct {
	cand int
	kind Kind // KindName, KindUniqueID or KindAccessKeyID before classification
}

// matcher is the compiled pattern set, shared read-only by the workers.
type matcher struct {
	cands   []Candidate
	ac      *ahocorasick.Automaton
	targets [][]target // by pattern ID
	maxLen  int
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-'
}

// glues reports whether c, touching a name, makes it part of a longer name.
func glues(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '+' || c == '@' || c == '-'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func validID(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func validAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// compile validates the candidates and builds one automaton over all their
// patterns, folded to lower case.
func compile(cands []Candidate) (*matcher, error) {
	if len(cands) == 0 {
		return nil, fmt.Errorf("compiling the search patterns: no candidates; give at least one user to look for")
	}
	m := &matcher{cands: cands}
	ids := map[string]int{}
	var pats []string
	add := func(p string, t target) {
		p = strings.ToLower(p)
		id, ok := ids[p]
		if !ok {
			id = len(pats)
			ids[p] = id
			pats = append(pats, p)
			m.targets = append(m.targets, nil)
			m.maxLen = max(m.maxLen, len(p))
		}
		m.targets[id] = append(m.targets[id], t)
	}
	for i, c := range cands {
		if !validAccount(c.AccountID) {
			return nil, fmt.Errorf("compiling the search patterns: candidate %d (%q) has account ID %q; give the 12-digit account that owns the user", i, c.UserName, c.AccountID)
		}
		if !validName(c.UserName) {
			return nil, fmt.Errorf("compiling the search patterns: candidate %d in account %s has user name %q, which is not an IAM user name (1 to 64 of [A-Za-z0-9_+=,.@-])", i, c.AccountID, c.UserName)
		}
		add(c.UserName, target{i, KindName})
		if c.UserID != "" {
			if !validID(c.UserID) {
				return nil, fmt.Errorf("compiling the search patterns: user %s in account %s has unique ID %q, which is not an IAM unique ID (16 or more letters and digits)", c.UserName, c.AccountID, c.UserID)
			}
			add(c.UserID, target{i, KindUniqueID})
		}
		for _, k := range c.AccessKeyIDs {
			if !validID(k) {
				return nil, fmt.Errorf("compiling the search patterns: user %s in account %s has access key ID %q, which is not an access key ID (16 or more letters and digits)", c.UserName, c.AccountID, k)
			}
			add(k, target{i, KindAccessKeyID})
		}
	}
	ac, err := ahocorasick.NewBuilder().AddStrings(pats).Build()
	if err != nil {
		return nil, fmt.Errorf("compiling %d search patterns: %w", len(pats), err)
	}
	m.ac = ac
	return m, nil
}

// Patterns returns the distinct lower-case literals the automaton searches
// for, one per line, in the form `rg -F -i -f` reads (for the benchmark).
func Patterns(cands []Candidate) ([]string, error) {
	m, err := compile(cands)
	if err != nil {
		return nil, err
	}
	out := make([]string, m.ac.PatternCount())
	for i := range out {
		out[i] = string(m.ac.Pattern(i))
	}
	return out, nil
}

// lookback is how far before a name classification looks: "arn:aws-us-gov:iam::"
// plus an account (or a variable standing for one) plus ":user" and an IAM
// path of up to 512 characters.
const lookback = 640

// lookahead is how many bytes after a name the boundary rule reads.
const lookahead = 2

// nameBoundary reports whether the name at data[s:e] stands alone; data
// starts at the file's start or at least lookback bytes before s, and ends at
// the file's end or at least lookahead bytes after e.
func nameBoundary(data []byte, s, e int) bool {
	if s > 0 {
		c := data[s-1]
		if glues(c) || c == '.' {
			return false
		}
	}
	if e < len(data) {
		c := data[e]
		if glues(c) {
			return false
		}
		if c == '.' && e+1 < len(data) && glues(data[e+1]) {
			return false
		}
	}
	return true
}

// classify decides how the whole-token name at data[s:e] names candidate c:
// KindARN or KindUserPath from what precedes it, KindName otherwise. It
// returns the start of the matched text and false when the name sits in an
// ARN of another account.
func classify(data []byte, s, e int, c *Candidate) (Kind, int, bool) {
	if s == 0 || data[s-1] != '/' || (e < len(data) && data[e] == '/') {
		return KindName, s, true
	}
	lo := max(0, s-lookback)
	// The path: characters an IAM path may hold, back to "user/".
	k := s
	for k > lo && (isNameByte(data[k-1]) || data[k-1] == '/') {
		k--
	}
	seg := data[k:s]
	if !bytes.HasPrefix(seg, []byte("user/")) {
		return KindName, s, true
	}
	if k == 0 || data[k-1] != ':' {
		return KindUserPath, k, true
	}
	win := data[max(lo, k-128) : k-1]
	a := bytes.LastIndex(win, []byte("arn:"))
	if a < 0 {
		return KindUserPath, k, true
	}
	// arn:PARTITION:iam::ACCOUNT
	// (the partition and account may be variables such as ${AWS::Partition})
	rest := win[a+len("arn:"):]
	p := bytes.Index(rest, []byte(":iam::"))
	if p < 1 {
		return KindUserPath, k, true
	}
	acct := rest[p+len(":iam::"):]
	if bytes.ContainsAny(rest, " \t\r\n\"'`<>") {
		return KindUserPath, k, true
	}
	start := max(lo, k-128) + a
	if validAccount(string(acct)) && string(acct) != c.AccountID {
		return KindARN, start, false
	}
	return KindARN, start, true
}
