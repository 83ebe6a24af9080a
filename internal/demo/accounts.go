package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ReadAccounts reads the accounts of a directory written by Generate, in
// order (the first is the management account), from its ground-truth.json,
// without the per-user truth a large demo carries.
func ReadAccounts(dir string) ([]AccountInfo, error) {
	path := filepath.Join(dir, groundTruthName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the demo's accounts: %w (is %s a `dormant demo` directory?)", err, dir)
	}
	var f struct {
		SchemaVersion int           `json:"schema_version"`
		Accounts      []AccountInfo `json:"accounts"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("reading the demo's accounts: parsing %s: %w (regenerate it with `dormant demo`)", path, err)
	}
	if f.SchemaVersion != groundTruthSchema {
		return nil, fmt.Errorf("reading the demo's accounts: %s has schema_version %d, want %d (regenerate it with `dormant demo`)", path, f.SchemaVersion, groundTruthSchema)
	}
	if len(f.Accounts) == 0 {
		return nil, fmt.Errorf("reading the demo's accounts: %s lists no accounts (regenerate it with `dormant demo`)", path)
	}
	for i, a := range f.Accounts {
		if a.AccountID == "" || a.CredentialReport == "" || a.AuthorizationDetails == "" {
			return nil, fmt.Errorf("reading the demo's accounts: %s: accounts[%d] (%q) names no account ID, credential report or authorization details file (regenerate it with `dormant demo`)", path, i, a.AccountID)
		}
	}
	return f.Accounts, nil
}
