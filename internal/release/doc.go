// Package release holds no code: its tests check that the files that build
// and ship dormant (go.mod, .goreleaser.yaml, Dockerfile, scripts,
// README) agree with each other, since no Docker engine nor release runs in
// the test suite.
package release
