package findings

import (
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// Summary counts findings for reports and the CLI (package record holds
// the run's vocabulary).
type Summary = record.Summary

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
