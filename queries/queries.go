package queries

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"
)

//go:embed */*.sql.tmpl
var files embed.FS

// templates parses every embedded template once, keyed "engine/name".
var templates = sync.OnceValues(parseAll)

// Params are the values a template may use. Engines fill what their dialect
// needs; Render checks that the chosen template got what it requires.
type Params struct {
	// Start and End bound the window, both inclusive; End is the as-of.
	// They are rendered in UTC.
	Start, End time.Time

	// Files are the CloudTrail log files the local engine reads, in the
	// order given, as paths DuckDB opens (slash-separated, absolute).
	Files []string
	// MaxObjectSize is the largest uncompressed file, in bytes: DuckDB's
	// JSON reader holds a whole file ({"Records":[...]} is one object) and
	// gives each thread a buffer of twice this size. 0 means DuckDB's
	// default, 16 MiB.
	MaxObjectSize int64

	// Database and Table name the Athena table over the trail's log files
	// (AWS's documented CloudTrail DDL); rendered as quoted identifiers.
	Database, Table string
	// Filters are WHERE conditions the Athena engine derived from the
	// table's partition keys (the read days, the accounts): SQL the engine
	// builds from quoted literals, never text a user typed. They are ANDed.
	Filters []string

	// EventDataStore is the CloudTrail Lake event data store's ID (the part
	// of its ARN after "eventdatastore/"), which Lake SQL names in FROM.
	EventDataStore string
	// ReadFrom and ReadUntil bound the event times the Lake query reads,
	// [ReadFrom, ReadUntil): the days whose folders the local engine reads.
	ReadFrom, ReadUntil time.Time

	// Accounts in scope for the athena and lake queries; empty means every
	// account in the data. (The local engine selects accounts by folder.)
	Accounts []string

	// The watch query's filter (pipeline/activity/watch.go): events at or
	// after WatchFrom naming one of the unique IDs, access key IDs or
	// lower-cased user names. At least one list must be non-empty.
	WatchFrom    time.Time
	WatchUserIDs []string
	WatchKeyIDs  []string
	WatchNames   []string
}

// defaultMaxObjectSize is DuckDB's own default maximum_object_size.
const defaultMaxObjectSize = 16 << 20

// Render fills in the template engine/name (e.g. "local", "activity") and
// returns the SQL, ready to run and to store as evidence.
func Render(engine, name string, p Params) (string, error) {
	key := engine + "/" + name
	all, err := templates()
	if err != nil {
		return "", err
	}
	t, ok := all[key]
	if !ok {
		return "", fmt.Errorf("rendering query %s: no such query; available: %s", key, strings.Join(available(), ", "))
	}
	err = p.check(engine)
	if name == "watch" {
		err = errors.Join(err, p.checkWatch())
	}
	if err != nil {
		return "", fmt.Errorf("rendering query %s: %w", key, err)
	}
	if p.MaxObjectSize <= 0 {
		p.MaxObjectSize = defaultMaxObjectSize
	}
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		return "", fmt.Errorf("rendering query %s: %w", key, err)
	}
	return b.String(), nil
}

// Names lists the queries an engine has, sorted; empty for an unknown engine.
func Names(engine string) []string {
	var names []string
	for _, key := range available() {
		if e, n, _ := strings.Cut(key, "/"); e == engine {
			names = append(names, n)
		}
	}
	return names
}

// Engines lists the engines that have queries, sorted.
func Engines() []string {
	var engines []string
	for _, key := range available() {
		e, _, _ := strings.Cut(key, "/")
		if !slices.Contains(engines, e) {
			engines = append(engines, e)
		}
	}
	return engines
}

func available() []string {
	all, _ := templates()
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (p Params) check(engine string) error {
	var errs []error
	if p.Start.IsZero() || p.End.IsZero() {
		errs = append(errs, errors.New("the window needs both a start and an end (as-of) time"))
	} else if p.End.Before(p.Start) {
		errs = append(errs, fmt.Errorf("the window ends (%s) before it starts (%s)",
			p.End.UTC().Format(time.RFC3339), p.Start.UTC().Format(time.RFC3339)))
	}
	switch engine {
	case "athena":
		errs = append(errs, p.checkAthena()...)
	case "lake":
		errs = append(errs, p.checkLake()...)
	}
	if engine == "athena" || engine == "lake" {
		for _, a := range p.Accounts {
			if !isAccountID(a) {
				errs = append(errs, fmt.Errorf("account %q is not an AWS account ID (12 digits)", a))
			}
		}
	}
	if engine == "local" {
		if len(p.Files) == 0 {
			errs = append(errs, errors.New("the local engine needs at least one CloudTrail log file to read"))
		}
		for _, f := range p.Files {
			if f == "" || strings.ContainsRune(f, 0) {
				errs = append(errs, fmt.Errorf("file path %q cannot be used in SQL (empty or holds a NUL byte)", f))
			}
		}
	}
	return errors.Join(errs...)
}

// checkWatch checks the watch query's filter: the lists' values are quoted
// as literals, so only emptiness and NUL bytes matter.
func (p Params) checkWatch() error {
	var errs []error
	if p.WatchFrom.IsZero() {
		errs = append(errs, errors.New("the watch query needs the earliest deactivation date to watch from"))
	}
	if len(p.WatchUserIDs)+len(p.WatchKeyIDs)+len(p.WatchNames) == 0 {
		errs = append(errs, errors.New("the watch query needs at least one user ID, access key ID or user name to watch"))
	}
	for _, list := range [][]string{p.WatchUserIDs, p.WatchKeyIDs, p.WatchNames} {
		for _, v := range list {
			if v == "" || strings.ContainsRune(v, 0) {
				errs = append(errs, fmt.Errorf("watched value %q cannot be used in SQL (empty or holds a NUL byte)", v))
			}
		}
	}
	return errors.Join(errs...)
}

func (p Params) checkAthena() []error {
	var errs []error
	for _, f := range []struct{ name, value string }{{"database", p.Database}, {"table", p.Table}} {
		if f.value == "" || strings.ContainsRune(f.value, 0) {
			errs = append(errs, fmt.Errorf("the athena query needs the Athena %s's name (got %q): pass --athena-%s", f.name, f.value, f.name))
		}
	}
	for i, f := range p.Filters {
		if strings.TrimSpace(f) == "" {
			errs = append(errs, fmt.Errorf("filter %d of the athena query is empty", i+1))
		}
	}
	return errs
}

// eventDataStoreID is the form of an event data store ID: Lake SQL names it
// unquoted in FROM, so nothing else may reach the SQL.
var eventDataStoreID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,127}$`)

func (p Params) checkLake() []error {
	var errs []error
	if !eventDataStoreID.MatchString(p.EventDataStore) {
		errs = append(errs, fmt.Errorf("event data store ID %q is not one (letters, digits and hyphens, as in the ARN after \"eventdatastore/\"): check --event-data-store", p.EventDataStore))
	}
	if p.ReadFrom.IsZero() || p.ReadUntil.IsZero() || !p.ReadUntil.After(p.ReadFrom) {
		errs = append(errs, fmt.Errorf("the lake query needs the span of event times to read (got %s to %s)",
			p.ReadFrom.UTC().Format(time.RFC3339), p.ReadUntil.UTC().Format(time.RFC3339)))
	}
	return errs
}

// isAccountID reports whether s is a 12-digit AWS account ID.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// funcs are the helpers templates use to inline values as SQL literals.
var funcs = template.FuncMap{
	// str quotes s as an SQL string literal: single quotes doubled, nothing
	// else is special in standard SQL strings (DuckDB, Trino).
	"str": quote,
	// ts renders t as a DuckDB TIMESTAMPTZ literal in UTC, to the microsecond
	// (DuckDB's precision).
	"ts": func(t time.Time) string {
		return "TIMESTAMPTZ " + quote(t.UTC().Truncate(time.Microsecond).Format("2006-01-02 15:04:05.999999")+"+00")
	},
	// last reports whether i is the last index of a slice of length n, to
	// place separators.
	"last": func(i, n int) bool { return i == n-1 },
	// ident quotes s as an SQL identifier: double quotes doubled (Trino,
	// DuckDB).
	"ident": func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` },
	// isoTS renders t as a Trino TIMESTAMP WITH TIME ZONE in UTC, to the
	// millisecond (Trino's precision for from_iso8601_timestamp); the
	// fraction is cut, so pass ceilMS of a lower bound.
	"isoTS": func(t time.Time) string {
		return "from_iso8601_timestamp(" + quote(t.UTC().Format("2006-01-02T15:04:05.000Z")) + ")"
	},
	// plainTS renders t as a TIMESTAMP literal (no zone: Lake's eventtime is
	// UTC), to the millisecond, the fraction cut.
	"plainTS": func(t time.Time) string {
		return "TIMESTAMP " + quote(t.UTC().Format("2006-01-02 15:04:05.000"))
	},
	// ceilMS rounds t up to the millisecond. Cloud engines keep event times
	// to the millisecond; with the window's start rounded up and its end
	// cut down, "between" selects exactly the events the local engine's
	// microsecond bounds do.
	"ceilMS": func(t time.Time) time.Time {
		if c := t.Truncate(time.Millisecond); c.Before(t) {
			return c.Add(time.Millisecond)
		}
		return t
	},
}

func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// parseAll parses the embedded templates. A failure is a defect of the build
// (the package's tests parse every template), reported by Render.
func parseAll() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		key := strings.TrimSuffix(p, ".sql.tmpl")
		t, err := template.New(path.Base(p)).Funcs(funcs).Option("missingkey=error").Parse(string(text))
		if err != nil {
			return err
		}
		out[key] = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parsing embedded query templates: %w", err)
	}
	return out, nil
}
