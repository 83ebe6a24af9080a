package analytics

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Query states, Athena's and Lake's.
const (
	stateQueued    = "QUEUED"
	stateRunning   = "RUNNING"
	stateSucceeded = "SUCCEEDED" // Athena
	stateFinished  = "FINISHED"  // Lake
	stateFailed    = "FAILED"
	stateCancelled = "CANCELLED"
)

// column is a result column (or a table column in GetTableMetadata).
type column struct {
	Name string `json:"Name"`
	Type string `json:"Type"`
}

// execution is one query, Athena's or Lake's.
type execution struct {
	id        string
	service   string // athena, cloudtrail
	query     string // as submitted
	run       string // as run (Lake's FROM rewritten)
	database  string
	catalog   string
	workgroup string
	output    string // Athena: the result object's s3:// URI
	token     string
	failWith  string // a reason to fail with instead of running

	state      string // the state reached; what polls see once polls run out
	polls      int    // status polls left before the state shows
	reason     string
	submitted  time.Time
	completed  time.Time
	scanned    int64
	engineTime time.Duration
	cols       []column
	rows       [][]*string // nil: NULL

	cancel context.CancelFunc
}

// visibleState is the state a status poll reports; the caller holds s.mu.
func (e *execution) visibleState() string {
	if e.polls > 0 && e.state != stateCancelled {
		e.polls--
		if e.polls%2 == 1 {
			return stateQueued
		}
		return stateRunning
	}
	return e.state
}

func (e *execution) terminal() bool {
	switch e.state {
	case stateSucceeded, stateFinished, stateFailed, stateCancelled:
		return true
	}
	return false
}

// newID returns a random UUID (version 4), as Athena and Lake query IDs are.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// start registers e and runs it in the background; done (run with s.mu
// held) finishes a successful query (Athena writes its CSV there).
func (s *Server) start(e *execution, done func(e *execution) error) {
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.submitted = time.Now()
	e.state = stateRunning
	s.mu.Lock()
	b := s.behavior
	e.polls = b.Polls
	s.queries[e.id] = e
	if s.closed {
		cancel()
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer cancel()
		var (
			cols    []column
			rows    [][]*string
			scanned int64
			err     error
		)
		fail := b.Fail
		if e.failWith != "" {
			fail = e.failWith
		}
		began := time.Now()
		if fail == "" {
			cols, rows, scanned, err = s.execute(ctx, e)
		}
		elapsed := time.Since(began)
		if b.Hold && err == nil {
			<-ctx.Done()
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if e.terminal() { // stopped meanwhile
			return
		}
		e.engineTime = max(elapsed, time.Millisecond)
		e.completed = time.Now()
		switch {
		case ctx.Err() != nil:
			e.state, e.reason = stateCancelled, "Query was cancelled by user"
			if s.closed {
				e.reason = errClosed.Error()
			}
		case fail != "":
			e.state, e.reason = stateFailed, fail
		case err != nil:
			e.state, e.reason = stateFailed, firstLine(err.Error())
		default:
			e.cols, e.rows, e.scanned = cols, rows, scanned
			if err := done(e); err != nil {
				e.state, e.reason = stateFailed, err.Error()
				return
			}
			e.state = stateSucceeded
			if e.service == "cloudtrail" {
				e.state = stateFinished
			}
		}
	}()
}

// stop cancels e; the caller holds s.mu. It reports false if e had ended.
func (e *execution) stop() bool {
	if e.terminal() {
		return false
	}
	e.cancel()
	e.state, e.reason, e.completed = stateCancelled, "Query was cancelled by user", time.Now()
	return true
}

// execute runs e's SQL in DuckDB and returns its rows as text, and the
// bytes of the log files the optimized plan reads.
func (s *Server) execute(ctx context.Context, e *execution) ([]column, [][]*string, int64, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	defer conn.Close()
	// Unqualified names resolve in the query's database, then main (macros).
	path := "main"
	if e.database != "" {
		path = ident(e.database) + ",main"
	}
	if _, err := conn.ExecContext(ctx, "SET search_path = "+quote(path)); err != nil {
		return nil, nil, 0, err
	}
	scanned, err := s.scanned(ctx, conn, e.run)
	if err != nil {
		return nil, nil, 0, err
	}
	rows, err := conn.QueryContext(ctx, e.run)
	if err != nil {
		return nil, nil, 0, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, 0, err
	}
	cols := make([]column, len(types))
	for i, t := range types {
		cols[i] = column{Name: t.Name(), Type: trinoType(t.DatabaseTypeName())}
	}
	var out [][]*string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, 0, err
		}
		row := make([]*string, len(cols))
		for i, v := range vals {
			if v != nil {
				text := valueText(v, types[i].DatabaseTypeName())
				row[i] = &text
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, err
	}
	return cols, out, scanned, nil
}

var folderTable = regexp.MustCompile(`(?:^|\.)ct\.f_([0-9]+)$`)

// scanned is the size of the log files of the folders the optimized plan of
// query reads: a folder its partition predicates exclude is not scanned (a
// Lake query reads them all).
func (s *Server) scanned(ctx context.Context, conn *sql.Conn, query string) (int64, error) {
	var key, plan string
	if err := conn.QueryRowContext(ctx, "EXPLAIN (FORMAT json) "+query).Scan(&key, &plan); err != nil {
		return 0, err
	}
	var tree any
	if err := json.Unmarshal([]byte(plan), &tree); err != nil {
		return 0, fmt.Errorf("reading DuckDB's plan: %w", err)
	}
	seen := map[int]bool{}
	everything := false // Lake's views read every record
	var walk func(any)
	walk = func(n any) {
		switch n := n.(type) {
		case []any:
			for _, c := range n {
				walk(c)
			}
		case map[string]any:
			if info, ok := n["extra_info"].(map[string]any); ok {
				if t, ok := info["Table"].(string); ok {
					if m := folderTable.FindStringSubmatch(t); m != nil {
						id, _ := strconv.Atoi(m[1])
						seen[id] = true
					}
					everything = everything || strings.HasSuffix(t, "ct.records")
				}
			}
			walk(n["children"])
		}
	}
	walk(tree)
	ids := make([]int, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	if everything {
		ids = ids[:0]
		for id := range s.catalog.folders {
			ids = append(ids, id+1)
		}
	}
	return s.catalog.folderBytes(ids), nil
}

// trinoType names a DuckDB column type as Athena's result metadata does.
func trinoType(duck string) string {
	switch {
	case duck == "VARCHAR":
		return "varchar"
	case duck == "BIGINT":
		return "bigint"
	case duck == "INTEGER":
		return "integer"
	case duck == "SMALLINT":
		return "smallint"
	case duck == "TINYINT":
		return "tinyint"
	case duck == "BOOLEAN":
		return "boolean"
	case duck == "DOUBLE":
		return "double"
	case duck == "FLOAT":
		return "real"
	case duck == "DATE":
		return "date"
	case duck == "TIMESTAMPTZ" || duck == "TIMESTAMP WITH TIME ZONE":
		return "timestamp with time zone"
	case strings.HasPrefix(duck, "TIMESTAMP"):
		return "timestamp"
	case strings.HasPrefix(duck, "DECIMAL") || duck == "HUGEINT":
		return "decimal"
	case strings.HasSuffix(duck, "[]"):
		return "array"
	case strings.HasPrefix(duck, "STRUCT"):
		return "row"
	case strings.HasPrefix(duck, "MAP"):
		return "map"
	}
	return strings.ToLower(duck)
}

// valueText renders a value as Athena writes it in its results.
func valueText(v any, duckType string) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		return fmt.Sprint(v)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case *big.Int:
		return v.String()
	case duckdb.Decimal:
		return v.String()
	case time.Time:
		switch {
		case duckType == "DATE":
			return v.UTC().Format(time.DateOnly)
		case duckType == "TIMESTAMPTZ" || duckType == "TIMESTAMP WITH TIME ZONE":
			return v.UTC().Format("2006-01-02 15:04:05.000") + " UTC"
		}
		return v.UTC().Format("2006-01-02 15:04:05.000")
	case []byte:
		return hex.EncodeToString(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = nullText(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case duckdb.OrderedMap:
		keys, values := v.Keys(), v.Values()
		parts := make([]string, len(keys))
		for i := range keys {
			parts[i] = nullText(keys[i]) + "=" + nullText(values[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case duckdb.Map:
		parts := make([]string, 0, len(v))
		for k, e := range v {
			parts = append(parts, nullText(k)+"="+nullText(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	case map[string]any:
		parts := make([]string, 0, len(v))
		for k, e := range v {
			parts = append(parts, k+"="+nullText(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func nullText(v any) string {
	if v == nil {
		return "null"
	}
	return valueText(v, "")
}

// firstLine is DuckDB's message without the SQL excerpt it appends.
func firstLine(msg string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return strings.TrimSpace(line)
}
