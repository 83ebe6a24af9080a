// Package pycheck finds a Python with a given module, for the tests that
// cross-check our output with an independent implementation: openpyxl for
// the workbook, jsonschema for the manifest schema. Where none is found the
// test is skipped, unless DORMANT_REQUIRE_PYTHON_CHECKS is set (CI sets it
// after installing Debian's python3-openpyxl and python3-jsonschema), so a
// missing package cannot turn a cross-check into a silent skip there.
package pycheck

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the variable that turns a missing module into a failure.
const RequireEnv = "DORMANT_REQUIRE_PYTHON_CHECKS"

// candidates: the python3 on PATH (maybe a version manager's), then the
// system's, where Debian's python3-* packages install.
var candidates = []string{"python3", "/usr/bin/python3"}

// Find returns the path of a python3 that can import module (debian is the
// Debian package that provides it, for the message), or skips t.
func Find(t testing.TB, module, debian string) string {
	t.Helper()
	for _, py := range candidates {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import "+module).Run() == nil {
			return path
		}
	}
	msg := "no python3 with " + module + " (Debian: " + debian + ")"
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("%s, and %s is set", msg, RequireEnv)
	}
	t.Skip(msg)
	return ""
}
