package findings

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// synthetic builds a deterministic organization of nUsers users over five
// accounts (the last without trail coverage) and nActivity activity rows:
// rows by unique ID (several per user, merged), ARN-only rows, and rows of
// principals that are not users. It mixes every signal Classify reads.
func synthetic(nUsers, nActivity int, seed uint64) ([]tables.User, []tables.Activity, []tables.Coverage, []tables.Reference) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	accounts := make([]string, 5)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("1%011d", i)
	}
	randDay := func(maxDays int) time.Time {
		return asOf.Add(-time.Duration(r.IntN(maxDays*24*60)) * time.Minute)
	}
	users := make([]tables.User, nUsers)
	for i := range users {
		acc := accounts[i%len(accounts)]
		name := fmt.Sprintf("user-%05d", i)
		u := tables.User{
			AccountID: acc, UserName: name, UserID: fmt.Sprintf("AIDA%016d", i),
			ARN: "arn:aws:iam::" + acc + ":user/" + name, Path: "/",
			CreateDate:             randDay(5000),
			ReportGeneratedAt:      asOf.Add(-2 * time.Hour),
			InCredentialReport:     r.IntN(50) != 0,
			InAuthorizationDetails: r.IntN(50) != 0,
			Source:                 "synthetic",
		}
		if r.IntN(10) == 0 {
			u.CreateDate = randDay(90)
		}
		age := int(asOf.Sub(u.CreateDate)/(24*time.Hour)) + 1
		switch p := r.IntN(10); {
		case p < 4:
			u.PasswordEnabled, u.PasswordState, u.PasswordLastUsed = true, tables.PasswordUsed, randDay(min(age, 800))
		case p < 6:
			u.PasswordEnabled, u.PasswordState = true, tables.PasswordNever
		case p < 9:
			u.PasswordState = tables.PasswordNA
		default:
			u.PasswordEnabled, u.PasswordState = true, tables.PasswordNoInformation
		}
		if r.IntN(2) == 0 {
			u.Key1Active, u.Key1LastRotated = true, randDay(age)
			if r.IntN(10) < 6 {
				u.Key1LastUsed = randDay(int(asOf.Sub(u.Key1LastRotated)/(24*time.Hour)) + 1)
			}
		}
		if r.IntN(5) == 0 {
			u.Key2Active, u.Key2LastRotated = r.IntN(4) != 0, randDay(age)
		}
		if r.IntN(50) == 0 {
			u.Tags = []tables.Tag{{Key: DefaultExemptTagKey, Value: "true"}}
		}
		users[i] = u
	}

	activity := make([]tables.Activity, nActivity)
	for j := range activity {
		u := &users[r.IntN(nUsers)]
		last := randDay(90)
		a := tables.Activity{
			AccountID: u.AccountID, PrincipalID: u.UserID, ARN: u.ARN, UserName: u.UserName,
			FirstEvent: last.Add(-time.Duration(r.IntN(1000)) * time.Hour), LastEvent: last,
			Events: int64(1 + r.IntN(500)), LastEventName: "GetCallerIdentity", LastEventSource: "sts.amazonaws.com",
			LastSourceIP: "192.0.2.1", LastRegion: "us-east-1",
		}
		switch k := r.IntN(10); {
		case k < 7: // by unique ID
			if r.IntN(20) == 0 {
				a.FailedConsoleLogins, a.LastFailedConsoleLogin = int64(1+r.IntN(3)), randDay(90)
			}
		case k < 8: // ARN only
			a.PrincipalID = ""
		default: // a principal that is no user of the inventory
			a.PrincipalID = fmt.Sprintf("AIDAX%015d", j)
			a.ARN = fmt.Sprintf("arn:aws:iam::%s:user/gone-%d", u.AccountID, j)
		}
		activity[j] = a
	}

	var coverage []tables.Coverage
	for _, acc := range accounts[:len(accounts)-1] {
		coverage = append(coverage, dailyCells(acc, "us-east-1", asOf.AddDate(0, 0, -95), asOf.Add(-time.Hour))...)
		coverage = append(coverage, dailyCells(acc, "eu-west-1", asOf.AddDate(0, 0, -92), asOf.Add(-3*time.Hour))...)
	}

	var refs []tables.Reference
	for i := range users {
		if r.IntN(50) != 0 {
			continue
		}
		u := &users[i]
		refs = append(refs, tables.Reference{
			AccountID: u.AccountID, UserName: u.UserName, UserID: u.UserID, UserARN: u.ARN,
			Kind: "role trust policy", ResourceARN: "arn:aws:iam::" + u.AccountID + ":role/r" + u.UserName,
			Location: "Principal", Match: u.ARN,
		})
	}
	return users, activity, coverage, refs
}
