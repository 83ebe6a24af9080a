package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/pipeline/inventory/live"
	"github.com/dormant-iam/dormant/pipeline/references/codesearch"
	"github.com/dormant-iam/dormant/record"
	"github.com/dormant-iam/dormant/tables"
)

// inventoryOutput is what the inventory stage hands on: the users and
// policies, the users encoded for the join, and what it stored.
type inventoryOutput struct {
	users    []tables.User
	policies []tables.Policy
	// table is users as the Arrow table the inventory stage wrote: the join
	// reads it as it is rather than encoding the rows again.
	table    arrow.RecordBatch
	inputs   []record.Input
	accounts []record.Account
	// accessKeys are the keys by ID (AccessKeysTable).
	accessKeys []tables.AccessKey
	// liveFP fingerprints what AWS returned, for the later stages'
	// fingerprints; "" for a file run, whose fingerprint is taken beforehand.
	liveFP string
}

func (o inventoryOutput) recordTo(rec *RunRecord) {
	rec.AddInputs(o.inputs...)
	rec.Accounts = o.accounts
	rec.Counts.Users, rec.Counts.Policies = len(o.users), len(o.policies)
}

// runInventory parses the exported files (or, live, reads IAM), keeps them
// raw under inputs/<account>/ and writes the inventory and policy tables.
func runInventory(ctx context.Context, cfg Config, st *staging, sess sessionFunc) (inventoryOutput, error) {
	var out inventoryOutput
	var err error
	if cfg.Live() {
		out, err = liveInventory(ctx, cfg, st, sess)
	} else {
		out, err = fileInventory(ctx, cfg, st)
	}
	if err != nil {
		return out, err
	}
	// The users table is kept encoded for the join, so the findings stage
	// does not encode the same rows again.
	if out.table, err = tables.Encode(memory.NewGoAllocator(), out.users); err != nil {
		return out, fmt.Errorf("encoding inventory table: %w", err)
	}
	if err := tables.WriteRecordParquet(st.path(InventoryTable), out.table); err != nil {
		return out, fmt.Errorf("writing inventory table: %w", err)
	}
	if err := tables.WriteParquet(st.path(PoliciesTable), out.policies); err != nil {
		return out, fmt.Errorf("writing policies table: %w", err)
	}
	if err := tables.WriteParquet(st.path(AccessKeysTable), out.accessKeys); err != nil {
		return out, fmt.Errorf("writing access keys table: %w", err)
	}
	return out, nil
}

// fileAccessKeys reads the --access-keys exports, keeps each under
// inputs/, and gives every key to each account that has a user of its
// name: an export does not say its account, and a key wrongly attributed
// costs a review where a key left out could miss automation.
func fileAccessKeys(cfg Config, st *staging, users []tables.User) ([]tables.AccessKey, []record.Input, error) {
	byName := map[string][]*tables.User{}
	for i := range users {
		if !users[i].IsRoot {
			byName[strings.ToLower(users[i].UserName)] = append(byName[strings.ToLower(users[i].UserName)], &users[i])
		}
	}
	var keys []tables.AccessKey
	var inputs []record.Input
	for i, p := range cfg.AccessKeysFiles {
		exp, err := codesearch.ReadAccessKeysFile(p)
		if err != nil {
			return nil, nil, err
		}
		rel := fmt.Sprintf("%s/access-keys-%d.json", InputsDir, i+1)
		if err := copyInput(st, p, rel); err != nil {
			return nil, nil, err
		}
		inputs = append(inputs, record.Input{Path: rel, Kind: kindAccessKeys, Source: p})
		unmatched := 0
		for _, k := range exp {
			us := byName[strings.ToLower(k.UserName)]
			if len(us) == 0 {
				unmatched++
			}
			for _, u := range us {
				keys = append(keys, tables.AccessKey{AccountID: u.AccountID, UserName: u.UserName, AccessKeyID: k.AccessKeyID,
					Status: k.Status, CreateDate: k.CreateDate.UTC(), Source: p})
			}
		}
		if unmatched > 0 {
			cfg.Logger.Warn("--access-keys names users the inventory does not have; their keys are not used", "file", p, "keys", unmatched)
		}
	}
	slices.SortFunc(keys, func(a, b tables.AccessKey) int {
		return cmp.Or(strings.Compare(a.AccountID, b.AccountID), strings.Compare(a.UserName, b.UserName),
			a.CreateDate.Compare(b.CreateDate), strings.Compare(a.AccessKeyID, b.AccessKeyID), strings.Compare(a.Source, b.Source))
	})
	keys = slices.CompactFunc(keys, func(a, b tables.AccessKey) bool {
		return a.AccountID == b.AccountID && a.AccessKeyID == b.AccessKeyID
	})
	return keys, inputs, nil
}

func fileInventory(ctx context.Context, cfg Config, st *staging) (inventoryOutput, error) {
	var out inventoryOutput
	inv, err := inventory.LoadFiles(ctx, cfg.CredentialReports, cfg.AuthorizationDetails,
		inventory.WithReportGeneratedAt(cfg.ReportGeneratedAt))
	if err != nil {
		return out, err
	}
	for _, r := range inv.Reports {
		ext := ".csv"
		if r.Format != inventory.FormatCSV {
			ext = ".json"
		}
		rel := InputsDir + "/" + r.AccountID + "/credential-report" + ext
		if err := copyInput(st, r.Name, rel); err != nil {
			return out, err
		}
		out.inputs = append(out.inputs, record.Input{Path: rel, AccountID: r.AccountID, Kind: kindCredentialReport, Source: r.Name, GeneratedAt: r.GeneratedAt})
	}
	seen := map[string]int{}
	for _, d := range inv.Details {
		seen[d.AccountID]++
		name := "authorization-details.json"
		if n := seen[d.AccountID]; n > 1 {
			name = fmt.Sprintf("authorization-details-%d.json", n)
		}
		rel := InputsDir + "/" + d.AccountID + "/" + name
		if err := copyInput(st, d.Name, rel); err != nil {
			return out, err
		}
		out.inputs = append(out.inputs, record.Input{Path: rel, AccountID: d.AccountID, Kind: kindAuthorizationDetails, Source: d.Name})
	}
	out.users, out.policies, out.accounts = inv.Users, inv.Policies, accountsOf(inv)
	keys, inputs, err := fileAccessKeys(cfg, st, out.users)
	if err != nil {
		return out, err
	}
	out.accessKeys, out.inputs = keys, append(out.inputs, inputs...)
	return out, nil
}

// liveInventory reads IAM from AWS for the accounts in scope, stores every
// raw answer under inputs/<account>/, and records accounts that could not be
// assessed.
func liveInventory(ctx context.Context, cfg Config, st *staging, sess sessionFunc) (inventoryOutput, error) {
	var out inventoryOutput
	aws, err := sess(ctx)
	if err != nil {
		return out, err
	}
	opts := live.Options{
		Accounts: cfg.Accounts, Org: cfg.Org, RoleName: cfg.RoleName, ExternalID: cfg.ExternalID,
		Concurrency: cfg.Concurrency, FreshReport: cfg.FreshReport, Logger: cfg.Logger,
		Progress: cfg.Progress,
	}
	results, err := live.New(aws.cfg, live.WithOptions(opts)).Collect(ctx)
	if err != nil {
		return out, fmt.Errorf("reading IAM from AWS: %w", err)
	}
	var reps []*inventory.CredentialReport
	var dets []*inventory.AuthorizationDetails
	for _, r := range results {
		if r.Err != nil {
			out.accounts = append(out.accounts, record.Account{AccountID: r.AccountID, Assessed: false, Error: r.Err.Error()})
			cfg.Logger.Warn("account not assessed", "account", r.AccountID, "error", r.Err)
			continue
		}
		rel := live.ReportFile(r.AccountID)
		if err := atomicfile.WriteBytes(st.path(rel), r.CredentialReport); err != nil {
			return out, fmt.Errorf("storing the credential report of %s: %w", r.AccountID, err)
		}
		// The CSV carries no generation time: keep GetCredentialReport's in
		// run.json and as the file's modification time.
		_ = os.Chtimes(st.path(rel), r.GeneratedAt, r.GeneratedAt)
		out.inputs = append(out.inputs, record.Input{Path: rel, AccountID: r.AccountID, Kind: kindCredentialReport, Source: "aws:iam:GetCredentialReport", GeneratedAt: r.GeneratedAt})
		for i, page := range r.AuthorizationDetailsPages {
			prel := fmt.Sprintf("%s/%s/authorization-details-page-%03d.json", InputsDir, r.AccountID, i+1)
			if err := atomicfile.WriteBytes(st.path(prel), page); err != nil {
				return out, fmt.Errorf("storing authorization details of %s: %w", r.AccountID, err)
			}
			out.inputs = append(out.inputs, record.Input{Path: prel, AccountID: r.AccountID, Kind: kindAuthorizationDetails, Source: "aws:iam:GetAccountAuthorizationDetails"})
		}
		out.accounts = append(out.accounts, record.Account{AccountID: r.AccountID, Assessed: true, ReportGeneratedAt: r.GeneratedAt})
		reps = append(reps, r.Report)
		dets = append(dets, r.Details)
		out.accessKeys = append(out.accessKeys, r.AccessKeys...)
	}
	slices.SortFunc(out.accounts, func(a, b record.Account) int { return strings.Compare(a.AccountID, b.AccountID) })
	if out.users, out.policies, err = inventory.Build(reps, dets); err != nil {
		return out, err
	}
	// Later stages' fingerprints follow the data AWS returned.
	slices.SortStableFunc(out.inputs, func(a, b record.Input) int { return strings.Compare(a.Path, b.Path) })
	f := newFingerprint("inventory-live", cfg.ToolVersion)
	for _, in := range out.inputs {
		if err := f.addFile(st.path(in.Path)); err != nil {
			return out, err
		}
	}
	out.liveFP = f.sum()
	return out, nil
}

// loadInventory reads back a reused inventory stage.
func loadInventory(ctx context.Context, dir string, prev *RunRecord) (inventoryOutput, error) {
	out := inventoryOutput{accounts: prev.Accounts}
	for _, in := range prev.Inputs {
		if in.Kind == kindCredentialReport || in.Kind == kindAuthorizationDetails || in.Kind == kindAccessKeys {
			out.inputs = append(out.inputs, in)
		}
	}
	var err error
	if out.accessKeys, err = tables.ReadParquet[tables.AccessKey](joinRel(dir, AccessKeysTable)); err != nil {
		return out, err
	}
	if out.users, err = tables.ReadParquet[tables.User](joinRel(dir, InventoryTable)); err != nil {
		return out, err
	}
	if out.policies, err = tables.ReadParquet[tables.Policy](joinRel(dir, PoliciesTable)); err != nil {
		return out, err
	}
	if out.table, err = tables.Encode(memory.NewGoAllocator(), out.users); err != nil {
		return out, fmt.Errorf("encoding inventory table: %w", err)
	}
	return out, nil
}

func accountsOf(inv *inventory.Inventory) []record.Account {
	gen := map[string]time.Time{}
	var ids []string
	for _, r := range inv.Reports {
		gen[r.AccountID] = r.GeneratedAt
		ids = append(ids, r.AccountID)
	}
	for _, d := range inv.Details {
		ids = append(ids, d.AccountID)
	}
	slices.Sort(ids)
	var out []record.Account
	for _, id := range slices.Compact(ids) {
		out = append(out, record.Account{AccountID: id, Assessed: true, ReportGeneratedAt: gen[id]})
	}
	return out
}

// readAccessKeys reads a run's access keys table; nil when the bundle has
// none (a run by a version before the table).
func readAccessKeys(dir string) ([]tables.AccessKey, error) {
	p := joinRel(dir, AccessKeysTable)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	keys, err := tables.ReadParquet[tables.AccessKey](p)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", AccessKeysTable, err)
	}
	return keys, nil
}
