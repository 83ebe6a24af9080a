package references_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dormant-iam/dormant/pipeline/references"
	// The live checks register their names: Select knows every check.
	_ "github.com/dormant-iam/dormant/pipeline/references/live"
	"github.com/dormant-iam/dormant/tables"
)

// namedChecker is a checker that finds nothing, for Select.
type namedChecker struct{ name string }

func (s namedChecker) Name() string { return s.name }

func (namedChecker) Check(context.Context, []tables.User) ([]tables.Reference, []references.Unchecked, error) {
	return nil, nil, nil
}

func TestSelect(t *testing.T) {
	available := []references.Checker{namedChecker{name: references.CheckS3}, references.PolicyChecker{}}
	tests := []struct {
		names        []string
		want         []string
		wantMissing  []string
		wantErrorHas string
	}{
		{names: nil, want: []string{references.CheckIAM, references.CheckS3}},
		{names: []string{"kms", " IAM "}, want: []string{references.CheckIAM}, wantMissing: []string{references.CheckKMS}},
		{names: []string{"iam", "s3", "tagging"}, want: []string{references.CheckIAM, references.CheckS3}, wantMissing: []string{references.CheckTagging}},
		{names: []string{"iam", "dynamodb"}, wantErrorHas: `unknown check "dynamodb"; choose from iam, s3, kms`},
	}
	for _, tt := range tests {
		selected, missing, err := references.Select(available, tt.names)
		if tt.wantErrorHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErrorHas) {
				t.Errorf("Select(%q): err = %v, want one containing %q", tt.names, err, tt.wantErrorHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", tt.names, err)
			continue
		}
		var got []string
		for _, c := range selected {
			got = append(got, c.Name())
		}
		if !slices.Equal(got, tt.want) || !slices.Equal(missing, tt.wantMissing) {
			t.Errorf("Select(%q) = %v missing %v, want %v missing %v", tt.names, got, missing, tt.want, tt.wantMissing)
		}
	}
}
