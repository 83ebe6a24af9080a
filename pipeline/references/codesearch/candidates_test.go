package codesearch

import (
	"slices"
	"testing"

	"github.com/dormant-iam/dormant/tables"
)

func TestCandidates(t *testing.T) {
	users := []tables.User{
		{AccountID: acct, UserName: "<root_account>", IsRoot: true},
		{AccountID: acct, UserName: "svc-reports", UserID: "AIDAEXAMPLEREPORTS001", ARN: "arn:aws:iam::" + acct + ":user/svc-reports"},
		{AccountID: other, UserName: "svc-reports", UserID: "AIDAEXAMPLEREPORTS002"},
	}
	act := []tables.Activity{
		{AccountID: acct, PrincipalID: "AIDAEXAMPLEREPORTS001", AccessKeyIDs: []string{"AKIAEXAMPLEFROMTRAIL", keyID}},
		{AccountID: other, PrincipalID: "AIDAEXAMPLEREPORTS001", AccessKeyIDs: []string{"AKIAEXAMPLEWRONGACCT"}},
	}
	keys := []AccessKey{{UserName: "SVC-Reports", AccessKeyID: keyID}}
	cs := Candidates(users, act, keys)
	if len(cs) != 2 {
		t.Fatalf("candidates %+v, want the two users without root", cs)
	}
	if !slices.Equal(cs[0].AccessKeyIDs, []string{"AKIAEXAMPLEFROMTRAIL", keyID}) || cs[0].ARN != users[1].ARN {
		t.Errorf("first: %+v", cs[0])
	}
	if !slices.Equal(cs[1].AccessKeyIDs, []string{keyID}) {
		t.Errorf("second: %+v, want only the exported key (the trail's is the other account's)", cs[1])
	}
}
