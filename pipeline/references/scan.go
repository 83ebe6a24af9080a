package references

import (
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// Scan finds every place in the given policy documents that names one of the
// users. users is the inventory (or the candidates only); root rows are
// skipped. policies are the documents of the authorization details. Every
// document is parsed, non-default managed versions included, so that a
// mangled export fails here with the policy named; references come only from
// documents in force. The result is in SortReferences' order, without
// duplicates.
func Scan(users []tables.User, policies []tables.Policy) ([]tables.Reference, error) {
	ix, err := newIndex(users)
	if err != nil {
		return nil, err
	}
	// A hit's user is a rank in the output order, so sorting hits needs
	// string comparisons only between references to the same user.
	type hit struct {
		user                       int32
		kind, resource, loc, match string
	}
	var hits []hit
	for pi := range policies {
		p := &policies[pi]
		kind, ok := policyKinds[p.Kind]
		if !ok {
			return nil, fmt.Errorf("scanning %s: unknown policy kind %q (expected role_trust, role_inline, group_inline, user_inline or managed)", describe(*p), p.Kind)
		}
		if p.OwnerARN == "" {
			return nil, fmt.Errorf("scanning %s in account %s: the policy has no owner ARN; fix the inventory", kind, p.AccountID)
		}
		inForce := p.Kind != "managed" || p.IsDefault
		policyAccount := p.AccountID
		if policyAccount == "" {
			policyAccount = accountOfARN(p.OwnerARN)
		}
		// A user's own inline policy goes away with the user: it is no
		// reference to that user, whatever it names.
		self := ""
		if p.Kind == "user_inline" {
			self = p.OwnerARN
		}
		err := walkDocument(p.Document, func(s site, v string) {
			if !inForce {
				return
			}
			matched := ix.match(v, contextFor(s, policyAccount))
			if len(matched) == 0 {
				return
			}
			loc := location(s, qualifier(*p, s.statement))
			for _, u := range matched {
				if self != "" && ix.users[u].arn == self {
					continue
				}
				hits = append(hits, hit{user: u, kind: kind, resource: p.OwnerARN, loc: loc, match: v})
			}
		})
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w; the document must be the policy JSON as the authorization details hold it", describe(*p), err)
		}
	}

	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(
			cmp.Compare(a.user, b.user),
			strings.Compare(a.kind, b.kind),
			strings.Compare(a.resource, b.resource),
			strings.Compare(a.loc, b.loc),
			strings.Compare(a.match, b.match),
		)
	})
	refs := make([]tables.Reference, 0, len(hits))
	for _, h := range hits {
		u := &ix.users[h.user]
		r := tables.Reference{
			AccountID:   u.account,
			UserName:    u.name,
			UserID:      u.id,
			UserARN:     u.arn,
			Kind:        h.kind,
			ResourceARN: h.resource,
			Location:    h.loc,
			Match:       h.match,
		}
		if n := len(refs); n > 0 && refs[n-1] == r {
			continue // the same value twice in one place, or a policy given twice
		}
		refs = append(refs, r)
	}
	return refs, nil
}

// SortReferences puts references in the order every output uses (Scan's
// too): by the user's account, user name, user ARN and unique ID, then kind,
// resource ARN, region, location and match.
func SortReferences(refs []tables.Reference) {
	slices.SortFunc(refs, func(a, b tables.Reference) int {
		return cmp.Or(
			strings.Compare(a.AccountID, b.AccountID),
			strings.Compare(a.UserName, b.UserName),
			strings.Compare(a.UserARN, b.UserARN),
			strings.Compare(a.UserID, b.UserID),
			strings.Compare(a.Kind, b.Kind),
			strings.Compare(a.ResourceARN, b.ResourceARN),
			strings.Compare(a.Region, b.Region),
			strings.Compare(a.Location, b.Location),
			strings.Compare(a.Match, b.Match),
		)
	})
}

// Orphan is a unique ID left in a policy by a principal that no longer exists
// (package record holds the run's vocabulary).
type Orphan = record.Orphan

// Orphans reports bare unique IDs in policies that match no existing
// principal. A user ID (AIDA...) is an orphan wherever it appears when no
// user in users has it: pass the whole inventory, not only the candidates. A
// role ID (AROA...) is an orphan in Principal and NotPrincipal: IAM shows an
// existing role there by its ARN, so a bare role ID means the role was
// deleted. Elsewhere (an aws:userid condition, which keeps what was written)
// a role ID cannot be checked, because the inventory holds no role IDs, and
// is not reported. Every managed policy version is searched, default or not.
// Documents that cannot be parsed are skipped with a warning: Scan, which
// runs over the same documents, fails on them with the policy named.
func Orphans(users []tables.User, policies []tables.Policy) []Orphan {
	known := KnownUserIDs(users)
	var out []Orphan
	for _, p := range policies {
		kind, ok := policyKinds[p.Kind]
		if !ok {
			kind = p.Kind
		}
		account := p.AccountID
		if account == "" {
			account = accountOfARN(p.OwnerARN)
		}
		err := walkOrphans(p.Document, known, func(s site, id string) {
			out = append(out, Orphan{
				AccountID:   account,
				Kind:        kind,
				ResourceARN: p.OwnerARN,
				Location:    location(s, qualifier(p, s.statement)),
				UniqueID:    id,
			})
		})
		if err != nil {
			slog.Warn("skipping a policy document that cannot be parsed while looking for orphaned IDs",
				"policy", describe(p), "account", account, "error", err)
		}
	}
	SortOrphans(out)
	return slices.Compact(out)
}

// SortOrphans puts orphans in the order every output uses: by account, kind,
// resource ARN, location and unique ID.
func SortOrphans(orphans []Orphan) {
	slices.SortFunc(orphans, func(a, b Orphan) int {
		return cmp.Or(
			strings.Compare(a.AccountID, b.AccountID),
			strings.Compare(a.Kind, b.Kind),
			strings.Compare(a.ResourceARN, b.ResourceARN),
			strings.Compare(a.Location, b.Location),
			strings.Compare(a.UniqueID, b.UniqueID),
		)
	})
}

// KnownUserIDs is the set of unique IDs of the users, the existing principals
// Orphans and PolicyOrphans compare IDs with.
func KnownUserIDs(users []tables.User) map[string]bool {
	known := make(map[string]bool, len(users))
	for _, u := range users {
		if u.UserID != "" {
			known[u.UserID] = true
		}
	}
	return known
}

// walkOrphans calls emit for every unique ID in doc that, by Orphans' rules,
// names no existing principal: a user ID (AIDA...) not in known, anywhere; a
// role ID (AROA...) in Principal or NotPrincipal.
func walkOrphans(doc string, known map[string]bool, emit func(s site, id string)) error {
	return walkDocument(doc, func(s site, v string) {
		id, ok := uniqueIDOf(v)
		if !ok {
			return
		}
		switch {
		case strings.HasPrefix(id, "AIDA"):
			if known[id] {
				return
			}
		case s.element != elemPrincipal && s.element != elemNotPrincipal:
			return
		}
		emit(s, id)
	})
}

// accountOfARN returns the account field of an ARN, or "".
func accountOfARN(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 6 {
		return ""
	}
	return f[4]
}
