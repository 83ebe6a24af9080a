package tables

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Kinds of file a local scan reads from a trail's folders.
const (
	// LogFileKindLog is a CloudTrail log file: {"Records":[...]} of API calls.
	LogFileKindLog = "log"
	// LogFileKindDigest is a CloudTrail-Digest file (log file integrity
	// validation): no records, recognised and counted, never scanned as activity.
	LogFileKindDigest = "digest"
	// LogFileKindInsight is a CloudTrail-Insight file: its records are
	// Insights events (eventType AwsCloudTrailInsight), which are not API calls.
	LogFileKindInsight = "insight"
)

// Reasons a record is skipped (not attributed to any principal), as the log
// files table spells them in SkipReasons.
const (
	SkipNullRecord     = "null record"         // the Records element is JSON null
	SkipNoEventTime    = "no eventTime"        // eventTime missing or null
	SkipBadEventTime   = "malformed eventTime" // eventTime present but not a time
	SkipNoUserIdentity = "no userIdentity"     // userIdentity missing or null
	SkipInsight        = "Insights event"      // eventType AwsCloudTrailInsight in a log file
)

// LogFile is one file the local engine read: where it lies, what it held,
// and how many of its records were skipped and why. A skipped record is
// never use of any credential; the findings stage and the Coverage sheet
// read these rows so that a skip is counted, never silent.
type LogFile struct {
	AccountID string `arrow:"account_id"` // the account folder it was delivered to
	Region    string `arrow:"region"`     // the region folder
	Path      string `arrow:"path"`       // absolute path (or the synced S3 object's local copy)
	Size      int64  `arrow:"size"`       // bytes as stored (compressed for .json.gz)
	Kind      string `arrow:"kind"`       // LogFileKindLog, LogFileKindDigest or LogFileKindInsight
	Records   int64  `arrow:"records"`    // elements of its Records arrays
	Skipped   int64  `arrow:"skipped"`    // records not attributed to anyone (Insights records in an Insight file are not counted here)
	// SkipReasons counts the skipped records by reason, e.g.
	// "no eventTime: 2; no userIdentity: 1", reasons in a fixed order.
	SkipReasons string `arrow:"skip_reasons"`
	// SHA256 is the hex SHA-256 of the file's JSON text (decompressed, as
	// CloudTrail's digests hash it); empty when the file was not read.
	SHA256 string `arrow:"sha256"`
	// Digest is the path of the digest file that lists this file; empty
	// when no digest lists it.
	Digest string `arrow:"digest"`
	// Verification is one of the Verification* values; empty when the
	// account and region have no digest files (coverage is then assumed).
	Verification string `arrow:"verification"`
	// GapStart and GapEnd bound the hours of its region a missing or
	// mismatched file, or a digest chain break, leaves unproven; zero otherwise.
	GapStart time.Time `arrow:"gap_start"`
	GapEnd   time.Time `arrow:"gap_end"`
}

// Verification outcomes of a log file against the trail's digest files.
const (
	// VerificationVerified: a digest lists the file with the hash it has.
	VerificationVerified = "verified"
	// VerificationMismatch: a digest lists the file with another hash: the
	// file was changed after delivery.
	VerificationMismatch = "mismatch"
	// VerificationUnverified: digests exist for its account, region and day
	// but none lists the file: it was not delivered by the trail.
	VerificationUnverified = "unverified"
	// VerificationMissing: a digest lists the file but it is not on disk: its
	// records are lost, a gap in its hour and region.
	VerificationMissing = "missing"
	// VerificationGap: a digest row for hours the digest chain does not
	// vouch for (it restarts, or no digest reaches the window's edge).
	VerificationGap = "chain gap"
	// VerificationUnhashed: digests cover the file but this run took its
	// records from the scan cache without reading it, so it was not checked.
	VerificationUnhashed = "not hashed (cached)"
	// VerificationExists: a digest lists the file and it exists in S3, but
	// the run did not read it (Athena did), so its hash was not checked.
	VerificationExists = "listed, exists (not hashed)"
)

// skipOrder is the order reasons appear in SkipReasons.
var skipOrder = []string{SkipNullRecord, SkipNoEventTime, SkipBadEventTime, SkipNoUserIdentity, SkipInsight}

// FormatSkipReasons writes counts per reason in SkipReasons' form; reasons
// with no record are left out. counts is indexed like SkipReasonList.
func FormatSkipReasons(counts []int64) string {
	var b strings.Builder
	for i, n := range counts {
		if n == 0 || i >= len(skipOrder) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %d", skipOrder[i], n)
	}
	return b.String()
}

// SkipReasonList is every skip reason, in SkipReasons' order.
func SkipReasonList() []string { return slices.Clone(skipOrder) }

// SkippedByAccount counts, per account folder, the records skipped for a
// reason that could hide a user's use: every reason but an Insights event.
// A record without userIdentity could be any user's call; one without a
// usable eventTime could fall inside the window; a null element is a record
// whose content is lost. None of them is counted as use, so they can only
// make a user look less used than it was.
func SkippedByAccount(files []LogFile) map[string]int64 {
	out := map[string]int64{}
	for _, f := range files {
		if n := f.Skipped - skipCount(f.SkipReasons, SkipInsight); n > 0 {
			out[f.AccountID] += n
		}
	}
	return out
}

// skipCount reads one reason's count back from a SkipReasons string.
func skipCount(reasons, reason string) int64 {
	for part := range strings.SplitSeq(reasons, "; ") {
		name, n, ok := strings.Cut(part, ": ")
		if !ok || name != reason {
			continue
		}
		var v int64
		if _, err := fmt.Sscan(n, &v); err == nil {
			return v
		}
	}
	return 0
}

// DigestProblems lists, per account, the log files and digest hours the
// trail's digests show to be missing, changed, or not vouched for, as
// review reasons naming the region and hours: the records of those hours
// may be lost, so no user of the account can be proven unused.
func DigestProblems(files []LogFile) map[string][]string {
	out := map[string][]string{}
	for _, f := range files {
		var what string
		switch {
		case f.Kind == LogFileKindLog && f.Verification == VerificationMissing:
			what = "log file listed by its digest is missing"
		case f.Kind == LogFileKindLog && f.Verification == VerificationMismatch:
			what = "log file was changed after delivery (its SHA-256 differs from its digest's)"
		case f.Kind == LogFileKindDigest && f.Verification == VerificationMissing:
			what = "digest file is missing from the chain"
		case f.Kind == LogFileKindDigest && f.Verification == VerificationMismatch:
			what = "digest file was changed (its SHA-256 differs from the one the next digest records)"
		case f.Kind == LogFileKindDigest && f.Verification == VerificationGap:
			what = "digest chain does not cover these hours (logging or validation stopped, or no digest)"
		default:
			continue
		}
		out[f.AccountID] = append(out[f.AccountID], fmt.Sprintf("CloudTrail digests for account %s in %s, %s..%s: %s: %s",
			f.AccountID, f.Region, f.GapStart.UTC().Format("2006-01-02T15:04Z"), f.GapEnd.UTC().Format("2006-01-02T15:04Z"), what, f.Path))
	}
	return out
}

// DigestProven lists, per account, the regions whose digest chain is
// unbroken over the window with no file missing or changed: there, an hour
// without log files is proven to have had no events.
func DigestProven(files []LogFile) map[string]map[string]bool {
	type key struct{ account, region string }
	seen, bad := map[key]bool{}, map[key]bool{}
	for _, f := range files {
		k := key{f.AccountID, f.Region}
		switch {
		case f.Kind == LogFileKindDigest && f.Verification == VerificationVerified:
			seen[k] = true
		case f.Verification == VerificationMissing || f.Verification == VerificationMismatch || f.Verification == VerificationGap:
			bad[k] = true
		}
	}
	out := map[string]map[string]bool{}
	for _, k := range slices.SortedFunc(maps.Keys(seen), func(a, b key) int { return strings.Compare(a.account+a.region, b.account+b.region) }) {
		if bad[k] {
			continue
		}
		if out[k.account] == nil {
			out[k.account] = map[string]bool{}
		}
		out[k.account][k.region] = true
	}
	return out
}
