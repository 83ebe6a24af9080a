// Package corpus holds no code: its tests read the real-export corpus under
// testdata/corpus (credential reports, authorization details and CloudTrail
// records taken from public repositories, kept as found; see
// testdata/corpus/PROVENANCE.md) and state what AWS's semantics say dormant
// must make of each one.
package corpus
