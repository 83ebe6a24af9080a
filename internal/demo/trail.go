package demo

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Session kinds: a burst of a user's (or root's) events in one file period
// and region.
const (
	sessLogin       uint8 = iota // [CheckMfa,] successful ConsoleLogin
	sessConsole                  // console calls: IAMUser with a temporary key
	sessKey                      // calls signed with an AKIA key
	sessFederated                // FederatedUser calls; the session issuer is the user
	sessGetFedToken              // the user's GetFederationToken call
	sessCross                    // AssumeRole logged in the role's account as AWSAccount
	sessRoleNamed                // AssumedRole session named like the user: not the user
	sessFailed                   // failed ConsoleLogin
	sessRootLogin                // root ConsoleLogin
)

// countsAsUse: kinds whose events are the user's successful activity.
func countsAsUse(kind uint8) bool {
	switch kind {
	case sessLogin, sessConsole, sessKey, sessFederated, sessGetFedToken, sessCross:
		return true
	}
	return false
}

// maxSessionSpan bounds a session's duration, so it fits in one period.
const maxSessionSpan = 40 * 60

// Caps that keep memory per file bounded whatever the event count.
const (
	maxSessionEvents = 5000
	maxFileRecords   = 5000
	dupRecords       = 3 // events of a duplicated session delivered twice
)

type session struct {
	start  int64
	trail  int32 // index in org.trails: the account whose trail logs it
	user   int32 // index in org.principals
	n      int32 // events
	step   int32 // seconds between events
	w      int32 // weight of a session whose size scales with Events; 0 = fixed n
	aux    int32 // console: seconds since sign-in (session creation)
	region uint8
	kind   uint8
	svc    uint8 // service group
	slot   uint8 // key slot
	dup    bool  // delivered twice
	mfa    bool
}

func (s *session) last() int64 { return s.start + int64(s.n-1)*int64(s.step) }

// trailAcct is an account with a trail: the span of its logs and its sessions.
type trailAcct struct {
	a          *account
	idx        int
	start, end int64 // event times are in [start, end)
	k0, k1     int64 // file periods
	sessOff    []int32
	bgBase     int // index of (k0, region 0) in org.bgCum
}

// finalizeSessions sizes the sessions whose length scales with Events (about
// 30% of all records come from users), sorts them by file, and records each
// principal's last counted event in the window.
func (o *org) finalizeSessions() error {
	var fixed, wsum, scalable int64
	for i := range o.sessions {
		s := &o.sessions[i]
		if s.w == 0 {
			fixed += int64(s.n)
		} else {
			wsum += int64(s.w)
			scalable++
		}
	}
	budget := max(int64(o.opts.Events)*3/10-fixed, scalable)
	for i := range o.sessions {
		s := &o.sessions[i]
		if s.w > 0 {
			n := max(1, min(budget*int64(s.w)/wsum, maxSessionEvents))
			s.n = int32(n)
			if n > 1 {
				s.step = int32(min(90, int64(maxSessionSpan)/(n-1)))
			}
		}
		o.sessionEvents += int64(s.n)
		if s.dup {
			o.sessionEvents += int64(min(s.n, dupRecords))
		}
	}
	slices.SortStableFunc(o.sessions, func(x, y session) int {
		return cmp.Or(cmp.Compare(x.trail, y.trail), cmp.Compare(x.start/o.p, y.start/o.p), cmp.Compare(x.region, y.region), cmp.Compare(x.start, y.start))
	})
	for _, t := range o.trails {
		t.sessOff = make([]int32, t.k1-t.k0+2)
	}
	for i := range o.sessions {
		s := &o.sessions[i]
		t := o.trails[s.trail]
		k := s.start / o.p
		if k < t.k0 || k > t.k1 || s.last() >= t.end {
			// place() prevents this; a failure here is a generator bug.
			return fmt.Errorf("planning CloudTrail for account %s: a session at %d falls outside the trail's periods %d..%d", t.a.id, s.start, t.k0, t.k1)
		}
		t.sessOff[k-t.k0+1]++
		if countsAsUse(s.kind) {
			u := o.principals[s.user]
			if l := s.last(); l >= o.S && l <= o.A {
				u.ctLast = max(u.ctLast, l)
			}
		}
	}
	for _, t := range o.trails {
		for k := 1; k < len(t.sessOff); k++ {
			t.sessOff[k] += t.sessOff[k-1]
		}
		if t.idx > 0 {
			prev := o.trails[t.idx-1]
			base := prev.sessOff[len(prev.sessOff)-1]
			for k := range t.sessOff {
				t.sessOff[k] += base
			}
		}
	}
	return nil
}

// diurnal weighs a period by the hour and weekday of its middle: business
// hours are busier than nights and weekends.
func diurnal(mid int64) uint64 {
	h := mid % 86400 / 3600
	wd := (mid/86400 + 4) % 7 // 1970-01-01 was a Thursday
	busy := h >= 13 && h < 23
	weekend := wd == 0 || wd == 6
	switch {
	case busy && !weekend:
		return 10
	case busy:
		return 5
	case !weekend:
		return 4
	}
	return 3
}

// allocateBackground spreads the background events over every (trail,
// period, region) in proportion to integer weights, so each file's count is
// known without any shared state: count(f) = floor(B*cum[f+1]/W) - floor(B*cum[f]/W).
func (o *org) allocateBackground() {
	o.anchors = 2 * int64(len(o.trails))
	for _, t := range o.trails {
		for k := t.k0; k <= t.k1; k++ {
			if o.opensDay(t, k) {
				o.anchors += int64(len(regions))
			}
		}
	}
	o.bgTotal = max(0, int64(o.opts.Events)-o.sessionEvents-o.anchors)
	o.bgCum = []uint64{0}
	for _, t := range o.trails {
		t.bgBase = len(o.bgCum) - 1
		for k := t.k0; k <= t.k1; k++ {
			ps, pe := o.periodBounds(t, k)
			minutes := uint64(max(1, (pe-ps)/60))
			d := diurnal((ps + pe) / 2)
			for r := range regions {
				jitter := 8 + seedOf(o.seed, uint64(t.idx), uint64(k), uint64(r))%5
				w := regionWeight[r] * d * jitter * minutes
				o.bgCum = append(o.bgCum, o.bgCum[len(o.bgCum)-1]+w)
			}
		}
	}
}

// opensDay reports whether period k is the trail's first of a UTC day
// (periods divide the day): each region gets a record there, so that every
// day of every region has logs, as a real trail's regions do and as the
// coverage rule (pipeline/findings/coverage.go) requires.
func (o *org) opensDay(t *trailAcct, k int64) bool {
	ps, _ := o.periodBounds(t, k)
	return k == t.k0 || ps%86400 == 0
}

func (o *org) bgShare(cum uint64) int64 {
	total := o.bgCum[len(o.bgCum)-1]
	if total == 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(o.bgTotal), cum)
	q, _ := bits.Div64(hi, lo, total)
	return int64(q)
}

func (o *org) bgCount(t *trailAcct, k int64, r int) int64 {
	f := t.bgBase + int(k-t.k0)*len(regions) + r
	return o.bgShare(o.bgCum[f+1]) - o.bgShare(o.bgCum[f])
}

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

// digestStore keeps each (account, period, region)'s log files until every
// period is written: a digest records the SHA-256 of the previous period's
// digest, which another worker may write, so the digests are written after
// the logs, in period order per account and region.
type digestStore struct {
	mu    sync.Mutex
	files map[digestSlot][]logFile
}

type digestSlot struct {
	t   *trailAcct
	k   int64
	reg int
}

func (d *digestStore) add(t *trailAcct, k int64, reg int, files []logFile) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files[digestSlot{t, k, reg}] = slices.Clone(files)
}

// writeDigests writes every covered account's digest chain per region.
func (o *org) writeDigests(dir string, store *digestStore) error {
	gz, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	w := &worker{o: o, dir: dir, gz: gz, dirs: map[string]bool{}, bw: bufio.NewWriterSize(nil, 64<<10)}
	for _, t := range o.trails {
		for reg := range regions {
			prev := ""
			for k := t.k0; k <= t.k1; k++ {
				w.files = store.files[digestSlot{t, k, reg}]
				sum, err := w.digest(t, k, reg, prev)
				if err != nil {
					return err
				}
				prev = sum
			}
		}
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

const trailName = "org-trail"

func (w *worker) digestKey(t *trailAcct, k int64, reg int) (string, int64) {
	o := w.o
	_, pe := o.periodBounds(t, k)
	end := min(pe+20*60+int64(seedOf(o.seed, tagDigest, uint64(t.idx), uint64(k), uint64(reg))%600), o.A-60)
	b := make([]byte, 0, 160)
	b = append(b, "AWSLogs/"...)
	b = append(b, t.a.id...)
	b = append(b, "/CloudTrail-Digest/"...)
	b = append(b, regions[reg]...)
	b = append(b, '/')
	d := appendDate(nil, end)
	b = append(b, d[0:4]...)
	b = append(b, '/')
	b = append(b, d[5:7]...)
	b = append(b, '/')
	b = append(b, d[8:10]...)
	b = append(b, '/')
	b = append(b, t.a.id...)
	b = append(b, "_CloudTrail-Digest_"...)
	b = append(b, regions[reg]...)
	b = append(b, '_')
	b = append(b, trailName...)
	b = append(b, "_us-east-1_"...)
	b = time.Unix(end, 0).UTC().AppendFormat(b, "20060102T150405Z")
	b = append(b, ".json.gz"...)
	return string(b), end
}

// digest writes the CloudTrail-Digest file for the period's log files
// (w.files) and returns the SHA-256 of its text, which the next period's
// digest records as previousDigestHashValue. prevSum is the previous one's.
func (w *worker) digest(t *trailAcct, k int64, reg int, prevSum string) (string, error) {
	o := w.o
	r := newRNG(o.seed, tagDigest, uint64(t.idx), uint64(k), uint64(reg))
	key, end := w.digestKey(t, k, reg)
	b := append(w.buf[:0], '{')
	b = appendKV(b, "awsAccountId", t.a.id)
	b = append(b, `,"digestStartTime":"`...)
	b = appendTimeZ(b, end-o.p)
	b = append(b, `","digestEndTime":"`...)
	b = appendTimeZ(b, end)
	b = append(b, `",`...)
	b = appendKV(b, "digestS3Bucket", o.bucket)
	b = append(b, ',')
	b = appendKV(b, "digestS3Object", key)
	// The demo key's fingerprint, so that the fake CloudTrail's key checks
	// the signature the fake S3 serves (digestkey.go).
	b = append(b, `,"digestPublicKeyFingerprint":"`...)
	b = append(b, DigestKeyFingerprint()...)
	b = append(b, `","digestSignatureAlgorithm":"SHA256withRSA"`...)
	if len(w.files) > 0 {
		b = append(b, `,"newestEventTime":"`...)
		b = appendTimeZ(b, w.files[len(w.files)-1].newest)
		b = append(b, `","oldestEventTime":"`...)
		b = appendTimeZ(b, w.files[0].oldest)
		b = append(b, '"')
	}
	if k > t.k0 {
		prev, _ := w.digestKey(t, k-1, reg)
		b = append(b, ',')
		b = appendKV(b, "previousDigestS3Bucket", o.bucket)
		b = append(b, ',')
		b = appendKV(b, "previousDigestS3Object", prev)
		b = append(b, `,"previousDigestHashValue":"`...)
		b = append(b, prevSum...)
		b = append(b, `","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"`...)
		b = appendHex(b, r, 512)
		b = append(b, '"')
	} else {
		b = append(b, `,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null`...)
	}
	b = append(b, `,"logFiles":[`...)
	for i, f := range w.files {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKV(b, "s3Bucket", o.bucket)
		b = append(b, ',')
		b = appendKV(b, "s3Object", f.key)
		b = append(b, ',')
		b = appendKV(b, "hashValue", f.sum)
		b = append(b, `,"hashAlgorithm":"SHA-256","newestEventTime":"`...)
		b = appendTimeZ(b, f.newest)
		b = append(b, `","oldestEventTime":"`...)
		b = appendTimeZ(b, f.oldest)
		b = append(b, `"}`...)
	}
	b = append(b, "]}"...)
	w.buf = b[:0]
	path := filepath.Join(w.dir, filepath.FromSlash(key))
	err := w.create(path, func(f io.Writer) error {
		w.gz.Reset(f)
		if _, err := w.gz.Write(b); err != nil {
			return err
		}
		return w.gz.Close()
	})
	if err != nil {
		return "", fmt.Errorf("writing CloudTrail digest %s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
