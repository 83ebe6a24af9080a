// Package findings joins the inventory, activity, coverage and reference
// tables and classifies every IAM user: active, inactive, never_used, new,
// exempt, review, or root, with a decision (delete, deactivate, review, keep)
// and the reasons behind it.
//
// The rules are those of the classification spec (DESIGN.md, "Classification"),
// kept here as one pure function, Classify, so that the demo's ground truth, the
// pipeline and `dormant verify` agree byte for byte. Join is the same function
// over the stage tables as Arrow record batches.
//
// Safety leans one way: when evidence is missing or disagrees, a user who would
// otherwise be removed becomes `review`, never a deletion. A removal (a user's,
// or an active user's unused key) needs a credential report of proven freshness
// that lists the user, both inputs given and listing it, no gap
// the inputs left, and an identity the manifest can carry (manifest.CheckFinding);
// TestInvariantNoRemovalWithoutProof holds the classifier to that.
package findings
