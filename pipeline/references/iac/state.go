package iac

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Resource kinds: where a Resource was read.
const (
	KindTerraformState  = "terraform-state"
	KindTerraformConfig = "terraform-config"
)

// Resource is one Terraform resource instance (state) or block (config)
// that manages an IAM user or something only a user has.
type Resource struct {
	Kind        string // KindTerraformState or KindTerraformConfig
	File        string // the state or .tf file, or its s3:// URI
	Line        int    // config only: the block's first line
	Address     string // module.m.aws_iam_user.x["k"]; for config, within the file's module
	Type        string // aws_iam_user, aws_iam_access_key, ...
	UserName    string // the user's name; empty when config computes it
	NameExpr    string // config only: the expression when the name is not a literal
	UserID      string // aws_iam_user: unique_id
	ARN         string // aws_iam_user: arn
	AccessKeyID string // aws_iam_access_key: id
	Deposed     bool   // state only: an object replaced but not yet destroyed
}

// userTypes are the resource types that manage a user or what only a user
// has, with the attribute naming the user.
var userTypes = map[string]string{
	"aws_iam_user":                   "name",
	"aws_iam_access_key":             "user",
	"aws_iam_user_login_profile":     "user",
	"aws_iam_user_policy":            "user",
	"aws_iam_user_policy_attachment": "user",
	"aws_iam_user_group_membership":  "user",
	"aws_iam_group_membership":       "users",
}

// UserTypes lists the resource types ReadState and ReadConfig keep.
func UserTypes() []string {
	return slices.Sorted(maps.Keys(userTypes))
}

// DefaultMaxStateSize bounds a state file read whole by ReadStateFile's
// callers on the command line; states of thousands of resources stay well
// under it.
const DefaultMaxStateSize = 1 << 30

type stateResource struct {
	Module    string          `json:"module"`
	Mode      string          `json:"mode"`
	Type      string          `json:"type"`
	Name      string          `json:"name"`
	Instances json.RawMessage `json:"instances"`
}

type stateInstance struct {
	IndexKey       any               `json:"index_key"`
	Deposed        string            `json:"deposed"`
	Attributes     json.RawMessage   `json:"attributes"`
	AttributesFlat map[string]string `json:"attributes_flat"`
}

type userAttrs struct {
	Name     string   `json:"name"`
	UniqueID string   `json:"unique_id"`
	ARN      string   `json:"arn"`
	User     string   `json:"user"`
	ID       string   `json:"id"`
	Users    []string `json:"users"`
}

// errTooLarge is returned by limitReader past its bound.
var errTooLarge = errors.New("larger than the bound")

type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a file exactly at the bound from a larger one.
		var b [1]byte
		if n, _ := l.r.Read(b[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// ReadStateFile reads the state at path; see ReadState.
func ReadStateFile(path string, limit int64) ([]Resource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading Terraform state %s: %w", path, err)
	}
	defer f.Close()
	return ReadState(path, f, limit)
}

// ReadState reads a Terraform state (format version 4) from r, named name in
// errors and in each Resource's File, reading at most limit bytes.
func ReadState(name string, r io.Reader, limit int64) ([]Resource, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("reading Terraform state %s: no size bound given", name)
	}
	lr := &limitReader{r: r, left: limit}
	dec := json.NewDecoder(lr)
	fail := func(what string, err error) ([]Resource, error) {
		if errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("reading Terraform state %s: larger than %d bytes; raise the size bound or give a smaller state (one per workspace)", name, limit)
		}
		return nil, fmt.Errorf("reading Terraform state %s: %s at byte %d: %w; give a state file as `terraform state pull` writes it", name, what, dec.InputOffset(), err)
	}
	tok, err := dec.Token()
	if err != nil {
		return fail("reading the top-level object", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fail("reading the top-level object", fmt.Errorf("found %v, not an object", tok))
	}
	var out []Resource
	version := -1
	sawResources := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail("reading a top-level key", err)
		}
		key, _ := tok.(string)
		switch key {
		case "version":
			var v json.Number
			if err := dec.Decode(&v); err != nil {
				return fail("reading version", err)
			}
			n, err := strconv.Atoi(v.String())
			if err != nil {
				return fail("reading version", err)
			}
			version = n
			if version != 4 {
				return nil, versionError(name, version)
			}
		case "resources":
			sawResources = true
			if tok, err := dec.Token(); err != nil {
				return fail("reading resources", err)
			} else if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fail("reading resources", fmt.Errorf("found %v, not a list", tok))
			}
			for i := 0; dec.More(); i++ {
				var rs stateResource
				if err := dec.Decode(&rs); err != nil {
					return fail(fmt.Sprintf("reading resource %d", i), err)
				}
				got, err := rs.resources(name)
				if err != nil {
					return nil, err
				}
				out = append(out, got...)
			}
			if _, err := dec.Token(); err != nil {
				return fail("closing resources", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail("reading "+strconv.Quote(key), err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail("closing the top-level object", err)
	}
	if version < 0 {
		return nil, fmt.Errorf("reading Terraform state %s: no \"version\"; this is not a Terraform state file (give terraform.tfstate or the output of `terraform state pull`)", name)
	}
	if !sawResources {
		return nil, fmt.Errorf("reading Terraform state %s: no \"resources\" list; give a state file in format version 4", name)
	}
	return out, nil
}

func versionError(name string, v int) error {
	if v < 4 {
		return fmt.Errorf("reading Terraform state %s: format version %d is from Terraform 0.11 or earlier; dormant reads version 4: run `terraform state pull` with Terraform 0.12 or later and give its output", name, v)
	}
	return fmt.Errorf("reading Terraform state %s: format version %d is newer than the version 4 dormant reads; give a version 4 state or update dormant", name, v)
}

// resources returns the kept instances of one state resource.
func (rs stateResource) resources(file string) ([]Resource, error) {
	field, ok := userTypes[rs.Type]
	if !ok || rs.Mode != "managed" {
		return nil, nil
	}
	base := rs.Type + "." + rs.Name
	if rs.Module != "" {
		base = rs.Module + "." + base
	}
	var insts []stateInstance
	if err := json.Unmarshal(rs.Instances, &insts); err != nil {
		return nil, fmt.Errorf("reading Terraform state %s: the instances of %s: %w; give a state file as `terraform state pull` writes it", file, base, err)
	}
	var out []Resource
	for _, in := range insts {
		addr := base
		switch k := in.IndexKey.(type) {
		case nil:
		case float64:
			addr += "[" + strconv.FormatFloat(k, 'f', -1, 64) + "]"
		case string:
			addr += "[" + strconv.Quote(k) + "]"
		default:
			return nil, fmt.Errorf("reading Terraform state %s: %s has index_key %v, neither a number nor a string", file, base, k)
		}
		var a userAttrs
		switch {
		case len(in.Attributes) > 0:
			if err := json.Unmarshal(in.Attributes, &a); err != nil {
				return nil, fmt.Errorf("reading Terraform state %s: the attributes of %s: %w", file, addr, err)
			}
		case in.AttributesFlat != nil:
			a = flatAttrs(in.AttributesFlat)
		}
		r := Resource{Kind: KindTerraformState, File: file, Address: addr, Type: rs.Type, Deposed: in.Deposed != ""}
		switch field {
		case "name":
			r.UserName, r.UserID, r.ARN = a.Name, a.UniqueID, a.ARN
			out = append(out, r)
		case "user":
			r.UserName = a.User
			if rs.Type == "aws_iam_access_key" {
				r.AccessKeyID = a.ID
			}
			out = append(out, r)
		case "users":
			for _, u := range a.Users {
				r.UserName = u
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// flatAttrs reads the attributes_flat form of old provider schemas, where a
// list is users.# and users.0, users.1, ...
func flatAttrs(m map[string]string) userAttrs {
	a := userAttrs{Name: m["name"], UniqueID: m["unique_id"], ARN: m["arn"], User: m["user"], ID: m["id"]}
	if n, err := strconv.Atoi(m["users.#"]); err == nil {
		for i := range n {
			if u, ok := m["users."+strconv.Itoa(i)]; ok {
				a.Users = append(a.Users, u)
			}
		}
	}
	for k, v := range m {
		// Sets are keyed by hash, not index: users.1234567 = "dave".
		if rest, ok := strings.CutPrefix(k, "users."); ok && rest != "#" {
			if _, err := strconv.Atoi(rest); err == nil && !slices.Contains(a.Users, v) {
				a.Users = append(a.Users, v)
			}
		}
	}
	slices.Sort(a.Users)
	return a
}
