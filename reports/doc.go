// Package reports turns a run's findings into the files people receive: the
// auditor's workbook (reports/dormant-report.xlsx), the CSV for machines
// (reports/findings.csv) and the remediation manifest
// (reports/remediation-manifest.json, built by subpackage manifest). One
// Writer per format, all fed the same Input, all written atomically under
// the run directory by WriteAll. Subpackage evidence seals the run
// directory with SHA256SUMS.
//
// Writers are deterministic: the same Input gives the same bytes, so
// `dormant verify` can recompute a report and compare it with the stored one.
package reports
