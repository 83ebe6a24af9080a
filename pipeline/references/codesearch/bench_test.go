package codesearch

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkSearchTree searches the tree bench/searchbench generates; set
// SEARCHBENCH_DIR to its folder.
func BenchmarkSearchTree(b *testing.B) {
	dir := os.Getenv("SEARCHBENCH_DIR")
	if dir == "" {
		b.Skip("SEARCHBENCH_DIR is not set; run bench/searchbench gen first")
	}
	cj, err := os.ReadFile(dir + "/candidates.json")
	if err != nil {
		b.Fatal(err)
	}
	var cands []Candidate
	if err := json.Unmarshal(cj, &cands); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		st, err := Search(context.Background(), []string{dir + "/tree"}, cands, Options{MaxFileSize: DefaultMaxFileSize}, func(Hit) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(st.Bytes)
	}
}

func BenchmarkCompile(b *testing.B) {
	dir := os.Getenv("SEARCHBENCH_DIR")
	if dir == "" {
		b.Skip("SEARCHBENCH_DIR is not set")
	}
	cj, _ := os.ReadFile(dir + "/candidates.json")
	var cands []Candidate
	json.Unmarshal(cj, &cands)
	for b.Loop() {
		if _, err := compile(cands); err != nil {
			b.Fatal(err)
		}
	}
}
