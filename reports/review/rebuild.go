package review

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/manifest"
	"github.com/dormant-iam/dormant/tables"
)

// apply keeps the approved entries of the run's manifest.
func apply(r *reader, run *manifest.Manifest, findings []tables.Finding, keyRows []reports.KeyRow, users, keys []verdict) (*manifest.Manifest, error) {
	userIdx := make(map[string]int, len(findings))
	for i := range findings {
		if findings[i].UserID != "" {
			userIdx[findings[i].AccountID+"\x00"+findings[i].UserID] = i
		}
	}
	keyIdx := make(map[string]int, len(keyRows))
	for i, k := range keyRows {
		f := &findings[k.Finding]
		keyIdx[f.AccountID+"\x00"+f.UserID+"\x00"+strconv.FormatInt(k.Slot, 10)] = i
	}
	// The entries come from the findings table, not from the run's manifest
	// file: the two must agree, and the reviewer's downgrades are rebuilt
	// as the deactivations Build plans, with their delete-after dates.
	planRefs, planKeys := planFacts(run, findings)
	in := manifest.Input{RunID: run.RunID, GeneratedAt: run.GeneratedAt, AsOf: run.AsOf,
		WindowDays: run.WindowDays, DeleteAfterDays: run.DeleteAfterDays, Findings: findings,
		References: planRefs, AccessKeys: planKeys}
	rebuilt, err := manifest.Build(in)
	if err != nil {
		return nil, fmt.Errorf("rebuilding the run's plan from its findings table: %w", err)
	}
	if rebuilt.Digest != run.Digest {
		return nil, fmt.Errorf("the run's manifest (digest %s) is not the plan its findings table gives (digest %s): the run directory was altered after the run; check it with dormant verify and use an unaltered copy",
			run.Digest, rebuilt.Digest)
	}
	var downgraded []tables.Finding
	for i, v := range users {
		if !v.downgrade {
			continue
		}
		if downgraded == nil {
			downgraded = slices.Clone(findings)
		}
		downgraded[i].Decision = tables.DecisionDeactivate
		if v.decision == approve {
			r.note(reports.SheetFindings, v.row, fmt.Sprintf("%s/%s: the reviewer changed delete to deactivate: it is deactivated, not deleted", findings[i].AccountID, findings[i].UserName))
		}
	}
	if downgraded != nil {
		in.Findings = downgraded
		if rebuilt, err = manifest.Build(in); err != nil {
			return nil, fmt.Errorf("rebuilding the plan with the reviewer's downgrades: %w", err)
		}
	}
	out := *run
	out.Entries = []manifest.Entry{}
	review := &manifest.Review{RunDigest: run.Digest, SignOff: r.signOffBlock()}
	out.ReviewedFrom = review
	plannedUser := make([]bool, len(findings))
	plannedKey := make([]bool, len(keyRows))
	for i := range rebuilt.Entries {
		e := rebuilt.Entries[i]
		var v verdict
		switch e.Kind {
		case manifest.KindUser:
			fi, ok := userIdx[e.AccountID+"\x00"+e.UserID]
			if !ok {
				return nil, fmt.Errorf("manifest entry %s (user ID %s) is not among the run's findings: the manifest and the findings are from different runs", e.Label(), e.UserID)
			}
			v, plannedUser[fi] = users[fi], true
		case manifest.KindAccessKey:
			ki, ok := keyIdx[e.AccountID+"\x00"+e.UserID+"\x00"+strconv.Itoa(e.KeySlot)]
			if !ok {
				return nil, fmt.Errorf("manifest entry %s (user ID %s) is not among the run's unused keys: the manifest and the findings are from different runs", e.Label(), e.UserID)
			}
			v, plannedKey[ki] = keys[ki], true
		default:
			return nil, fmt.Errorf("manifest entry %s has unknown kind %q", e.Label(), e.Kind)
		}
		switch v.decision {
		case approve:
			review.Approved++
			e.ReviewerComment = v.comment
			e.Reviewer, e.ReviewDate = v.reviewer, v.date
			if e.Reviewer == "" && review.SignOff != nil {
				e.Reviewer = review.SignOff.Reviewer
			}
			if e.ReviewDate == "" && review.SignOff != nil {
				e.ReviewDate = review.SignOff.Date
			}
			if e.Reviewer == "" || e.ReviewDate == "" {
				sheet := reports.SheetFindings
				if e.Kind == manifest.KindAccessKey {
					sheet = reports.SheetUnusedKeys
				}
				r.refuse(sheet, v.row, fmt.Sprintf("%s is approved, but nothing says who approved it or when: fill in the Summary sheet's sign-off (%s, %s) or the row's %s and %s",
					e.Label(), reports.SignOffReviewerLabel, reports.SignOffDateLabel, reports.TitleReviewer, reports.TitleReviewDate))
			}
			out.Entries = append(out.Entries, e)
		case reject:
			review.Rejected++
		case deferred:
			review.Deferred++
		default:
			review.Undecided++
		}
	}
	for i, v := range users {
		if v.decision == approve && !plannedUser[i] {
			f := &findings[i]
			r.note(reports.SheetFindings, v.row, fmt.Sprintf("%s/%s is approved, but the run plans no change to this user (status %s, decision %s): nothing to do",
				f.AccountID, f.UserName, f.Status, f.Decision))
		}
	}
	for i, v := range keys {
		if v.decision == approve && !plannedKey[i] {
			f := &findings[keyRows[i].Finding]
			r.note(reports.SheetUnusedKeys, v.row, fmt.Sprintf("%s/%s access key %d is approved, but the run does not plan to deactivate it (user status %s): nothing to do",
				f.AccountID, f.UserName, keyRows[i].Slot, f.Status))
		}
	}
	if review.Undecided > 0 {
		r.note("", 0, fmt.Sprintf("%d planned entr%s had no reviewer decision and %s dropped", review.Undecided, plural(review.Undecided, "y", "ies"), plural(review.Undecided, "is", "are")))
	}
	return &out, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// planFacts gives Build back what the run's plan took from outside the
// findings: the access key IDs its key actions name and the IaC owners of
// its remove-in-iac entries. The run's manifest is digest-checked, and the
// decisions and actions are still rebuilt from the findings alone.
func planFacts(run *manifest.Manifest, findings []tables.Finding) ([]tables.Reference, []tables.AccessKey) {
	byUser := make(map[string]*tables.Finding, len(findings))
	for i := range findings {
		byUser[findings[i].AccountID+"\x00"+findings[i].UserID] = &findings[i]
	}
	var refs []tables.Reference
	var keys []tables.AccessKey
	for i := range run.Entries {
		e := &run.Entries[i]
		for _, o := range e.IaC {
			refs = append(refs, tables.Reference{AccountID: e.AccountID, UserName: e.UserName, UserID: e.UserID, UserARN: e.ARN,
				Kind: o.Kind, Location: o.Location, Match: tables.IaCOwnershipMatch(o.Kind, o.Change)})
		}
		if e.AccessKeyID != "" {
			keys = append(keys, tables.AccessKey{AccountID: e.AccountID, UserName: e.UserName, AccessKeyID: e.AccessKeyID, CreateDate: e.KeyLastRotated})
		}
		f := byUser[e.AccountID+"\x00"+e.UserID]
		for _, a := range e.Actions {
			if a.AccessKeyID == "" || f == nil {
				continue
			}
			created := f.Key1LastRotated
			if a.Target == "access key 2" {
				created = f.Key2LastRotated
			}
			keys = append(keys, tables.AccessKey{AccountID: e.AccountID, UserName: e.UserName, AccessKeyID: a.AccessKeyID, CreateDate: created})
		}
	}
	return refs, keys
}
