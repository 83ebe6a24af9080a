package tables

import (
	"reflect"
	"testing"
	"time"
)

func TestCoverageSpans(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cells := []Coverage{
		{AccountID: "1", Region: "eu-west-1", Hour: at("2026-10-01T00:00:00Z"), Events: 2}, // no usable eventTime
		{AccountID: "1", Region: "eu-west-1", Hour: at("2026-10-01T09:00:00Z"), FirstEvent: at("2026-10-01T09:05:00Z"), LastEvent: at("2026-10-01T09:50:00Z"), Events: 3},
		{AccountID: "1", Region: "eu-west-1", Hour: at("2026-10-02T13:00:00Z"), FirstEvent: at("2026-10-02T13:01:00Z"), LastEvent: at("2026-10-02T13:02:00Z"), Events: 1},
		{AccountID: "1", Region: "us-east-1", Hour: at("2026-10-01T10:00:00Z"), FirstEvent: at("2026-10-01T10:00:00Z"), LastEvent: at("2026-10-01T10:00:00Z"), Events: 1},
	}
	want := []Coverage{
		{AccountID: "1", Region: "eu-west-1", FirstEvent: at("2026-10-01T09:05:00Z"), LastEvent: at("2026-10-02T13:02:00Z"), Events: 6},
		{AccountID: "1", Region: "us-east-1", FirstEvent: at("2026-10-01T10:00:00Z"), LastEvent: at("2026-10-01T10:00:00Z"), Events: 1},
	}
	if got := CoverageSpans(cells); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
