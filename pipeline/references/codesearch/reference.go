package codesearch

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dormant-iam/dormant/tables"
)

// Reference kinds for the References sheet.
const (
	RefCode      = tables.RefKindCode
	RefConfig    = tables.RefKindConfig
	RefTerraform = tables.RefKindTerraform
)

// configExts are file types that hold configuration rather than code.
var configExts = map[string]bool{
	".env": true, ".ini": true, ".conf": true, ".cfg": true, ".config": true, ".properties": true,
	".yaml": true, ".yml": true, ".json": true, ".toml": true, ".xml": true, ".plist": true,
	".credentials": true, ".npmrc": true, ".netrc": true,
}

// terraformExts are Terraform's own files: a hit there is part of the
// infrastructure as code even when package iac cannot name the resource.
var terraformExts = map[string]bool{".tf": true, ".tfvars": true, ".tfstate": true, ".hcl": true}

// RefKind says whether the file at a hit's source is code, configuration or
// Terraform, by its name: workflow files and dotfiles (.env, .env.prod,
// credentials) count as configuration.
func RefKind(src Source) string {
	base := strings.ToLower(path.Base(filepath.ToSlash(src.Path)))
	ext := path.Ext(base)
	switch {
	case terraformExts[ext] || strings.HasSuffix(base, ".tfstate.backup") || strings.HasSuffix(base, ".tf.json"):
		return RefTerraform
	case configExts[ext] || strings.HasPrefix(base, ".env") || base == "credentials" || base == "config" || base == "dockerfile":
		return RefConfig
	case strings.Contains(filepath.ToSlash(src.Path), ".github/workflows/"):
		return RefConfig
	}
	return RefCode
}

// Reference is the hit as a References row for candidate c: Location is
// the file (s3://bucket/key, or repo@commit:path) and line, Match the text
// matched; the excerpt stays out of the table.
func (h Hit) Reference(c Candidate) tables.Reference {
	r := tables.Reference{
		AccountID: c.AccountID,
		UserName:  c.UserName,
		UserID:    c.UserID,
		UserARN:   c.ARN,
		Kind:      RefKind(h.Source),
		Location:  h.Source.String() + ":" + strconv.Itoa(h.Line) + " (" + string(h.Kind) + ")",
		Match:     h.Match,
	}
	if h.Source.Kind == "s3" {
		r.ResourceARN = "arn:aws:s3:::" + h.Source.Bucket + "/" + h.Source.Path
	}
	return r
}

// DropHistoryDuplicates removes history hits that repeat a working-tree hit:
// the same candidate, kind, match and line at the same path of the same
// repository, which a blob also in the working tree gives.
func DropHistoryDuplicates(hits []Hit) []Hit {
	type key struct {
		cand        int
		kind        Kind
		match, path string
		line        int
	}
	files := map[key]bool{}
	for _, h := range hits {
		if h.Source.Kind == "file" {
			files[key{h.Candidate, h.Kind, h.Match, filepath.Clean(h.Source.Path), h.Line}] = true
		}
	}
	out := hits[:0:0]
	for _, h := range hits {
		if h.Source.Kind == "git" && files[key{h.Candidate, h.Kind, h.Match, filepath.Join(h.Source.Repo, filepath.FromSlash(h.Source.Path)), h.Line}] {
			continue
		}
		out = append(out, h)
	}
	return out
}
