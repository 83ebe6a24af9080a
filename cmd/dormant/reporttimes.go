package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// reportTimesFlag takes ACCOUNT_ID=RFC3339, repeatable or comma-separated
// (as DORMANT_REPORT_GENERATED_AT gives several): when a bare CSV
// credential report of that account was generated, which the CSV does not
// say and its file's modification time cannot prove.
type reportTimesFlag map[string]time.Time

func (r *reportTimesFlag) String() string {
	var parts []string
	for a, t := range *r {
		parts = append(parts, a+"="+t.Format(time.RFC3339))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (r *reportTimesFlag) Type() string { return "account=time" }

func (r *reportTimesFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if err := r.set(part); err != nil {
			return err
		}
	}
	return nil
}

func (r *reportTimesFlag) set(v string) error {
	acct, at, ok := strings.Cut(strings.TrimSpace(v), "=")
	if !ok || len(acct) != 12 || strings.Trim(acct, "0123456789") != "" {
		return fmt.Errorf("%q: write ACCOUNT_ID=TIME, e.g. 111122223333=2026-11-01T06:00:00Z (the 12-digit account of a CSV --credential-report)", v)
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return fmt.Errorf("%q: %q is not an RFC 3339 time with its zone, e.g. 2026-11-01T06:00:00Z (when IAM generated the report)", v, at)
	}
	if *r == nil {
		*r = reportTimesFlag{}
	}
	if prev, dup := (*r)[acct]; dup {
		return fmt.Errorf("%q: account %s already has %s; give one time per account", v, acct, prev.Format(time.RFC3339))
	}
	(*r)[acct] = t.UTC()
	return nil
}
