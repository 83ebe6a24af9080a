package local

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dormant-iam/dormant/internal/ctrecord"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// This file holds the Go scanner's implementation of the identity rules of
// queries/local/activity.sql.tmpl, which remains their specification: the
// DuckDB scanner runs that SQL verbatim, and the equivalence tests check
// that both produce identical tables.
//
// Duplicates: a principal's event, console-login and failed-login counts
// are distinct counts of eventID (a record without one is identified by a
// hash of its fields, as the SQL does with md5 of the record), over the
// principal's whole window, like count(DISTINCT event_id). Coverage counts
// every record as delivered, duplicates included (count(*)): it measures the
// log data read, not the events.
//
// Where the two scanners could differ, on input AWS does not write: a
// record without an eventID is hashed over the fields the rules read, not
// md5 of DuckDB's text of the record, so among such records at the same
// time the "latest" may be another one (their counts agree); a number in a
// field read as text keeps its spelling (DuckDB writes 1.50 as 1.5).
//
// Memory: only events that count for a user or root keep their eventID
// (16 bytes for AWS's UUIDs), per principal, in a list sorted and
// deduplicated at the end; role sessions, services and everything else
// leave nothing behind but their coverage counters.

// window bounds the events that count, in microseconds, both inclusive;
// watch, when set, is the query's watch filter.
type window struct {
	start, end int64
	watch      *watchSpec
}

func newWindow(q activity.Query) window {
	return window{
		start: q.Start.UTC().Truncate(time.Microsecond).UnixMicro(),
		end:   q.End.UTC().Truncate(time.Microsecond).UnixMicro(),
		watch: newWatchSpec(q),
	}
}

func (w window) contains(t int64) bool { return t >= w.start && t <= w.end }

// Buckets split event times for the incremental cache: bucket 2d holds the
// instant of day d's midnight (UTC), bucket 2d+1 the rest of day d, so that
// a window whose edges fall on midnights is a union of whole buckets.
const microsPerDay = 86_400_000_000

func bucketOf(t int64) int64 {
	d := floorDiv(t, microsPerDay)
	if t == d*microsPerDay {
		return 2 * d
	}
	return 2*d + 1
}

// bucketSpan is the first and last microsecond of a bucket.
func bucketSpan(b int64) (lo, hi int64) {
	d := floorDiv(b, 2)
	if b%2 == 0 {
		return d * microsPerDay, d * microsPerDay
	}
	return d*microsPerDay + 1, (d+1)*microsPerDay - 1
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// bucketIn says where a bucket lies relative to w: +1 inside, 0 across an
// edge (partial), -1 outside.
func (w window) bucketIn(b int64) int {
	lo, hi := bucketSpan(b)
	switch {
	case lo >= w.start && hi <= w.end:
		return 1
	case hi < w.start || lo > w.end:
		return -1
	}
	return 0
}

// stamped is a value with the (time, eventID) it was seen at, for the
// SQL's arg_max(value, {t, id}).
type stamped struct {
	has bool
	t   int64
	id  []byte
}

// newer reports whether (t, id) comes after s's stamp.
func (s *stamped) newer(t int64, id []byte) bool {
	return !s.has || t > s.t || t == s.t && bytes.Compare(id, s.id) > 0
}

func (s *stamped) set(t int64, id []byte) {
	s.has, s.t, s.id = true, t, append(s.id[:0], id...)
}

// same reports whether (t, id) equals s's stamp: a duplicate delivery.
func (s *stamped) same(t int64, id []byte) bool {
	return s.has && t == s.t && bytes.Equal(id, s.id)
}

// latestUse is the SQL's latest: the last use's name, source, IP and region.
type latestUse struct {
	stamped
	name, source, ip, region []byte
}

func (l *latestUse) offer(t int64, id, name, source, ip, region []byte) {
	switch {
	case l.newer(t, id):
	case l.same(t, id) && bytes.Compare(bytes.Join([][]byte{name, source, ip, region}, []byte{0}),
		bytes.Join([][]byte{l.name, l.source, l.ip, l.region}, []byte{0})) > 0:
		// Equal stamps with different values cannot come from AWS; keep the
		// greater, so that the result does not depend on reading order.
	default:
		return
	}
	l.set(t, id)
	l.name = append(l.name[:0], name...)
	l.source = append(l.source[:0], source...)
	l.ip = append(l.ip[:0], ip...)
	l.region = append(l.region[:0], region...)
}

// latestText is arg_max of one text value.
type latestText struct {
	stamped
	v []byte
}

func (l *latestText) offer(t int64, id, v []byte) {
	if l.newer(t, id) || l.same(t, id) && bytes.Compare(v, l.v) > 0 {
		l.set(t, id)
		l.v = append(l.v[:0], v...)
	}
}

// userAgg is the running aggregate of one principal (in one cache bucket,
// when the scan feeds the cache).
type userAgg struct {
	account, principalID, arnKey string
	bucket                       int64

	hasUse            bool
	firstUse, lastUse int64
	use, console      idSet
	failed            idSet
	hasFailed         bool
	lastFailed        int64
	keys              []string // AKIA keys, unsorted, distinct
	latest            latestUse
	arn, user         latestText
}

func (u *userAgg) addKey(k []byte) {
	for _, have := range u.keys {
		if have == string(k) {
			return
		}
	}
	u.keys = append(u.keys, string(k))
}

// merge folds o into u.
func (u *userAgg) merge(o *userAgg) {
	if o.hasUse {
		if !u.hasUse {
			u.hasUse, u.firstUse, u.lastUse = true, o.firstUse, o.lastUse
		} else {
			u.firstUse, u.lastUse = min(u.firstUse, o.firstUse), max(u.lastUse, o.lastUse)
		}
	}
	u.use.merge(&o.use)
	u.console.merge(&o.console)
	u.failed.merge(&o.failed)
	if o.hasFailed && (!u.hasFailed || o.lastFailed > u.lastFailed) {
		u.hasFailed, u.lastFailed = true, o.lastFailed
	}
	for _, k := range o.keys {
		u.addKey([]byte(k))
	}
	if o.latest.has {
		u.latest.offer(o.latest.t, o.latest.id, o.latest.name, o.latest.source, o.latest.ip, o.latest.region)
	}
	if o.arn.has {
		u.arn.offer(o.arn.t, o.arn.id, o.arn.v)
	}
	if o.user.has {
		u.user.offer(o.user.t, o.user.id, o.user.v)
	}
}

// row is the activity table's row for u.
func (u *userAgg) row() tables.Activity {
	a := tables.Activity{
		AccountID:           u.account,
		PrincipalID:         u.principalID,
		Events:              u.use.count(),
		ConsoleLogins:       u.console.count(),
		FailedConsoleLogins: u.failed.count(),
	}
	switch {
	case u.principalID == "":
		a.ARN = u.arnKey
	case u.arn.has:
		a.ARN = string(u.arn.v)
	}
	if u.user.has {
		a.UserName = string(u.user.v)
	}
	if u.hasUse {
		a.FirstEvent, a.LastEvent = microTime(u.firstUse), microTime(u.lastUse)
	}
	if u.latest.has {
		a.LastEventName, a.LastEventSource = string(u.latest.name), string(u.latest.source)
		a.LastSourceIP, a.LastRegion = string(u.latest.ip), string(u.latest.region)
	}
	if u.hasFailed {
		a.LastFailedConsoleLogin = microTime(u.lastFailed)
	}
	if len(u.keys) > 0 {
		a.AccessKeyIDs = slices.Sorted(slices.Values(u.keys))
	}
	return a
}

func microTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

// covAgg is the coverage of one cell: an account, a region and an hour.
type covAgg struct {
	account, region string
	hour            int64 // the hour's start, Unix microseconds
	hasTime         bool
	first, last     int64
	records         int64
}

// microsPerHour is the width of a coverage cell.
const microsPerHour = 3_600_000_000

// coverageHour is the cell a record counts in, as the SQL's trail_hour: its
// eventTime's hour, or, without a usable eventTime, the midnight of its
// file's date folder (the file still shows the trail delivered that day).
func coverageHour(r *ctrecord.Record, f *LogFile) int64 {
	if r.HasTime {
		return floorDiv(r.Time, microsPerHour) * microsPerHour
	}
	return f.Day.UnixMicro()
}

// covKey is a cell's map key, as add builds it: account, NUL, region, NUL,
// the hour as 8 big-endian bytes.
func covKey(account, region string, hour int64) string {
	k := append(append(append([]byte(account), 0), region...), 0)
	return string(binary.BigEndian.AppendUint64(k, uint64(hour)))
}

func (c *covAgg) merge(o *covAgg) {
	c.records += o.records
	if o.hasTime {
		if !c.hasTime {
			c.hasTime, c.first, c.last = true, o.first, o.last
		} else {
			c.first, c.last = min(c.first, o.first), max(c.last, o.last)
		}
	}
}

func (c *covAgg) row() tables.Coverage {
	r := tables.Coverage{AccountID: c.account, Region: c.region, Hour: microTime(c.hour), Events: c.records}
	if c.hasTime {
		r.FirstEvent, r.LastEvent = microTime(c.first), microTime(c.last)
	}
	return r
}

// aggregator applies the rules to records and keeps the aggregates. Each
// scanning goroutine has its own; they are merged at the end.
type aggregator struct {
	win window
	// bucketed: keep every attributed event, per cache bucket, whatever the
	// window (the cache applies it when merging); edge then receives the
	// events of buckets the window cuts through, filtered by the window.
	bucketed bool
	edge     *aggregator

	cov   map[string]*covAgg
	users map[string]*userAgg
	files []tables.LogFile // the log files table's rows of the files read
	// watch holds the watch candidates read (window.watch); in the cache's
	// bucketed mode, whatever the window, since the cache keeps them per day.
	watch []activity.WatchCandidate

	keyBuf   []byte
	lastCov  []byte
	lastAgg  *covAgg
	arnBuf   []byte
	idBuf    []byte
	hashBuf  []byte
	principl attribution
}

func newAggregator(w window, bucketed bool) *aggregator {
	a := &aggregator{win: w, bucketed: bucketed, cov: map[string]*covAgg{}, users: map[string]*userAgg{}}
	if bucketed {
		a.edge = newAggregator(w, false)
	}
	return a
}

var rootUserName = []byte(tables.RootUserName)

// attribution is the principal a record counts for (the SQL's principal).
type attribution struct {
	accountSet              bool
	account, pid, arn, user []byte
}

// attribute applies the identity rules; ok is false when the record counts
// for nobody.
func (a *aggregator) attribute(r *ctrecord.Record, p *attribution) bool {
	u := &r.User
	if !u.Present || u.UserName.Is("HIDDEN_DUE_TO_SECURITY_REASONS") || !u.Type.Set {
		return false
	}
	*p = attribution{}
	ownAccount := func() {
		if u.AccountID.NonEmpty() {
			p.account, p.accountSet = u.AccountID.Value, true
		} else {
			p.account, p.accountSet = r.Recipient.Value, r.Recipient.Set
		}
	}
	switch string(u.Type.Value) {
	case "IAMUser":
		ownAccount()
		p.pid, p.arn, p.user = u.PrincipalID.Value, u.ARN.Value, u.UserName.Value
	case "FederatedUser":
		si := u.Issuer
		if si == nil || !si.Type.Is("IAMUser") {
			return false
		}
		p.account, p.accountSet = si.AccountID.Value, si.AccountID.Set
		p.pid, p.arn, p.user = si.PrincipalID.Value, si.ARN.Value, si.UserName.Value
	case "AWSAccount":
		if !u.PrincipalID.Set || !isUserID(u.PrincipalID.Value) {
			return false
		}
		p.account, p.accountSet = u.AccountID.Value, u.AccountID.Set
		p.pid = u.PrincipalID.Value
	case "Root":
		ownAccount()
		if p.accountSet {
			a.arnBuf = append(append(append(a.arnBuf[:0], "arn:aws:iam::"...), p.account...), ":root"...)
			p.arn = a.arnBuf
		}
		p.user = rootUserName
	default:
		return false
	}
	return p.accountSet && (len(p.pid) > 0 || len(p.arn) > 0)
}

// isUserID matches the SQL's regexp_full_match(principalId, 'AIDA[A-Z0-9]+').
func isUserID(b []byte) bool {
	if len(b) < 5 || string(b[:4]) != "AIDA" {
		return false
	}
	for _, c := range b[4:] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// add applies the rules to one record of f.
func (a *aggregator) add(r *ctrecord.Record, f *LogFile) {
	// Coverage: per account and region the record was logged for, or the
	// folders its file was delivered to, and per hour.
	acct, region := r.Recipient.Value, r.AWSRegion.Value
	k := a.keyBuf[:0]
	if len(acct) == 0 {
		k = append(k, f.AccountID...)
	} else {
		k = append(k, acct...)
	}
	k = append(k, 0)
	if len(region) == 0 {
		k = append(k, f.Region...)
	} else {
		k = append(k, region...)
	}
	hour := coverageHour(r, f)
	k = binary.BigEndian.AppendUint64(append(k, 0), uint64(hour))
	a.keyBuf = k
	c := a.lastAgg
	if c == nil || !bytes.Equal(k, a.lastCov) {
		c = a.cov[string(k)]
		if c == nil {
			i := bytes.IndexByte(k, 0)
			c = &covAgg{account: string(k[:i]), region: string(k[i+1 : len(k)-9]), hour: hour}
			a.cov[string(k)] = c
		}
		a.lastAgg, a.lastCov = c, append(a.lastCov[:0], k...)
	}
	c.records++
	if r.HasTime {
		if !c.hasTime {
			c.hasTime, c.first, c.last = true, r.Time, r.Time
		} else if r.Time < c.first {
			c.first = r.Time
		} else if r.Time > c.last {
			c.last = r.Time
		}
	}

	if !r.HasTime {
		return
	}
	if s := a.win.watch; s != nil && (a.bucketed || a.win.contains(r.Time)) {
		if c, ok := s.candidate(r); ok {
			a.watch = append(a.watch, c)
		}
	}
	if !a.attribute(r, &a.principl) {
		return
	}
	var bucket int64
	if a.bucketed {
		bucket = bucketOf(r.Time)
		if a.win.bucketIn(bucket) == 0 {
			a.edge.addUser(r, &a.principl, 0)
		}
	} else if !a.win.contains(r.Time) {
		return
	}
	a.addUser(r, &a.principl, bucket)
}

// addUser adds a counted record to its principal's aggregate.
func (a *aggregator) addUser(r *ctrecord.Record, p *attribution, bucket int64) {
	if !a.bucketed && !a.win.contains(r.Time) {
		return
	}
	arnKey := p.arn
	if len(p.pid) > 0 {
		arnKey = nil
	}
	k := append(a.keyBuf[:0], p.account...)
	k = append(k, 0)
	k = append(k, p.pid...)
	k = append(k, 0)
	k = append(k, arnKey...)
	if a.bucketed {
		k = binary.BigEndian.AppendUint64(append(k, 0), uint64(bucket))
	}
	a.keyBuf = k
	u := a.users[string(k)]
	if u == nil {
		u = &userAgg{account: string(p.account), principalID: string(p.pid), arnKey: string(arnKey), bucket: bucket}
		a.users[string(k)] = u
	}

	id := r.EventID.Value
	if !r.EventID.Set {
		a.idBuf = recordHash(a.idBuf[:0], &a.hashBuf, r)
		id = a.idBuf
	}
	failed := false
	var login []byte
	var hasLogin bool
	if r.EventName.Is("ConsoleLogin") {
		login, hasLogin = ctrecord.LoginOutcome(r.Response)
		failed = hasLogin && string(login) == "Failure" || r.ErrorMessage.Is("Failed authentication")
	}
	t := r.Time
	if failed {
		u.failed.add(id)
		if !u.hasFailed || t > u.lastFailed {
			u.hasFailed, u.lastFailed = true, t
		}
	} else {
		if !u.hasUse {
			u.hasUse, u.firstUse, u.lastUse = true, t, t
		} else if t < u.firstUse {
			u.firstUse = t
		} else if t > u.lastUse {
			u.lastUse = t
		}
		u.use.add(id)
		if hasLogin && string(login) == "Success" {
			u.console.add(id)
		}
		u.latest.offer(t, id, r.EventName.Value, r.EventSource.Value, r.SourceIP.Value, r.AWSRegion.Value)
		if key := r.User.AccessKeyID.Value; len(key) >= 4 && string(key[:4]) == "AKIA" {
			u.addKey(key)
		}
	}
	if len(p.arn) > 0 {
		u.arn.offer(t, id, p.arn)
	}
	if len(p.user) > 0 {
		u.user.offer(t, id, p.user)
	}
}

// recordHash identifies a record that has no eventID by its fields, as the
// SQL's md5 of the record does, written as 32 hex digits.
func recordHash(dst []byte, buf *[]byte, r *ctrecord.Record) []byte {
	b := (*buf)[:0]
	field := func(f ctrecord.Field) {
		if !f.Set {
			b = append(b, 0)
			return
		}
		b = binary.AppendUvarint(append(b, 1), uint64(len(f.Value)))
		b = append(b, f.Value...)
	}
	for _, f := range []ctrecord.Field{r.EventID, r.EventSource, r.EventName, r.AWSRegion, r.SourceIP,
		r.ErrorCode, r.ErrorMessage, r.Recipient, {Value: r.Response, Set: r.Response != nil}} {
		field(f)
	}
	b = append(b, byte(boolInt(r.HasTime)))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time))
	ident := func(id *ctrecord.Identity) {
		b = append(b, byte(boolInt(id.Present)))
		for _, f := range []ctrecord.Field{id.Type, id.PrincipalID, id.ARN, id.AccountID, id.AccessKeyID, id.UserName} {
			field(f)
		}
		b = append(b, byte(boolInt(id.HasContext)))
	}
	ident(&r.User)
	if r.User.Issuer != nil {
		ident(r.User.Issuer)
	} else {
		b = append(b, 2)
	}
	*buf = b
	sum := md5.Sum(b)
	return hex.AppendEncode(dst, sum[:])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// merge folds o's aggregates into a.
func (a *aggregator) merge(o *aggregator) {
	for k, c := range o.cov {
		if have := a.cov[k]; have != nil {
			have.merge(c)
		} else {
			a.cov[k] = c
		}
	}
	for k, u := range o.users {
		if have := a.users[k]; have != nil {
			have.merge(u)
		} else {
			a.users[k] = u
		}
	}
	if a.edge != nil && o.edge != nil {
		a.edge.merge(o.edge)
	}
	a.files = append(a.files, o.files...)
	a.watch = append(a.watch, o.watch...)
	a.lastAgg, a.lastCov = nil, nil
}

// result fills res with the tables, in the documented order.
func (a *aggregator) result(res *activity.Result) {
	res.LogFiles = a.files
	res.WatchCandidates = a.watch
	users := make([]*userAgg, 0, len(a.users))
	for _, u := range a.users {
		users = append(users, u)
	}
	// Counting sorts each principal's eventIDs: spread over the cores.
	res.Activity = make([]tables.Activity, len(users))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(users)/64)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(users) {
					return
				}
				res.Activity[i] = users[i].row()
			}
		})
	}
	wg.Wait()
	res.Coverage = make([]tables.Coverage, 0, len(a.cov))
	for _, c := range a.cov {
		res.Coverage = append(res.Coverage, c.row())
	}
	if len(res.Activity) == 0 {
		res.Activity = nil
	}
	if len(res.Coverage) == 0 {
		res.Coverage = nil
	}
	activity.SortResult(res)
}
