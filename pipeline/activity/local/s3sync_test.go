package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dormant-iam/dormant/internal/awsfake/analytics"
	"github.com/dormant-iam/dormant/internal/progress/progresstest"
	"github.com/dormant-iam/dormant/internal/trailtest"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// recordingS3 records the listings and downloads SyncS3 makes.
type recordingS3 struct {
	S3SyncAPI
	mu     sync.Mutex
	listed []string // prefix, with "/" appended to name the delimiter
	got    []string // keys
}

func (r *recordingS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	r.mu.Lock()
	p := aws.ToString(in.Prefix)
	if aws.ToString(in.Delimiter) != "" {
		p += " delimiter " + aws.ToString(in.Delimiter)
	}
	r.listed = append(r.listed, p)
	r.mu.Unlock()
	return r.S3SyncAPI.ListObjectsV2(ctx, in, opts...)
}

func (r *recordingS3) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	r.mu.Lock()
	r.got = append(r.got, aws.ToString(in.Key))
	r.mu.Unlock()
	return r.S3SyncAPI.GetObject(ctx, in, opts...)
}

func (r *recordingS3) reset() (listed, got []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	listed, got = r.listed, r.got
	r.listed, r.got = nil, nil
	slices.Sort(listed)
	slices.Sort(got)
	return listed, got
}

// The fixture trail in a bucket under a key prefix, synced: only the read
// days' log files come down, then only what changed.
func TestSyncS3(t *testing.T) {
	fixture := filepath.Join(trailtest.TestdataDir, "trail")
	s := trailtest.NewFake(t, analytics.Config{LogsDir: fixture, TrailPrefix: "org/"})
	ctx := context.Background()
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	client := &recordingS3{S3SyncAPI: s.S3Client()}
	cache := t.TempDir()

	// The files the local engine reads from the fixture, and the digests
	// its digest check reads, are exactly the ones to download.
	files, err := DiscoverFiles(ctx, fixture, q)
	if err != nil {
		t.Fatal(err)
	}
	digests, err := discoverDigests(ctx, fixture, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(digests) == 0 {
		t.Fatal("the fixture has no digest in the window")
	}
	files = append(files, digests...)
	var wantKeys []string
	var wantBytes int64
	for _, f := range files {
		rel, _ := filepath.Rel(fixture, f.Path)
		wantKeys = append(wantKeys, "org/"+filepath.ToSlash(rel))
		wantBytes += f.Size
	}
	slices.Sort(wantKeys)

	res, err := SyncS3(ctx, client, s.TrailURI(), cache, q, SyncOptions{Concurrency: 4, Logger: trailtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	listed, got := client.reset()
	if !slices.Equal(got, wantKeys) {
		t.Errorf("downloaded\n %q\nwant\n %q", got, wantKeys)
	}
	var wantListed []string
	wantListed = append(wantListed,
		"org/AWSLogs/ delimiter /",
		"org/AWSLogs/o-exampleorgid/ delimiter /",
		"org/AWSLogs/111111111111/CloudTrail/ delimiter /",
		"org/AWSLogs/o-exampleorgid/222222222222/CloudTrail/ delimiter /",
		"org/AWSLogs/111111111111/CloudTrail-Digest/ delimiter /",
		"org/AWSLogs/o-exampleorgid/222222222222/CloudTrail-Digest/ delimiter /")
	// The digests of the read days and the day after.
	for _, day := range []string{"2026/09/30/", "2026/10/01/", "2026/10/02/", "2026/10/03/", "2026/10/04/", "2026/10/05/"} {
		wantListed = append(wantListed, "org/AWSLogs/111111111111/CloudTrail-Digest/us-east-1/"+day)
	}
	for _, region := range []string{"org/AWSLogs/111111111111/CloudTrail/us-east-1/", "org/AWSLogs/111111111111/CloudTrail/us-east-2/",
		"org/AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/"} {
		for _, day := range []string{"2026/09/30/", "2026/10/01/", "2026/10/02/", "2026/10/03/", "2026/10/04/"} {
			wantListed = append(wantListed, region+day)
		}
	}
	slices.Sort(wantListed)
	if !slices.Equal(listed, wantListed) {
		t.Errorf("listed\n %q\nwant\n %q", listed, wantListed)
	}
	wantRoot := filepath.Join(cache, "s3", "trail-bucket", "org", "AWSLogs")
	if res.Root != wantRoot || res.Prefixes != 21 || res.Downloaded != len(wantKeys) || res.DownloadedBytes != wantBytes ||
		res.Skipped != 0 || res.Removed != 0 {
		t.Errorf("first sync: %+v; want root %s, 21 prefixes, %d objects (%d bytes) downloaded", res, wantRoot, len(wantKeys), wantBytes)
	}
	// Each digest's signature metadata is kept in its folder's index.
	for _, d := range digests {
		rel, _ := filepath.Rel(fixture, d.Path)
		local := filepath.Join(res.Root, strings.TrimPrefix(rel, "AWSLogs"+string(filepath.Separator)))
		data, err := os.ReadFile(filepath.Join(filepath.Dir(local), syncIndexName))
		if err != nil {
			t.Fatal(err)
		}
		idx, err := decodeIndex(data)
		if err != nil {
			t.Fatal(err)
		}
		if o := idx.Objects[filepath.Base(local)]; len(o.Signature) != 512 || o.SignatureAlgorithm != "SHA256withRSA" {
			t.Errorf("the index keeps %+v for digest %s; want its 2048-bit signature and SHA256withRSA", o, rel)
		}
	}

	// The cache scans to the same tables as the fixture itself.
	want, err := newTestLocal(fixture).Run(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	fromCache, err := newTestLocal(res.Root).Run(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	trailtest.SameTables(t, "local engine on the S3 cache", fromCache, want)

	// Again: nothing to download.
	res, err = SyncS3(ctx, client, s.TrailURI(), cache, q, SyncOptions{Logger: trailtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if _, got := client.reset(); len(got) != 0 || res.Downloaded != 0 || res.Skipped != len(wantKeys) || res.SkippedBytes != wantBytes {
		t.Errorf("second sync downloaded %q: %+v; want everything skipped", got, res)
	}

	// An object rewritten with new content of the same size (a new gzip
	// header time: a new ETag) is downloaded again; a deleted one removed.
	changed := "org/AWSLogs/111111111111/CloudTrail/us-east-1/2026/10/01/111111111111_CloudTrail_us-east-1_20261001T0905Z_Mu0KsOhtH1ar15ZZ.json.gz"
	deleted := "org/AWSLogs/111111111111/CloudTrail/us-east-2/2026/10/02/111111111111_CloudTrail_us-east-2_20261002T0805Z_Qa1Ws2Ed3Rf4Tg5Y.json.gz"
	orig, err := os.ReadFile(filepath.Join(fixture, filepath.FromSlash(strings.TrimPrefix(changed, "org/"))))
	if err != nil {
		t.Fatal(err)
	}
	newer := bytes.Clone(orig)
	newer[4] ^= 0xff // gzip MTIME: same size, same records
	s3c := s.S3Client()
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(changed), Body: bytes.NewReader(newer)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(deleted)}); err != nil {
		t.Fatal(err)
	}
	res, err = SyncS3(ctx, client, s.TrailURI(), cache, q, SyncOptions{Logger: trailtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if _, got := client.reset(); !slices.Equal(got, []string{changed}) || res.Downloaded != 1 || res.Removed != 1 || res.Skipped != len(wantKeys)-2 {
		t.Errorf("third sync downloaded %q: %+v; want only the changed object, the deleted one removed", got, res)
	}
	local := filepath.Join(cache, "s3", "trail-bucket", filepath.FromSlash(changed))
	if data, err := os.ReadFile(local); err != nil || !bytes.Equal(data, newer) {
		t.Errorf("the cached copy of the changed object is not its new content (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "s3", "trail-bucket", filepath.FromSlash(deleted))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the deleted object's copy is still cached (%v)", err)
	}
	head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(changed)})
	if err != nil {
		t.Fatal(err)
	}
	if etag, ok := res.ETag(local); !ok || etag != aws.ToString(head.ETag) {
		t.Errorf("ETag(%s) = %q, %v; want %q", local, etag, ok, aws.ToString(head.ETag))
	}

	// A local file changed behind the index's back (a truncated copy) is
	// downloaded again.
	if err := os.WriteFile(local, newer[:10], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = SyncS3(ctx, client, s.TrailURI(), cache, q, SyncOptions{Logger: trailtest.Quiet()}); err != nil {
		t.Fatal(err)
	}
	if _, got := client.reset(); !slices.Equal(got, []string{changed}) {
		t.Errorf("after truncating a cached file, downloaded %q; want it again", got)
	}
}

// Only the accounts in scope are listed.
func TestSyncS3Accounts(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	client := &recordingS3{S3SyncAPI: s.S3Client()}
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd, Accounts: []string{trailtest.AcctB}}
	res, err := SyncS3(context.Background(), client, s.TrailURI(), t.TempDir(), q, SyncOptions{Logger: trailtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	listed, got := client.reset()
	for _, p := range listed {
		if strings.Contains(p, trailtest.AcctA) {
			t.Errorf("listed %s, of an account out of scope", p)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "/"+trailtest.AcctB+"/") || res.Prefixes != 5 {
		t.Errorf("downloaded %q in %d prefixes; want account B's one file, 5 day prefixes", got, res.Prefixes)
	}
}

// The local engine fed from S3 gives the local engine's tables.
func TestS3Local(t *testing.T) {
	fixture := filepath.Join(trailtest.TestdataDir, "trail")
	s := trailtest.NewFake(t, analytics.Config{LogsDir: fixture})
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	want, err := newTestLocal(fixture).Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	e := NewS3Local(s.S3Client(), s.TrailURI(), t.TempDir(), SyncOptions{Logger: trailtest.Quiet()}, WithThreads(2), WithLogger(trailtest.Quiet()))
	got, err := e.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	trailtest.SameTables(t, "S3Local", got, want)
	digestPaths := map[string]bool{} // the sync downloads the digests too
	for _, f := range got.LogFiles {
		if f.Kind == tables.LogFileKindDigest {
			digestPaths[f.Path] = true
		}
	}
	digests := len(digestPaths)
	if e.Name() != "local" || e.LastSync() == nil || digests == 0 || e.LastSync().Downloaded != got.Runs[0].Files+digests {
		t.Errorf("engine %s, last sync %+v, %d files scanned", e.Name(), e.LastSync(), got.Runs[0].Files)
	}
}

func TestSyncS3Errors(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail")})
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	tests := []struct {
		name, uri string
		q         activity.Query
		want      string
	}{
		{"not an S3 URI", "trail-bucket/AWSLogs/", q, "not an S3 URI"},
		{"no bucket", "s3:///AWSLogs/", q, "names no bucket"},
		{"dot-dot in the prefix", "s3://trail-bucket/a/../AWSLogs/", q, "cannot be mirrored"},
		{"a bucket that does not exist", "s3://no-such-bucket/AWSLogs/", q, "no-such-bucket"},
		{"no window", s.TrailURI(), activity.Query{}, "needs a start and an end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SyncS3(context.Background(), s.S3Client(), tt.uri, t.TempDir(), tt.q, SyncOptions{Logger: trailtest.Quiet()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SyncS3(ctx, s.S3Client(), s.TrailURI(), t.TempDir(), q, SyncOptions{Logger: trailtest.Quiet()}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
}

func TestParseTrailURI(t *testing.T) {
	tests := []struct{ uri, bucket, prefix string }{
		{"s3://b", "b", "AWSLogs/"},
		{"s3://b/", "b", "AWSLogs/"},
		{"s3://b/AWSLogs", "b", "AWSLogs/"},
		{"s3://b/AWSLogs/", "b", "AWSLogs/"},
		{"s3://b/org/trail/", "b", "org/trail/AWSLogs/"},
		{"s3://b/org/AWSLogs/", "b", "org/AWSLogs/"},
	}
	for _, tt := range tests {
		b, p, err := parseTrailURI(tt.uri)
		if err != nil || b != tt.bucket || p != tt.prefix {
			t.Errorf("parseTrailURI(%q) = %q, %q, %v; want %q, %q", tt.uri, b, p, err, tt.bucket, tt.prefix)
		}
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", filepath.Join(t.TempDir(), "cache"))
	t.Setenv("HOME", t.TempDir())
	dir, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	base, _ := os.UserCacheDir()
	if dir != filepath.Join(base, "dormant", "cloudtrail") {
		t.Errorf("DefaultCacheDir() = %s, want under %s", dir, base)
	}
}

// understatingS3 lists every object as one byte long.
type understatingS3 struct{ S3SyncAPI }

func (u understatingS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out, err := u.S3SyncAPI.ListObjectsV2(ctx, in, opts...)
	if out != nil {
		for i := range out.Contents {
			out.Contents[i].Size = aws.Int64(1)
		}
	}
	return out, err
}

// Issue 13 item 11: an object larger than a log file may be is refused
// naming it, before download by its listed size, and during the download
// when the listing understated it.
func TestSyncS3RefusesLargeObjects(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail"), TrailPrefix: "org/"})
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	for _, tt := range []struct {
		name   string
		client S3SyncAPI
	}{
		{"listed size", s.S3Client()},
		{"understated size", understatingS3{s.S3Client()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SyncS3(context.Background(), tt.client, s.TrailURI(), t.TempDir(), q,
				SyncOptions{Concurrency: 2, Logger: trailtest.Quiet(), MaxObjectSize: 100})
			if !errors.Is(err, ErrLogFileTooLarge) || !strings.Contains(err.Error(), "s3://trail-bucket/org/AWSLogs/") {
				t.Fatalf("got %v, want an object of the trail refused as too large", err)
			}
		})
	}
	if _, err := SyncS3(context.Background(), s.S3Client(), s.TrailURI(), t.TempDir(), q, SyncOptions{Logger: trailtest.Quiet()}); err != nil {
		t.Errorf("with the default bound: %v", err)
	}
}

// slowS3 delays each download, so that a sync of the fixture lasts long
// enough for its progress to show.
type slowS3 struct {
	S3SyncAPI
	delay time.Duration
}

func (s slowS3) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	time.Sleep(s.delay)
	return s.S3SyncAPI.GetObject(ctx, in, opts...)
}

// A sync against the fake S3 reports objects, bytes, rate and time left: a
// redrawn line on a terminal, log lines otherwise.
func TestSyncS3Progress(t *testing.T) {
	s := trailtest.NewFake(t, analytics.Config{LogsDir: filepath.Join(trailtest.TestdataDir, "trail"), TrailPrefix: "org/"})
	q := activity.Query{Start: trailtest.FixtureStart, End: trailtest.FixtureEnd}
	client := slowS3{S3SyncAPI: s.S3Client(), delay: 20 * time.Millisecond}

	var term progresstest.Buffer
	res, err := SyncS3(context.Background(), client, s.TrailURI(), t.TempDir(), q,
		SyncOptions{Concurrency: 2, Logger: trailtest.Quiet(), Progress: &term, progressEvery: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out := term.String()
	full := fmt.Sprintf("/%d objects, ", res.Downloaded)
	var seen bool
	for _, line := range strings.Split(out, "\r\033[K") {
		if strings.Contains(line, full) && strings.Contains(line, "left") {
			seen = true
			for _, want := range []string{"syncing " + s.TrailURI(), "kB", "/s, ", "0 cached"} {
				if !strings.Contains(line, want) {
					t.Errorf("progress line %q lacks %q", line, want)
				}
			}
		}
	}
	if !seen {
		t.Errorf("no progress line counts the %d objects with the time left:\n%q", res.Downloaded, out)
	}
	if !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("the progress line is not cleared at the end: %q", out)
	}

	var logs progresstest.Buffer
	if _, err := SyncS3(context.Background(), client, s.TrailURI(), t.TempDir(), q, SyncOptions{Concurrency: 2,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), progressEvery: 2 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`msg="syncing CloudTrail logs from S3"`, "objects_done=", fmt.Sprintf("objects=%d", res.Downloaded),
		fmt.Sprintf("bytes=%d", res.DownloadedBytes), "mb_per_s=", "eta=", "day_prefixes="} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the sync's log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "\r") {
		t.Error("a terminal line went to the log")
	}
}
