// Package pipeline is the staged run: it turns a Config into a run directory
// (the evidence bundle). The run is built in a staging directory next to
// --out and moved into place only when every stage succeeded, so a failed run
// never leaves half a report behind.
//
// Run reads as its numbered steps. Each stage is a function of the earlier
// stages' outputs that returns its own (inventory -> trails -> activity ->
// references -> findings -> reports): runInventory in stage_inventory.go,
// runTrails in trails.go, runActivity in stage_activity.go, runReferences in
// stage_references.go, runFindings in stage_findings.go, and the reports
// through reportInput in stage_reports.go. No struct is shared between
// stages: a stage's output type (inventoryOutput, ...) carries what later
// stages read, and its recordTo method writes its part of run.json. The
// generic step in run.go wraps every stage with the same bookkeeping:
// numbering, timing, the stage's record and, for a stage with a fingerprint
// (resume.go), --resume's reuse of the previous run's outputs through the
// stage's load function. Verify (verify.go) recomputes a bundle with the same
// functions: policyReferences, trailRow, classify (the findings join) and
// reportInput.
//
// Extension points, each one file plus its test and its fake:
//   - an activity engine: an engine_<name>.go here whose init calls
//     registerEngine (name, constructor, fingerprint, SQL dialect,
//     validation); config, flags and the Method sheet list the registry;
//   - a reference check: a file in pipeline/references/live whose init calls
//     register (the check's name, its place in reports' lists, its
//     constructor); the name constant goes beside the others in
//     pipeline/references;
//   - a report format: a file in reports whose init calls reports.Register
//     with its Writer;
//   - a classification rule: pipeline/findings (classify.go).
//
// The run's vocabulary (run.json's types, the allowlist entry, unchecked
// resources and orphaned IDs) lives once, in package record; the reports
// embed the run record.
package pipeline
