package local

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dormant-iam/dormant/pipeline/activity"
)

// LogFile is a CloudTrail log file found under the local engine's root.
type LogFile struct {
	Path      string    // as found on disk
	AccountID string    // the account folder it was delivered to
	Region    string    // the region folder
	Day       time.Time // the date folder, UTC midnight
	Size      int64     // bytes on disk (compressed for .json.gz)
	ModTime   time.Time // last modified; with Size, how the cache tells a file changed
	// Uncompressed is the size of the JSON text: the file's size for .json,
	// the gzip trailer's ISIZE for .json.gz (0 when the file is too short to
	// have one). The reader sizes its buffers by the largest.
	Uncompressed int64
}

// awsLogsSearchDepth bounds the search for AWSLogs folders below the root, so
// that a root holding a synced bucket with a key prefix (bucket/prefix/AWSLogs)
// works without walking anything else.
const awsLogsSearchDepth = 4

// DiscoverFiles lists the CloudTrail log files under root that a query for q
// reads, sorted by path. root is a folder holding AWSLogs (or the AWSLogs
// folder itself, or a synced bucket with AWSLogs under a key prefix). Both
// layouts are read:
//
//	AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>
//	AWSLogs/<o-org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>   (organization trail)
//
// Only the date folders from q.ReadDays are opened, and only the accounts in
// q.Accounts when it is set. Files ending in .json.gz or .json are read;
// CloudTrail-Digest, CloudTrail-Insight and anything else are skipped. A
// folder that cannot be read is an error: silently missing logs could make a
// user look unused.
func DiscoverFiles(ctx context.Context, root string, q activity.Query) ([]LogFile, error) {
	return discoverFiles(ctx, root, q, true)
}

// discoverFiles is DiscoverFiles; without trailers, the Uncompressed size of
// .json.gz files is left 0 rather than read from each file's gzip trailer,
// which costs an open per file: the Go scanner learns the size by reading.
func discoverFiles(ctx context.Context, root string, q activity.Query, trailers bool) ([]LogFile, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	first, last := q.ReadDays()
	d := newDiscovery(ctx, q, first, last)
	d.trailers = trailers
	files, err := d.list(root)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b LogFile) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

type discovery struct {
	trailers    bool   // read .json.gz files' uncompressed size
	folder      string // the account's folder to list: "" is CloudTrail (digests: CloudTrail-Digest)
	ctx         context.Context
	first, last int             // date folders to read, as dayKey
	accounts    map[string]bool // nil: every account
}

// newDiscovery lists the date folders first..last of q's accounts.
func newDiscovery(ctx context.Context, q activity.Query, first, last time.Time) *discovery {
	d := &discovery{
		ctx:   ctx,
		first: dayKey(first.Year(), int(first.Month()), first.Day()),
		last:  dayKey(last.Year(), int(last.Month()), last.Day()),
	}
	if len(q.Accounts) > 0 {
		d.accounts = map[string]bool{}
		for _, a := range q.Accounts {
			d.accounts[a] = true
		}
	}
	return d
}

// list finds the files of d's folders under every AWSLogs folder at or
// below root.
func (d *discovery) list(root string) ([]LogFile, error) {
	roots, err := findAWSLogs(root)
	if err != nil {
		return nil, err
	}
	var regions []regionDir
	for _, r := range roots {
		found, err := d.regionDirs(r)
		if err != nil {
			return nil, err
		}
		regions = append(regions, found...)
	}
	return d.walkRegions(regions)
}

// regionDir is an AWSLogs/.../<account>/CloudTrail/<region> folder.
type regionDir struct {
	path, account, region string
}

// findAWSLogs returns the AWSLogs folders at or below root.
func findAWSLogs(root string) ([]string, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("opening CloudTrail folder %s: %w", root, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("opening CloudTrail folder %s: not a folder; give the folder that holds AWSLogs/", root)
	}
	if filepath.Base(filepath.Clean(root)) == "AWSLogs" {
		return []string{root}, nil
	}
	var found []string
	level := []string{root}
	for depth := 0; depth < awsLogsSearchDepth && len(level) > 0; depth++ {
		var next []string
		for _, dir := range level {
			entries, err := os.ReadDir(dir)
			if err != nil {
				return nil, fmt.Errorf("reading CloudTrail folder %s: %w", dir, err)
			}
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") || !isDir(dir, e) {
					continue
				}
				p := filepath.Join(dir, e.Name())
				if e.Name() == "AWSLogs" {
					found = append(found, p)
				} else {
					next = append(next, p)
				}
			}
		}
		if len(found) > 0 {
			break // AWSLogs found at this depth; deeper ones would be copies
		}
		level = next
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("finding CloudTrail logs in %s: no AWSLogs folder within %d levels; "+
			"give the folder the trail's bucket was synced to (it holds AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/)",
			root, awsLogsSearchDepth)
	}
	return found, nil
}

// regionDirs lists the region folders of every account in scope under an
// AWSLogs folder, in both the account and the organization layout.
func (d *discovery) regionDirs(awsLogs string) ([]regionDir, error) {
	entries, err := readDir(awsLogs)
	if err != nil {
		return nil, err
	}
	var out []regionDir
	for _, e := range entries {
		name := e.Name()
		if !isDir(awsLogs, e) {
			continue
		}
		p := filepath.Join(awsLogs, name)
		switch {
		case activity.IsAccountID(name):
			found, err := d.accountRegions(p, name)
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		case strings.HasPrefix(name, "o-"):
			orgEntries, err := readDir(p)
			if err != nil {
				return nil, err
			}
			for _, oe := range orgEntries {
				if activity.IsAccountID(oe.Name()) && isDir(p, oe) {
					found, err := d.accountRegions(filepath.Join(p, oe.Name()), oe.Name())
					if err != nil {
						return nil, err
					}
					out = append(out, found...)
				}
			}
		default:
			slog.Debug("skipping folder that is neither an account nor an organization", "path", p)
		}
	}
	return out, nil
}

// accountRegions lists <account>/CloudTrail/<region> folders. CloudTrail-Digest
// and CloudTrail-Insight are siblings of CloudTrail and never opened.
func (d *discovery) accountRegions(accountDir, account string) ([]regionDir, error) {
	if d.accounts != nil && !d.accounts[account] {
		return nil, nil
	}
	ct := filepath.Join(accountDir, cmp.Or(d.folder, "CloudTrail"))
	entries, err := readDir(ct)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // an account folder with only digests or insights
	}
	if err != nil {
		return nil, err
	}
	var out []regionDir
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !isDir(ct, e) {
			continue
		}
		out = append(out, regionDir{path: filepath.Join(ct, e.Name()), account: account, region: e.Name()})
	}
	return out, nil
}

// walkRegions lists the files of the wanted day folders of every region
// folder, several regions at a time: on a network disk or a cold cache each
// ReadDir is a round trip.
func (d *discovery) walkRegions(regions []regionDir) ([]LogFile, error) {
	workers := min(len(regions), max(4, runtime.GOMAXPROCS(0)))
	jobs := make(chan regionDir)
	var (
		mu    sync.Mutex
		files []LogFile
		errs  []error
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for r := range jobs {
				found, err := d.walkRegion(r)
				mu.Lock()
				files = append(files, found...)
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	for _, r := range regions {
		if d.ctx.Err() != nil {
			break
		}
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	if err := d.ctx.Err(); err != nil {
		return nil, fmt.Errorf("listing CloudTrail log files: %w", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return files, nil
}

// walkRegion descends YYYY/MM/DD below a region folder, opening only the
// years, months and days that overlap the days to read.
func (d *discovery) walkRegion(r regionDir) ([]LogFile, error) {
	var out []LogFile
	years, err := readDir(r.path)
	if err != nil {
		return nil, err
	}
	for _, ye := range years {
		y, ok := number(ye.Name(), 4, 1, 9999)
		if !ok || !isDir(r.path, ye) || dayKey(y, 12, 31) < d.first || dayKey(y, 1, 1) > d.last {
			continue
		}
		yp := filepath.Join(r.path, ye.Name())
		months, err := readDir(yp)
		if err != nil {
			return nil, err
		}
		for _, me := range months {
			m, ok := number(me.Name(), 2, 1, 12)
			if !ok || !isDir(yp, me) || dayKey(y, m, 31) < d.first || dayKey(y, m, 1) > d.last {
				continue
			}
			mp := filepath.Join(yp, me.Name())
			days, err := readDir(mp)
			if err != nil {
				return nil, err
			}
			for _, de := range days {
				dd, ok := number(de.Name(), 2, 1, activity.DaysIn(y, m))
				if !ok || !isDir(mp, de) || dayKey(y, m, dd) < d.first || dayKey(y, m, dd) > d.last {
					continue
				}
				if err := d.ctx.Err(); err != nil {
					return nil, err
				}
				found, err := dayFiles(filepath.Join(mp, de.Name()), r, time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC), d.trailers)
				if err != nil {
					return nil, err
				}
				out = append(out, found...)
			}
		}
	}
	return out, nil
}

// dayFiles lists the log files of one date folder.
func dayFiles(dir string, r regionDir, day time.Time, trailers bool) ([]LogFile, error) {
	entries, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	var out []LogFile
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !(strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json")) {
			continue // partial downloads, sync markers, anything not a log file
		}
		p := filepath.Join(dir, name)
		info, err := e.Info()
		if err == nil && info.Mode()&fs.ModeSymlink != 0 {
			info, err = os.Stat(p)
		}
		if err != nil {
			return nil, fmt.Errorf("reading CloudTrail log file %s: %w", p, err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		f := LogFile{Path: p, AccountID: r.account, Region: r.region, Day: day, Size: info.Size(), Uncompressed: info.Size(),
			ModTime: info.ModTime()}
		if strings.HasSuffix(name, ".gz") {
			if !trailers {
				f.Uncompressed = 0
			} else if f.Uncompressed, err = gzipSize(p, info.Size()); err != nil {
				return nil, fmt.Errorf("reading CloudTrail log file %s: %w", p, err)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// gzipSize reads the uncompressed size a gzip file records in its last four
// bytes (ISIZE, little-endian, modulo 2^32), 0 when the file is too short to
// be gzip. It is exact for the single-member files CloudTrail writes and far
// cheaper than decompressing.
func gzipSize(path string, size int64) (int64, error) {
	const minGzip = 18 // 10-byte header, 8-byte trailer
	if size < minGzip {
		return 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var b [4]byte
	if _, err := f.ReadAt(b[:], size-4); err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint32(b[:])), nil
}

func readDir(dir string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading CloudTrail folder %s: %w", dir, err)
	}
	return entries, nil
}

// isDir reports whether e is a folder, following a symbolic link.
func isDir(parent string, e os.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.IsDir()
	}
	info, err := os.Stat(filepath.Join(parent, e.Name()))
	return err == nil && info.IsDir()
}

// number parses a folder name of exactly width digits within [lo, hi].
func number(s string, width, lo, hi int) (int, bool) {
	if len(s) != width {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

func dayKey(y, m, d int) int { return y*10000 + m*100 + d }
