package references

import (
	"cmp"
	"fmt"
	"slices"
)

// CheckSpec describes one reference check as --reference-checks names it.
// Each check registers its spec from its own file (the iam check here, the
// live ones in package live), so adding one is that file, its test and its
// fake.
type CheckSpec struct {
	Name string
	// Live is set for a check that reads AWS: it cannot run on exported files.
	Live bool
	// Rank orders the checks in reports' lists and in Select, lowest first.
	Rank int
}

var checks []CheckSpec

// RegisterCheck adds a check; a nameless or repeated check is a programming
// error and panics at start-up.
func RegisterCheck(s CheckSpec) {
	if s.Name == "" {
		panic("references: a check registered without a name")
	}
	if _, ok := LookupCheck(s.Name); ok {
		panic(fmt.Sprintf("references: check %q registered twice", s.Name))
	}
	checks = append(checks, s)
	slices.SortStableFunc(checks, func(a, b CheckSpec) int { return cmp.Compare(a.Rank, b.Rank) })
}

// LookupCheck returns the registered check of that name.
func LookupCheck(name string) (CheckSpec, bool) {
	i := slices.IndexFunc(checks, func(s CheckSpec) bool { return s.Name == name })
	if i < 0 {
		return CheckSpec{}, false
	}
	return checks[i], true
}

// KnownChecks lists every registered check's name, in report order.
func KnownChecks() []string {
	out := make([]string, len(checks))
	for i, s := range checks {
		out[i] = s.Name
	}
	return out
}

func init() { RegisterCheck(CheckSpec{Name: CheckIAM, Rank: 10}) }
