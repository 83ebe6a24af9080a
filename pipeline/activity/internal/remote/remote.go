package remote

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/tables"
)

// QueryError is a query the service ran but did not complete: its final
// state and the service's own reason, as AWS gave it.
type QueryError struct {
	Engine  string // "athena", "lake"
	QueryID string
	State   string // FAILED, CANCELLED, TIMED_OUT
	Reason  string
}

func (e *QueryError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "the service gave no reason"
	}
	s := fmt.Sprintf("%s query %s ended %s: %s", e.Engine, e.QueryID, e.State, reason)
	switch e.State {
	case "FAILED":
		s += "; the query ID leads to the full record in the " + map[string]string{"athena": "Athena", "lake": "CloudTrail Lake"}[e.Engine] + " console"
	case "CANCELLED":
		s += "; someone stopped it outside dormant: run again"
	case "TIMED_OUT":
		s += "; narrow the window or the accounts, and run again"
	}
	return s
}

// Poll intervals: the first wait and the cap it grows to.
const (
	DefaultPollInterval    = 500 * time.Millisecond
	DefaultMaxPollInterval = 5 * time.Second
	// StopTimeout bounds the call that stops a query after Ctrl-C.
	StopTimeout = 10 * time.Second
)

// PollBackoff waits between status polls, growing by half each time up to max.
type PollBackoff struct{ next, max time.Duration }

func NewPollBackoff(first, limit time.Duration) *PollBackoff {
	if first <= 0 {
		first = DefaultPollInterval
	}
	if limit <= 0 {
		limit = DefaultMaxPollInterval
	}
	return &PollBackoff{next: first, max: max(first, limit)}
}

// step returns the interval to wait now, and grows the next one.
func (b *PollBackoff) step() time.Duration {
	d := b.next
	b.next = min(b.next+b.next/2, b.max)
	return d
}

// Wait sleeps the next interval, or returns ctx's cause when it is done first.
func (b *PollBackoff) Wait(ctx context.Context) error {
	t := time.NewTimer(b.step())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// Cell is one value of a result row: text, or NULL.
type Cell struct {
	Text string
	Null bool
}

// ResultColumns are the columns of every engine's activity query.
var ResultColumns = []string{
	"kind", "account_id", "principal_id", "arn", "user_name", "region", "first_event", "last_event", "events",
	"last_event_name", "last_event_source", "last_source_ip", "last_region", "console_logins",
	"failed_console_logins", "last_failed_console_login", "access_key_ids", "hour",
}

// WatchColumns are the columns of every engine's watch query.
var WatchColumns = []string{
	"kind", "event_time", "event_id", "event_source", "event_name", "error_code", "error_message", "source_ip", "region",
	"recipient_account_id", "identity_type", "principal_id", "arn", "identity_account_id", "access_key_id",
	"identity_user_name", "issuer_type", "issuer_principal_id", "console_login", "request_user_name", "request_status",
}

// RowReader turns result rows, columns named by a header, into the tables.
type RowReader struct {
	source string   // for errors: "the athena query's results (s3://...)"
	cols   []string // ResultColumns, or WatchColumns for a watch query's results
	index  []int    // cols[i] is at index[i] in a row
	row    int
}

// NewRowReader reads the results of an activity query, or of a watch query
// when the header names WatchColumns' event_time.
func NewRowReader(source string, header []string) (*RowReader, error) {
	pos := map[string]int{}
	for i, h := range header {
		pos[strings.ToLower(strings.TrimSpace(h))] = i
	}
	cols := ResultColumns
	if _, ok := pos["event_time"]; ok {
		cols = WatchColumns
	}
	r := &RowReader{source: source, cols: cols, index: make([]int, len(cols))}
	var missing []string
	for i, c := range cols {
		p, ok := pos[c]
		if !ok {
			missing = append(missing, c)
		}
		r.index[i] = p
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("reading %s: the results lack the columns %s (they have %s): the SQL run is not dormant's activity or watch query",
			source, strings.Join(missing, ", "), strings.Join(header, ", "))
	}
	return r, nil
}

// Add reads one row into res.
func (r *RowReader) Add(res *activity.Result, row []Cell) error {
	r.row++
	get := func(i int) Cell {
		if p := r.index[i]; p < len(row) {
			return row[p]
		}
		return Cell{Null: true}
	}
	var errs []error
	text := func(i int) string { return get(i).Text }
	tm := func(i int) time.Time {
		c := get(i)
		if c.Null || c.Text == "" {
			return time.Time{}
		}
		t, err := parseResultTime(c.Text)
		if err != nil {
			errs = append(errs, fmt.Errorf("column %s: %w", r.cols[i], err))
		}
		return t
	}
	num := func(i int) int64 {
		c := get(i)
		if c.Null || c.Text == "" {
			return 0
		}
		n, err := strconv.ParseInt(c.Text, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("column %s: %q is not a whole number", r.cols[i], c.Text))
		}
		return n
	}
	kind := text(0)
	isWatch := len(r.cols) == len(WatchColumns)
	if isWatch {
		if kind != "watch" {
			errs = append(errs, fmt.Errorf("unknown row kind %q (want watch)", kind))
		} else {
			c := activity.WatchCandidate{EventTime: tm(1)}
			for i, dst := range []*string{&c.EventID, &c.EventSource, &c.EventName, &c.ErrorCode, &c.ErrorMessage,
				&c.SourceIP, &c.Region, &c.Recipient, &c.IdentityType, &c.PrincipalID, &c.ARN, &c.AccountID,
				&c.AccessKeyID, &c.UserName, &c.IssuerType, &c.IssuerPrincipalID, &c.ConsoleLogin,
				&c.RequestUserName, &c.RequestStatus} {
				*dst = text(i + 2)
			}
			res.WatchCandidates = append(res.WatchCandidates, c)
		}
	}
	switch {
	case isWatch:
	case kind == "activity":
		a := tables.Activity{
			AccountID: text(1), PrincipalID: text(2), ARN: text(3), UserName: text(4),
			FirstEvent: tm(6), LastEvent: tm(7), Events: num(8),
			LastEventName: text(9), LastEventSource: text(10), LastSourceIP: text(11), LastRegion: text(12),
			ConsoleLogins: num(13), FailedConsoleLogins: num(14), LastFailedConsoleLogin: tm(15),
		}
		if keys := text(16); keys != "" {
			a.AccessKeyIDs = strings.Split(keys, ",")
		}
		res.Activity = append(res.Activity, a)
	case kind == "coverage":
		res.Coverage = append(res.Coverage, tables.Coverage{
			AccountID: text(1), Region: text(5), Hour: tm(17), FirstEvent: tm(6), LastEvent: tm(7), Events: num(8),
		})
	default:
		errs = append(errs, fmt.Errorf("unknown row kind %q (want activity or coverage)", kind))
	}
	if len(errs) > 0 {
		return fmt.Errorf("reading %s, row %d: %w", r.source, r.row, errors.Join(errs...))
	}
	return nil
}

// resultTimeLayouts are the forms a time takes in the results: the queries
// render ISO 8601 (to_iso8601: with Z for Athena's timestamp with time zone,
// without a zone for Lake's UTC timestamps); the others are the engines'
// default renderings, accepted should a time come through unformatted.
var resultTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// parseResultTime reads a time of the results; a time without a zone is UTC.
func parseResultTime(s string) (time.Time, error) {
	for _, layout := range resultTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time in a form dormant reads (ISO 8601)", s)
}

// csvReader reads Athena's result CSV: a header line, then one line per
// row; a value is double-quoted (quotes doubled inside, line breaks kept),
// and NULL is an empty unquoted field, so NULL and the empty string differ.
type csvReader struct {
	r    *bufio.Reader
	line int
	buf  []Cell
}

func newCSVReader(r io.Reader) *csvReader {
	return &csvReader{r: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next record, or io.EOF after the last. The slice is
// reused by the following call.
func (c *csvReader) next() ([]Cell, error) {
	line, err := c.readLine()
	if err != nil {
		return nil, err
	}
	startLine := c.line
	c.buf = c.buf[:0]
	pos := 0
	for {
		if pos < len(line) && line[pos] == '"' {
			var v string
			if v, line, pos, err = c.quoted(line, pos+1, startLine); err != nil {
				return nil, err
			}
			c.buf = append(c.buf, Cell{Text: v})
		} else {
			end := strings.IndexByte(line[pos:], ',')
			if end < 0 {
				end = len(line) - pos
			}
			v := line[pos : pos+end]
			if strings.IndexByte(v, '"') >= 0 {
				return nil, fmt.Errorf("line %d: a quote inside an unquoted value", c.line)
			}
			c.buf = append(c.buf, Cell{Text: v, Null: v == ""})
			pos += end
		}
		switch {
		case pos == len(line):
			return c.buf, nil
		case line[pos] == ',':
			pos++
			if pos == len(line) { // a trailing comma: one more, NULL, value
				c.buf = append(c.buf, Cell{Null: true})
				return c.buf, nil
			}
		default:
			return nil, fmt.Errorf("line %d: text after a quoted value, at character %d", c.line, pos+1)
		}
	}
}

// quoted reads a quoted value whose text starts at line[pos]: up to the
// closing quote, "" standing for a quote, going on over line breaks. It
// returns the value and the line and position after the closing quote.
func (c *csvReader) quoted(line string, pos, startLine int) (string, string, int, error) {
	// Most values have no quote inside and no line break: sliced straight
	// from the line.
	if i := strings.IndexByte(line[pos:], '"'); i >= 0 && (pos+i+1 == len(line) || line[pos+i+1] != '"') {
		return line[pos : pos+i], line, pos + i + 1, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(line[pos:], '"')
		if i < 0 {
			b.WriteString(line[pos:])
			more, err := c.readLine()
			if err == io.EOF {
				return "", "", 0, fmt.Errorf("line %d: a quoted value is not closed before the end of the file", startLine)
			}
			if err != nil {
				return "", "", 0, err
			}
			b.WriteByte('\n')
			line, pos = more, 0
			continue
		}
		b.WriteString(line[pos : pos+i])
		pos += i + 1
		if pos < len(line) && line[pos] == '"' {
			b.WriteByte('"')
			pos++
			continue
		}
		return b.String(), line, pos, nil
	}
}

// readLine returns the next line without its line break.
func (c *csvReader) readLine() (string, error) {
	s, err := c.r.ReadString('\n')
	if err == io.EOF && s == "" {
		return "", io.EOF
	}
	if err != nil && err != io.EOF {
		return "", err
	}
	c.line++
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

// ReadCSVResults reads an Athena result CSV into res.
func ReadCSVResults(r io.Reader, source string, res *activity.Result) (rows int, err error) {
	cr := newCSVReader(r)
	header, err := cr.next()
	if err == io.EOF {
		return 0, fmt.Errorf("reading %s: the file is empty, without even a header line", source)
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", source, err)
	}
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = h.Text
	}
	rr, err := NewRowReader(source, names)
	if err != nil {
		return 0, err
	}
	for {
		row, err := cr.next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, fmt.Errorf("reading %s: %w", source, err)
		}
		if err := rr.Add(res, row); err != nil {
			return rows, err
		}
		rows++
	}
}
