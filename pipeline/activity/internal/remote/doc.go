// Package remote holds what the Athena and CloudTrail Lake engines share:
// the query error, the status polling, and reading the activity query's
// result rows (text columns, by name) into the activity and coverage tables.
package remote
