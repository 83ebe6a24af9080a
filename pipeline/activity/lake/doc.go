// Package lake is the activity engine that runs the activity query on a
// CloudTrail Lake event data store. An event data store has no digest files,
// so a Lake run's coverage is assumed from its events, never proven
// (LakeDigestNote).
package lake
