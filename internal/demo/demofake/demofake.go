// Package demofake serves a `dormant demo` directory from the fake AWS
// (internal/awsfake), so live runs read exactly what a files-based run of
// the same demo reads. It is the one place that knows both: the fake loads
// plain exported files, the demo generator knows nothing of the fake.
package demofake

import (
	"fmt"
	"path/filepath"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/demo"
)

// Org builds an awsfake.Org from a directory written by demo.Generate. The
// accounts are those of its ground-truth.json, in order; the first is the
// management account, which the demo's OrganizationAccountAccessRole roles
// trust. See awsfake.FromFiles for what is loaded.
func Org(dir string) (*awsfake.Org, error) {
	accounts, err := demo.ReadAccounts(dir)
	if err != nil {
		return nil, fmt.Errorf("loading the demo organization: %w", err)
	}
	org, err := awsfake.FromFiles(accounts[0].AccountID, Exports(dir, accounts))
	if err != nil {
		return nil, fmt.Errorf("loading the demo organization from %s: %w", dir, err)
	}
	return org, nil
}

// Exports are the exported files of the demo's accounts under dir, in the
// form awsfake.FromFiles takes them.
func Exports(dir string, accounts []demo.AccountInfo) []awsfake.AccountExport {
	exports := make([]awsfake.AccountExport, len(accounts))
	for i, a := range accounts {
		exports[i] = awsfake.AccountExport{
			CredentialReport:     filepath.Join(dir, filepath.FromSlash(a.CredentialReport)),
			AuthorizationDetails: filepath.Join(dir, filepath.FromSlash(a.AuthorizationDetails)),
			ReportGeneratedAt:    a.ReportGeneratedAt,
		}
	}
	return exports
}
