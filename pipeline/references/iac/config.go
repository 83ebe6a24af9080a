package iac

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// DefaultMaxConfigSize bounds one .tf file: hand-written configuration is
// kilobytes; a file past this is generated data, not a declaration to read.
const DefaultMaxConfigSize = 16 << 20

// ReadConfigFile reads the .tf file at path; see ReadConfig.
func ReadConfigFile(path string, limit int64) ([]Resource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading Terraform configuration %s: %w", path, err)
	}
	defer f.Close()
	src, err := readAtMost(f, limit)
	if err != nil {
		return nil, fmt.Errorf("reading Terraform configuration %s: %w", path, err)
	}
	return ReadConfig(path, src)
}

// ReadConfig parses src, the .tf file name, and returns its resource blocks
// of the user types. A syntax error is an error naming the file and line:
// the file cannot be said to declare nothing.
func ReadConfig(name string, src []byte) ([]Resource, error) {
	f, diags := hclparse.NewParser().ParseHCL(src, name)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parsing Terraform configuration %s: %w; fix the file or leave it out of the search", name, diags)
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("parsing Terraform configuration %s: not native HCL syntax", name)
	}
	var out []Resource
	for _, b := range body.Blocks {
		if b.Type != "resource" || len(b.Labels) != 2 {
			continue
		}
		field, ok := userTypes[b.Labels[0]]
		if !ok {
			continue
		}
		r := Resource{
			Kind:    KindTerraformConfig,
			File:    name,
			Line:    b.TypeRange.Start.Line,
			Address: b.Labels[0] + "." + b.Labels[1],
			Type:    b.Labels[0],
		}
		attr, ok := b.Body.Attributes[field]
		if !ok {
			// Without the attribute the block is invalid Terraform; keep it,
			// the user it manages unknown.
			r.NameExpr = "(no " + field + " attribute)"
			out = append(out, r)
			continue
		}
		exprs := []hclsyntax.Expression{attr.Expr}
		if tuple, ok := attr.Expr.(*hclsyntax.TupleConsExpr); ok {
			// Each member of a users list on its own: literals stay known
			// next to references.
			exprs = tuple.Exprs
		}
		for _, e := range exprs {
			names, literal := literalStrings(e)
			if !literal {
				r.UserName, r.NameExpr = "", string(e.Range().SliceBytes(src))
				out = append(out, r)
				continue
			}
			for _, n := range names {
				r.UserName, r.NameExpr = n, ""
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// literalStrings evaluates expr without variables: a string, or a list or
// set of strings, written out in the configuration.
func literalStrings(expr hclsyntax.Expression) ([]string, bool) {
	v, diags := expr.Value(&hcl.EvalContext{})
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return nil, false
	}
	switch {
	case v.Type() == cty.String:
		return []string{v.AsString()}, true
	case v.Type().IsTupleType() || v.Type().IsListType() || v.Type().IsSetType():
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() || e.Type() != cty.String {
				return nil, false
			}
			out = append(out, e.AsString())
		}
		return out, true
	}
	return nil, false
}
