package references

import (
	"slices"
	"testing"
)

// The iam check is registered here and needs no AWS access; a second
// registration of a name is refused, so two files cannot claim one check.
func TestCheckRegistry(t *testing.T) {
	s, ok := LookupCheck(CheckIAM)
	if !ok || s.Live {
		t.Fatalf("LookupCheck(%q) = %+v, %v; want a registered offline check", CheckIAM, s, ok)
	}
	if got := KnownChecks(); len(got) == 0 || got[0] != CheckIAM {
		t.Errorf("KnownChecks() = %q, want iam first", got)
	}
	if _, ok := LookupCheck("nosuch"); ok || slices.Contains(KnownChecks(), "nosuch") {
		t.Errorf("an unregistered name is known")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("registering iam twice did not panic")
		}
	}()
	RegisterCheck(CheckSpec{Name: CheckIAM, Rank: 1})
}
