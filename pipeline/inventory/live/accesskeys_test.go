package live

import (
	"slices"
	"testing"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/tables"
)

// TestAccessKeysListed: live runs list, by ID, the keys of every user the
// report shows with a key and of every user tagged dormant:deactivated, and
// call ListAccessKeys for nobody else.
func TestAccessKeysListed(t *testing.T) {
	org := awsfake.NewOrg(mgmtID)
	a := org.Account(mgmtID)
	a.AddUser("admin").AttachPolicy("arn:aws:iam::aws:policy/AdministratorAccess")
	k1 := a.AddUser("ci").AddAccessKey()
	k2 := a.User("ci").AddAccessKey(awsfake.KeyInactive())
	deact := a.AddUser("old")
	deact.Tags = append(deact.Tags, awsfake.Tag{Key: tables.TagDeactivated, Value: "2026-01-01"})
	a.AddUser("console-only")
	srv := startFake(t, org)
	results := mustCollect(t, fakeSource(srv, org))
	if len(results) != 1 || results[0].Err != nil {
		t.Fatalf("results %+v", results)
	}
	var got []string
	for _, k := range results[0].AccessKeys {
		if k.AccountID != mgmtID || k.Source != "aws:"+mgmtID || k.CreateDate.IsZero() {
			t.Errorf("key row %+v", k)
		}
		got = append(got, k.UserName+" "+k.AccessKeyID+" "+k.Status)
	}
	slices.Sort(got)
	want := []string{"ci " + k1.ID + " Active", "ci " + k2.ID + " Inactive"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
	if n := srv.Calls("ListAccessKeys"); n != 2 {
		t.Errorf("%d ListAccessKeys calls, want 2 (ci, and old tagged deactivated)", n)
	}
}
