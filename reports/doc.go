// Package reports turns a run's findings into the files people receive: the
// auditor's workbook (reports/dormant-report.xlsx), the CSV for machines
// (reports/findings.csv) and the remediation manifest
// (reports/remediation-manifest.json, built by subpackage manifest). One
// Writer per format, all fed the same Input, all written atomically under
// the run directory by WriteAll. Subpackage evidence seals the run
// directory with SHA256SUMS; subpackage review reads a reviewer's decisions
// back from the workbook into a new, re-signed manifest.
//
// The workbook has a Summary (scope, freshness, counts, controls, charts),
// Findings (one row per user, with the reviewer's columns and the IAM.22 and
// IAM.8 control results), Unused keys, Exceptions, References, Unchecked,
// Coverage, Evidence and Method sheets. Its list sheets are streamed, so a
// 100,000-user workbook is written in bounded memory.
//
// Writers are deterministic: the same Input gives the same bytes, so
// `dormant verify` can recompute a report and compare it with the stored one.
// For workbooks, ReadWorkbook, CompareWorkbooks and CompareWorkbookFiles
// compare content (cell values) rather than bytes, naming each differing
// sheet and cell.
package reports
