// Package local is the activity engine that reads CloudTrail log files on
// disk, walking only the day folders the window needs (discover.go), or
// first syncing them from a trail's S3 bucket (S3Local, s3sync.go).
//
// Odd files and records follow one rule in both local scanners (and the
// SQL of queries/local): a file whose objects hold no Records array (not
// JSON, cut short, {"Records":null}, {"foo":[]}) is an error naming it; a
// CloudTrail-Digest object or an Insights file is recognised and counted,
// never read as activity; a record that cannot be attributed (JSON null, no
// eventTime or one that is not a time, no userIdentity) is skipped and
// counted per file with its reason in Result.LogFiles, and is never use. A
// file whose JSON, inflated, passes WithMaxLogFileSize is refused, naming it.
//
// By default its Go scanner (goscan.go) decompresses the files and picks
// the rules' fields out of each record with the reader of internal/ctrecord,
// aggregating on every core (aggregate.go); the DuckDB scanner runs the SQL of queries/local instead, which is the rules'
// specification: tests check both give identical tables, and benchmarks
// measure one against the other. With a cache (WithCache), per-day
// aggregates are kept and a run reads only the day folders that changed
// (cache.go, rollup.go). The digest files beside the logs are checked against
// the files read (digest.go, and digestsig.go for signatures from S3).
package local
