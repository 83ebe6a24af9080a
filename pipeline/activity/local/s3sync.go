package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	prog "github.com/dormant-iam/dormant/internal/progress"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// S3SyncAPI is the part of the S3 API SyncS3 calls (*s3.Client implements it).
type S3SyncAPI interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// SyncOptions configure SyncS3.
type SyncOptions struct {
	// Concurrency is how many listings, and how many downloads, run at once
	// (default 16).
	Concurrency int
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// MaxObjectSize bounds a log file object's stored size; a larger one is
	// refused before it is downloaded (its JSON is larger still). <= 0 means
	// DefaultMaxLogFileSize, the local engine's bound on a file's JSON.
	MaxObjectSize int64
	// PublicKeys, when set, makes S3Local check each digest's signature
	// (kept from the object's metadata) with CloudTrail's public keys.
	// Nil: the digests' hashes and chain are checked, their signatures not.
	PublicKeys PublicKeysAPI
	// Progress is a terminal to redraw the sync's progress line on
	// (objects and bytes downloaded, rate, time left); nil: a sync longer
	// than two seconds logs its progress every 10 seconds.
	Progress io.Writer

	progressEvery time.Duration // tests: report from the start, this often
}

// SyncResult says what SyncS3 did.
type SyncResult struct {
	// Root is the local copy of the bucket's AWSLogs folder: the root to
	// give the local engine.
	Root string
	// Prefixes is the number of day prefixes listed (per account, region
	// and day read).
	Prefixes int
	// Downloaded objects and their bytes; Skipped objects already in the
	// cache with the same size and ETag, and their bytes.
	Downloaded, Skipped           int
	DownloadedBytes, SkippedBytes int64
	// Removed is the number of cached files whose object is gone from S3.
	Removed int

	etags map[string]string // local path -> ETag
}

// ETag returns the S3 ETag of a log file the sync put in (or found in) the
// cache; it is safe for concurrent use, and fits WithETags.
func (r *SyncResult) ETag(path string) (string, bool) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	e, ok := r.etags[filepath.Clean(path)]
	return e, ok
}

// DefaultCacheDir is where SyncS3 keeps log files by default:
// <user cache dir>/dormant/cloudtrail.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache folder for the CloudTrail cache: %w; pass --cache", err)
	}
	return filepath.Join(dir, "dormant", "cloudtrail"), nil
}

// syncIndexName is the sidecar index of a cached day folder: the ETag and
// size of every object downloaded into it and, in a CloudTrail-Digest day
// folder, each digest's signature metadata, which the digest check reads
// back (readSignatures). Its leading dot keeps it out of the local
// engine's scan: discovery skips hidden names, so it is never a log file
// nor an unlisted file.
const syncIndexName = ".dormant-sync.json"

type syncIndex struct {
	Format  int                     `json:"format"`
	Source  string                  `json:"source"` // s3://bucket/.../YYYY/MM/DD/
	Objects map[string]syncedObject `json:"objects"`
}

type syncedObject struct {
	ETag string `json:"etag"`
	Size int64  `json:"size"`
	// A digest's S3 user metadata x-amz-meta-signature (hex) and
	// x-amz-meta-signature-algorithm, as GetObject returned them; empty for
	// log files, and for a digest S3 kept no signature for.
	Signature          string `json:"signature,omitempty"`
	SignatureAlgorithm string `json:"signature_algorithm,omitempty"`
}

// decodeIndex parses a sync index, refusing one of another format.
func decodeIndex(data []byte) (syncIndex, error) {
	var idx syncIndex
	if err := json.Unmarshal(data, &idx); err != nil {
		return syncIndex{}, fmt.Errorf("not a sync index's JSON: %w", err)
	}
	if idx.Format != 1 || idx.Objects == nil {
		return syncIndex{}, fmt.Errorf("sync index format %d without objects, want format 1", idx.Format)
	}
	return idx, nil
}

// SyncS3 copies the CloudTrail log files a query for q reads from
// bucketURI (s3://bucket/[prefix/]AWSLogs/; "AWSLogs/" is added when
// missing) into cacheDir (DefaultCacheDir when empty), under
// <cacheDir>/s3/<bucket>/<prefix>AWSLogs/, mirroring the keys (the "s3"
// level leaves the folder free for the local engine's own cache, WithCache).
//
// It lists accounts (both AWSLogs/<account>/ and the organization trail's
// AWSLogs/<o-id>/<account>/), then each account's CloudTrail/<region>/
// folders, then only the day prefixes of q.ReadDays (the days the local
// engine reads), several at a time. The CloudTrail-Digest/<region>/ day
// prefixes of the same days and the day after (a day's last digest is
// delivered the next day, and the chain's check needs it) are copied too,
// each digest's signature metadata kept in the day folder's index;
// CloudTrail-Insight is never listed. An object already cached with the
// same size and ETag is skipped; others are downloaded in parallel, each
// written atomically.
// Cached files whose object is gone are removed. Then run NewLocal on Root.
func SyncS3(ctx context.Context, client S3SyncAPI, bucketURI, cacheDir string, q activity.Query, opts SyncOptions) (*SyncResult, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	bucket, prefix, err := parseTrailURI(bucketURI)
	if err != nil {
		return nil, err
	}
	if cacheDir == "" {
		if cacheDir, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	if cacheDir, err = filepath.Abs(cacheDir); err != nil {
		return nil, fmt.Errorf("finding the CloudTrail cache folder: %w", err)
	}
	s := &syncer{
		client: client, bucket: bucket, prefix: prefix, q: q,
		conc: opts.Concurrency, log: opts.Logger, maxSize: opts.MaxObjectSize,
		res: &SyncResult{Root: filepath.Join(cacheDir, "s3", bucket, filepath.FromSlash(prefix)), etags: map[string]string{}},
	}
	if s.conc <= 0 {
		s.conc = 16
	}
	if s.maxSize <= 0 {
		s.maxSize = DefaultMaxLogFileSize
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.downloads = make(chan struct{}, s.conc)
	started := time.Now()
	rep := prog.New(opts.Progress, s.log, "syncing CloudTrail logs from S3", s.count.render("s3://"+bucket+"/"+prefix))
	if opts.progressEvery > 0 {
		rep.Quiet, rep.Tick, rep.LogEvery = 0, opts.progressEvery, opts.progressEvery
	}
	rep.Start()
	defer rep.Stop()

	regions, digestRegions, err := s.regionPrefixes(ctx)
	if err != nil {
		return nil, err
	}
	first, last := q.ReadDays()
	days := int64(last.Sub(first).Hours()/24) + 1
	s.count.days.Store(int64(len(regions))*days + int64(len(digestRegions))*(days+1))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.conc)
	for _, r := range regions {
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			dayPrefix := r + d.Format("2006/01/02") + "/"
			g.Go(func() error { return s.syncDay(gctx, dayPrefix, false) })
		}
	}
	// The days discoverDigests reads: the log days and the day after.
	for _, r := range digestRegions {
		for d := first; !d.After(last.AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
			dayPrefix := r + d.Format("2006/01/02") + "/"
			g.Go(func() error { return s.syncDay(gctx, dayPrefix, true) })
		}
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("syncing CloudTrail logs from s3://%s/%s: %w", bucket, prefix, context.Cause(ctx))
		}
		return nil, err
	}
	r := s.res
	s.log.Info("synced CloudTrail logs from S3", "source", "s3://"+bucket+"/"+prefix, "cache", r.Root,
		"day_prefixes", r.Prefixes, "downloaded", r.Downloaded, "downloaded_bytes", r.DownloadedBytes,
		"skipped", r.Skipped, "skipped_bytes", r.SkippedBytes, "removed", r.Removed, "seconds", time.Since(started).Seconds())
	return r, nil
}

// parseTrailURI splits s3://bucket/[prefix/]AWSLogs/ into the bucket and the
// key prefix ending in AWSLogs/, refusing what cannot map to a folder.
func parseTrailURI(uri string) (bucket, prefix string, err error) {
	bucket, key, err := activity.ParseS3URI(uri)
	if err != nil {
		return "", "", fmt.Errorf("--cloudtrail: %w", err)
	}
	for _, r := range bucket {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' || r >= 'A' && r <= 'Z') {
			return "", "", fmt.Errorf("--cloudtrail %q: %q is not an S3 bucket name", uri, bucket)
		}
	}
	if bucket == "." || bucket == ".." {
		return "", "", fmt.Errorf("--cloudtrail %q: %q is not an S3 bucket name", uri, bucket)
	}
	key = strings.TrimSuffix(key, "/")
	if key == "" || !(key == "AWSLogs" || strings.HasSuffix(key, "/AWSLogs")) {
		if key != "" {
			key += "/"
		}
		key += "AWSLogs"
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, `\`+"\x00") {
			return "", "", fmt.Errorf("--cloudtrail %q: the key prefix %q cannot be mirrored in a folder (empty, . or .. parts, or backslashes)", uri, key)
		}
	}
	return bucket, key + "/", nil
}

type syncer struct {
	client         S3SyncAPI
	bucket, prefix string
	q              activity.Query
	conc           int
	log            *slog.Logger
	downloads      chan struct{} // download slots

	mu  sync.Mutex // guards res
	res *SyncResult

	maxSize int64 // the largest log file object downloaded

	count syncCount
}

// syncCount is how far a sync is, for its progress: the objects and bytes to
// download as the day prefixes listed so far tell, and those done.
type syncCount struct {
	days, daysListed atomic.Int64
	objects, objDone atomic.Int64
	bytes, bytesDone atomic.Int64
	skipped          atomic.Int64 // objects already in the cache
}

// render is the progress reporter's view of the count. Day prefixes are
// listed while earlier ones download, so until every one is listed the
// total, and the time left, are estimated from the days listed so far.
func (c *syncCount) render(source string) prog.Render {
	return func(elapsed time.Duration) (string, []any) {
		days, listed := c.days.Load(), c.daysListed.Load()
		objects, objDone := c.objects.Load(), c.objDone.Load()
		bytes, bytesDone := c.bytes.Load(), c.bytesDone.Load()
		expected, about := bytes, ""
		if listed < days {
			about = "~"
			if listed > 0 {
				expected = bytes * days / listed
			}
		}
		rate, eta := prog.Rate(bytesDone, expected, elapsed)
		line := fmt.Sprintf("syncing %s: %d/%d objects, %s/%s (%.0f%%), %s/s, %s%s left, %d/%d day prefixes listed, %d cached",
			source, objDone, objects, prog.Size(bytesDone), prog.Size(bytes), prog.Percent(bytesDone, bytes),
			prog.Size(int64(rate)), about, eta.Round(time.Second), listed, days, c.skipped.Load())
		return line, []any{"source", source, "objects_done", objDone, "objects", objects, "bytes_done", bytesDone, "bytes", bytes,
			"mb_per_s", fmt.Sprintf("%.1f", rate/1e6), "eta", about + eta.Round(time.Second).String(),
			"day_prefixes_listed", listed, "day_prefixes", days, "cached", c.skipped.Load()}
	}
}

// list returns the common prefixes (with delimiter "/") or the objects
// (without) under prefix, every page.
func (s *syncer) list(ctx context.Context, prefix string, delimited bool) (dirs []string, objects []s3Object, err error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)}
	if delimited {
		in.Delimiter = aws.String("/")
	}
	p := s3.NewListObjectsV2Paginator(s.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("listing s3://%s/%s: %w (check --cloudtrail and the s3:ListBucket permission)", s.bucket, prefix, err)
		}
		for _, cp := range out.CommonPrefixes {
			dirs = append(dirs, aws.ToString(cp.Prefix))
		}
		for _, o := range out.Contents {
			objects = append(objects, s3Object{key: aws.ToString(o.Key), etag: aws.ToString(o.ETag), size: aws.ToInt64(o.Size)})
		}
	}
	return dirs, objects, nil
}

type s3Object struct {
	key, etag string
	size      int64
}

// regionPrefixes lists the CloudTrail/<region>/ and CloudTrail-Digest/<region>/
// prefixes of every account in scope, in both layouts.
func (s *syncer) regionPrefixes(ctx context.Context) (regions, digestRegions []string, err error) {
	top, _, err := s.list(ctx, s.prefix, true)
	if err != nil {
		return nil, nil, err
	}
	inScope := func(account string) bool {
		return len(s.q.Accounts) == 0 || slices.Contains(s.q.Accounts, account)
	}
	var accounts []string // .../<account>/
	for _, d := range top {
		name := strings.TrimSuffix(strings.TrimPrefix(d, s.prefix), "/")
		switch {
		case activity.IsAccountID(name):
			if inScope(name) {
				accounts = append(accounts, d)
			}
		case strings.HasPrefix(name, "o-"):
			sub, _, err := s.list(ctx, d, true)
			if err != nil {
				return nil, nil, err
			}
			for _, a := range sub {
				if name := strings.TrimSuffix(strings.TrimPrefix(a, d), "/"); activity.IsAccountID(name) && inScope(name) {
					accounts = append(accounts, a)
				}
			}
		default:
			s.log.Debug("skipping a prefix that is neither an account nor an organization", "prefix", d)
		}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.conc)
	for _, a := range accounts {
		for _, folder := range []string{"CloudTrail/", digestFolder + "/"} {
			g.Go(func() error {
				found, _, err := s.list(gctx, a+folder, true)
				mu.Lock()
				if folder == "CloudTrail/" {
					regions = append(regions, found...)
				} else {
					digestRegions = append(digestRegions, found...)
				}
				mu.Unlock()
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	slices.Sort(regions)
	slices.Sort(digestRegions)
	return regions, digestRegions, nil
}

// syncDay brings one day prefix's log files (or digests, keeping their
// signature metadata) into the cache.
func (s *syncer) syncDay(ctx context.Context, dayPrefix string, digests bool) error {
	_, objects, err := s.list(ctx, dayPrefix, false)
	if err != nil {
		return err
	}
	dir := filepath.Join(s.res.Root, filepath.FromSlash(strings.TrimPrefix(dayPrefix, s.prefix)))
	idxPath := filepath.Join(dir, syncIndexName)
	idx := s.loadIndex(idxPath)
	source := "s3://" + s.bucket + "/" + dayPrefix

	var (
		want    = map[string]s3Object{}
		fetch   []s3Object
		skipped int
		skipB   int64
	)
	for _, o := range objects {
		name := strings.TrimPrefix(o.key, dayPrefix)
		if !isLogFileName(name) {
			continue // deeper keys, digests, anything but a log file
		}
		if o.size > s.maxSize {
			return fmt.Errorf("syncing s3://%s/%s: the object is %d bytes, larger than the %d a log file may be (--max-log-file-size): %w; "+
				"CloudTrail's own log files are a few MB: remove the object from the trail's prefix, or raise --max-log-file-size if it is genuine",
				s.bucket, o.key, o.size, s.maxSize, ErrLogFileTooLarge)
		}
		want[name] = o
		// A digest cached without its signature (by a version that did not
		// keep it) is downloaded again for it.
		if have, ok := idx.Objects[name]; ok && have.ETag == o.etag && have.Size == o.size && fileSize(filepath.Join(dir, name)) == o.size &&
			(!digests || have.Signature != "") {
			skipped++
			skipB += o.size
			continue
		}
		fetch = append(fetch, o)
	}
	var fetchB int64
	for _, o := range fetch {
		fetchB += o.size
	}
	s.count.objects.Add(int64(len(fetch)))
	s.count.bytes.Add(fetchB)
	s.count.skipped.Add(int64(skipped))
	s.count.daysListed.Add(1)

	var (
		mu     sync.Mutex
		gotB   int64
		synced = map[string]syncedObject{}
	)
	g, gctx := errgroup.WithContext(ctx)
	for _, o := range fetch {
		g.Go(func() error {
			select {
			case s.downloads <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-s.downloads }()
			got, err := s.download(gctx, o, filepath.Join(dir, strings.TrimPrefix(o.key, dayPrefix)))
			if err != nil {
				return err
			}
			mu.Lock()
			synced[strings.TrimPrefix(o.key, dayPrefix)] = got
			gotB += got.Size
			mu.Unlock()
			s.count.objDone.Add(1)
			s.count.bytesDone.Add(got.Size)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	// The new index: what was skipped, what was downloaded; cached files
	// whose object is gone are removed.
	next := syncIndex{Format: 1, Source: source, Objects: map[string]syncedObject{}}
	removed := 0
	for name := range want {
		if got, ok := synced[name]; ok {
			next.Objects[name] = got
		} else {
			next.Objects[name] = idx.Objects[name] // skipped: same ETag and size, same metadata
		}
	}
	for name := range idx.Objects {
		if _, ok := want[name]; ok {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s from the CloudTrail cache (its object is gone from S3): %w", filepath.Join(dir, name), err)
		}
		removed++
	}
	if len(fetch) > 0 || removed > 0 || len(next.Objects) != len(idx.Objects) {
		if err := writeIndex(idxPath, next); err != nil {
			return err
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res
	r.Prefixes++
	r.Downloaded += len(fetch)
	r.DownloadedBytes += gotB
	r.Skipped += skipped
	r.SkippedBytes += skipB
	r.Removed += removed
	for name, o := range next.Objects {
		r.etags[filepath.Join(dir, name)] = o.ETag
	}
	return nil
}

// download writes one object to path atomically and returns the ETag and
// size of what it wrote.
func (s *syncer) download(ctx context.Context, o s3Object, path string) (syncedObject, error) {
	uri := "s3://" + s.bucket + "/" + o.key
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(o.key)})
	if err != nil {
		return syncedObject{}, fmt.Errorf("downloading %s: %w (check the s3:GetObject permission, and kms:Decrypt if the trail is encrypted)", uri, err)
	}
	defer out.Body.Close()
	etag := aws.ToString(out.ETag)
	if etag == "" {
		etag = o.etag
	}
	var n int64
	// The cache can be downloaded again: no fsync per file. The size check
	// below catches a file a crash left short.
	err = atomicfile.WriteUnsynced(path, func(w io.Writer) error {
		// One byte past the bound shows an object larger than listed.
		n, err = io.Copy(w, io.LimitReader(out.Body, s.maxSize+1))
		if err != nil {
			return err
		}
		if n > s.maxSize {
			return fmt.Errorf("the object is larger than the %d bytes a log file may be (--max-log-file-size): %w", s.maxSize, ErrLogFileTooLarge)
		}
		if out.ContentLength != nil && n != *out.ContentLength {
			return fmt.Errorf("got %d of %d bytes", n, *out.ContentLength)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return syncedObject{}, ctx.Err()
		}
		return syncedObject{}, fmt.Errorf("downloading %s to %s: %w", uri, path, err)
	}
	// The SDK hands user metadata back without its x-amz-meta- prefix,
	// lower-cased.
	return syncedObject{ETag: etag, Size: n, Signature: out.Metadata["signature"],
		SignatureAlgorithm: out.Metadata["signature-algorithm"]}, nil
}

// loadIndex reads a day folder's index; a missing or unreadable one is
// empty (everything is downloaded again).
func (s *syncer) loadIndex(path string) syncIndex {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return syncIndex{Objects: map[string]syncedObject{}}
	}
	var idx syncIndex
	if err == nil {
		idx, err = decodeIndex(data)
	}
	if err != nil {
		s.log.Warn("ignoring an unreadable CloudTrail cache index; the day's files are downloaded again", "path", path, "err", err)
		return syncIndex{Objects: map[string]syncedObject{}}
	}
	return idx
}

func writeIndex(path string, idx syncIndex) error {
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the CloudTrail cache index %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, append(data, '\n')); err != nil {
		return fmt.Errorf("writing the CloudTrail cache index: %w", err)
	}
	return nil
}

// isLogFileName reports whether an object name in a day prefix is a
// CloudTrail log file the cache keeps: a plain name (no deeper key) ending
// in .json.gz or .json, not hidden.
func isLogFileName(name string) bool {
	return name != "" && !strings.ContainsAny(name, `/\`) && !strings.HasPrefix(name, ".") &&
		(strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json"))
}

// fileSize is the size of a regular file, -1 if there is none.
func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil || !info.Mode().IsRegular() {
		return -1
	}
	return info.Size()
}

// S3Local is the local engine fed from S3: each Run syncs the window's day
// folders into the cache folder (SyncS3), then scans them (Local).
type S3Local struct {
	client    S3SyncAPI
	uri, dir  string
	sync      SyncOptions
	localOpts []LocalOption

	mu   sync.Mutex
	last *SyncResult
}

// NewS3Local returns the local engine over the trail bucket at bucketURI,
// cached in cacheDir (DefaultCacheDir when empty); opts configure the scan.
func NewS3Local(client S3SyncAPI, bucketURI, cacheDir string, sync SyncOptions, opts ...LocalOption) *S3Local {
	return &S3Local{client: client, uri: bucketURI, dir: cacheDir, sync: sync, localOpts: opts}
}

// Name is "local".
func (e *S3Local) Name() string { return "local" }

// Run syncs, then runs the local engine on the cache. The local engine's
// activity cache, if enabled, is told each file's ETag.
func (e *S3Local) Run(ctx context.Context, q activity.Query) (*activity.Result, error) {
	local, err := e.Sync(ctx, q)
	if err != nil {
		return nil, err
	}
	return local.Run(ctx, q)
}

// Sync brings the query's day folders into the cache and returns the local
// engine over them, for a caller that fingerprints the files before the scan.
func (e *S3Local) Sync(ctx context.Context, q activity.Query) (*Local, error) {
	synced, err := SyncS3(ctx, e.client, e.uri, e.dir, q, e.sync)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.last = synced
	e.mu.Unlock()
	opts := append(slices.Clone(e.localOpts), WithETags(synced.ETag))
	if e.sync.PublicKeys != nil {
		opts = append(opts, withDigestSignatures(e.sync.PublicKeys))
	}
	return NewLocal(synced.Root, opts...), nil
}

// LastSync says what the last Run's sync did (nil before any).
func (e *S3Local) LastSync() *SyncResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}
