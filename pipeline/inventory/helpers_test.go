package inventory

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

var update = flag.Bool("update", false, "regenerate derived fixtures and golden files under testdata/")

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeFixture writes a derived fixture or golden file (only with -update).
func writeFixture(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := atomicfile.WriteBytes(filepath.Join("testdata", name), data); err != nil {
		t.Fatal(err)
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// reportCSV builds a credential report with the 22 current columns; each row
// is a base row (a user with nothing) with the given columns overridden.
func reportCSV(rows ...map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(CredentialReportColumns, ","))
	for _, over := range rows {
		b.WriteByte('\n')
		for i, c := range CredentialReportColumns {
			if i > 0 {
				b.WriteByte(',')
			}
			v, ok := over[c]
			if !ok {
				v = baseRow[c]
			}
			b.WriteString(v)
		}
	}
	return b.Bytes()
}

var baseRow = map[string]string{
	colUser: "zed", colARN: "arn:aws:iam::111111111111:user/zed", colUserCreationTime: "2020-01-01T00:00:00+00:00",
	colPasswordEnabled: "false", colPasswordLastUsed: "N/A", colPasswordLastChanged: "N/A", colPasswordNextRotate: "N/A",
	colMFAActive: "false", colKey1Active: "false", colKey1LastRotated: "N/A", colKey1LastUsedDate: "N/A",
	colKey1LastUsedRegion: "N/A", colKey1LastUsedService: "N/A", colKey2Active: "false", colKey2LastRotated: "N/A",
	colKey2LastUsedDate: "N/A", colKey2LastUsedRegion: "N/A", colKey2LastUsedService: "N/A",
	colCert1Active: "false", colCert1LastRotated: "N/A", colCert2Active: "false", colCert2LastRotated: "N/A",
}

// checkInputError checks that err is an InputError whose text holds every want.
func checkInputError(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", want)
	}
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Errorf("error %T is not an *InputError: %v", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not mention %q", err, w)
		}
	}
}
