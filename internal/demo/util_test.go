package demo

import (
	"testing"
	"time"
)

// The hand-written formatters must agree with the time package, which they
// replace on the hot path.
func TestAppendTimeFormatsMatchTimePackage(t *testing.T) {
	for _, sec := range []int64{
		0, 43199, 43200, 86399, 3600, 46800, // midnight, noon, 1 AM, 1 PM
		951782400,  // 2000-02-29
		1798761599, // 2026-12-31T23:59:59Z
		1800000000, 4102444800, -1, -86401,
	} {
		tm := time.Unix(sec, 0).UTC()
		if got, want := string(appendExpiration(nil, sec)), tm.Format("Jan 2, 2006, 3:04:05 PM"); got != want {
			t.Errorf("appendExpiration(%d) = %q, want %q", sec, got, want)
		}
		if got, want := string(appendTimeZ(nil, sec)), tm.Format(layoutCLI); got != want {
			t.Errorf("appendTimeZ(%d) = %q, want %q", sec, got, want)
		}
	}
}
