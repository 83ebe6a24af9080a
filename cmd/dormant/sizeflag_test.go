package main

import "testing"

func TestSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "512MiB": 512 << 20, "2048KiB": 2 << 20, "1048576": 1 << 20} {
		var s sizeFlag
		if err := s.Set(in); err != nil || int64(s) != want {
			t.Errorf("%s: got %d, %v; want %d", in, s, err, want)
		}
	}
	// Out of range or not a size: a usage error, never a silent default.
	for _, in := range []string{"0", "-1", "1KiB", "1000", "1GB", "x", "", "9999999999GiB"} {
		var s sizeFlag
		if err := s.Set(in); err == nil {
			t.Errorf("%q: accepted as %d", in, s)
		}
	}
}
