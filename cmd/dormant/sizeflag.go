package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dormant-iam/dormant/pipeline/activity/local"
)

// minLogFileSize is the smallest --max-log-file-size taken: below it, the
// bound would refuse CloudTrail's own log files.
const minLogFileSize = 1 << 20

// sizeFlag is a byte size: a number of bytes, or with a KiB, MiB or GiB
// suffix (1GiB).
type sizeFlag int64

func (s *sizeFlag) String() string { return formatSize(int64(*s)) }
func (s *sizeFlag) Type() string   { return "size" }

func (s *sizeFlag) Set(v string) error {
	num, unit := v, int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(v, u.suffix) {
			num, unit = strings.TrimSuffix(v, u.suffix), u.n
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/unit {
		return fmt.Errorf("%q is not a size: write a number of bytes, or e.g. 512MiB or 2GiB", v)
	}
	if n*unit < minLogFileSize {
		return fmt.Errorf("%s is below %s: it would refuse CloudTrail's own log files (the default is %s)",
			v, formatSize(minLogFileSize), formatSize(local.DefaultMaxLogFileSize))
	}
	*s = sizeFlag(n * unit)
	return nil
}

func formatSize(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n, 10)
}
