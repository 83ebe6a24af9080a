package record

import (
	"encoding/json"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// run.json spells every key in snake_case. Runs written before that spelled
// the keys of unchecked, orphans, coverage and counts.findings as the Go
// fields (AccountID, ByStatus); the decoders below read both spellings, so
// that verify and --resume still read an older bundle.

// CoverageSpan is one region's span of CloudTrail coverage in run.json
// (tables.CoverageSpans); the hourly cells are in the coverage table.
type CoverageSpan struct {
	AccountID  string    `json:"account_id"`
	Region     string    `json:"region"`
	Hour       time.Time `json:"hour"`
	FirstEvent time.Time `json:"first_event"`
	LastEvent  time.Time `json:"last_event"`
	Events     int64     `json:"events"`
}

// Spans converts the coverage table's spans to run.json's.
func Spans(rows []tables.Coverage) []CoverageSpan {
	out := make([]CoverageSpan, len(rows))
	for i, c := range rows {
		out[i] = CoverageSpan(c)
	}
	return out
}

// UnmarshalJSON reads a span in either spelling.
func (c *CoverageSpan) UnmarshalJSON(b []byte) error {
	type plain CoverageSpan
	var aux struct {
		plain
		OldAccountID  string    `json:"AccountID"`
		OldRegion     string    `json:"Region"`
		OldHour       time.Time `json:"Hour"`
		OldFirstEvent time.Time `json:"FirstEvent"`
		OldLastEvent  time.Time `json:"LastEvent"`
		OldEvents     int64     `json:"Events"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*c = CoverageSpan(aux.plain)
	c.AccountID = or(c.AccountID, aux.OldAccountID)
	c.Region = or(c.Region, aux.OldRegion)
	c.Hour = orTime(c.Hour, aux.OldHour)
	c.FirstEvent = orTime(c.FirstEvent, aux.OldFirstEvent)
	c.LastEvent = orTime(c.LastEvent, aux.OldLastEvent)
	c.Events = max(c.Events, aux.OldEvents)
	return nil
}

// UnmarshalJSON reads an unchecked resource in either spelling.
func (u *Unchecked) UnmarshalJSON(b []byte) error {
	type plain Unchecked
	var aux struct {
		plain
		OldAccountID   string `json:"AccountID"`
		OldKind        string `json:"Kind"`
		OldResourceARN string `json:"ResourceARN"`
		OldRegion      string `json:"Region"`
		OldError       string `json:"Error"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*u = Unchecked(aux.plain)
	u.AccountID, u.Kind = or(u.AccountID, aux.OldAccountID), or(u.Kind, aux.OldKind)
	u.ResourceARN, u.Region, u.Error = or(u.ResourceARN, aux.OldResourceARN), or(u.Region, aux.OldRegion), or(u.Error, aux.OldError)
	return nil
}

// UnmarshalJSON reads an orphan in either spelling.
func (o *Orphan) UnmarshalJSON(b []byte) error {
	type plain Orphan
	var aux struct {
		plain
		OldAccountID   string `json:"AccountID"`
		OldKind        string `json:"Kind"`
		OldResourceARN string `json:"ResourceARN"`
		OldLocation    string `json:"Location"`
		OldUniqueID    string `json:"UniqueID"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*o = Orphan(aux.plain)
	o.AccountID, o.Kind = or(o.AccountID, aux.OldAccountID), or(o.Kind, aux.OldKind)
	o.ResourceARN, o.Location, o.UniqueID = or(o.ResourceARN, aux.OldResourceARN), or(o.Location, aux.OldLocation), or(o.UniqueID, aux.OldUniqueID)
	return nil
}

// UnmarshalJSON reads the findings' counts in either spelling.
func (s *Summary) UnmarshalJSON(b []byte) error {
	type plain Summary
	var aux struct {
		plain
		OldByStatus   map[string]int            `json:"ByStatus"`
		OldByDecision map[string]int            `json:"ByDecision"`
		OldByAccount  map[string]map[string]int `json:"ByAccount"`
		OldUnusedKeys int                       `json:"UnusedKeys"`
		OldTotal      int                       `json:"Total"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*s = Summary(aux.plain)
	if s.ByStatus == nil {
		s.ByStatus = aux.OldByStatus
	}
	if s.ByDecision == nil {
		s.ByDecision = aux.OldByDecision
	}
	if s.ByAccount == nil {
		s.ByAccount = aux.OldByAccount
	}
	s.UnusedKeys, s.Total = max(s.UnusedKeys, aux.OldUnusedKeys), max(s.Total, aux.OldTotal)
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orTime(a, b time.Time) time.Time {
	if !a.IsZero() {
		return a
	}
	return b
}
