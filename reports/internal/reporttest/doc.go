// Package reporttest holds the test fixtures that the reports packages
// share: the run's times and the base finding their sample findings are built
// from, so that the reports and the manifest are tested on the same user.
package reporttest
