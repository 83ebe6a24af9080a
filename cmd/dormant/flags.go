package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/dormant-iam/dormant/pipeline"
)

// listFlag is a repeatable flag; a comma also separates values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Type() string   { return "list" }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// daysFlag takes "90d" or "90" (days).
type daysFlag int

func (d *daysFlag) String() string { return fmt.Sprintf("%dd", int(*d)) }
func (d *daysFlag) Type() string   { return "days" }
func (d *daysFlag) Get() any       { return int(*d) }
func (d *daysFlag) Set(v string) error {
	n, err := parseDays(v)
	if err != nil {
		return err
	}
	*d = daysFlag(n)
	return nil
}

func parseDays(v string) (int, error) {
	s := strings.TrimSuffix(strings.TrimSpace(v), "d")
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a number of days: write it as 90d", v)
	}
	return n, nil
}

// ageFlag takes days ("7d") or a Go duration ("36h").
type ageFlag time.Duration

func (a *ageFlag) String() string { return fmtAge(time.Duration(*a)) }
func (a *ageFlag) Type() string   { return "duration" }
func (a *ageFlag) Get() any       { return time.Duration(*a) }
func (a *ageFlag) Set(v string) error {
	if strings.HasSuffix(v, "d") {
		n, err := parseDays(v)
		if err != nil {
			return err
		}
		*a = ageFlag(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration: write 7d or 36h", v)
	}
	*a = ageFlag(d)
	return nil
}

// timeFlag takes RFC 3339 or a date (midnight UTC).
type timeFlag struct {
	t   time.Time
	set bool // 0001-01-01 is time.Time's zero: set tells it from no value
}

func (f *timeFlag) String() string {
	if !f.set {
		return ""
	}
	return f.t.Format(time.RFC3339)
}
func (f *timeFlag) Get() any     { return f.t }
func (f *timeFlag) Type() string { return "time" }
func (f *timeFlag) Set(v string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			f.t, f.set = t.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("%q is not a time: write 2026-11-01T00:00:00Z or 2026-11-01", v)
}

// applyConfigFile sets every flag the config file names and neither the
// command line nor the environment did: they win. Keys are the flag names;
// a list sets a repeatable flag once per item. A key in commandLineOnly is
// refused, and every value is checked against flagRanges, naming the file
// and the key. cmdKey is the command's path without "dormant ".
func applyConfigFile(fs *pflag.FlagSet, cmdKey, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config file: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("parsing config file %s: %w", path, err)
	}
	keys := make([]string, 0, len(doc))
	for key := range doc {
		keys = append(keys, key)
	}
	slices.Sort(keys) // the same file gives the same first error
	for _, key := range keys {
		val := doc[key]
		if why, ok := lookupByCommand(commandLineOnly, cmdKey, key); ok {
			return fmt.Errorf("config file %s: %q is refused in a config file because %s: set it on the command line (--%s)", path, key, why, key)
		}
		f := fs.Lookup(key)
		if f == nil || notSettable[key] || key == "config" {
			return fmt.Errorf("config file %s: %q is not a flag of this command", path, key)
		}
		if f.Changed {
			continue
		}
		var vals []string
		switch v := val.(type) {
		case []any:
			for _, item := range v {
				vals = append(vals, scalar(item))
			}
		default:
			vals = []string{scalar(v)}
		}
		for _, v := range vals {
			if err := fs.Set(key, v); err != nil {
				return fmt.Errorf("config file %s: %s: %w", path, key, err)
			}
		}
		if err := checkRange(cmdKey, f); err != nil {
			return fmt.Errorf("config file %s: %s: %s %w", path, key, f.Value, err)
		}
	}
	return nil
}

// notSettable are flags neither the environment nor a config file sets:
// they are about the invocation itself. (DORMANT_CONFIG names the config
// file; a config file cannot name another.)
var notSettable = map[string]bool{"help": true, "version": true}

// applyEnv sets every flag the command line left alone from its
// DORMANT_<FLAG> variable (see envName), checked against flagRanges. A
// variable for a commandLineOnly flag is refused, as the config file
// refuses the key: an exported variable acts on every later command.
// Variables naming no flag of this command are left alone, since the same
// environment serves every command. An empty variable counts as unset.
func applyEnv(fs *pflag.FlagSet, cmdKey string, lookup func(string) (string, bool)) error {
	only := make([]string, 0, len(commandLineOnly))
	for key := range commandLineOnly {
		only = append(only, key)
	}
	slices.Sort(only)
	for _, key := range only {
		name := key
		if cmd, flag, scoped := strings.Cut(key, " "); scoped {
			if cmd != cmdKey {
				continue
			}
			name = flag
		}
		if v, ok := lookup(envName(name)); ok && v != "" {
			return fmt.Errorf("environment variable %s is refused because %s: set it on the command line (--%s)", envName(name), commandLineOnly[key], name)
		}
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || notSettable[f.Name] {
			return
		}
		v, ok := lookup(envName(f.Name))
		if !ok || v == "" {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("environment variable %s=%s: %w", envName(f.Name), v, serr)
			return
		}
		if rerr := checkRange(cmdKey, f); rerr != nil {
			err = fmt.Errorf("environment variable %s: --%s %s %w", envName(f.Name), f.Name, f.Value, rerr)
		}
	})
	return err
}

func scalar(v any) string {
	switch t := v.(type) {
	case time.Time:
		return t.UTC().Format(time.RFC3339)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// checkWindowStart refuses an --as-of and --window whose window would start
// before pipeline.EarliestAsOf, for the commands that have both.
func checkWindowStart(fs *pflag.FlagSet) error {
	af, wf := fs.Lookup("as-of"), fs.Lookup("window")
	if af == nil || wf == nil {
		return nil
	}
	asOf, _ := getValue(af).(time.Time)
	days, ok := getValue(wf).(int)
	if !ok {
		return nil
	}
	if asOf.IsZero() {
		asOf = time.Now().UTC()
	}
	// Compared in days: a window of millions of days overflows a Duration.
	if most := int(asOf.Sub(pipeline.EarliestAsOf) / (24 * time.Hour)); days > most {
		return fmt.Errorf("--window %dd before --as-of %s would start before %s: use at most %dd",
			days, asOf.Format("2006-01-02"), epochText, most)
	}
	return nil
}

// flagRange says why a flag's value (what getValue returns) is
// outside the values the flag accepts, naming that range; nil when inside.
type flagRange func(v any) error

// flagRanges are the accepted values of flags, by flag name or, where one
// command's flag of that name means something else, by "<command> <flag>"
// (the command's path without "dormant "). Every value the command line, the
// environment or a config file sets is checked before any work starts, so an explicit value
// out of range is a usage error instead of silently becoming a default; an
// absent flag keeps the default it was registered with.
var flagRanges = map[string]flagRange{
	"window":         daysIn(1, daysSinceEpoch, "the window cannot start before "+epochText),
	"delete-after":   daysIn(1, daysSinceEpoch, "no user can have been inactive since before "+epochText),
	"report-max-age": durationIn(time.Hour, 90*24*time.Hour, "a report older than that cannot speak for the window"),
	"as-of":          asOfIn(pipeline.EarliestAsOf),
	"concurrency":    intIn(1, 256),
	"exempt-tag":     notEmpty("with no tag key, nobody tagged exempt would be"),
	"format":         oneOf("text", "json"),

	"remediate max-age": durationIn(time.Hour, 365*24*time.Hour, "the evidence must be younger than this; the check cannot be turned off"),
	"remediate grace":   daysIn(1, func() int { return 3650 }, ""),

	// The demo generator's own limits (internal/demo), checked here so that
	// nothing under --out is touched before they are.
	"demo accounts":     intIn(1, 200),
	"demo users":        intIn(0, 1_000_000),
	"demo events":       intIn(0, 2_000_000_000),
	"demo quarters":     intIn(1, pipeline.MaxDemoQuarters),
	"demo window":       daysIn(14, func() int { return 400 }, "the demo places activity around fixed offsets"),
	"demo delete-after": daysIn(28, func() int { return 1500 }, "at least the window plus 14 days"),
	"demo as-of":        asOfIn(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)),
}

// epochText names pipeline.EarliestAsOf for messages.
var epochText = pipeline.EarliestAsOf.Format("2006-01-02") + " (IAM did not exist before)"

// daysSinceEpoch is the longest span, in whole days, that fits between
// pipeline.EarliestAsOf and now.
func daysSinceEpoch() int { return int(time.Since(pipeline.EarliestAsOf) / (24 * time.Hour)) }

func daysIn(lo int, hi func() int, why string) flagRange {
	return func(v any) error {
		n, ok := v.(int)
		if !ok {
			return fmt.Errorf("holds %T, not a number of days: this is a bug in dormant", v)
		}
		if h := hi(); n < lo || n > h {
			return withWhy(fmt.Errorf("is out of range: use %dd to %dd", lo, h), why)
		}
		return nil
	}
}

func durationIn(lo, hi time.Duration, why string) flagRange {
	return func(v any) error {
		d, ok := v.(time.Duration)
		if !ok {
			return fmt.Errorf("holds %T, not a duration: this is a bug in dormant", v)
		}
		if d < lo || d > hi {
			return withWhy(fmt.Errorf("is out of range: use %s to %s", fmtAge(lo), fmtAge(hi)), why)
		}
		return nil
	}
}

func intIn(lo, hi int64) flagRange {
	return func(v any) error {
		var n int64
		switch t := v.(type) {
		case int:
			n = int64(t)
		case int64:
			n = t
		default:
			return fmt.Errorf("holds %T, not a whole number: this is a bug in dormant", v)
		}
		if n < lo || n > hi {
			return fmt.Errorf("is out of range: use %d to %d", lo, hi)
		}
		return nil
	}
}

// asOfIn accepts from earliest to one day after now: a date given without a
// time is midnight UTC, which may lie ahead of a clock west of Greenwich.
func asOfIn(earliest time.Time) flagRange {
	return func(v any) error {
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("holds %T, not a time: this is a bug in dormant", v)
		}
		latest := time.Now().UTC().Add(24 * time.Hour)
		if t.Before(earliest) || t.After(latest) {
			return fmt.Errorf("is out of range: use %s to %s (no activity is recorded before the first, nor after today)",
				earliest.Format("2006-01-02"), latest.Format("2006-01-02"))
		}
		return nil
	}
}

// notEmpty refuses an explicit empty string, which the pipeline would
// otherwise take as "unset" and replace with the default.
func notEmpty(why string) flagRange {
	return func(v any) error {
		if str, ok := v.(string); !ok || str == "" {
			return withWhy(errors.New("is empty"), why)
		}
		return nil
	}
}

// oneOf accepts exactly the given words.
func oneOf(words ...string) flagRange {
	return func(v any) error {
		if str, ok := v.(string); !ok || !slices.Contains(words, str) {
			return fmt.Errorf("is not one of %s", strings.Join(words, ", "))
		}
		return nil
	}
}

func withWhy(err error, why string) error {
	if why == "" {
		return err
	}
	return fmt.Errorf("%w: %s", err, why)
}

// fmtAge writes whole days as "7d", anything else as a Go duration.
func fmtAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return d.String()
}

// checkRange checks a flag's value against flagRanges; cmdKey is the
// command's path without "dormant ".
func checkRange(cmdKey string, f *pflag.Flag) error {
	rng, ok := lookupByCommand(flagRanges, cmdKey, f.Name)
	if !ok {
		return nil
	}
	return rng(getValue(f))
}

// getValue is the flag's typed value: what our own types' Get returns, or
// pflag's basic types read back from their text; nil for anything else
// (every range above then says which type it got).
func getValue(f *pflag.Flag) any {
	if g, ok := f.Value.(interface{ Get() any }); ok {
		return g.Get()
	}
	s := f.Value.String()
	switch f.Value.Type() {
	case "string":
		return s
	case "int":
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	case "int64":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case "bool":
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	}
	return nil
}

// commandLineOnly are the flags that widen what remediation may do: they act
// only when typed on the command line, never from a config file or a
// DORMANT_* variable, which may be shared, copied, inherited or edited by
// someone other than the person running the command. A flag opts in with one line here; a name that is not (yet) a flag
// of any command is still refused with this reason.
var commandLineOnly = map[string]string{
	"apply":        "it makes changes in AWS",
	"allow-edited": "it accepts a manifest that was changed after it was written",
	"max-age":      "it decides how old the evidence behind a removal may be",
	"trust-key":    "it decides whose signature a manifest needs",
	"ignore-iac":   "it changes through IAM users that infrastructure as code manages",
	// By "<command> <flag>" where only one command's flag widens: the
	// run's own exempt-tag, for one, can only send users to review.
	"remediate mode":       "it changes what an entry's decision does",
	"remediate exempt-tag": "it decides which users the live re-check leaves alone",
}

// lookupByCommand finds a flag's entry in a table keyed by "<command> <flag>"
// or by the flag's name alone, the command's own entry first.
func lookupByCommand[V any](table map[string]V, cmdKey, name string) (V, bool) {
	if v, ok := table[cmdKey+" "+name]; ok {
		return v, true
	}
	v, ok := table[name]
	return v, ok
}
