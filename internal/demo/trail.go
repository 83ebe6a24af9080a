package demo

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
)

// --- writing ---------------------------------------------------------------

type spec struct {
	t    int64
	seq  int32
	sess int32 // -1 background, -2 anchor, else index in org.sessions
	i    int32 // event index within the session
}

type trailStats struct {
	records atomic.Int64
	raw     atomic.Int64 // uncompressed bytes of log files
	files   atomic.Int64
}

// progress tells Options.Progress, if set, how far the logs are.
func (o *org) progress(s *trailStats) {
	if o.opts.Progress != nil {
		o.opts.Progress(Progress{Records: s.records.Load(), Target: int64(o.opts.Events), Files: s.files.Load(), Bytes: s.raw.Load()})
	}
}

type logFile struct {
	key            string // S3 key: AWSLogs/...
	sum            string
	oldest, newest int64
}

type worker struct {
	o     *org
	dir   string
	dirs  map[string]bool // folders this worker has made
	bw    *bufio.Writer
	stats *trailStats
	rend  renderer
	gz    *gzip.Writer
	specs []spec
	buf   []byte
	dup   []byte
	files []logFile
	// pending collects each period's log files for its digest.
	pending *digestStore
}

// writeTrails renders every covered account's log and digest files with
// GOMAXPROCS workers, one (account, period) at a time.
func (o *org) writeTrails(ctx context.Context, dir string, stats *trailStats) error {
	type item struct {
		t *trailAcct
		k int64
	}
	var items []item
	for _, t := range o.trails {
		for k := t.k0; k <= t.k1; k++ {
			items = append(items, item{t, k})
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	pending := &digestStore{files: map[digestSlot][]logFile{}}
	for range min(runtime.GOMAXPROCS(0), max(1, len(items))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gz, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
			w := &worker{o: o, dir: dir, stats: stats, gz: gz, rend: renderer{o: o},
				dirs: map[string]bool{}, bw: bufio.NewWriterSize(nil, 256<<10), pending: pending}
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(items)) {
					return
				}
				if err := w.period(items[i].t, items[i].k); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && err != context.Canceled {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return o.writeDigests(dir, pending)
}

// period writes the log files and digest of every region for period k.
func (w *worker) period(t *trailAcct, k int64) error {
	o := w.o
	ps, pe := o.periodBounds(t, k)
	sess := o.sessions[t.sessOff[k-t.k0]:t.sessOff[k-t.k0+1]]
	base := int32(t.sessOff[k-t.k0])
	for reg := range regions {
		r := newRNG(o.seed, tagFile, uint64(t.idx), uint64(k), uint64(reg))
		w.specs = w.specs[:0]
		seq := int32(0)
		for n := o.bgCount(t, k, reg); n > 0; n-- {
			w.specs = append(w.specs, spec{t: between(r, ps, pe-1), seq: seq, sess: -1})
			seq++
		}
		if o.opensDay(t, k) {
			w.specs = append(w.specs, spec{t: between(r, ps, pe-1), seq: seq, sess: -1})
			seq++
		}
		// Anchors: an event right after the trail starts and one right
		// before its end, so coverage is exactly what it says.
		if reg == rUSEast1 && k == t.k0 {
			w.specs = append(w.specs, spec{t: min(ps+between(r, 60, 300), pe-1), seq: seq, sess: -2})
			seq++
		}
		if reg == rUSEast1 && k == t.k1 {
			w.specs = append(w.specs, spec{t: max(pe-between(r, 60, 300), ps), seq: seq, sess: -2})
			seq++
		}
		hasDup := false
		for j := range sess {
			s := &sess[j]
			if int(s.region) != reg {
				continue
			}
			hasDup = hasDup || s.dup
			for i := int32(0); i < s.n; i++ {
				w.specs = append(w.specs, spec{t: s.start + int64(i)*int64(s.step), seq: seq, sess: base + int32(j), i: i})
				seq++
			}
		}
		if len(w.specs) == 0 {
			// CloudTrail delivers a digest for a period without log files too.
			w.pending.add(t, k, reg, nil)
			continue
		}
		slices.SortFunc(w.specs, func(x, y spec) int {
			// By time, then by seq (unique within the file): the same order
			// as cmp.Or of both comparisons, without evaluating the second
			// one every time.
			if x.t != y.t {
				return cmp.Compare(x.t, y.t)
			}
			return cmp.Compare(x.seq, y.seq)
		})
		w.files = w.files[:0]
		w.dup = w.dup[:0]
		w.rend.r, w.rend.a, w.rend.reg = r, t.a, uint8(reg)
		// Delivered a few minutes after the period, never after as-of.
		deliver := min(pe+between(r, 60, 600), o.A-240)
		for c := 0; c < len(w.specs); c += maxFileRecords {
			chunk := w.specs[c:min(c+maxFileRecords, len(w.specs))]
			if err := w.logFile(t, reg, deliver, chunk, hasDup); err != nil {
				return err
			}
			deliver = min(deliver+between(r, 5, 30), o.A-180)
		}
		if len(w.dup) > 0 {
			if err := w.rawFile(t, reg, min(deliver+between(r, 60, 300), o.A-120), w.dup); err != nil {
				return err
			}
		}
		w.pending.add(t, k, reg, w.files)
	}
	return nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// logKey is the S3 key of a log file delivered at deliver.
func (w *worker) logKey(t *trailAcct, reg int, deliver int64) string {
	b := make([]byte, 0, 128)
	b = append(b, "AWSLogs/"...)
	b = append(b, t.a.id...)
	b = append(b, "/CloudTrail/"...)
	b = append(b, regions[reg]...)
	b = append(b, '/')
	d := appendDate(nil, deliver) // YYYY-MM-DD
	b = append(b, d[0:4]...)
	b = append(b, '/')
	b = append(b, d[5:7]...)
	b = append(b, '/')
	b = append(b, d[8:10]...)
	b = append(b, '/')
	b = append(b, t.a.id...)
	b = append(b, "_CloudTrail_"...)
	b = append(b, regions[reg]...)
	b = append(b, '_')
	b = time.Unix(deliver, 0).UTC().AppendFormat(b, "20060102T1504Z")
	b = append(b, '_')
	for i := 0; i < 16; i++ {
		b = append(b, alnum[w.rend.r.IntN(len(alnum))])
	}
	b = append(b, ".json.gz"...)
	return string(b)
}

// create writes a new file in one pass. The log folder is new (prepare
// removed any earlier one) and not a demo until ground-truth.json is written
// last, so the temporary file, chmod and rename of atomicfile would buy
// nothing here: on this project's VM they were a fifth of the generator's
// CPU time, as much as creating the file itself. A failed write removes
// its file.
func (w *worker) create(path string, fill func(io.Writer) error) (err error) {
	if dir := filepath.Dir(path); !w.dirs[dir] {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating directory %s: %w", dir, err)
		}
		w.dirs[dir] = true
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
		}
	}()
	w.bw.Reset(f)
	defer w.bw.Reset(nil)
	if err := fill(w.bw); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// logFile renders chunk into one gzipped {"Records":[...]} file.
func (w *worker) logFile(t *trailAcct, reg int, deliver int64, chunk []spec, hasDup bool) error {
	o, rd := w.o, &w.rend
	key := w.logKey(t, reg, deliver)
	path := filepath.Join(w.dir, filepath.FromSlash(key))
	h := sha256.New()
	var raw int64
	err := w.create(path, func(f io.Writer) error {
		// Digests hash a log file's decompressed text (aws cloudtrail
		// validate-logs inflates before hashing), so h sees what gz is given.
		w.gz.Reset(f)
		gzh := io.MultiWriter(w.gz, h)
		rd.b = append(w.buf[:0], `{"Records":[`...)
		for i, sp := range chunk {
			if i > 0 {
				rd.b = append(rd.b, ',')
			}
			start := len(rd.b)
			rd.reset(sp.t)
			switch sp.sess {
			case -1:
				rd.background()
			case -2:
				inv := serviceInvokers[0]
				ro := rd.roleByName(inv.role)
				rd.open()
				rd.b = append(rd.b, `{"type":"AWSService","invokedBy":"`...)
				rd.b = append(rd.b, inv.svc...)
				rd.b = append(rd.b, `"}`...)
				rd.stsAssumeRole(ro, rd.sessionName(ro), inv.svc, inv.svc)
				rd.tail(tailOpts{ro: true, shared: true})
			default:
				s := &o.sessions[sp.sess]
				rd.sessionEvent(s, sp.i)
				if hasDup && s.dup && sp.i < dupRecords {
					if len(w.dup) > 0 {
						w.dup = append(w.dup, ',')
					}
					w.dup = append(w.dup, rd.b[start:]...)
				}
			}
			if len(rd.b) >= 1<<18 {
				if _, err := gzh.Write(rd.b); err != nil {
					return err
				}
				raw += int64(len(rd.b))
				rd.b = rd.b[:0]
			}
		}
		rd.b = append(rd.b, "]}"...)
		raw += int64(len(rd.b))
		if _, err := gzh.Write(rd.b); err != nil {
			return err
		}
		return w.gz.Close()
	})
	w.buf = rd.b[:0]
	if err != nil {
		return fmt.Errorf("writing CloudTrail file %s: %w", path, err)
	}
	w.stats.records.Add(int64(len(chunk)))
	w.stats.raw.Add(raw)
	w.stats.files.Add(1)
	w.o.progress(w.stats)
	w.files = append(w.files, logFile{key: key, sum: hex.EncodeToString(h.Sum(nil)), oldest: chunk[0].t, newest: chunk[len(chunk)-1].t})
	return nil
}

// rawFile writes records already rendered (a duplicate delivery).
func (w *worker) rawFile(t *trailAcct, reg int, deliver int64, records []byte) error {
	key := w.logKey(t, reg, deliver)
	path := filepath.Join(w.dir, filepath.FromSlash(key))
	h := sha256.New()
	err := w.create(path, func(f io.Writer) error {
		w.gz.Reset(f)
		for _, part := range [][]byte{[]byte(`{"Records":[`), records, []byte("]}")} {
			h.Write(part)
			if _, err := w.gz.Write(part); err != nil {
				return err
			}
		}
		return w.gz.Close()
	})
	if err != nil {
		return fmt.Errorf("writing CloudTrail file %s: %w", path, err)
	}
	w.stats.records.Add(countRecords(records))
	w.stats.raw.Add(int64(len(records)) + 14)
	w.stats.files.Add(1)
	w.o.progress(w.stats)
	oldest, newest := int64(0), int64(0)
	if len(w.files) > 0 {
		oldest, newest = w.files[0].oldest, w.files[len(w.files)-1].newest
	}
	w.files = append(w.files, logFile{key: key, sum: hex.EncodeToString(h.Sum(nil)), oldest: oldest, newest: newest})
	return nil
}

// countRecords counts the top-level objects in a comma-separated list of
// JSON objects, skipping braces inside strings.
func countRecords(b []byte) int64 {
	var n int64
	depth, inStr, esc := 0, false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case inStr:
			if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{':
			if depth == 0 {
				n++
			}
			depth++
		case c == '}':
			depth--
		}
	}
	return n
}
