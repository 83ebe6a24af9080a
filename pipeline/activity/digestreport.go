package activity

import "time"

// DigestNote is the line the reports print for a run from disk: what the
// digests prove there and what they do not.
const DigestNote = "Digest file signatures were not checked (the files were read from disk, where S3's signature metadata is not kept); log file hashes and the digest chain were."

// Kinds of DigestIssue.
const (
	IssueMissing       = "missing log file"   // a digest lists it, it is not on disk
	IssueMismatch      = "log file changed"   // its hash differs from its digest's
	IssueChainBreak    = "digest chain break" // the chain restarted (logging or validation stopped)
	IssueMissingDigest = "missing digest"     // a digest its successor names is not on disk
	IssueChangedDigest = "digest changed"     // its hash is not the one its successor recorded
	IssueNoDigest      = "no digest"          // the window's edge hours have no digest
)

// DigestIssue is one thing the digests show to be wrong, with the hours of
// its region it leaves without proof of what happened.
type DigestIssue struct {
	AccountID, Region, Trail string
	Kind                     string
	Start, End               time.Time // hours affected, [Start, End)
	Path                     string    // the log file or digest concerned
	Detail                   string
}

// DigestRegion sums up one account and region's digests over the window.
type DigestRegion struct {
	AccountID, Region string
	Digests           int // digest files read
	Verified          int // log files whose hash matched
	Missing           int
	Mismatch          int
	Unverified        int // log files read that no digest lists
	Unhashed          int // log files covered by digests but taken from the cache unread
	// Unbroken: the digests form one chain over the whole window, so hours
	// without log files are proven to have had no events.
	Unbroken bool
}

// DigestReport is what the digests say about the files a local run read.
type DigestReport struct {
	Regions []DigestRegion // sorted by account, region
	Issues  []DigestIssue  // sorted by account, region, start
	// SignaturesChecked is false for every run from disk; true when the
	// digests came from S3 and their signatures were verified (digestsig.go).
	SignaturesChecked bool
	// Statement, when set, replaces Note's line: an engine whose digests
	// prove less about the log files than a local scan's says what they prove.
	Statement string
}

// Note is the line the reports print about what the digests prove:
// DigestNoteS3 when signatures were checked, DigestNote otherwise.
func (r *DigestReport) Note() string {
	if r != nil && r.Statement != "" {
		return r.Statement
	}
	if r != nil && r.SignaturesChecked {
		return DigestNoteS3
	}
	return DigestNote
}

// DigestNoteS3 is the line the reports print for a run whose digests came
// from S3 with their signatures.
const DigestNoteS3 = "Digest file signatures were checked against CloudTrail's public keys (ListPublicKeys), as `aws cloudtrail validate-logs` does; log file hashes and the digest chain were checked too."

// Kinds of DigestIssue a signature check adds.
const (
	IssueBadSignature = "digest signature invalid"  // the digest or its signature was changed: tampering
	IssueUnsigned     = "digest signature unproven" // no signature metadata, or no public key for it
)
