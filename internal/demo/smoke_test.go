package demo

import (
	"context"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	opts := DefaultOptions()
	opts.AsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	dir := "/tmp/demosmoke/out"
	out, err := Generate(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("events %d files %d raw %d", out.Events, out.LogFiles, out.RawBytes)
}
