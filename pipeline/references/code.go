package references

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/dormant-iam/dormant/pipeline/references/codesearch"
	"github.com/dormant-iam/dormant/pipeline/references/iac"
	"github.com/dormant-iam/dormant/tables"
)

// CheckCode is the check that looks outside IAM: code, configuration and
// object stores (--search) name the candidates, and infrastructure as code
// (Terraform states and .tf files, CloudFormation's tags) manages them.
const CheckCode = "code"

// It needs no AWS access of its own (S3 paths use the run's credentials when
// there are any), so it runs on exported files too.
func init() { RegisterCheck(CheckSpec{Name: CheckCode, Rank: 90}) }

// CodeChecker is the code check. Users is every user of the run: ownership
// is matched for all of them (the Summary counts IaC-managed users), while
// the text search looks for the candidates only.
type CodeChecker struct {
	Roots          []string // directories, files, git repositories, s3://bucket/prefix
	History        bool     // every blob reachable from every ref of each repository
	TerraformState []string // state files or s3://bucket/key given apart from the search
	S3             codesearch.S3API
	Users          []tables.User
	Activity       []tables.Activity  // access key IDs CloudTrail saw, by unique ID
	AccessKeys     []tables.AccessKey // ListAccessKeys (live) or --access-keys exports
	MaxFileSize    int64              // 0: codesearch.DefaultMaxFileSize
	Logger         *slog.Logger

	// Stats is what the last Check's search read and skipped.
	Stats codesearch.Stats
}

// Name is CheckCode.
func (c *CodeChecker) Name() string { return CheckCode }

// Check searches the roots for the candidates and matches every user with
// what infrastructure as code manages. A search hit in a Terraform file that
// also owns the same user is that ownership's own text and is dropped; any
// other hit is a reference that sends the candidate to review. A .tf file
// that does not parse is reported unchecked (its text was still searched).
func (c *CodeChecker) Check(ctx context.Context, candidates []tables.User) ([]tables.Reference, []Unchecked, error) {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	keysByUser := map[string][]string{}
	for _, k := range c.AccessKeys {
		keysByUser[k.AccountID+"/"+strings.ToLower(k.UserName)] = append(keysByUser[k.AccountID+"/"+strings.ToLower(k.UserName)], k.AccessKeyID)
	}
	cands := codesearch.Candidates(candidates, c.Activity, nil)
	for i := range cands {
		cands[i].AccessKeyIDs = append(cands[i].AccessKeyIDs, keysByUser[cands[i].AccountID+"/"+strings.ToLower(cands[i].UserName)]...)
		slices.Sort(cands[i].AccessKeyIDs)
		cands[i].AccessKeyIDs = slices.Compact(cands[i].AccessKeyIDs)
	}

	var (
		mu        sync.Mutex
		resources []iac.Resource
		unchecked []Unchecked
		hits      []codesearch.Hit
	)
	if len(c.Roots) > 0 && len(cands) > 0 {
		maxSize := c.MaxFileSize
		if maxSize <= 0 {
			maxSize = codesearch.DefaultMaxFileSize
		}
		opts := codesearch.Options{
			MaxFileSize: maxSize, History: c.History, S3: c.S3, Logger: log,
			// History holds earlier states and configurations: evidence of
			// use (hits), not of what Terraform manages now.
			Collect: func(s codesearch.Source) bool {
				return s.Kind != "git" && (iac.IsStateFile(s.Path) || iac.IsConfigFile(s.Path))
			},
			OnCollect: func(s codesearch.Source, open func(context.Context) (io.ReadCloser, error)) error {
				rs, err := readIaC(ctx, s, open)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					log.Warn("infrastructure as code not read; its text was still searched", "location", s.String(), "err", err)
					unchecked = append(unchecked, Unchecked{Kind: "terraform file", ResourceARN: s.String(), Error: err.Error()})
					return nil
				}
				resources = append(resources, rs...)
				return nil
			},
		}
		st, err := codesearch.Search(ctx, c.Roots, cands, opts, func(h codesearch.Hit) error {
			hits = append(hits, h)
			return nil
		})
		c.Stats = st
		if err != nil {
			return nil, nil, fmt.Errorf("searching %s: %w", strings.Join(c.Roots, ", "), err)
		}
		log.Info("code search done", "files", st.Files, "bytes", st.Bytes, "hits", st.Hits, "skipped", st.Skipped)
	}
	for _, where := range c.TerraformState {
		rs, err := iac.ReadStateAt(ctx, where, c.S3, iac.DefaultMaxStateSize)
		if err != nil {
			return nil, nil, fmt.Errorf("reading --terraform-state %s: %w", where, err)
		}
		resources = append(resources, rs...)
	}

	// Ownership for every user but root, with every key ID known for it.
	seenKeys := map[string][]string{}
	for _, a := range c.Activity {
		if a.PrincipalID != "" {
			seenKeys[a.AccountID+"/"+a.PrincipalID] = append(seenKeys[a.AccountID+"/"+a.PrincipalID], a.AccessKeyIDs...)
		}
	}
	var owned []iac.User
	for _, u := range c.Users {
		if u.IsRoot {
			continue
		}
		keys := slices.Clone(keysByUser[u.AccountID+"/"+strings.ToLower(u.UserName)])
		if u.UserID != "" {
			keys = append(keys, seenKeys[u.AccountID+"/"+u.UserID]...)
		}
		owned = append(owned, iac.FromTables(u, keys))
	}
	var refs []tables.Reference
	ownedFiles := map[string]bool{} // account/user-id-or-name + "\x00" + file
	for _, o := range iac.Match(owned, resources) {
		u := owned[o.User]
		refs = append(refs, o.Reference(u))
		if o.File != "" {
			ownedFiles[userKey(u.AccountID, u.UserID, u.UserName)+"\x00"+o.File] = true
		}
	}
	// A key ID is the ownership's own text only where the file manages that
	// key: anywhere else in the file it is a copy something may read.
	ownedKeys := map[string]bool{} // file + "\x00" + access key ID
	for _, r := range resources {
		if r.AccessKeyID != "" {
			ownedKeys[r.File+"\x00"+r.AccessKeyID] = true
		}
	}
	for _, h := range codesearch.DropHistoryDuplicates(hits) {
		cd := cands[h.Candidate]
		file := h.Source.String()
		if ownedFiles[userKey(cd.AccountID, cd.UserID, cd.UserName)+"\x00"+file] &&
			(h.Kind != codesearch.KindAccessKeyID || ownedKeys[file+"\x00"+h.Match]) {
			continue
		}
		refs = append(refs, h.Reference(cd))
	}
	return refs, unchecked, nil
}

// userKey names a user across the candidates and the users: by unique ID
// when known, else by name.
func userKey(account, id, name string) string {
	if id != "" {
		return account + "/" + id
	}
	return account + "/name:" + strings.ToLower(name)
}

// readIaC parses a Terraform state or .tf file the search found.
func readIaC(ctx context.Context, s codesearch.Source, open func(context.Context) (io.ReadCloser, error)) ([]iac.Resource, error) {
	rc, err := open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if iac.IsStateFile(s.Path) {
		return iac.ReadState(s.String(), rc, iac.DefaultMaxStateSize)
	}
	src, err := io.ReadAll(io.LimitReader(rc, iac.DefaultMaxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > iac.DefaultMaxConfigSize {
		return nil, fmt.Errorf("larger than %d bytes; a .tf file that large is generated data", iac.DefaultMaxConfigSize)
	}
	return iac.ReadConfig(s.String(), src)
}
