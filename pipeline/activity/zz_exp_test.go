package activity

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestExpMany(t *testing.T) {
	eng := NewLocal(os.Getenv("TRAIL"), WithLogger(quiet()))
	q := Query{Start: ts("2026-10-01T00:00:00Z"), End: ts("2026-10-02T00:00:00Z")}
	plan, err := eng.Plan(context.Background(), q)
	if err != nil { t.Fatal(err) }
	db, _ := sql.Open("duckdb", "?threads=2")
	defer db.Close()
	full := plan.SQL
	i := strings.Index(full, "),\n\nevents AS")
	head := full[:i+1]
	for n, s := range []string{
		"EXPLAIN " + full,
		head + "\nSELECT count(*) FROM records",
		strings.Replace(head, "maximum_object_size = 16777216", "maximum_object_size = 65536", 1) + "\nSELECT count(*) FROM records",
		full,
	} {
		t0 := time.Now()
		rows, err := db.Query(s)
		if err != nil { t.Fatal(err) }
		for rows.Next() {}
		rows.Close()
		fmt.Println("variant", n, time.Since(t0))
	}
}
