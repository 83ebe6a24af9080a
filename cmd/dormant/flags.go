package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// listFlag is a repeatable flag; a comma also separates values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
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

func (a *ageFlag) String() string { return time.Duration(*a).String() }
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
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}
func (f *timeFlag) Set(v string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			f.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("%q is not a time: write 2026-11-01T00:00:00Z or 2026-11-01", v)
}

// applyConfigFile sets every flag the config file names and the command line
// did not: the command line wins. Keys are the flag names; a list sets a
// repeatable flag once per item.
func applyConfigFile(fs *flag.FlagSet, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config file: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("parsing config file %s: %w", path, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for key, val := range doc {
		f := fs.Lookup(key)
		if f == nil || key == "config" {
			return fmt.Errorf("config file %s: %q is not a flag of this command", path, key)
		}
		if set[key] {
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
	}
	return nil
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

// parseFlags parses args, then the config file if --config was given.
func parseFlags(fs *flag.FlagSet, args []string, configPath *string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if configPath != nil && *configPath != "" {
		if err := applyConfigFile(fs, *configPath); err != nil {
			return usageError{err}
		}
	}
	return nil
}
