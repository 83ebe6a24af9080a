package references

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

// synthetic builds an organization of accounts x usersPer users (paths
// /team-N/) and about nPolicies documents in every shape Scan reads, a few of
// them account-wide user/* grants.
func synthetic(accounts, usersPer, nPolicies int) ([]tables.User, []tables.Policy) {
	rng := rand.New(rand.NewPCG(1, 2))
	acct := func(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }
	users := make([]tables.User, 0, accounts*usersPer)
	for a := range accounts {
		for u := range usersPer {
			path := fmt.Sprintf("/team-%d/", u%100)
			users = append(users, user(acct(a), path, fmt.Sprintf("user-%06d", u), fmt.Sprintf("AIDA%017d", a*usersPer+u)))
		}
	}
	pick := func() tables.User { return users[rng.IntN(len(users))] }
	quoted := func(n int) string {
		var s []string
		for range n {
			s = append(s, `"`+pick().ARN+`"`)
		}
		return strings.Join(s, ",")
	}
	var policies []tables.Policy
	for i := 0; len(policies) < nPolicies; i++ {
		a := acct(rng.IntN(accounts))
		role := arnOf(a, fmt.Sprintf("role/role-%d", i))
		switch i % 10 {
		case 0, 1, 2:
			policies = append(policies, trust(a, role, stmt(
				`{"Effect":"Allow","Principal":{"AWS":[`+quoted(1+rng.IntN(3))+`,"arn:aws:iam::`+a+`:root"]},"Action":"sts:AssumeRole"}`,
				`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`)))
		case 3, 4, 5:
			policies = append(policies, inline("role_inline", a, role, "access", stmt(
				`{"Effect":"Allow","Action":"iam:GetUser","Resource":[`+quoted(2)+`,"arn:aws:s3:::bucket-`+fmt.Sprint(i)+`/*"]}`,
				`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalArn":[`+quoted(1)+`],"aws:username":"`+pick().UserName+`"},"Bool":{"aws:SecureTransport":true}}}`)))
		case 6:
			policies = append(policies, inline("group_inline", a, arnOf(a, fmt.Sprintf("group/g-%d", i)), "team", stmt(
				fmt.Sprintf(`{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::%s:user/team-%d/*"}`, a, rng.IntN(100)))))
		case 7:
			u := pick()
			policies = append(policies, inline("user_inline", u.AccountID, u.ARN, "self", stmt(
				`{"Effect":"Allow","Action":"iam:ChangePassword","Resource":["`+u.ARN+`","arn:aws:iam::*:user/${aws:username}"]}`)))
		default:
			p := arnOf(a, fmt.Sprintf("policy/p-%d", i))
			for v := 1; v <= 2; v++ {
				policies = append(policies, managed(a, p, fmt.Sprintf("v%d", v), v == 2, stmt(
					`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:userid":["`+pick().UserID+`","AIDA99999999999999999"]}}}`)))
			}
		}
	}
	for a := range 5 {
		policies = append(policies, inline("group_inline", acct(a), arnOf(acct(a), "group/helpdesk"), "all-users", stmt(
			fmt.Sprintf(`{"Effect":"Allow","Action":"iam:UpdateLoginProfile","Resource":"arn:aws:iam::%s:user/*"}`, acct(a)))))
	}
	return users, policies
}

// BenchmarkScan is the size the brief sets: 100k users, 10k policies.
func BenchmarkScan(b *testing.B) {
	users, policies := synthetic(10, 10000, 10000)
	b.ResetTimer()
	var n int
	for b.Loop() {
		refs, err := Scan(users, policies)
		if err != nil {
			b.Fatal(err)
		}
		n = len(refs)
	}
	b.ReportMetric(float64(n), "refs")
	b.ReportMetric(float64(len(users)), "users")
	b.ReportMetric(float64(len(policies)), "policies")
}

func BenchmarkOrphans(b *testing.B) {
	users, policies := synthetic(10, 10000, 10000)
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(Orphans(users, policies))
	}
	b.ReportMetric(float64(n), "orphans")
}

// TestSynthetic checks the benchmark's organization against facts known
// from how it was built, so the benchmark measures a correct scan.
func TestSynthetic(t *testing.T) {
	users, policies := synthetic(3, 500, 400)
	refs, err := Scan(users, policies)
	if err != nil {
		t.Fatal(err)
	}
	perUser := map[string]int{}
	for _, r := range refs {
		if r.Kind == KindUserInline && r.ResourceARN == r.UserARN {
			t.Fatalf("own inline policy counted: %+v", r)
		}
		if r.Match == fmt.Sprintf("arn:aws:iam::%s:user/*", r.AccountID) {
			perUser[r.UserARN]++
		}
	}
	// Every user of the three accounts is named by its account's user/* grant.
	if len(perUser) != len(users) {
		t.Errorf("user/* named %d users, want %d", len(perUser), len(users))
	}
	orphans := Orphans(users, policies)
	if len(orphans) == 0 {
		t.Fatal("no orphans found, want the unknown AIDA99999999999999999 in every managed version")
	}
	for _, o := range orphans {
		if o.UniqueID != "AIDA99999999999999999" {
			t.Errorf("unexpected orphan %+v", o)
		}
	}
}

func FuzzScan(f *testing.F) {
	for _, doc := range []string{
		stmt(`{"Effect":"Allow","Principal":{"AWS":["` + aliceARN + `","AIDAGONEEXAMPLE000001"]},"Action":"sts:AssumeRole"}`),
		stmt(`{"Effect":"Allow","Action":"iam:*","Resource":["arn:aws:iam::*:user/*/al?ce${*}","arn:aws:iam::1*"],"Condition":{"StringLike":{"aws:username":"a*"}}}`),
		`{"Statement":{"NotPrincipal":"*","NotResource":[],"Condition":{"Null":{"k":null}}}}`,
		`{"Statement":[1]}`,
	} {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		policies := []tables.Policy{
			trust(acctA, roleA, doc),
			inline("user_inline", acctA, aliceARN, "p", doc),
		}
		refs, err := Scan(testUsers, policies)
		if err != nil && refs != nil {
			t.Errorf("Scan returned references with an error")
		}
		Orphans(testUsers, policies)
	})
}
