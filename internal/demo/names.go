package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

var firstNames = []string{
	"aaron", "adele", "ahmed", "aiko", "alex", "alice", "amara", "ana", "andrei", "anil",
	"beatriz", "ben", "bilal", "bruno", "carla", "chen", "chloe", "dan", "daria", "david",
	"elena", "emeka", "emma", "erik", "fatima", "felix", "fiona", "gabriel", "grace", "hana",
	"hugo", "ines", "ivan", "jamal", "jana", "jin", "joao", "jonas", "julia", "kai",
	"kenji", "lars", "leila", "lena", "liam", "lucia", "maria", "mateo", "mei", "mila",
	"nadia", "nikhil", "nora", "olga", "omar", "paolo", "priya", "rahul", "rosa", "sam",
	"sara", "sofia", "tariq", "tom", "uma", "victor", "wei", "yara", "yusuf", "zoe",
}

var lastNames = []string{
	"abe", "adeyemi", "almeida", "andersen", "bauer", "bianchi", "brown", "chen", "costa", "dubois",
	"eriksson", "fernandez", "fischer", "garcia", "gupta", "haddad", "hansen", "ito", "ivanova", "jensen",
	"kim", "kowalski", "kumar", "larsen", "lee", "lopez", "martin", "meyer", "mueller", "nakamura",
	"nguyen", "novak", "okafor", "olsen", "park", "patel", "petrov", "popescu", "rossi", "santos",
	"schmidt", "silva", "singh", "smith", "tanaka", "taylor", "tran", "wang", "weber", "williams",
	"wong", "yamamoto", "yilmaz", "zhang",
}

var serviceWords = []string{
	"backup", "billing", "reporting", "etl", "deploy", "terraform", "jenkins", "github-actions",
	"datadog", "splunk", "grafana", "airflow", "snowflake", "looker", "vault", "sftp", "ses-smtp",
	"legacy-import", "monitoring", "payments", "orders", "search-indexer", "mobile-push", "crm-sync",
	"data-lake", "ml-training", "cost-export", "audit-export", "dr-replication", "cdn-purge",
}

var environments = []string{"prod", "staging", "dev", "qa", "shared", "sandbox"}

var teams = []string{"platform", "data", "payments", "mobile", "security", "finance", "growth", "infra"}

// nameGen hands out user names that are unique within one account.
type nameGen struct {
	r    *rand.Rand
	used map[string]bool
}

func newNameGen(r *rand.Rand) *nameGen { return &nameGen{r: r, used: map[string]bool{}} }

// human returns a person-style name: first.last, flast, first_last or an
// e-mail address (IAM allows @ . _ + = , - in names).
func (g *nameGen) human() string {
	f, l := pick(g.r, firstNames), pick(g.r, lastNames)
	var n string
	switch x := g.r.IntN(100); {
	case x < 55:
		n = f + "." + l
	case x < 75:
		n = f[:1] + l
	case x < 85:
		n = f + "_" + l
	case x < 95:
		n = f + "." + l + "@example.com"
	default:
		n = f + "+" + l
	}
	return g.unique(n)
}

// service returns a machine-user name.
func (g *nameGen) service() string {
	w, e := pick(g.r, serviceWords), pick(g.r, environments)
	var n string
	switch x := g.r.IntN(100); {
	case x < 55:
		n = "svc-" + w + "-" + e
	case x < 80:
		n = w + "-" + e
	case x < 95:
		n = "ci-" + w
	default:
		n = w + "=" + e
	}
	return g.unique(n)
}

// take reserves an exact name; false if it is already used.
func (g *nameGen) take(n string) bool {
	if g.used[n] || len(n) > 64 {
		return false
	}
	g.used[n] = true
	return true
}

func (g *nameGen) unique(n string) string {
	if len(n) > 60 {
		n = strings.TrimRight(n[:60], ".-_@+=,")
	}
	if g.take(n) {
		return n
	}
	for i := 2; ; i++ {
		c := n + strconv.Itoa(i)
		if g.take(c) {
			return c
		}
	}
}

// email returns an address for SSO role-session names (these may look like
// user names on purpose: sessions never count as a user's activity).
func email(r *rand.Rand) string {
	return pick(r, firstNames) + "." + pick(r, lastNames) + "@example.com"
}
