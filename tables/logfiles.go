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
	for _, p := range regionsWithoutDigests(files) {
		out[p.account] = append(out[p.account], fmt.Sprintf("CloudTrail digests for account %s in %s, %s..%s: %d log files there but no digest file for the region, "+
			"though the account's trail writes digests elsewhere in those hours (the region's digests were deleted or not copied, so a deleted log file there cannot be detected): %s",
			p.account, p.region, p.first.UTC().Format("2006-01-02T15:04Z"), p.last.UTC().Format("2006-01-02T15:04Z"), p.files, p.path))
	}
	return out
}

// DigestProven lists, per account, the regions whose digest chain is
// unbroken over the window with no file missing or changed: there, an hour
// without log files is proven to have had no events (a pause between two
// linked digests is a chain gap row, found where the digests' own start and
// end times are read). A log file in the
// hours the region's digests span that no digest lists is another writer's
// (a second trail, or an injected file): the digests prove their own
// trail's files complete, not that writer's, so the region is not proven.
func DigestProven(files []LogFile) map[string]map[string]bool {
	type key struct{ account, region string }
	seen, bad := map[key]bool{}, map[key]bool{}
	spans := digestSpans(files)
	for _, f := range files {
		k := key{f.AccountID, f.Region}
		switch {
		case f.Kind == LogFileKindDigest && f.Verification == VerificationVerified:
			seen[k] = true
		case f.Verification == VerificationMissing || f.Verification == VerificationMismatch || f.Verification == VerificationGap:
			bad[k] = true
		case f.Kind == LogFileKindLog && (f.Verification == VerificationUnverified || f.Verification == ""):
			if s, ok := spans[regionKey{f.AccountID, f.Region}]; ok && s.holds(f.Path) {
				bad[k] = true
			}
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

type regionKey struct{ account, region string }

// digestSpan is the delivery hours some digests read cover: from the end
// of the earliest to the end of the latest (digest names carry their end).
type digestSpan struct{ first, last time.Time }

// holds says whether the log file at path was delivered inside the span,
// more than an hour before its end (so that the digest listing it, or a
// backfill digest, would have been read): a digest should have listed it.
// A name without a delivery time cannot be placed, and is held.
func (s digestSpan) holds(path string) bool {
	at, ok := LogFileDelivered(path)
	return !ok || (!at.Before(s.first) && !at.Add(time.Hour).After(s.last))
}

// digestSpans is, per account and region, the span of the digests read
// there (rows of digests on disk, which carry their hash).
func digestSpans(files []LogFile) map[regionKey]digestSpan {
	out := map[regionKey]digestSpan{}
	for _, f := range files {
		if f.Kind != LogFileKindDigest || f.SHA256 == "" {
			continue
		}
		end, ok := DigestEnd(f.Path)
		if !ok {
			continue
		}
		k := regionKey{f.AccountID, f.Region}
		s, seen := out[k]
		if !seen || end.Before(s.first) {
			s.first = end
		}
		if end.After(s.last) {
			s.last = end
		}
		out[k] = s
	}
	return out
}

// missingRegion is a region with log files but no digest, in an account
// whose digests elsewhere span the files' delivery hours.
type missingRegion struct {
	account, region string
	files           int
	first, last     time.Time
	path            string // the earliest such file
}

// regionsWithoutDigests finds the regions where CloudTrail delivered log
// files and the account's trail wrote digests elsewhere over those hours,
// but no digest was read for the region: a trail that validates writes
// digests in every region it logs, so the region's digests are gone and
// its deleted log files would go unnoticed. (A second trail without
// validation writing to the same folders also lands here: its files are
// then vouched for by nothing, which is what review is for.)
func regionsWithoutDigests(files []LogFile) []missingRegion {
	spans := digestSpans(files)
	account := map[string]digestSpan{}
	hasDigests := map[regionKey]bool{}
	for k, s := range spans {
		a, ok := account[k.account]
		if !ok || s.first.Before(a.first) {
			a.first = s.first
		}
		if s.last.After(a.last) {
			a.last = s.last
		}
		account[k.account] = a
	}
	for _, f := range files {
		if f.Kind == LogFileKindDigest {
			hasDigests[regionKey{f.AccountID, f.Region}] = true
		}
	}
	found := map[regionKey]*missingRegion{}
	for _, f := range files {
		k := regionKey{f.AccountID, f.Region}
		s, ok := account[f.AccountID]
		if f.Kind != LogFileKindLog || f.Verification != "" || hasDigests[k] || !ok || !s.holds(f.Path) {
			continue
		}
		at, _ := LogFileDelivered(f.Path)
		m := found[k]
		if m == nil {
			m = &missingRegion{account: f.AccountID, region: f.Region, first: at, last: at, path: f.Path}
			found[k] = m
		}
		m.files++
		if at.Before(m.first) {
			m.first, m.path = at, f.Path
		}
		if at.After(m.last) {
			m.last = at
		}
	}
	out := make([]missingRegion, 0, len(found))
	for _, m := range found {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b missingRegion) int {
		return strings.Compare(a.account+"/"+a.region, b.account+"/"+b.region)
	})
	return out
}

// LogFileDelivered is the delivery time in a CloudTrail log file's name,
// <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz.
func LogFileDelivered(path string) (time.Time, bool) {
	parts := strings.Split(baseName(path), "_")
	if len(parts) < 5 || parts[1] != "CloudTrail" {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", parts[3])
	return t, err == nil
}

// DigestEnd is the end time in a CloudTrail digest file's name,
// <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHmmssZ>[_backfill].json.gz.
func DigestEnd(path string) (time.Time, bool) {
	name := strings.TrimSuffix(baseName(path), "_backfill")
	i := strings.LastIndexByte(name, '_')
	if i < 0 || !strings.Contains(name, "_CloudTrail-Digest_") {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405Z", name[i+1:])
	return t, err == nil
}

// baseName is a path's or S3 key's last element without .json.gz or .json.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	p = strings.TrimSuffix(p, ".gz")
	return strings.TrimSuffix(p, ".json")
}
