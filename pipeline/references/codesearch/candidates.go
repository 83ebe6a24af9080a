package codesearch

import (
	"slices"
	"strings"

	"github.com/dormant-iam/dormant/tables"
)

// Candidates builds the search's candidates from inventory rows: each
// user's account, name, unique ID and ARN, and the access key IDs known for
// it from CloudTrail (activity rows whose principal is the user's unique
// ID) and from list-access-keys exports (by name, in every account that has
// a user of that name: the exports do not say their account, and a key
// wrongly attributed costs a review, a key left out could miss automation).
// Root rows are left out: the root user has no name to find.
func Candidates(users []tables.User, act []tables.Activity, keys []AccessKey) []Candidate {
	byID := map[string][]string{}
	for _, a := range act {
		if a.PrincipalID != "" {
			byID[a.AccountID+"/"+a.PrincipalID] = append(byID[a.AccountID+"/"+a.PrincipalID], a.AccessKeyIDs...)
		}
	}
	byName := map[string][]string{}
	for _, k := range keys {
		n := strings.ToLower(k.UserName)
		byName[n] = append(byName[n], k.AccessKeyID)
	}
	var out []Candidate
	for _, u := range users {
		if u.IsRoot {
			continue
		}
		c := Candidate{AccountID: u.AccountID, UserName: u.UserName, UserID: u.UserID, ARN: u.ARN}
		if u.UserID != "" {
			c.AccessKeyIDs = append(c.AccessKeyIDs, byID[u.AccountID+"/"+u.UserID]...)
		}
		c.AccessKeyIDs = append(c.AccessKeyIDs, byName[strings.ToLower(u.UserName)]...)
		slices.Sort(c.AccessKeyIDs)
		c.AccessKeyIDs = slices.Compact(c.AccessKeyIDs)
		out = append(out, c)
	}
	return out
}
