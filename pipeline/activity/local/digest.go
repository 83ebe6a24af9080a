package local

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// CloudTrail log file integrity validation (digest files), as AWS documents
// it ("CloudTrail digest file structure", "Custom implementations of
// CloudTrail log file integrity validation") and as `aws cloudtrail
// validate-logs` implements it: a digest lists the log files delivered in
// its hour with the hex SHA-256 of each file's decompressed content, and
// links to the previous digest of the same trail and region by its S3 key
// and the SHA-256 of its decompressed content. Signatures (S3 object
// metadata x-amz-meta-signature) are not on disk, so a run from disk checks
// hashes and the chain but never signatures, and says so; a run from S3
// keeps the metadata in its sync index and checks them too (digestsig.go).

// digestFolder is the sibling of CloudTrail that holds the digests.
const digestFolder = "CloudTrail-Digest"

// issueVerification is the log files table's Verification for a digest
// row that a chain issue concerns.
var issueVerification = map[string]string{
	activity.IssueChainBreak:    tables.VerificationGap,
	activity.IssueMissingDigest: tables.VerificationMissing,
	activity.IssueChangedDigest: tables.VerificationMismatch,
	activity.IssueNoDigest:      tables.VerificationGap,
	activity.IssueBadSignature:  tables.VerificationMismatch, // changed after delivery, as a changed hash is
	activity.IssueUnsigned:      tables.VerificationGap,      // the digest proves nothing for its hours
}

// digestJSON is the part of a digest file the checks read.
type digestJSON struct {
	AccountID               string  `json:"awsAccountId"`
	Start                   string  `json:"digestStartTime"`
	End                     string  `json:"digestEndTime"`
	Bucket                  string  `json:"digestS3Bucket"`
	Object                  string  `json:"digestS3Object"`
	Fingerprint             string  `json:"digestPublicKeyFingerprint"`
	PreviousObject          *string `json:"previousDigestS3Object"`
	PreviousHashValue       *string `json:"previousDigestHashValue"`
	PreviousHashAlgorithm   *string `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature *string `json:"previousDigestSignature"`
	LogFiles                []struct {
		Object        string `json:"s3Object"`
		HashValue     string `json:"hashValue"`
		HashAlgorithm string `json:"hashAlgorithm"`
	} `json:"logFiles"`
}

// digest is one parsed digest file.
type digest struct {
	path, key              string // on disk; key from AWSLogs/ on
	size                   int64  // bytes on disk
	account, region, trail string
	backfill               bool
	start, end             time.Time
	sum                    string // hex SHA-256 of its decompressed content
	prevKey, prevHash      string // "" when the chain starts here
	logs                   []digestLog

	// For the signature (digestsig.go): the fields it signs as written.
	endRaw, s3Bucket, s3Object, fingerprint string
	prevSig                                 *string    // nil when JSON null
	meta                                    *sigMeta   // from the sync index; nil from disk
	sig                                     *digestSig // nil when not checked
}

type digestLog struct{ key, hash string }

// awsLogsKey is the part of a path or S3 key from its AWSLogs/ folder on,
// which is how a local copy and a digest's s3Object name the same object
// whatever the bucket's key prefix or the local root.
func awsLogsKey(p string) (string, bool) {
	p = filepath.ToSlash(p)
	if strings.HasPrefix(p, "AWSLogs/") {
		return p, true
	}
	i := strings.LastIndex(p, "/AWSLogs/")
	if i < 0 {
		return "", false
	}
	return p[i+1:], true
}

// discoverDigests lists the digest files for the days q reads, and the day
// after: the digest of a day's last hour is delivered in the next day's
// folder.
func discoverDigests(ctx context.Context, root string, q activity.Query) ([]LogFile, error) {
	first, last := q.ReadDays()
	d := newDiscovery(ctx, q, first, last.AddDate(0, 0, 1))
	d.folder = digestFolder
	files, err := d.list(root)
	if err != nil {
		return nil, fmt.Errorf("listing CloudTrail digest files: %w", err)
	}
	slices.SortFunc(files, func(a, b LogFile) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// readDigest parses one digest file. A digest that cannot be read is an
// error naming it: a damaged digest proves nothing and must not be skipped.
func readDigest(f LogFile) (*digest, error) {
	raw, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("reading CloudTrail digest file %s: %w", f.Path, err)
	}
	text := raw
	if strings.HasSuffix(f.Path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("reading CloudTrail digest file %s: not a gzip file: %w", f.Path, err)
		}
		if text, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("reading CloudTrail digest file %s: the gzip stream is damaged: %w", f.Path, err)
		}
	}
	var j digestJSON
	if err := json.Unmarshal(text, &j); err != nil {
		return nil, fmt.Errorf("reading CloudTrail digest file %s: not a digest's JSON (delete or restore it): %w", f.Path, err)
	}
	sum := sha256.Sum256(text)
	d := &digest{path: f.Path, size: f.Size, account: f.AccountID, region: f.Region, sum: hex.EncodeToString(sum[:]),
		endRaw: j.End, s3Bucket: j.Bucket, s3Object: j.Object, fingerprint: j.Fingerprint, prevSig: j.PreviousDigestSignature}
	d.key, _ = awsLogsKey(f.Path)
	if d.start, err = time.Parse(time.RFC3339, j.Start); err != nil {
		return nil, fmt.Errorf("reading CloudTrail digest file %s: field digestStartTime %q: %w", f.Path, j.Start, err)
	}
	if d.end, err = time.Parse(time.RFC3339, j.End); err != nil {
		return nil, fmt.Errorf("reading CloudTrail digest file %s: field digestEndTime %q: %w", f.Path, j.End, err)
	}
	if j.PreviousObject != nil && j.PreviousHashValue != nil {
		d.prevKey, _ = awsLogsKey(*j.PreviousObject)
		d.prevHash = strings.ToLower(*j.PreviousHashValue)
	}
	name := strings.TrimSuffix(filepath.Base(f.Path), ".json.gz")
	name, d.backfill = strings.CutSuffix(name, "_backfill")
	// <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<end>
	if rest, ok := strings.CutPrefix(name, f.AccountID+"_CloudTrail-Digest_"+f.Region+"_"); ok {
		if i := strings.LastIndexByte(rest, '_'); i > 0 {
			rest = rest[:i]
			if i := strings.LastIndexByte(rest, '_'); i > 0 {
				d.trail = rest[:i]
			}
		}
	}
	if d.trail == "" {
		return nil, fmt.Errorf("reading CloudTrail digest file %s: its name is not <account>_CloudTrail-Digest_<region>_<trail>_<region>_<time>.json.gz (rename it as CloudTrail delivered it)", f.Path)
	}
	for _, l := range j.LogFiles {
		k, ok := awsLogsKey(l.Object)
		if !ok {
			return nil, fmt.Errorf("reading CloudTrail digest file %s: field logFiles.s3Object %q is not under AWSLogs/", f.Path, l.Object)
		}
		d.logs = append(d.logs, digestLog{key: k, hash: strings.ToLower(l.HashValue)})
	}
	return d, nil
}

// digestSlack is how far apart consecutive digests' times may be and still
// be one unbroken hour after another: CloudTrail's times are seconds apart.
const digestSlack = 5 * time.Minute

// linkedSlack is how far apart two linked digests' times may be: less than
// the half hour that would let a whole hourly digest go missing between them.
const linkedSlack = 30 * time.Minute

// loadedDigests is loadDigests' answer, passed from the goroutine that
// reads the digests while the scan runs.
type loadedDigests struct {
	all []*digest
	err error
}

// loadDigests reads every digest for q under root, in path order, and
// checks their signatures when sigs is set (a run from S3).
func loadDigests(ctx context.Context, root string, q activity.Query, sigs *signatureChecker) ([]*digest, error) {
	found, err := discoverDigests(ctx, root, q)
	if err != nil {
		return nil, err
	}
	all := make([]*digest, 0, len(found))
	for _, f := range found {
		d, err := readDigest(f)
		if err != nil {
			return nil, err
		}
		all = append(all, d)
	}
	if sigs != nil {
		if err := readSignatures(all); err != nil {
			return nil, err
		}
		if err := sigs.check(ctx, all); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// verifyDigests is loadDigests then checkDigests.
func verifyDigests(ctx context.Context, root string, q activity.Query, rows []tables.LogFile, sigs *signatureChecker) ([]tables.LogFile, *activity.DigestReport, error) {
	all, err := loadDigests(ctx, root, q, sigs)
	if err != nil {
		return rows, nil, err
	}
	rows, rep := checkDigests(all, q, rows)
	return rows, rep, nil
}

// checkDigests checks the log files a run read (their rows, with SHA256 set
// by the scan) against the digests. It sets Digest and Verification on the
// rows, appends a row for each listed file that is missing and one per
// digest, and returns the report; nil when there is no digest at all, so
// that a trail without validation changes nothing.
func checkDigests(all []*digest, q activity.Query, rows []tables.LogFile) ([]tables.LogFile, *activity.DigestReport) {
	if len(all) == 0 {
		return rows, nil
	}
	// The directory that holds AWSLogs, to give a missing file its path.
	base := strings.TrimSuffix(filepath.ToSlash(all[0].path), "/"+all[0].key)

	type regionKey struct{ account, region string }
	type listed struct {
		d    *digest
		hash string
	}
	regions := map[regionKey]*activity.DigestRegion{}
	region := func(a, r string) *activity.DigestRegion {
		k := regionKey{a, r}
		if regions[k] == nil {
			regions[k] = &activity.DigestRegion{AccountID: a, Region: r}
		}
		return regions[k]
	}
	byKey := map[string]listed{}
	days := map[regionKey]map[time.Time]bool{} // digests' days, for "unverified"
	for _, d := range all {
		region(d.account, d.region).Digests++
		rk := regionKey{d.account, d.region}
		if days[rk] == nil {
			days[rk] = map[time.Time]bool{}
		}
		for t := d.start.Truncate(24 * time.Hour); !t.After(d.end); t = t.Add(24 * time.Hour) {
			days[rk][t] = true
		}
		for _, l := range d.logs {
			byKey[l.key] = listed{d, l.hash}
		}
	}

	var issues []activity.DigestIssue
	seen := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		if r.Kind != tables.LogFileKindLog {
			continue
		}
		key, ok := awsLogsKey(r.Path)
		if !ok {
			continue
		}
		seen[key] = true
		l, listedOK := byKey[key]
		switch {
		case listedOK && r.SHA256 == "":
			r.Digest, r.Verification = l.d.path, tables.VerificationUnhashed
			region(r.AccountID, r.Region).Unhashed++
		case listedOK && r.SHA256 == l.hash:
			r.Digest, r.Verification = l.d.path, tables.VerificationVerified
			region(r.AccountID, r.Region).Verified++
		case listedOK:
			r.Digest, r.Verification = l.d.path, tables.VerificationMismatch
			r.GapStart, r.GapEnd = l.d.start.Truncate(time.Hour), ceilHour(l.d.end)
			region(r.AccountID, r.Region).Mismatch++
			issues = append(issues, activity.DigestIssue{AccountID: r.AccountID, Region: r.Region, Trail: l.d.trail, Kind: activity.IssueMismatch,
				Start: l.d.start.Truncate(time.Hour), End: ceilHour(l.d.end), Path: r.Path,
				Detail: fmt.Sprintf("SHA-256 %s, digest %s says %s", r.SHA256, l.d.path, l.hash)})
		case days[regionKey{r.AccountID, r.Region}][fileDay(key)]:
			r.Verification = tables.VerificationUnverified
			region(r.AccountID, r.Region).Unverified++
		}
	}
	first, last := q.ReadDays()
	for _, d := range all {
		for _, l := range d.logs {
			if seen[l.key] {
				continue
			}
			day := fileDay(l.key)
			if day.IsZero() || day.Before(first) || day.After(last) {
				continue // a day the run does not read
			}
			p := base + "/" + l.key
			rows = append(rows, tables.LogFile{AccountID: d.account, Region: d.region, Path: p,
				Kind: tables.LogFileKindLog, SHA256: l.hash, Digest: d.path, Verification: tables.VerificationMissing,
				GapStart: d.start.Truncate(time.Hour), GapEnd: ceilHour(d.end)})
			region(d.account, d.region).Missing++
			issues = append(issues, activity.DigestIssue{AccountID: d.account, Region: d.region, Trail: d.trail, Kind: activity.IssueMissing,
				Start: d.start.Truncate(time.Hour), End: ceilHour(d.end), Path: p, Detail: "listed by " + d.path})
		}
	}
	// One row per digest read, verified unless the chain says otherwise.
	digestRow := map[string]int{}
	for _, d := range all {
		digestRow[d.path] = len(rows)
		rows = append(rows, tables.LogFile{AccountID: d.account, Region: d.region, Path: filepath.ToSlash(d.path), Size: d.size,
			Kind: tables.LogFileKindDigest, SHA256: d.sum, Digest: d.path, Verification: tables.VerificationVerified})
	}
	broken := append(chainIssues(all, q, base), signatureIssues(all, q)...)
	for _, i := range broken {
		v := issueVerification[i.Kind]
		if n, ok := digestRow[i.Path]; ok && rows[n].Verification == tables.VerificationVerified {
			rows[n].Verification, rows[n].GapStart, rows[n].GapEnd = v, i.Start, i.End
			continue
		}
		if n, ok := digestRow[i.Path]; ok && (i.Kind == activity.IssueBadSignature || i.Kind == activity.IssueUnsigned) {
			// The chain already marked this digest; its bad signature is a
			// second reason for the same row, and tampering outranks a gap.
			if i.Kind == activity.IssueBadSignature {
				rows[n].Verification = v
			}
			rows[n].GapStart, rows[n].GapEnd = minNonZero(rows[n].GapStart, i.Start), maxTime(rows[n].GapEnd, i.End)
			continue
		}
		rows = append(rows, tables.LogFile{AccountID: i.AccountID, Region: i.Region, Path: filepath.ToSlash(i.Path),
			Kind: tables.LogFileKindDigest, Verification: v, GapStart: i.Start, GapEnd: i.End})
	}
	slices.SortStableFunc(rows, func(a, b tables.LogFile) int { return strings.Compare(a.Path, b.Path) })
	issues = append(issues, broken...)
	for k, r := range regions {
		r.Unbroken = r.Digests > 0 && !slices.ContainsFunc(broken, func(i activity.DigestIssue) bool {
			return i.AccountID == k.account && i.Region == k.region
		})
	}
	rep := &activity.DigestReport{SignaturesChecked: all[0].sig != nil}
	for _, r := range regions {
		rep.Regions = append(rep.Regions, *r)
	}
	slices.SortFunc(rep.Regions, func(a, b activity.DigestRegion) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.Region, b.Region))
	})
	slices.SortFunc(issues, func(a, b activity.DigestIssue) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.Region, b.Region),
			a.Start.Compare(b.Start), cmp.Compare(a.Path, b.Path))
	})
	rep.Issues = issues
	return rows, rep
}

// chainIssues follows each (account, region, trail)'s digests in time order
// and reports every hour of the window the chain does not vouch for: a
// digest missing (its successor names a key not found), changed (its hash
// is not the one its successor recorded), a restart (no previous digest
// after a stop), and the window's ends when no digest reaches them.
func chainIssues(all []*digest, q activity.Query, base string) []activity.DigestIssue {
	type chainKey struct{ account, region, trail string }
	chains := map[chainKey][]*digest{}
	for _, d := range all {
		if d.backfill {
			continue // a backfill digest lists late files; it is not a link
		}
		k := chainKey{d.account, d.region, d.trail}
		chains[k] = append(chains[k], d)
	}
	from, to := q.Start.Truncate(time.Hour), ceilHour(q.End)
	var out []activity.DigestIssue
	gap := func(k chainKey, kind string, start, end time.Time, path, detail string) {
		start, end = maxTime(start, from), minTime(end, to)
		if !start.Before(end) {
			return
		}
		out = append(out, activity.DigestIssue{AccountID: k.account, Region: k.region, Trail: k.trail, Kind: kind,
			Start: start, End: end, Path: path, Detail: detail})
	}
	for k, ds := range chains {
		slices.SortFunc(ds, func(a, b *digest) int { return a.end.Compare(b.end) })
		if ds[0].start.After(from.Add(digestSlack)) {
			gap(k, activity.IssueNoDigest, from, ceilHour(ds[0].start), ds[0].path, "no digest before "+ds[0].start.Format(time.RFC3339))
		}
		for i := 1; i < len(ds); i++ {
			prev, cur := ds[i-1], ds[i]
			hours := func() (time.Time, time.Time) { return prev.end.Truncate(time.Hour), ceilHour(cur.start) }
			switch {
			case cur.prevKey == "":
				if cur.start.Sub(prev.end) > digestSlack {
					s, e := hours()
					gap(k, activity.IssueChainBreak, s, e, cur.path, "the chain restarts at "+cur.path+" (logging or validation was stopped)")
				}
			case cur.prevKey != prev.key:
				s, e := hours()
				gap(k, activity.IssueMissingDigest, s, e, base+"/"+cur.prevKey, "digest "+cur.prevKey+" named by "+cur.path+" is missing")
			case cur.prevHash != prev.sum:
				gap(k, activity.IssueChangedDigest, prev.start.Truncate(time.Hour), ceilHour(prev.end), prev.path,
					"digest "+prev.path+" was changed: its SHA-256 is not the one "+cur.path+" records")
			case cur.start.Sub(prev.end) > linkedSlack:
				// The link is intact but the hours between the two digests
				// have none: nothing vouches for what was delivered then.
				s, e := hours()
				gap(k, activity.IssueChainBreak, s, e, cur.path, "no digest covers "+prev.end.Format(time.RFC3339)+" to "+
					cur.start.Format(time.RFC3339)+" although "+cur.path+" links to the digest before them")
			}
		}
		// Digests arrive about an hour after the hour they cover, so the
		// chain must reach, like the records, 24 hours before the as-of.
		need := q.End.Add(-24 * time.Hour)
		if lastEnd := ds[len(ds)-1].end; lastEnd.Before(need.Add(-digestSlack)) {
			gap(k, activity.IssueNoDigest, lastEnd.Truncate(time.Hour), ceilHour(need), ds[len(ds)-1].path, "no digest after "+lastEnd.Format(time.RFC3339))
		}
	}
	return out
}

// fileDay is the date folder of an AWSLogs key (…/<region>/YYYY/MM/DD/<file>).
func fileDay(key string) time.Time {
	parts := strings.Split(key, "/")
	if len(parts) < 5 {
		return time.Time{}
	}
	t, err := time.Parse("2006/01/02", strings.Join(parts[len(parts)-4:len(parts)-1], "/"))
	if err != nil {
		return time.Time{}
	}
	return t
}

func ceilHour(t time.Time) time.Time {
	if h := t.Truncate(time.Hour); !h.Equal(t) {
		return h.Add(time.Hour)
	}
	return t
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// signatureIssues reports each digest whose signature a run from S3 could
// not verify, with its hours (clipped to the window): a bad signature is
// tampering, and neither vouches for what the digest lists.
func signatureIssues(all []*digest, q activity.Query) []activity.DigestIssue {
	from, to := q.Start.Truncate(time.Hour), ceilHour(q.End)
	var out []activity.DigestIssue
	for _, d := range all {
		if d.sig == nil || d.sig.problem == "" {
			continue
		}
		start, end := maxTime(d.start.Truncate(time.Hour), from), minTime(ceilHour(d.end), to)
		if !start.Before(end) {
			continue
		}
		out = append(out, activity.DigestIssue{AccountID: d.account, Region: d.region, Trail: d.trail, Kind: d.sig.kind,
			Start: start, End: end, Path: d.path, Detail: "digest " + d.path + ": " + d.sig.problem})
	}
	return out
}

// minNonZero is the earlier of a and b, ignoring a zero a.
func minNonZero(a, b time.Time) time.Time {
	if a.IsZero() {
		return b
	}
	return minTime(a, b)
}
