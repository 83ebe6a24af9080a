package findings

import (
	"fmt"

	"github.com/dormant-iam/dormant/tables"
)

// removeInIaC turns a removal of a user that infrastructure as code manages
// (an ownership reference: a Terraform resource or a CloudFormation stack)
// into remove-in-iac: deleting it through IAM would only create drift, as
// Terraform re-creates it with a new unique ID and a stack fails its next
// update. Only a delete or deactivate becomes remove-in-iac; any other
// decision stays, with the ownership added to its reasons for the reader.
func (c *classifier) removeInIaC(u *tables.User, f *tables.Finding) {
	var owners []string
	for _, r := range c.refsFor(u) {
		if change, ok := r.IaCChange(); ok {
			owners = append(owners, fmt.Sprintf("%s %s: %s", r.Kind, r.Location, change))
		}
	}
	if len(owners) == 0 || u.IsRoot {
		return
	}
	switch f.Decision {
	case tables.DecisionDelete, tables.DecisionDeactivate:
		f.Reasons = append(f.Reasons, fmt.Sprintf("managed by infrastructure as code: remove it in code, never through IAM (the %s would only create drift)", f.Decision))
		f.Decision = tables.DecisionRemoveInIaC
	default:
		f.Reasons = append(f.Reasons, "managed by infrastructure as code:")
	}
	f.Reasons = append(f.Reasons, owners...)
}

// isOwnership reports whether a reference says that infrastructure as code
// manages the user rather than that some text names it: removeInIaC reads
// those, the review reasons the others.
func isOwnership(r tables.Reference) bool {
	_, ok := r.IaCChange()
	return ok
}
