// Package ctrecord reads CloudTrail records: it walks a log file's JSON text
// once and hands each record's fields that the activity rules use (event ID,
// time, source, name, region, IP, errors, userIdentity and its session
// issuer) to a callback, as slices of the file's bytes, and says why a record
// cannot be attributed (SkipReason). It also recognises digest files. The
// local engine's Go scanner is its one user; the rules themselves (who a
// record counts for) stay in pipeline/activity/local.
package ctrecord
