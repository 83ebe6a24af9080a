package findings

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dormant-iam/dormant/tables"
)

// BenchmarkClassify100k classifies 100k users against 300k activity rows.
func BenchmarkClassify100k(b *testing.B) {
	users, activity, coverage, refs := synthetic(100_000, 300_000, 42)
	opts := DefaultOptions(asOf)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := Classify(users, activity, coverage, refs, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(f) != len(users) {
			b.Fatalf("got %d findings", len(f))
		}
	}
	b.ReportMetric(float64(len(users))*float64(b.N)/b.Elapsed().Seconds(), "users/s")
}

// BenchmarkJoin100k is the findings stage's join: the four input tables as
// Arrow record batches in, the findings table out (decoding, classifying
// and encoding), for 100k users and 300k activity rows.
func BenchmarkJoin100k(b *testing.B) {
	users, activity, coverage, refs := synthetic(100_000, 300_000, 42)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	encode := func(rec arrow.RecordBatch, err error) arrow.RecordBatch {
		if err != nil {
			b.Fatal(err)
		}
		return rec
	}
	u := encode(tables.Encode(mem, users))
	defer u.Release()
	a := encode(tables.Encode(mem, activity))
	defer a.Release()
	c := encode(tables.Encode(mem, coverage))
	defer c.Release()
	r := encode(tables.Encode(mem, refs))
	defer r.Release()
	opts := DefaultOptions(asOf)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, err := Join(mem, u, a, c, r, opts)
		if err != nil {
			b.Fatal(err)
		}
		if out.NumRows() != int64(len(users)) {
			b.Fatalf("got %d findings", out.NumRows())
		}
		out.Release()
	}
	b.ReportMetric(float64(len(users))*float64(b.N)/b.Elapsed().Seconds(), "users/s")
}
