package findings

// withDigests marks the regions whose digest chain is unbroken over the
// window (tables.DigestProven): there CloudTrail delivered a digest every
// hour, listing every log file, so a day without log files had no events
// and is not a coverage gap. Where a chain breaks, or a file is missing or
// changed, Options.DigestProblems sends the account's candidates to review.
func (ci *coverageIndex) withDigests(proven map[string]map[string]bool) *coverageIndex {
	ci.proven = proven
	return ci
}
