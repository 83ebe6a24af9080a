package trails

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// A --trail-description file describes one trail, as the CLI prints it:
//
//	{
//	  "Accounts": ["111111111111"],        optional: the accounts it applies to
//	  "Trail": {...},                      one entry of describe-trails' trailList
//	  "EventSelectors": [...],             get-event-selectors' EventSelectors, or
//	  "AdvancedEventSelectors": [...],     its AdvancedEventSelectors
//	  "Status": {...}                      get-trail-status' output
//	}
//
// Accounts defaults to the account in Trail.TrailARN; an organization trail
// applies to the member accounts listed. Live runs store what they read in
// this form under inputs/<account>/.
type File struct {
	Accounts               []string                      `json:"Accounts,omitempty"`
	Trail                  types.Trail                   `json:"Trail"`
	EventSelectors         []types.EventSelector         `json:"EventSelectors"`
	AdvancedEventSelectors []types.AdvancedEventSelector `json:"AdvancedEventSelectors,omitempty"`
	Status                 FileStatus                    `json:"Status"`
}

// FileStatus is what is kept of get-trail-status' output.
type FileStatus struct {
	IsLogging        *bool    `json:"IsLogging"`
	StartLoggingTime *cliTime `json:"StartLoggingTime,omitempty"`
	StopLoggingTime  *cliTime `json:"StopLoggingTime,omitempty"`
}

// cliTime is a time as the CLI prints it: ISO 8601 (CLI v2) or seconds since
// the epoch (CLI v1, the API itself).
type cliTime struct{ time.Time }

func (t *cliTime) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("%q is not an ISO 8601 time such as 2026-01-02T03:04:05Z", s)
		}
		t.Time = v.UTC()
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil || f < 0 || f > 1e11 || math.IsNaN(f) {
		return fmt.Errorf("%s is neither an ISO 8601 time nor seconds since the epoch", b)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

func (t cliTime) MarshalJSON() ([]byte, error) { return json.Marshal(t.UTC().Format(time.RFC3339Nano)) }

// Parse reads one --trail-description file's bytes (name is for errors)
// into a description per account it applies to.
func Parse(data []byte, name string) ([]Description, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("reading trail description %s: %w (want a JSON object with Trail, EventSelectors or AdvancedEventSelectors, and Status)", name, err)
	}
	for k := range top {
		if !slices.Contains([]string{"Accounts", "Trail", "EventSelectors", "AdvancedEventSelectors", "Status"}, k) {
			return nil, fmt.Errorf("reading trail description %s: unknown field %q (want Accounts, Trail, EventSelectors, AdvancedEventSelectors, Status)", name, k)
		}
	}
	for _, k := range []string{"Trail", "Status"} {
		if _, ok := top[k]; !ok {
			return nil, fmt.Errorf("reading trail description %s: %s is missing (%s)", name, k, map[string]string{
				"Trail": "one entry of `aws cloudtrail describe-trails --include-shadow-trails`' trailList", "Status": "the output of `aws cloudtrail get-trail-status`"}[k])
		}
	}
	_, basic := top["EventSelectors"]
	_, adv := top["AdvancedEventSelectors"]
	if !basic && !adv {
		return nil, fmt.Errorf("reading trail description %s: EventSelectors and AdvancedEventSelectors are both missing: give the output of `aws cloudtrail get-event-selectors`", name)
	}
	var f File
	for k, raw := range top {
		var dst any
		switch k {
		case "Accounts":
			dst = &f.Accounts
		case "Trail":
			dst = &f.Trail
		case "EventSelectors":
			dst = &f.EventSelectors
		case "AdvancedEventSelectors":
			dst = &f.AdvancedEventSelectors
		case "Status":
			dst = &f.Status
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return nil, fmt.Errorf("reading trail description %s: %s.%s: %w", name, k, te.Field, err)
			}
			return nil, fmt.Errorf("reading trail description %s: %s: %w", name, k, err)
		}
	}
	if f.Status.IsLogging == nil {
		return nil, fmt.Errorf("reading trail description %s: Status.IsLogging is missing: give the output of `aws cloudtrail get-trail-status`", name)
	}
	accounts := f.Accounts
	if len(accounts) == 0 {
		a := accountOfARN(aws.ToString(f.Trail.TrailARN))
		if a == "" {
			return nil, fmt.Errorf("reading trail description %s: Trail.TrailARN %q names no account: give Accounts", name, aws.ToString(f.Trail.TrailARN))
		}
		accounts = []string{a}
	}
	var out []Description
	for _, a := range accounts {
		d := Description{
			AccountID: a, Trail: f.Trail, EventSelectors: f.EventSelectors, AdvancedEventSelectors: f.AdvancedEventSelectors,
			Status: Status{IsLogging: *f.Status.IsLogging}, Source: name,
		}
		if f.Status.StartLoggingTime != nil {
			d.Status.StartLoggingTime = f.Status.StartLoggingTime.Time
		}
		if f.Status.StopLoggingTime != nil {
			d.Status.StopLoggingTime = f.Status.StopLoggingTime.Time
		}
		if _, err := Normalize(d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// ReadFile reads one --trail-description file.
func ReadFile(path string) ([]Description, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading --trail-description: %w", err)
	}
	return Parse(data, path)
}

// Marshal writes a description in the --trail-description form, for the
// account it was read in: a live run stores what AWS answered this way.
func Marshal(d Description) ([]byte, error) {
	f := File{
		Accounts: []string{d.AccountID}, Trail: d.Trail,
		EventSelectors: d.EventSelectors, AdvancedEventSelectors: d.AdvancedEventSelectors,
		Status: FileStatus{IsLogging: aws.Bool(d.Status.IsLogging)},
	}
	if !d.Status.StartLoggingTime.IsZero() {
		f.Status.StartLoggingTime = &cliTime{d.Status.StartLoggingTime}
	}
	if !d.Status.StopLoggingTime.IsZero() {
		f.Status.StopLoggingTime = &cliTime{d.Status.StopLoggingTime}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encoding the description of trail %s: %w", aws.ToString(d.Trail.Name), err)
	}
	return buf.Bytes(), nil
}

// FileName is the name a live run stores a trail's description under.
func FileName(d Description) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, aws.ToString(d.Trail.Name))
	return "trail-" + aws.ToString(d.Trail.HomeRegion) + "-" + name + ".json"
}
