package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/dormant-iam/dormant/tables"
)

// cacheRow is one row of a day's Parquet file: a coverage row (Kind
// "coverage") or a principal's aggregate in one bucket (Kind "principal"),
// computed from the files of account folder Folder. Few columns: reading a
// Parquet file costs per column, and a warm run reads one file per day.
type cacheRow struct {
	Folder      string `arrow:"folder_account"`
	Kind        string `arrow:"kind"`
	AccountID   string `arrow:"account_id"`
	Region      string `arrow:"region"`
	PrincipalID string `arrow:"principal_id"`
	ARNKey      string `arrow:"arn_key"`
	Bucket      int64  `arrow:"bucket"`

	// Flags say which of the times below hold a value (flagFirstLast,
	// flagFailed): a zero time is a valid, if unlikely, eventTime.
	Flags int64 `arrow:"flags"`
	// First and Last are, for coverage, the first and last record; for a
	// principal, the first and last use.
	First   time.Time `arrow:"first_event"`
	Last    time.Time `arrow:"last_event"`
	Records int64     `arrow:"records"` // coverage: records read
	// Hour is a coverage row's cell (see tables.Coverage); zero for a
	// principal.
	Hour time.Time `arrow:"hour"`

	// The eventIDs of the distinct counts: AWS's UUIDs as one string each,
	// sorted, each UUID's 16 bytes in base64 (22 characters, no padding or
	// separator: a string per row reads far faster than a list of
	// millions), and any other eventID in OtherIDs, prefixed with the count
	// it belongs to ("use:", "login:", "failed:").
	UseUUIDs    string   `arrow:"use_event_uuids"`
	LoginUUIDs  string   `arrow:"console_login_event_uuids"`
	FailedUUIDs string   `arrow:"failed_login_event_uuids"`
	OtherIDs    []string `arrow:"other_event_ids"`

	LastFailed time.Time `arrow:"last_failed_login"`
	KeyIDs     []string  `arrow:"access_key_ids"`
	// Latest holds the latest use, ARN and user name with the time and
	// eventID that order them, in encodeLatest's compact text form.
	Latest string `arrow:"latest"`

	// A file row (Kind "file") is the log files table's row of one file
	// read, so a cached day still says what its files held and skipped;
	// Records holds the file's records.
	Path        string `arrow:"path"`
	Size        int64  `arrow:"size"`
	FileKind    string `arrow:"file_kind"`
	Skipped     int64  `arrow:"skipped"`
	SkipReasons string `arrow:"skip_reasons"`
	SHA256      string `arrow:"sha256"` // file rows: the JSON text's hash, checked against the digests
}

const (
	flagFirstLast = 1 << iota
	flagFailed
)

// encodeLatest writes a principal's latest values: for each that is set, a
// letter (U: latest use, A: ARN, N: user name), its time in microseconds,
// and its strings (eventID, then the value or the use's name, source, IP
// and region), each as "<length>:<bytes>".
func encodeLatest(u *userAgg) string {
	var b []byte
	field := func(tag byte, st *stamped, vals ...[]byte) {
		b = append(b, tag)
		b = strconv.AppendInt(b, st.t, 10)
		for _, v := range append([][]byte{st.id}, vals...) {
			b = append(strconv.AppendInt(append(b, ' '), int64(len(v)), 10), ':')
			b = append(b, v...)
		}
	}
	if u.latest.has {
		field('U', &u.latest.stamped, u.latest.name, u.latest.source, u.latest.ip, u.latest.region)
	}
	if u.arn.has {
		field('A', &u.arn.stamped, u.arn.v)
	}
	if u.user.has {
		field('N', &u.user.stamped, u.user.v)
	}
	return string(b)
}

// decodeLatest reads what encodeLatest wrote into u.
func decodeLatest(s string, u *userAgg) error {
	bad := func() error { return fmt.Errorf("latest %q is not in the cache's form", s) }
	str := func() ([]byte, bool) {
		if len(s) == 0 || s[0] != ' ' {
			return nil, false
		}
		n, rest, ok := strings.Cut(s[1:], ":")
		l, err := strconv.Atoi(n)
		if !ok || err != nil || l < 0 || l > len(rest) {
			return nil, false
		}
		s = rest[l:]
		return []byte(rest[:l]), true
	}
	for len(s) > 0 {
		tag := s[0]
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			return bad()
		}
		t, err := strconv.ParseInt(s[1:end], 10, 64)
		if err != nil {
			return bad()
		}
		s = s[end:]
		var st *stamped
		var vals []*[]byte
		switch tag {
		case 'U':
			st, vals = &u.latest.stamped, []*[]byte{&u.latest.name, &u.latest.source, &u.latest.ip, &u.latest.region}
		case 'A':
			st, vals = &u.arn.stamped, []*[]byte{&u.arn.v}
		case 'N':
			st, vals = &u.user.stamped, []*[]byte{&u.user.v}
		default:
			return bad()
		}
		id, ok := str()
		if !ok {
			return bad()
		}
		st.has, st.t, st.id = true, t, id
		for _, v := range vals {
			if *v, ok = str(); !ok {
				return bad()
			}
		}
	}
	return nil
}

// parquetChecksum detects a day's file that does not match its manifest
// (a crash between the two writes, a partial copy): CRC-32C, which hardware
// computes at memory speed, rather than a cryptographic hash nobody needs
// here.
func parquetChecksum(b []byte) string {
	return fmt.Sprintf("%08x", crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// encodeCacheRows writes rows as a Parquet file without compression: most
// of a day's bytes are eventIDs, random numbers that do not compress, and a
// warm run decodes every day's file.
func encodeCacheRows(w io.Writer, rows []cacheRow) error {
	rec, err := tables.Encode(memory.NewGoAllocator(), rows)
	if err != nil {
		return err
	}
	defer rec.Release()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Uncompressed))
	fw, err := pqarrow.NewFileWriter(rec.Schema(), w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// decodeCacheRows reads a day's Parquet file in one batch sized to it:
// tables.DecodeParquet's batches of 64k rows would allocate, for each of the
// file's columns, buffers far larger than a day's few thousand rows.
func decodeCacheRows(data []byte) ([]cacheRow, error) {
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	n := pf.NumRows()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: max(1, n)}, memory.NewGoAllocator())
	if err != nil {
		return nil, err
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	rows := make([]cacheRow, 0, n)
	for rr.Next() {
		batch, err := tables.Decode[cacheRow](rr.RecordBatch())
		if err != nil {
			return nil, err
		}
		rows = append(rows, batch...)
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return rows, nil
}

// bucketsOf lists the buckets of a folder's principal rows.
func bucketsOf(rows []cacheRow) []int64 {
	var out []int64
	for _, r := range rows {
		if r.Kind == "principal" {
			out = append(out, r.Bucket)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// cacheRows lists a bucketed aggregator's rows for the cache, computed
// from the files of account folder folder.
func (a *aggregator) cacheRows(folder string) []cacheRow {
	rows := make([]cacheRow, 0, len(a.cov)+len(a.users)+len(a.files))
	for _, f := range a.files {
		rows = append(rows, cacheRow{Folder: folder, Kind: "file", AccountID: f.AccountID, Region: f.Region, Records: f.Records,
			Path: f.Path, Size: f.Size, FileKind: f.Kind, Skipped: f.Skipped, SkipReasons: f.SkipReasons, SHA256: f.SHA256})
	}
	for _, c := range a.cov {
		r := cacheRow{Folder: folder, Kind: "coverage", AccountID: c.account, Region: c.region, Hour: microTime(c.hour), Records: c.records}
		if c.hasTime {
			r.Flags |= flagFirstLast
			r.First, r.Last = microTime(c.first), microTime(c.last)
		}
		rows = append(rows, r)
	}
	for _, u := range a.users {
		r := cacheRow{
			Folder: folder, Kind: "principal", AccountID: u.account, PrincipalID: u.principalID, ARNKey: u.arnKey,
			Bucket: u.bucket, KeyIDs: slices.Sorted(slices.Values(u.keys)),
		}
		var others []string
		r.UseUUIDs, others = u.use.encode()
		r.OtherIDs = appendPrefixed(r.OtherIDs, "use:", others)
		r.LoginUUIDs, others = u.console.encode()
		r.OtherIDs = appendPrefixed(r.OtherIDs, "login:", others)
		r.FailedUUIDs, others = u.failed.encode()
		r.OtherIDs = appendPrefixed(r.OtherIDs, "failed:", others)
		if u.hasUse {
			r.Flags |= flagFirstLast
			r.First, r.Last = microTime(u.firstUse), microTime(u.lastUse)
		}
		if u.hasFailed {
			r.Flags |= flagFailed
			r.LastFailed = microTime(u.lastFailed)
		}
		r.Latest = encodeLatest(u)
		rows = append(rows, r)
	}
	// A stable order makes the file's bytes depend only on its content.
	slices.SortFunc(rows, func(a, b cacheRow) int {
		return strings.Compare(a.sortKey(), b.sortKey())
	})
	return rows
}

func appendPrefixed(dst []string, prefix string, ids []string) []string {
	for _, id := range ids {
		dst = append(dst, prefix+id)
	}
	return dst
}

func (r *cacheRow) sortKey() string {
	return r.Kind + "\x00" + r.AccountID + "\x00" + r.Region + "\x00" + r.PrincipalID + "\x00" + r.ARNKey +
		"\x00" + strconv.FormatInt(r.Bucket, 16) + "\x00" + strconv.FormatInt(r.Hour.UnixMicro(), 16) + "\x00" + r.Path
}

// userAggOf is the aggregate a principal row holds.
func userAggOf(r *cacheRow) (*userAgg, error) {
	u := &userAgg{
		account: r.AccountID, principalID: r.PrincipalID, arnKey: r.ARNKey, bucket: r.Bucket,
		keys: slices.Clone(r.KeyIDs),
	}
	var err error
	if u.use, err = decodeIDs(r.UseUUIDs); err != nil {
		return nil, err
	}
	if u.console, err = decodeIDs(r.LoginUUIDs); err != nil {
		return nil, err
	}
	if u.failed, err = decodeIDs(r.FailedUUIDs); err != nil {
		return nil, err
	}
	for _, o := range r.OtherIDs {
		kind, id, _ := strings.Cut(o, ":")
		switch kind {
		case "use":
			u.use.others = append(u.use.others, id)
		case "login":
			u.console.others = append(u.console.others, id)
		case "failed":
			u.failed.others = append(u.failed.others, id)
		default:
			return nil, fmt.Errorf("other_event_ids holds %q, which is none of use:, login: or failed:", o)
		}
	}
	if r.Flags&flagFirstLast != 0 {
		u.hasUse, u.firstUse, u.lastUse = true, r.First.UnixMicro(), r.Last.UnixMicro()
	}
	if r.Flags&flagFailed != 0 {
		u.hasFailed, u.lastFailed = true, r.LastFailed.UnixMicro()
	}
	if err := decodeLatest(r.Latest, u); err != nil {
		return nil, err
	}
	return u, nil
}

// mergeRows folds the cached rows of the account folders in folders into a
// (non-bucketed) aggregator: every coverage row, and the principal rows of
// buckets inside w.
func (a *aggregator) mergeRows(rows []cacheRow, w window, folders map[string]bool) error {
	for i := range rows {
		r := &rows[i]
		if !folders[r.Folder] {
			continue
		}
		switch r.Kind {
		case "coverage":
			c := &covAgg{account: r.AccountID, region: r.Region, hour: r.Hour.UnixMicro(), records: r.Records}
			if r.Flags&flagFirstLast != 0 {
				c.hasTime, c.first, c.last = true, r.First.UnixMicro(), r.Last.UnixMicro()
			}
			k := covKey(r.AccountID, r.Region, c.hour)
			if have := a.cov[k]; have != nil {
				have.merge(c)
			} else {
				a.cov[k] = c
			}
		case "file":
			a.files = append(a.files, tables.LogFile{AccountID: r.AccountID, Region: r.Region, Path: r.Path, Size: r.Size,
				Kind: r.FileKind, Records: r.Records, Skipped: r.Skipped, SkipReasons: r.SkipReasons, SHA256: r.SHA256})
		case "principal":
			if w.bucketIn(r.Bucket) != 1 {
				continue
			}
			u, err := userAggOf(r)
			if err != nil {
				return fmt.Errorf("row %d (%s %s%s): %w", i+1, r.AccountID, r.PrincipalID, r.ARNKey, err)
			}
			a.mergeUser(u)
		default:
			return fmt.Errorf("row %d has kind %q, none of coverage, principal or file", i+1, r.Kind)
		}
	}
	return nil
}

// mergeUser folds a principal's aggregate (of any bucket) into a's
// window-wide aggregate of that principal.
func (a *aggregator) mergeUser(u *userAgg) {
	k := u.account + "\x00" + u.principalID + "\x00" + u.arnKey
	if have := a.users[k]; have != nil {
		have.merge(u)
		return
	}
	c := &userAgg{account: u.account, principalID: u.principalID, arnKey: u.arnKey}
	c.merge(u)
	a.users[k] = c
}
