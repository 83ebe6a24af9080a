package references

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dormant-iam/dormant/tables"
)

// Pattern tokens: literal bytes are 0..255, wildcards are negative, so that
// ${*} and ${?} (the literal characters) stay apart from the wildcards.
const (
	tokStar int16 = -1
	tokAny  int16 = -2
)

type pattern []int16

func (p pattern) hasWildcard() bool {
	return slices.ContainsFunc(p, func(t int16) bool { return t < 0 })
}

// onlyWildcards reports whether p matches every string of some length or
// more: such a pattern names everyone, not anyone.
func (p pattern) onlyWildcards() bool {
	return !slices.ContainsFunc(p, func(t int16) bool { return t >= 0 })
}

// literal renders p with wildcards as themselves (for exact lookups, where the
// caller knows p has none, or where * and ? are not wildcards).
func (p pattern) literal() string {
	b := make([]byte, len(p))
	for i, t := range p {
		switch t {
		case tokStar:
			b[i] = '*'
		case tokAny:
			b[i] = '?'
		default:
			b[i] = byte(t)
		}
	}
	return string(b)
}

// prefix is the literal text before the first wildcard.
func (p pattern) prefix() string {
	i := slices.IndexFunc(p, func(t int16) bool { return t < 0 })
	if i < 0 {
		i = len(p)
	}
	return pattern(p[:i]).literal()
}

// match is IAM's glob: * any run of characters (including '/'), ? exactly one.
// Greedy with one backtrack point, linear in practice.
func (p pattern) match(s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) && (p[pi] == tokAny || (p[pi] >= 0 && byte(p[pi]) == s[si])) {
			pi++
			si++
			continue
		}
		if pi < len(p) && p[pi] == tokStar {
			star, mark = pi, si
			pi++
			continue
		}
		if star >= 0 {
			pi = star + 1
			mark++
			si = mark
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == tokStar {
		pi++
	}
	return pi == len(p)
}

func lowerPattern(p pattern) pattern {
	out := make(pattern, len(p))
	for i, t := range p {
		if t >= 'A' && t <= 'Z' {
			t += 'a' - 'A'
		}
		out[i] = t
	}
	return out
}

// parseValue turns a policy value into a pattern. ${*}, ${?} and ${$} are
// IAM's escapes for the literal characters; any other ${...} is a policy
// variable, resolved per request, so the value names no user in particular
// (ok is false). With wild false, * and ? are literal characters.
func parseValue(v string, wild bool) (p pattern, ok bool) {
	p = make(pattern, 0, len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '$' && i+1 < len(v) && v[i+1] == '{' {
			end := strings.IndexByte(v[i+2:], '}')
			if end >= 0 {
				inner := v[i+2 : i+2+end]
				switch inner {
				case "*", "?", "$":
					p = append(p, int16(inner[0]))
					i += 2 + end
					continue
				default:
					return nil, false
				}
			}
		}
		switch {
		case wild && c == '*':
			p = append(p, tokStar)
		case wild && c == '?':
			p = append(p, tokAny)
		default:
			p = append(p, int16(c))
		}
	}
	return p, true
}

// uniqueIDOf extracts an IAM unique ID (AIDA... for users, AROA... for roles)
// from a value that is the ID alone or the ID before a colon, as aws:userid
// carries it for roles ("AROA...:session").
func uniqueIDOf(v string) (id string, ok bool) {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[:i]
	}
	if len(v) < 16 || len(v) > 128 || (!strings.HasPrefix(v, "AIDA") && !strings.HasPrefix(v, "AROA")) {
		return "", false
	}
	for i := 4; i < len(v); i++ {
		c := v[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return "", false
		}
	}
	return v, true
}

// userARN is a user's ARN in its six fields; resource is "user/PATH/NAME".
type userARN struct {
	fields [6]string
}

func parseUserARN(arn string) (userARN, bool) {
	var u userARN
	rest := arn
	for i := range 5 {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return u, false
		}
		u.fields[i], rest = rest[:j], rest[j+1:]
	}
	u.fields[5] = rest
	ok := u.fields[0] == "arn" && u.fields[1] != "" && u.fields[2] == "iam" && u.fields[3] == "" &&
		u.fields[4] != "" && strings.HasPrefix(u.fields[5], "user/")
	return u, ok
}

// entry is what the index keeps of a user: what a Reference repeats.
type entry struct {
	account, name, id, arn string
	fields                 userARN
}

// account holds one account's users, sorted for prefix searches.
type account struct {
	byResource []int32 // sorted by the ARN's resource field (user/PATH/NAME)
	byName     []int32 // sorted by user name
}

type nameKey struct{ account, name string }

// index finds users by ARN, unique ID, name and pattern. Entries are sorted
// by account, name and ARN, so an entry's position is its rank in the output
// order. Pattern results are cached: the same few patterns recur across
// thousands of policies.
type index struct {
	users    []entry
	byARN    map[string][]int32
	byLower  map[string][]int32 // lower-cased ARN, for IgnoreCase operators; built on first use
	byID     map[string][]int32
	byName   map[nameKey][]int32
	accounts map[string]*account
	ids      []string // account IDs, sorted
	cache    map[string][]int32
}

// newIndex indexes every non-root user. A user row without a proper IAM user
// ARN is an error: its references could not be matched.
func newIndex(users []tables.User) (*index, error) {
	ix := &index{
		users:    make([]entry, 0, len(users)),
		byARN:    make(map[string][]int32, len(users)),
		byID:     make(map[string][]int32, len(users)),
		byName:   make(map[nameKey][]int32, len(users)),
		accounts: map[string]*account{},
		cache:    map[string][]int32{},
	}
	for i := range users {
		u := &users[i]
		if u.IsRoot {
			continue
		}
		a, ok := parseUserARN(u.ARN)
		if !ok {
			return nil, fmt.Errorf("indexing users: user %q in account %s has ARN %q, which is not an IAM user ARN (arn:PARTITION:iam::ACCOUNT:user/PATH/NAME); fix the inventory", u.UserName, u.AccountID, u.ARN)
		}
		if u.AccountID != "" && u.AccountID != a.fields[4] {
			return nil, fmt.Errorf("indexing users: user %q has account_id %s but ARN %s names account %s; fix the inventory", u.UserName, u.AccountID, u.ARN, a.fields[4])
		}
		ix.users = append(ix.users, entry{account: a.fields[4], name: u.UserName, id: u.UserID, arn: u.ARN, fields: a})
	}
	slices.SortFunc(ix.users, func(a, b entry) int {
		return cmp.Or(strings.Compare(a.account, b.account), strings.Compare(a.name, b.name),
			strings.Compare(a.arn, b.arn), strings.Compare(a.id, b.id))
	})
	for n := range ix.users {
		e, i := &ix.users[n], int32(n)
		ix.byARN[e.arn] = append(ix.byARN[e.arn], i)
		if e.id != "" {
			ix.byID[e.id] = append(ix.byID[e.id], i)
		}
		k := nameKey{e.account, e.name}
		ix.byName[k] = append(ix.byName[k], i)
		acc := ix.accounts[e.account]
		if acc == nil {
			acc = &account{}
			ix.accounts[e.account] = acc
			ix.ids = append(ix.ids, e.account)
		}
		acc.byResource = append(acc.byResource, i)
		acc.byName = append(acc.byName, i) // already in name order
	}
	for _, acc := range ix.accounts {
		slices.SortFunc(acc.byResource, func(a, b int32) int {
			return strings.Compare(ix.users[a].fields.fields[5], ix.users[b].fields.fields[5])
		})
	}
	return ix, nil
}

// valueContext is what decides how a value is compared: wildcards on or off,
// case folded or not, and for aws:username the account the policy is in.
type valueContext struct {
	wild, fold    bool
	userName      bool   // the value is a user name (condition key aws:username)
	policyAccount string // for user names: only this account's users
}

// contextFor derives the comparison rules from the element and, for
// conditions, the operator and key.
func contextFor(s site, policyAccount string) valueContext {
	if s.element != elemCondition {
		return valueContext{wild: true}
	}
	op := strings.TrimPrefix(strings.TrimPrefix(s.op, "ForAnyValue:"), "ForAllValues:")
	op = strings.TrimSuffix(op, "IfExists")
	c := valueContext{wild: true}
	if strings.HasPrefix(op, "String") && !strings.Contains(op, "Like") {
		c.wild = false // StringEquals and kin compare literally
	}
	c.fold = strings.Contains(op, "IgnoreCase")
	if strings.EqualFold(s.key, "aws:username") {
		c.userName, c.policyAccount = true, policyAccount
	}
	return c
}

// match returns the users value names, in index order. The slice may be
// shared with the cache: callers must not modify it.
func (ix *index) match(v string, c valueContext) []int32 {
	if v == "" || v == "*" {
		return nil
	}
	if id, ok := uniqueIDOf(v); ok {
		return ix.byID[id]
	}
	p, ok := parseValue(v, c.wild)
	if !ok {
		return nil // a policy variable
	}
	if len(v) >= 4 && strings.EqualFold(v[:4], "arn:") {
		if !p.hasWildcard() {
			if c.fold {
				return ix.lowerARN(strings.ToLower(p.literal()))
			}
			return ix.byARN[p.literal()]
		}
		return ix.cached("arn", v, c, func() []int32 { return ix.matchARNPattern(p, c.fold) })
	}
	if c.userName && c.policyAccount != "" {
		if !p.hasWildcard() && !c.fold {
			return ix.byName[nameKey{c.policyAccount, p.literal()}]
		}
		return ix.cached("name", v, c, func() []int32 { return ix.matchNamePattern(p, c.policyAccount, c.fold) })
	}
	return nil
}

func (ix *index) cached(kind, v string, c valueContext, compute func() []int32) []int32 {
	key := fmt.Sprintf("%s\x00%t\x00%t\x00%s\x00%s", kind, c.wild, c.fold, c.policyAccount, v)
	if r, ok := ix.cache[key]; ok {
		return r
	}
	r := compute()
	ix.cache[key] = r
	return r
}

func (ix *index) lowerARN(arn string) []int32 {
	if ix.byLower == nil {
		ix.byLower = make(map[string][]int32, len(ix.users))
		for i, u := range ix.users {
			k := strings.ToLower(u.arn)
			ix.byLower[k] = append(ix.byLower[k], int32(i))
		}
	}
	return ix.byLower[arn]
}

// splitFields splits an ARN pattern at its literal colons.
func splitFields(p pattern) []pattern {
	var out []pattern
	start := 0
	for i, t := range p {
		if t == ':' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

func joinFields(fs []pattern) pattern {
	var out pattern
	for i, f := range fs {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, f...)
	}
	return out
}

// arnMatcher is an ARN pattern compiled for matching user ARNs.
type arnMatcher struct {
	// head matches the first len(head) fields one to one; tail matches the
	// rest of the ARN joined with colons (the resource, or, when the pattern
	// is short and ends in *, everything its last field spans).
	head []pattern
	tail pattern
}

func (m arnMatcher) match(u *userARN, fold bool) bool {
	for i, f := range m.head {
		s := u.fields[i]
		if fold {
			s = strings.ToLower(s)
		}
		if !f.match(s) {
			return false
		}
	}
	rest := strings.Join(u.fields[len(m.head):], ":")
	if fold {
		rest = strings.ToLower(rest)
	}
	return m.tail.match(rest)
}

// matchARNPattern finds the users an ARN pattern with wildcards matches.
// Wildcards work within each colon-separated field; a * that ends the
// pattern spans the fields after it, as IAM documents for resource ARNs.
func (ix *index) matchARNPattern(p pattern, fold bool) []int32 {
	if fold {
		p = lowerPattern(p)
	}
	fields := splitFields(p)
	if len(fields) < 3 || fields[2].hasWildcard() {
		return nil // arn:* or a wildcard service: names everything, not a user
	}
	if fields[2].literal() != "iam" {
		return nil
	}
	var m arnMatcher
	if len(fields) >= 6 {
		m = arnMatcher{head: fields[:5], tail: joinFields(fields[5:])}
	} else {
		last := fields[len(fields)-1]
		if len(last) == 0 || last[len(last)-1] != tokStar {
			return nil // too few fields to be a user ARN
		}
		m = arnMatcher{head: fields[:len(fields)-1], tail: last}
	}
	if m.tail.onlyWildcards() {
		return nil // every IAM resource in the account(s): names no user in particular
	}

	var accounts []string
	if len(fields) >= 6 && !fields[4].hasWildcard() {
		accounts = []string{fields[4].literal()}
		if fold {
			accounts = nil
			for _, id := range ix.ids {
				if strings.ToLower(id) == fields[4].literal() {
					accounts = append(accounts, id)
				}
			}
		}
	} else {
		accounts = ix.ids
	}
	var out []int32
	for _, id := range accounts {
		acc := ix.accounts[id]
		if acc == nil {
			continue
		}
		candidates := acc.byResource
		if len(fields) >= 6 && !fold {
			candidates = prefixRange(candidates, m.tail.prefix(), func(i int32) string { return ix.users[i].fields.fields[5] })
		}
		for _, i := range candidates {
			if m.match(&ix.users[i].fields, fold) {
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	return out
}

// matchNamePattern finds the users of one account whose name a pattern
// matches (aws:username under a Like operator, or IgnoreCase).
func (ix *index) matchNamePattern(p pattern, accountID string, fold bool) []int32 {
	if p.onlyWildcards() {
		return nil // everyone
	}
	acc := ix.accounts[accountID]
	if acc == nil {
		return nil
	}
	candidates := acc.byName
	if fold {
		p = lowerPattern(p)
	} else {
		candidates = prefixRange(candidates, p.prefix(), func(i int32) string { return ix.users[i].name })
	}
	var out []int32
	for _, i := range candidates {
		name := ix.users[i].name
		if fold {
			name = strings.ToLower(name)
		}
		if p.match(name) {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

// prefixRange narrows a slice sorted by key to the entries whose key starts
// with prefix.
func prefixRange(sorted []int32, prefix string, key func(int32) string) []int32 {
	if prefix == "" {
		return sorted
	}
	lo := sort.Search(len(sorted), func(j int) bool { return key(sorted[j]) >= prefix })
	hi := lo + sort.Search(len(sorted)-lo, func(j int) bool { return !strings.HasPrefix(key(sorted[lo+j]), prefix) })
	return sorted[lo:hi]
}
