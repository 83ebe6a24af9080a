// Package queries holds the SQL every activity engine runs, as text/template
// files embedded in the binary (one folder per engine, one dialect each), and
// Render, which fills them in. The rendered text is what an engine executes
// and what the evidence bundle stores, so a template must render to a
// complete, self-contained statement a person can read and re-run by hand:
// every parameter is inlined as a properly quoted literal, never bound.
//
// Templates live in <engine>/<name>.sql.tmpl. The local engine (DuckDB) has
// one query, local/activity.sql.tmpl, which scans the log files once and
// returns both the activity rows and the coverage rows, told apart by the
// "kind" column: reading gzipped CloudTrail is the whole cost of the stage,
// so a second scan for coverage would double it.
package queries
