package findings

import "testing"

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
