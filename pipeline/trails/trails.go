// Package trails reads what an account's CloudTrail trails record (their
// event selectors) and whether they were logging, live (DescribeTrails,
// GetTrailStatus, GetEventSelectors) or from --trail-description files, and
// normalises both into tables.Trail rows for the classifier.
package trails

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/dormant-iam/dormant/tables"
)

// Description is one trail as the three CloudTrail calls describe it, for
// the account it was read in. It is also the --trail-description file
// (see File).
type Description struct {
	AccountID              string
	Trail                  types.Trail
	EventSelectors         []types.EventSelector
	AdvancedEventSelectors []types.AdvancedEventSelector
	Status                 Status
	Source                 string
}

// Status is what the classifier reads of GetTrailStatus.
type Status struct {
	IsLogging                         bool
	StartLoggingTime, StopLoggingTime time.Time
}

// Event categories and sources named by advanced selectors.
const (
	fieldEventCategory = "eventCategory"
	fieldReadOnly      = "readOnly"
	fieldEventSource   = "eventSource"
	categoryManagement = "Management"
	categoryData       = "Data"
)

// Normalize turns a description into its table row, refusing what it cannot
// read (naming the field) rather than guessing what the trail records.
func Normalize(d Description) (tables.Trail, error) {
	name := aws.ToString(d.Trail.Name)
	where := fmt.Sprintf("trail %q of account %s (%s)", name, d.AccountID, d.Source)
	if name == "" {
		return tables.Trail{}, fmt.Errorf("reading the trail of account %s (%s): Trail.Name is missing", d.AccountID, d.Source)
	}
	if len(d.AccountID) != 12 || strings.Trim(d.AccountID, "0123456789") != "" {
		return tables.Trail{}, fmt.Errorf("reading %s: account ID %q is not 12 digits", where, d.AccountID)
	}
	if aws.ToString(d.Trail.HomeRegion) == "" {
		return tables.Trail{}, fmt.Errorf("reading %s: Trail.HomeRegion is missing", where)
	}
	t := tables.Trail{
		AccountID: d.AccountID, Name: name, ARN: aws.ToString(d.Trail.TrailARN),
		HomeRegion: aws.ToString(d.Trail.HomeRegion), MultiRegion: aws.ToBool(d.Trail.IsMultiRegionTrail),
		Organization: aws.ToBool(d.Trail.IsOrganizationTrail),
		IsLogging:    d.Status.IsLogging, StartLogging: d.Status.StartLoggingTime.UTC(), StopLogging: d.Status.StopLoggingTime.UTC(),
		Source: d.Source,
	}
	if len(d.EventSelectors) > 0 && len(d.AdvancedEventSelectors) > 0 {
		return tables.Trail{}, fmt.Errorf("reading %s: both EventSelectors and AdvancedEventSelectors are given; a trail has one or the other", where)
	}
	// Each management selector's excluded sources; a source the trail
	// leaves out is one every management selector excludes.
	var excluded [][]string
	for i, s := range d.EventSelectors {
		if len(s.DataResources) > 0 {
			t.DataEvents = true
		}
		if s.IncludeManagementEvents != nil && !*s.IncludeManagementEvents {
			continue // the API's default, when absent, is true
		}
		read, write := true, true
		switch s.ReadWriteType {
		case types.ReadWriteTypeAll, "":
		case types.ReadWriteTypeReadOnly:
			write = false
		case types.ReadWriteTypeWriteOnly:
			read = false
		default:
			return tables.Trail{}, fmt.Errorf("reading %s: EventSelectors[%d].ReadWriteType %q is not ReadOnly, WriteOnly or All", where, i, s.ReadWriteType)
		}
		t.ManagementEvents = true
		t.ReadOnlyRecorded = t.ReadOnlyRecorded || read
		t.WriteOnlyRecorded = t.WriteOnlyRecorded || write
		excluded = append(excluded, s.ExcludeManagementEventSources)
	}
	for i, s := range d.AdvancedEventSelectors {
		sel, err := readAdvanced(s)
		if err != nil {
			return tables.Trail{}, fmt.Errorf("reading %s: AdvancedEventSelectors[%d]: %w", where, i, err)
		}
		switch {
		case sel.data:
			t.DataEvents = true
		case sel.ignored != "":
			t.Ignored = append(t.Ignored, fmt.Sprintf("AdvancedEventSelectors[%d] %q: %s", i, aws.ToString(s.Name), sel.ignored))
		case sel.management:
			t.ManagementEvents = true
			t.ReadOnlyRecorded = t.ReadOnlyRecorded || sel.read
			t.WriteOnlyRecorded = t.WriteOnlyRecorded || sel.write
			excluded = append(excluded, sel.excluded)
		}
	}
	if len(excluded) > 0 {
		common := slices.Clone(excluded[0])
		for _, e := range excluded[1:] {
			common = slices.DeleteFunc(common, func(s string) bool { return !slices.Contains(e, s) })
		}
		slices.Sort(common)
		t.ExcludedSources = slices.Compact(common)
	}
	return t, nil
}

// advanced is what one advanced selector records.
type advanced struct {
	management, data bool
	read, write      bool
	excluded         []string
	ignored          string // why a management selector is read as recording nothing
}

// readAdvanced reads one advanced selector: its field selectors are ANDed.
// For management events AWS supports eventCategory, readOnly and
// eventSource (NotEquals kms.amazonaws.com or rdsdata.amazonaws.com); any
// other restriction is not modelled, and the selector is read as recording
// no management events, so that nothing unseen is taken as recorded.
func readAdvanced(s types.AdvancedEventSelector) (advanced, error) {
	var out advanced
	var categories []string
	read, write := true, true
	var restricted []string
	for j, f := range s.FieldSelectors {
		field := aws.ToString(f.Field)
		switch field {
		case fieldEventCategory:
			if len(f.Equals) == 0 || len(f.NotEquals)+len(f.StartsWith)+len(f.EndsWith)+len(f.NotStartsWith)+len(f.NotEndsWith) > 0 {
				return out, fmt.Errorf("FieldSelectors[%d] eventCategory must be given with Equals", j)
			}
			categories = append(categories, f.Equals...)
		case fieldReadOnly:
			v := slices.Concat(f.Equals, f.NotEquals)
			if len(v) != 1 || (v[0] != "true" && v[0] != "false") || len(f.StartsWith)+len(f.EndsWith)+len(f.NotStartsWith)+len(f.NotEndsWith) > 0 {
				return out, fmt.Errorf("FieldSelectors[%d] readOnly must be Equals or NotEquals one of \"true\", \"false\"", j)
			}
			onlyRead := (len(f.Equals) == 1) == (v[0] == "true")
			read, write = onlyRead, !onlyRead
		case fieldEventSource:
			if len(f.Equals)+len(f.StartsWith)+len(f.EndsWith)+len(f.NotStartsWith)+len(f.NotEndsWith) > 0 {
				restricted = append(restricted, "eventSource restricted other than by NotEquals")
			}
			out.excluded = append(out.excluded, f.NotEquals...)
		case "":
			return out, fmt.Errorf("FieldSelectors[%d].Field is missing", j)
		default:
			restricted = append(restricted, "restricts "+field)
		}
	}
	switch {
	case slices.Contains(categories, categoryManagement):
		out.management, out.read, out.write = true, read, write
		if len(restricted) > 0 {
			out.ignored = strings.Join(restricted, "; ") + ": read as recording no management events"
		}
	case slices.Contains(categories, categoryData):
		out.data = true
	case len(categories) == 0:
		return out, fmt.Errorf("no eventCategory field selector (required)")
	}
	return out, nil
}

// accountOfARN is the account in a trail's ARN, or "".
func accountOfARN(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.AccountID
}
