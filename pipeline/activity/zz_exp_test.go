package activity

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dormant-iam/dormant/queries"
)

func TestExpGen(t *testing.T) {
	dir := os.Getenv("TRAIL")
	if _, err := os.Stat(dir+"/AWSLogs"); err == nil { return }
	n := 200000
	if dir == "/tmp/benchtrail1m" { n = 1000000 }
	tr := generateBenchTrail(t, dir, n)
	fmt.Println(len(tr.files), tr.events, tr.jsonBytes, tr.gzBytes)
}

func TestExp(t *testing.T) {
	eng := NewLocal(os.Getenv("TRAIL"), WithLogger(quiet()))
	q := Query{Start: benchDays[0], End: benchDays[len(benchDays)-1].Add(24*time.Hour - time.Second)}
	plan, err := eng.Plan(context.Background(), q)
	if err != nil { t.Fatal(err) }
	db, _ := sql.Open("duckdb", "?threads=2")
	defer db.Close()
	full := plan.SQL
	i := strings.Index(full, "),\n\nevents AS")
	head := full[:i+1]
	variants := map[string]string{
		"count": head + "\nSELECT count(*) FROM records",
		"full": full,
		"full-explain": "EXPLAIN ANALYZE " + full,
	}
	if v := os.Getenv("EXP"); v != "" {
		for k := range variants { if !strings.Contains(v, k) { delete(variants, k) } }
	}
	_ = queries.Render
	for name, sqlText := range variants {
		start := time.Now()
		rows, err := db.Query(sqlText)
		if err != nil { t.Fatal(err) }
		n := 0
		for rows.Next() { n++ ; if strings.Contains(name, "explain") { var a, b string; rows.Scan(&a, &b); fmt.Println(b) } }
		rows.Close()
		fmt.Printf("%s: %d rows in %s\n", name, n, time.Since(start))
	}
}

func TestExpRun(t *testing.T) {
	eng := NewLocal(os.Getenv("TRAIL"), WithLogger(quiet()))
	q := Query{Start: benchDays[0], End: benchDays[len(benchDays)-1].Add(24*time.Hour - time.Second)}
	for range 2 {
	start := time.Now()
	res, err := eng.Run(context.Background(), q)
	if err != nil { t.Fatal(err) }
	st, _ := os.ReadFile("/proc/self/status")
	hwm := ""
	for _, l := range strings.Split(string(st), "\n") { if strings.HasPrefix(l, "VmHWM") || strings.HasPrefix(l, "VmRSS") { hwm += l + " " } }
	fmt.Printf("run: %d rows in %s (engine %s) %s\n", len(res.Activity), time.Since(start), res.Runs[0].EngineTime, hwm)
	}
}

func dbgHWM(label string) {
	st, _ := os.ReadFile("/proc/self/status")
	hwm := ""
	for _, l := range strings.Split(string(st), "\n") { if strings.HasPrefix(l, "VmHWM") || strings.HasPrefix(l, "VmRSS") { hwm += l + " " } }
	fmt.Println(label, hwm)
}
