package local

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// DigestNoteAthena is the line the reports print for an Athena run whose
// digests' signatures were checked.
const DigestNoteAthena = "Digest file signatures were checked against CloudTrail's public keys (ListPublicKeys) and the digest chain was checked, from the trail bucket the Athena table reads; " +
	"each log file a digest lists was checked to exist in S3; the log files' contents were not hashed (Athena read them, dormant did not), so a log file changed in place would not be detected."

// DigestNoteAthenaUnsigned is the line for an Athena run given no
// CloudTrail client to list the public keys with.
const DigestNoteAthenaUnsigned = "Digest file signatures were not checked (the run had no CloudTrail client for ListPublicKeys); the digest chain was checked, from the trail bucket the Athena table reads; " +
	"each log file a digest lists was checked to exist in S3; the log files' contents were not hashed (Athena read them, dormant did not), so a log file changed in place would not be detected."

// TrailScope is the part of a trail bucket a query reads:
// s3://<Bucket>/<Prefix>AWSLogs/[o-id/][Account/CloudTrail/[Region/]].
type TrailScope struct {
	Bucket, Prefix  string // Prefix ends in AWSLogs/
	Account, Region string // "" when the scope does not narrow to one
}

// CheckS3Digests copies the digests of q's days (and the day after) from the
// scope's bucket into a temporary folder, with their signature metadata,
// lists the log files of q's days, and checks them as the local engine does
// (checkDigests) with no hashes: a listed file that exists is
// VerificationExists, one that does not is missing. Paths in the rows and
// issues are S3 URIs. keys nil leaves the signatures unchecked.
func CheckS3Digests(ctx context.Context, client S3SyncAPI, scope TrailScope, q activity.Query, keys PublicKeysAPI, log *slog.Logger) ([]tables.LogFile, *activity.DigestReport, error) {
	started := time.Now()
	tmp, err := os.MkdirTemp("", "dormant-athena-digests-")
	if err != nil {
		return nil, nil, fmt.Errorf("creating a temporary folder for the trail's digests: %w", err)
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, "s3", scope.Bucket)
	s := &syncer{
		client: client, bucket: scope.Bucket, prefix: scope.Prefix, q: q, conc: 16, log: log, maxSize: DefaultMaxLogFileSize,
		res: &SyncResult{Root: filepath.Join(local, filepath.FromSlash(scope.Prefix)), etags: map[string]string{}},
	}
	s.downloads = make(chan struct{}, s.conc)
	regions, digestRegions, err := s.regionPrefixes(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing the trail bucket the Athena table reads for its digests: %w", err)
	}
	if scope.Region != "" {
		inRegion := func(p string) bool { return !strings.HasSuffix(p, "/"+scope.Region+"/") }
		regions, digestRegions = slices.DeleteFunc(regions, inRegion), slices.DeleteFunc(digestRegions, inRegion)
	}
	uri := "s3://" + scope.Bucket + "/"
	if len(digestRegions) == 0 {
		log.Info("no CloudTrail digests in the trail bucket the Athena table reads: coverage assumed, not proven", "source", uri+scope.Prefix)
		return nil, nil, nil
	}

	var (
		mu   sync.Mutex
		rows []tables.LogFile
	)
	first, last := q.ReadDays()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.conc)
	for _, r := range digestRegions {
		for d := first; !d.After(last.AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
			dayPrefix := r + d.Format("2006/01/02") + "/"
			g.Go(func() error { return s.syncDay(gctx, dayPrefix, true) })
		}
	}
	for _, r := range regions {
		account, region, ok := regionOf(strings.TrimPrefix(r, scope.Prefix))
		if !ok {
			continue
		}
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			dayPrefix := r + d.Format("2006/01/02") + "/"
			g.Go(func() error {
				_, objects, err := s.list(gctx, dayPrefix, false)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				for _, o := range objects {
					if isLogFileName(strings.TrimPrefix(o.key, dayPrefix)) {
						rows = append(rows, tables.LogFile{AccountID: account, Region: region, Path: uri + o.key, Size: o.size, Kind: tables.LogFileKindLog})
					}
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("checking the trail's digests in %s: %w", uri+scope.Prefix, context.Cause(ctx))
		}
		return nil, nil, fmt.Errorf("checking the trail's digests in %s: %w", uri+scope.Prefix, err)
	}
	var sigs *signatureChecker
	if keys != nil {
		sigs = &signatureChecker{api: keys}
	}
	all, err := loadDigests(ctx, s.res.Root, q, sigs)
	if err != nil {
		return nil, nil, err
	}
	if len(all) == 0 {
		log.Info("no CloudTrail digests for the window's days in the trail bucket the Athena table reads: coverage assumed, not proven", "source", uri+scope.Prefix)
		return nil, nil, nil
	}
	rows, rep := checkDigests(all, q, rows)

	// The digests' copies are temporary: every path the run reports is the
	// object's S3 URI.
	toURI := func(p string) string {
		return strings.ReplaceAll(filepath.ToSlash(p), filepath.ToSlash(local)+"/", uri)
	}
	for i := range rows {
		r := &rows[i]
		r.Path, r.Digest = toURI(r.Path), toURI(r.Digest)
		if r.Verification == tables.VerificationUnhashed {
			r.Verification = tables.VerificationExists
		}
	}
	for i := range rep.Issues {
		rep.Issues[i].Path, rep.Issues[i].Detail = toURI(rep.Issues[i].Path), toURI(rep.Issues[i].Detail)
	}
	rep.Statement = DigestNoteAthenaUnsigned
	if rep.SignaturesChecked {
		rep.Statement = DigestNoteAthena
	}
	log.Info("checked the trail's CloudTrail digests for the Athena run", "source", uri+scope.Prefix, "digests", len(all),
		"regions", len(rep.Regions), "issues", len(rep.Issues), "seconds", time.Since(started).Seconds(), "note", rep.Note())
	for _, i := range rep.Issues {
		log.Warn("CloudTrail digests show a problem", "account", i.AccountID, "region", i.Region, "trail", i.Trail,
			"problem", i.Kind, "from", i.Start, "to", i.End, "path", i.Path, "detail", i.Detail)
	}
	return rows, rep, nil
}

// regionOf reads the account and region from a CloudTrail/<region>/ prefix
// below AWSLogs/ ([o-id/]<account>/CloudTrail/<region>/).
func regionOf(rel string) (account, region string, ok bool) {
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	if len(parts) > 0 && strings.HasPrefix(parts[0], "o-") {
		parts = parts[1:]
	}
	if len(parts) != 3 || !activity.IsAccountID(parts[0]) || parts[1] != "CloudTrail" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}
