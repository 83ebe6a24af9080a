// Package changes compares a run with the previous quarter's (issue 17):
// which removal candidates are new, resolved or still open and for how
// long, which exemptions end before the next quarter, the candidates per
// run across the history (Compare, Trend); and whether the previous run's
// plan was carried out, entry by entry, against today's inventory (Check).
//
// It is pure: the pipeline reads the previous bundle, the history and the
// journal, and hands this package rows; verify calls the same functions on
// the bundle's own copies.
package changes
