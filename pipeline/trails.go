package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/internal/parallel"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/pipeline/trails"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/tables"
)

// TrailsTable holds what each account's trails record (tables.Trail).
const TrailsTable = "tables/trails.parquet"

const kindTrailDescription = "trail-description"

// trailsOutput is what the trails stage hands on.
type trailsOutput struct {
	// known holds, by account, the trails of the accounts whose settings
	// are known (an empty list: known to have none), for the classifier.
	known   map[string][]tables.Trail
	inputs  []record.Input
	records []record.Trail
	fp      string // what the findings depend on: the descriptions and which accounts are known
}

func (o trailsOutput) recordTo(rec *RunRecord) {
	rec.AddInputs(o.inputs...)
	rec.Trails = o.records
}

// runTrails is the trails stage: the --trail-description files when given,
// otherwise, live, each assessed account's trails from CloudTrail. Every
// description is stored under inputs/<account>/ in the file form, so the
// run can be verified offline.
func runTrails(ctx context.Context, cfg Config, st *staging, sess sessionFunc, accounts []record.Account) (trailsOutput, error) {
	var out trailsOutput
	var descs []trails.Description
	known := map[string]string{} // account -> error ("" read)
	switch {
	case len(cfg.TrailDescriptions) > 0:
		for _, p := range cfg.TrailDescriptions {
			d, err := trails.ReadFile(p)
			if err != nil {
				return out, err
			}
			descs = append(descs, d...)
			for _, x := range d {
				known[x.AccountID] = ""
			}
		}
	case cfg.Live():
		var err error
		if descs, err = liveTrails(ctx, cfg, sess, accounts, known); err != nil {
			return out, err
		}
	}
	out.known = map[string][]tables.Trail{}
	var rows []tables.Trail
	f := newFingerprint("trails", cfg.ToolVersion)
	stored := map[string]bool{}
	for _, d := range descs {
		row, err := trailRow(d, d.Source)
		if err != nil {
			return out, err
		}
		data, err := trails.Marshal(d)
		if err != nil {
			return out, err
		}
		rel := InputsDir + "/" + d.AccountID + "/" + trails.FileName(d)
		for i := 2; stored[rel]; i++ {
			rel = fmt.Sprintf("%s/%s/%s-%d.json", InputsDir, d.AccountID, strings.TrimSuffix(trails.FileName(d), ".json"), i)
		}
		stored[rel] = true
		if err := atomicfile.WriteBytes(st.path(rel), data); err != nil {
			return out, fmt.Errorf("storing the description of trail %s: %w", row.Name, err)
		}
		out.inputs = append(out.inputs, record.Input{Path: rel, AccountID: d.AccountID, Kind: kindTrailDescription, Source: d.Source})
		rows = append(rows, row)
		sum := sha256.Sum256(data)
		f.add(rel, hex.EncodeToString(sum[:]))
	}
	slices.SortFunc(rows, compareTrails)
	for _, r := range rows {
		if known[r.AccountID] == "" {
			out.known[r.AccountID] = append(out.known[r.AccountID], r)
		}
	}
	ids := slices.Collect(maps.Keys(known))
	for _, a := range ids {
		if !slices.ContainsFunc(accounts, func(r record.Account) bool { return r.AccountID == a }) {
			// Harmless, but likely a typo in Accounts or the wrong file.
			cfg.Logger.Warn("a trail description is for an account the inventory does not hold", "account", a)
		}
	}
	for _, a := range accounts {
		if a.Assessed && !slices.Contains(ids, a.AccountID) {
			ids = append(ids, a.AccountID)
		}
	}
	slices.Sort(ids)
	for _, a := range ids {
		errText, ok := known[a]
		r := record.Trail{AccountID: a, Known: ok && errText == "", Error: errText}
		if !r.Known {
			r.Note = findings.TrailSettingsUnknown
		}
		if r.Known {
			if out.known[a] == nil {
				out.known[a] = []tables.Trail{} // known: none
			}
			for _, t := range out.known[a] {
				r.Trails = append(r.Trails, t.Name)
			}
			r.Gaps = findings.TrailGaps(a, out.known[a], cfg.WindowStart(), cfg.AsOf)
		}
		f.add(a, fmt.Sprint(r.Known))
		out.records = append(out.records, r)
	}
	out.fp = f.sum()
	return out, tables.WriteParquet(st.path(TrailsTable), rows)
}

// trailRow is a description as the trails table holds it; the run and
// verify both build the table with it.
func trailRow(d trails.Description, source string) (tables.Trail, error) {
	row, err := trails.Normalize(d)
	if err != nil {
		return row, err
	}
	row.Source = source
	return row, nil
}

// liveTrails reads the trails of every assessed account, the caller's with
// its own credentials and the others through the audit role, as the live
// inventory does. An account whose trails cannot be read has unknown
// settings (known[account] holds the error), as if none were given.
func liveTrails(ctx context.Context, c Config, sessions sessionFunc, assessed []record.Account, known map[string]string) ([]trails.Description, error) {
	sess, err := sessions(ctx)
	if err != nil {
		return nil, err
	}
	creds := sess.credentials(c.RoleName, c.ExternalID)
	var accounts []string
	for _, a := range assessed {
		if a.Assessed {
			accounts = append(accounts, a.AccountID)
		}
	}
	var mu sync.Mutex
	var out []trails.Description
	err = parallel.Each(len(accounts), max(1, c.Concurrency), func(i int) error {
		account := accounts[i]
		descs, err := func() ([]trails.Description, error) {
			p, err := creds(ctx, account)
			if err != nil {
				return nil, err
			}
			cfg := sess.cfg.Copy()
			cfg.Credentials = p
			return trails.Read(ctx, cloudtrail.NewFromConfig(cfg), account)
		}()
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			known[account] = err.Error()
			c.Logger.Warn("trail settings unknown: the account's trails could not be read; its candidates are not held for what the trails record",
				"account", account, "error", err)
			return nil
		}
		known[account] = ""
		out = append(out, descs...)
		return nil
	})
	return out, err
}

func compareTrails(a, b tables.Trail) int {
	if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
		return c
	}
	if c := strings.Compare(a.ARN, b.ARN); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// knownTrails are the trails of the accounts whose settings run.json says
// are known, for the classifier; nil when none is.
func knownTrails(rec *RunRecord, rows []tables.Trail) map[string][]tables.Trail {
	var out map[string][]tables.Trail
	for _, r := range rec.Trails {
		if !r.Known {
			continue
		}
		if out == nil {
			out = map[string][]tables.Trail{}
		}
		out[r.AccountID] = []tables.Trail{}
	}
	for _, t := range rows {
		if _, ok := out[t.AccountID]; ok {
			out[t.AccountID] = append(out[t.AccountID], t)
		}
	}
	return out
}

// verifyTrails recomputes the trails table from the stored descriptions and
// returns the trails the findings were classified with.
func verifyTrails(v *Verification, dir string, rec *RunRecord) map[string][]tables.Trail {
	var rows []tables.Trail
	for _, in := range rec.Inputs {
		if in.Kind != kindTrailDescription {
			continue
		}
		descs, err := trails.ReadFile(filepath.Join(dir, filepath.FromSlash(in.Path)))
		if err != nil {
			v.problem("recomputing the trails from %s: %v", in.Path, err)
			return nil
		}
		for _, d := range descs {
			row, err := trailRow(d, in.Source)
			if err != nil {
				v.problem("recomputing the trails from %s: %v", in.Path, err)
				return nil
			}
			rows = append(rows, row)
		}
	}
	slices.SortFunc(rows, compareTrails)
	if len(rows) > 0 || len(rec.Trails) > 0 {
		compareTable(v, filepath.Join(dir, filepath.FromSlash(TrailsTable)), TrailsTable, rows, nil)
		v.Checked = append(v.Checked, "trails recomputed from the stored trail descriptions")
	}
	return knownTrails(rec, rows)
}

// trailAccounts are the Trails sheet's rows, from run.json and the table.
func trailAccounts(rec *RunRecord, rows []tables.Trail) []reports.TrailAccount {
	var out []reports.TrailAccount
	for _, r := range rec.Trails {
		a := reports.TrailAccount{AccountID: r.AccountID, Known: r.Known, Gaps: r.Gaps, Error: r.Error}
		for _, t := range rows {
			if t.AccountID == r.AccountID {
				a.Trails = append(a.Trails, t)
			}
		}
		out = append(out, a)
	}
	return out
}

// readTrailAccounts gathers the Trails sheet from a run directory.
func readTrailAccounts(dir string, rec *RunRecord) ([]reports.TrailAccount, error) {
	if len(rec.Trails) == 0 {
		return nil, nil
	}
	rows, err := tables.ReadParquet[tables.Trail](filepath.Join(dir, filepath.FromSlash(TrailsTable)))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", TrailsTable, err)
	}
	return trailAccounts(rec, rows), nil
}
