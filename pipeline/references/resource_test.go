package references

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestMatcherScanPolicy(t *testing.T) {
	m, err := NewMatcher(testUsers)
	if err != nil {
		t.Fatal(err)
	}
	bucket := func(account, doc string) ResourcePolicy {
		return ResourcePolicy{AccountID: account, Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::payroll", Region: "eu-west-1", Document: doc}
	}
	tests := []struct {
		name string
		p    ResourcePolicy
		want []string // user, location, match
	}{
		{
			name: "principal ARN with Sid",
			p:    bucket(acctA, `{"Statement":[{"Sid":"AllowAlice","Effect":"Allow","Principal":{"AWS":"`+aliceARN+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::payroll/*"}]}`),
			want: []string{"alice|Principal (Sid AllowAlice)|" + aliceARN},
		},
		{
			name: "longer name with the candidate's name as prefix names only that user",
			p:    bucket(acctA, `{"Statement":{"Effect":"Allow","Principal":{"AWS":["`+arnOf(acctA, "user/alice-admin")+`"]},"Action":"s3:*"}}`),
			want: []string{"alice-admin|Principal (statement 1)|" + arnOf(acctA, "user/alice-admin")},
		},
		{
			name: "wildcard over a path",
			p:    bucket(acctA, `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::`+acctA+`:user/division/*"},"Action":"s3:*"}}`),
			want: []string{"dave|NotPrincipal (statement 1)|arn:aws:iam::" + acctA + ":user/division/*"},
		},
		{
			name: "unique ID in an aws:userid condition",
			p:    bucket(acctB, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Condition":{"StringLike":{"aws:userid":"AIDABOBEXAMPLE0000005:*"}}}}`),
			want: []string{"bob|Condition StringLike aws:userid (statement 1)|AIDABOBEXAMPLE0000005:*"},
		},
		{
			name: "aws:username names users of the resource's account",
			p:    bucket(acctB, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Condition":{"StringEquals":{"aws:username":["alice","bob"]}}}}`),
			want: []string{"bob|Condition StringEquals aws:username (statement 1)|bob"},
		},
		{
			name: "account principals and bare wildcards name no user",
			p:    bucket(acctA, `{"Statement":{"Effect":"Allow","Principal":{"AWS":["`+acctA+`","arn:aws:iam::`+acctA+`:root","*"]},"Action":"s3:*","Resource":"arn:aws:iam::`+acctA+`:*"}}`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, err := m.ScanPolicy(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range refs {
				if r.Kind != tt.p.Kind || r.ResourceARN != tt.p.ResourceARN || r.Region != tt.p.Region {
					t.Errorf("reference %+v does not carry the policy's kind, resource and region", r)
				}
				got = append(got, r.UserName+"|"+r.Location+"|"+r.Match)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	_, err = m.ScanPolicy(bucket(acctA, `{"Statement":"nope"}`))
	if err == nil || !strings.Contains(err.Error(), "s3 bucket policy of arn:aws:s3:::payroll") {
		t.Errorf("malformed document: error %v does not name the resource", err)
	}
}

// TestMatcherConcurrent scans from many goroutines at once (run with -race):
// the index caches pattern results, so it must not be shared unguarded.
func TestMatcherConcurrent(t *testing.T) {
	m, err := NewMatcher(testUsers)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::*:user/ali*","ARN:AWS:IAM::` + acctA + `:USER/ALICE"]},"Action":"s3:*","Condition":{"ArnLikeIgnoreCase":{"aws:PrincipalArn":"ARN:AWS:IAM::*:USER/BOB"}}}}`
	var wg sync.WaitGroup
	counts := make([]int, 16)
	for i := range counts {
		wg.Go(func() {
			refs, err := m.ScanPolicy(ResourcePolicy{AccountID: acctA, Kind: "kms key policy", ResourceARN: "k", Document: doc})
			if err != nil {
				t.Error(err)
			}
			counts[i] = len(refs)
		})
	}
	wg.Wait()
	for _, n := range counts {
		if n != counts[0] || n == 0 {
			t.Fatalf("concurrent scans disagree or found nothing: %v", counts)
		}
	}
}

func TestPolicyOrphans(t *testing.T) {
	known := KnownUserIDs(testUsers)
	p := ResourcePolicy{AccountID: acctA, Kind: "kms key policy", ResourceARN: "arn:aws:kms:us-east-1:" + acctA + ":key/k1", Region: "us-east-1",
		Document: `{"Statement":[
			{"Sid":"Gone","Effect":"Allow","Principal":{"AWS":["AIDAGONEEXAMPLE000009","AIDAALICEEXAMPLE00001","AROADELETEDROLE000007"]},"Action":"kms:*","Resource":"*"},
			{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"aws:userid":["AROASOMEROLE00000008:*","AIDAGONEEXAMPLE000009"]}}}]}`}
	got, err := PolicyOrphans(p, known)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range got {
		if o.Kind != p.Kind || o.ResourceARN != p.ResourceARN || o.AccountID != acctA {
			t.Errorf("orphan %+v does not carry the policy's account, kind and resource", o)
		}
		ids = append(ids, o.UniqueID+"|"+o.Location)
	}
	want := []string{
		"AIDAGONEEXAMPLE000009|Condition StringLike aws:userid (statement 2)",
		"AIDAGONEEXAMPLE000009|Principal (Sid Gone)",
		"AROADELETEDROLE000007|Principal (Sid Gone)",
	}
	if !slices.Equal(ids, want) {
		t.Errorf("orphans = %q, want %q", ids, want)
	}
	if _, err := PolicyOrphans(ResourcePolicy{Kind: "sqs queue policy", ResourceARN: "q", Document: "[]"}, known); err == nil {
		t.Error("PolicyOrphans accepted a document that is not a policy")
	}
}

// orphanChecker is a live check that also reports orphans.
type orphanChecker struct {
	stubChecker
	orphans []Orphan
}

func (o orphanChecker) Orphans() []Orphan { return o.orphans }

func TestRunCollectsOrphans(t *testing.T) {
	o1 := Orphan{AccountID: acctB, Kind: "kms key policy", ResourceARN: "k", Location: "Principal (statement 1)", UniqueID: "AIDAGONEEXAMPLE000009"}
	o2 := Orphan{AccountID: acctA, Kind: "s3 bucket policy", ResourceARN: "arn:aws:s3:::b", Location: "Principal (statement 1)", UniqueID: "AIDAGONEEXAMPLE000009"}
	kms := orphanChecker{stubChecker{name: CheckKMS}, []Orphan{o1, o1}}
	s3 := orphanChecker{stubChecker{name: CheckS3}, []Orphan{o2}}
	res, err := Run(context.Background(), testUsers, kms, s3, PolicyChecker{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Orphan{o2, o1}; !slices.Equal(res.Orphans, want) {
		t.Errorf("orphans = %+v, want %+v (sorted, duplicates merged)", res.Orphans, want)
	}
}
