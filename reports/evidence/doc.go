// Package evidence seals a run directory: SHA256SUMS over every file in it,
// in the exact format GNU `sha256sum` prints, so an auditor can check the
// bundle offline with `sha256sum -c SHA256SUMS` and no copy of dormant, and
// `dormant verify` can name each file that changed, went missing or appeared.
package evidence
