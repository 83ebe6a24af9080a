// Package pipeline is the staged run: it turns a Config into a run directory
// (the evidence bundle) by running the stages in order — inventory, references,
// activity, findings, reports — each reading the previous stages' tables and
// writing its own. The run is built in a staging directory next to --out and
// moved into place only when every stage succeeded, so a failed run never
// leaves half a report behind.
package pipeline
