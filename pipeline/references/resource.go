package references

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dormant-iam/dormant/tables"
)

// ResourcePolicy is a resource-based policy read from a service (an S3
// bucket policy, a KMS key policy, ...) and the resource it is attached to.
// The live checks hand these to a Matcher and to PolicyOrphans.
type ResourcePolicy struct {
	AccountID   string // the account the resource is in; aws:username values name its users
	Kind        string // the reference kind, e.g. "s3 bucket policy"
	ResourceARN string
	Region      string // the resource's region, or "" for a global resource
	Document    string // the policy JSON as the service returned it
}

// Matcher finds the users named in resource policies by the rules Scan
// applies to the authorization details (see the package documentation). It
// is safe for concurrent use: documents are scanned one at a time, which
// costs little next to the calls that fetch them.
type Matcher struct {
	mu sync.Mutex
	ix *index
}

// NewMatcher indexes the users (normally the candidates); root rows are
// skipped. A user row without a proper IAM user ARN is an error.
func NewMatcher(users []tables.User) (*Matcher, error) {
	ix, err := newIndex(users)
	if err != nil {
		return nil, err
	}
	return &Matcher{ix: ix}, nil
}

// ScanPolicy returns the references p's document holds to the matcher's
// users, in SortReferences order without duplicates. Location is written as
// Scan writes it, without a policy name ("Principal (Sid AllowAlice)");
// Region is p.Region. A document that is not policy JSON is an error naming
// the resource.
func (m *Matcher) ScanPolicy(p ResourcePolicy) ([]tables.Reference, error) {
	type hit struct {
		user       int32
		loc, match string
	}
	var hits []hit
	m.mu.Lock()
	err := walkDocument(p.Document, func(s site, v string) {
		for _, u := range m.ix.match(v, contextFor(s, p.AccountID)) {
			hits = append(hits, hit{user: u, loc: location(s, s.statement), match: v})
		}
	})
	m.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("parsing the %s of %s: %w", p.Kind, p.ResourceARN, err)
	}
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.user, b.user), strings.Compare(a.loc, b.loc), strings.Compare(a.match, b.match))
	})
	hits = slices.Compact(hits)
	refs := make([]tables.Reference, len(hits))
	for i, h := range hits {
		u := &m.ix.users[h.user]
		refs[i] = tables.Reference{
			AccountID:   u.account,
			UserName:    u.name,
			UserID:      u.id,
			UserARN:     u.arn,
			Kind:        p.Kind,
			ResourceARN: p.ResourceARN,
			Region:      p.Region,
			Location:    h.loc,
			Match:       h.match,
		}
	}
	return refs, nil
}

// PolicyOrphans reports the unique IDs in p's document that name no existing
// principal, by the rules of Orphans: known is the set of every existing
// user's unique ID (KnownUserIDs over the whole inventory, not only the
// candidates). Location is written as ScanPolicy writes it. A document that
// is not policy JSON is an error naming the resource.
func PolicyOrphans(p ResourcePolicy, known map[string]bool) ([]Orphan, error) {
	var out []Orphan
	err := walkOrphans(p.Document, known, func(s site, id string) {
		out = append(out, Orphan{
			AccountID:   p.AccountID,
			Kind:        p.Kind,
			ResourceARN: p.ResourceARN,
			Location:    location(s, s.statement),
			UniqueID:    id,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("parsing the %s of %s: %w", p.Kind, p.ResourceARN, err)
	}
	SortOrphans(out)
	return slices.Compact(out), nil
}
