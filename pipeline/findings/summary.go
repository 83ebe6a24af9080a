package findings

import "github.com/dormant-iam/dormant/tables"

// Summary counts findings for reports and the CLI.
type Summary struct {
	ByStatus   map[string]int
	ByDecision map[string]int
	// ByAccount counts statuses per account: ByAccount[account][status].
	ByAccount map[string]map[string]int
	// UnusedKeys counts unused access key slots over all findings.
	UnusedKeys int
	Total      int
}

// Summarize counts f by status, decision and account.
func Summarize(f []tables.Finding) Summary {
	s := Summary{
		ByStatus:   make(map[string]int),
		ByDecision: make(map[string]int),
		ByAccount:  make(map[string]map[string]int),
		Total:      len(f),
	}
	for i := range f {
		x := &f[i]
		s.ByStatus[x.Status]++
		s.ByDecision[x.Decision]++
		acct := s.ByAccount[x.AccountID]
		if acct == nil {
			acct = make(map[string]int)
			s.ByAccount[x.AccountID] = acct
		}
		acct[x.Status]++
		s.UnusedKeys += len(x.UnusedKeys)
	}
	return s
}
