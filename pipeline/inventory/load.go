package inventory

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/dormant-iam/dormant/internal/ctxio"
	"github.com/dormant-iam/dormant/tables"
)

// Inventory is the inventory of one run: the parsed inputs and the rows built
// from them.
type Inventory struct {
	Reports  []*CredentialReport
	Details  []*AuthorizationDetails // one per file, as parsed (Build merges pages per account)
	Users    []tables.User
	Policies []tables.Policy
}

// LoadFiles reads and parses the given files (credential reports as CSV or
// CLI JSON, authorization details as CLI JSON or raw pages), then Builds the
// inventory. A CSV credential report carries no generation time, so its
// GeneratedAt is the file's modification time (UTC): the closest evidence of
// when it was exported.
func LoadFiles(ctx context.Context, credentialReports, authorizationDetails []string) (*Inventory, error) {
	inv := &Inventory{}
	for _, path := range credentialReports {
		data, mtime, err := readFile(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("loading credential report: %w", err)
		}
		rep, err := ParseCredentialReport(path, data)
		if err != nil {
			return nil, err
		}
		if rep.GeneratedAt.IsZero() {
			rep.GeneratedAt = mtime.UTC()
			for i := range rep.Users {
				rep.Users[i].ReportGeneratedAt = rep.GeneratedAt
			}
		}
		slog.DebugContext(ctx, "credential report loaded", "file", path, "account", rep.AccountID,
			"format", rep.Format, "rows", len(rep.Users), "generated_at", rep.GeneratedAt)
		inv.Reports = append(inv.Reports, rep)
	}
	for _, path := range authorizationDetails {
		data, _, err := readFile(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("loading authorization details: %w", err)
		}
		det, err := ParseAuthorizationDetails(path, data)
		if err != nil {
			return nil, err
		}
		slog.DebugContext(ctx, "authorization details loaded", "file", path, "account", det.AccountID,
			"users", len(det.Users), "groups", len(det.Groups), "roles", len(det.Roles), "policies", len(det.Policies))
		inv.Details = append(inv.Details, det)
	}
	var err error
	if inv.Users, inv.Policies, err = Build(inv.Reports, inv.Details); err != nil {
		return nil, err
	}
	return inv, nil
}

// readFile reads a whole file and its modification time, giving up when ctx
// is cancelled (inputs may sit on slow network storage).
func readFile(ctx context.Context, path string) ([]byte, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, time.Time{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, time.Time{}, fmt.Errorf("reading %s: it is a directory, want a file", path)
	}
	data, err := io.ReadAll(ctxio.Reader(ctx, f))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, fi.ModTime(), nil
}
