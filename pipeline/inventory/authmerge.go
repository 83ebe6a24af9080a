package inventory

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// MergeAuthorizationDetails merges the pages of one account's authorization
// details into one. An entity found on more than one page identically (the
// same export given twice) is kept once; found with different content, it is
// an error naming both files, because the pages of one export never repeat an
// entity, so the copies are two exports and which one is true is unknown.
// Pages of different accounts are an error naming both.
func MergeAuthorizationDetails(pages ...*AuthorizationDetails) (*AuthorizationDetails, error) {
	out := &AuthorizationDetails{IsTruncated: true}
	var names []string
	var accountFrom string
	// A list is missing from the merge only if no page holds it.
	listPages := map[string]int{}
	users := newDedup[UserDetail]()
	groups := newDedup[GroupDetail]()
	roles := newDedup[RoleDetail]()
	policies := newDedup[ManagedPolicyDetail]()
	n := 0
	for _, p := range pages {
		if p == nil {
			continue
		}
		n++
		for _, l := range detailLists {
			if !slices.Contains(p.MissingLists, l) {
				listPages[l]++
			}
		}
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
		if p.AccountID != "" {
			if out.AccountID == "" {
				out.AccountID, accountFrom = p.AccountID, p.Name
			} else if p.AccountID != out.AccountID {
				return nil, fmt.Errorf("merging authorization details: %s is account %s but %s is account %s; give each account's pages together",
					accountFrom, out.AccountID, p.Name, p.AccountID)
			}
		}
		// The set is complete once any page says nothing follows it.
		if !p.IsTruncated {
			out.IsTruncated, out.Marker = false, ""
		} else if out.IsTruncated {
			out.Marker = p.Marker
		}
		for _, u := range p.Users {
			if err := users.add(u.Arn, u, p.Name); err != nil {
				return nil, err
			}
		}
		for _, g := range p.Groups {
			if err := groups.add(g.Arn, g, p.Name); err != nil {
				return nil, err
			}
		}
		for _, r := range p.Roles {
			if err := roles.add(r.Arn, r, p.Name); err != nil {
				return nil, err
			}
		}
		for _, m := range p.Policies {
			if err := policies.add(m.Arn, m, p.Name); err != nil {
				return nil, err
			}
		}
	}
	if n == 0 {
		out.IsTruncated = false
	}
	for _, l := range detailLists {
		if n > 0 && listPages[l] == 0 {
			out.MissingLists = append(out.MissingLists, l)
		}
	}
	out.Name = strings.Join(names, ", ")
	out.Users, out.Groups, out.Roles, out.Policies = users.list, groups.list, roles.list, policies.list
	for _, r := range out.Roles {
		if r.AssumeRolePolicyDocument == "" {
			out.NoTrustPolicy = append(out.NoTrustPolicy, r.Arn)
		}
	}
	return out, nil
}

// dedup keeps one entry per key, in first-seen order, with the file each
// came from.
type dedup[T any] struct {
	index map[string]int
	list  []T
	from  []string
}

func newDedup[T any]() *dedup[T] { return &dedup[T]{index: map[string]int{}} }

// add keeps v under key; a second copy must equal the first.
func (d *dedup[T]) add(key string, v T, from string) error {
	if i, ok := d.index[key]; ok {
		if !reflect.DeepEqual(d.list[i], v) {
			return fmt.Errorf("merging authorization details: %s and %s both describe %s, differently: they are two exports (taken at different times, or edited), and which one is true is unknown; give one complete export per account (aws iam get-account-authorization-details)",
				d.from[i], from, key)
		}
		return nil
	}
	d.index[key] = len(d.list)
	d.list = append(d.list, v)
	d.from = append(d.from, from)
	return nil
}
