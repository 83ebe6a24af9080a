package reports

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// SheetTrails lists, per account, what its CloudTrail trails record.
const SheetTrails = "Trails"

// TrailSettingsUnknown is the Trails sheet's word for an account whose trail
// settings were not given or could not be read.
const TrailSettingsUnknown = "trail settings unknown"

// TrailAccount is what one account's trails record (run.json's trails).
type TrailAccount struct {
	AccountID string
	Known     bool
	Trails    []tables.Trail
	// Gaps are what the trails fail to record: each sends the account's
	// candidates to review.
	Gaps  []string
	Error string // why the settings could not be read
}

// trailSheetRow is one account's row, combined over its trails.
func trailSheetRow(a *TrailAccount, out []cell) {
	out[0] = cell{s: a.AccountID}
	if !a.Known {
		out[1] = cell{s: TrailSettingsUnknown}
		if a.Error != "" {
			out[1].s += ": " + a.Error
		}
		for i := 2; i < len(out); i++ {
			out[i] = cell{null: true}
		}
		return
	}
	out[1] = cell{s: "known"}
	var names, excluded []string
	read, write, multi := false, false, false
	for i, t := range a.Trails {
		var what []string
		if t.Organization {
			what = append(what, "organization")
		}
		if t.MultiRegion {
			what = append(what, "multi-region")
		} else {
			what = append(what, "region "+t.HomeRegion)
		}
		if t.IsLogging {
			what = append(what, "logging")
		} else {
			what = append(what, "not logging")
		}
		if !t.StopLogging.IsZero() {
			what = append(what, "stopped "+t.StopLogging.UTC().Format(time.RFC3339))
		}
		names = append(names, fmt.Sprintf("%s (%s)", t.Name, strings.Join(what, ", ")))
		if t.ManagementEvents {
			read, write, multi = read || t.ReadOnlyRecorded, write || t.WriteOnlyRecorded, multi || t.MultiRegion
			if i == 0 || len(excluded) == 0 {
				excluded = slices.Clone(t.ExcludedSources)
			} else {
				excluded = slices.DeleteFunc(excluded, func(s string) bool { return !slices.Contains(t.ExcludedSources, s) })
			}
		}
	}
	if len(names) == 0 {
		names = []string{"(none)"}
	}
	out[2] = cell{s: strings.Join(names, "; ")}
	out[3], out[4], out[5] = cell{b: read}, cell{b: write}, cell{s: strings.Join(excluded, ", ")}
	out[6] = cell{b: multi}
	out[7] = cell{s: strings.Join(a.Gaps, "; ")}
	if len(a.Gaps) == 0 {
		out[7] = cell{s: "none: every management event recorded, in every region, all the window"}
	}
}

func writeTrails(ctx context.Context, wb *workbook, in *Input) error {
	t := &table{
		sheet: SheetTrails, rows: len(in.Trails),
		cols: []tableColumn{
			{title: TitleAccountID, kind: kText},
			{title: "Trail settings", kind: kText},
			{title: "Trails", kind: kText},
			{title: "Read-only events recorded", kind: kBool},
			{title: "Write events recorded", kind: kBool},
			{title: "Excluded event sources", kind: kText},
			{title: "Multi-region", kind: kBool},
			{title: "Gaps (candidates go to review)", kind: kText},
		},
		fill: func(i int, out []cell) { trailSheetRow(&in.Trails[i], out) },
	}
	return wb.writeTable(ctx, t)
}

// trailRule is the Method sheet's statement of the rule (findings.TrailRule).
const trailRule = "A candidate is sent to review when its account's trails (combined: any trail recording an event kind suffices) record no read-only or no write management events, " +
	"exclude an event source (kms.amazonaws.com, rdsdata.amazonaws.com), are all single-region, or were none of them logging for part of the window (GetTrailStatus): " +
	"a user who only used what is not recorded would look unused. Use proven by the credential report keeps the user active. " +
	"Where the trail settings were not given (--trail-description, or read live), the account says \"" + TrailSettingsUnknown + "\" and the rule is not applied; data events are recorded only where selected, and are not required."
