package findings

import (
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dormant-iam/dormant/tables"
)

// Join is Classify over the stage tables: users (inventory), activity,
// coverage and references as Arrow record batches. A nil batch is an empty
// table (e.g. no reference check ran). It returns the findings table as one
// record batch, allocated from mem, which the caller releases.
func Join(mem memory.Allocator, users, activity, coverage, refs arrow.RecordBatch, opts Options) (arrow.RecordBatch, error) {
	_, rec, err := JoinRows(mem, users, activity, coverage, refs, opts)
	return rec, err
}

// JoinRows is Join that also returns the findings as the rows the table was
// encoded from, for a caller that reads them next (the reports) and would
// otherwise decode the table it just got.
func JoinRows(mem memory.Allocator, users, activity, coverage, refs arrow.RecordBatch, opts Options) ([]tables.Finding, arrow.RecordBatch, error) {
	// The inputs are decoded concurrently, the users (the largest) apart.
	var u []tables.User
	var uerr error
	var wg sync.WaitGroup
	wg.Go(func() { u, uerr = decode[tables.User](users, "inventory") })
	a, aerr := decode[tables.Activity](activity, "activity")
	c, cerr := decode[tables.Coverage](coverage, "coverage")
	r, rerr := decode[tables.Reference](refs, "references")
	wg.Wait()
	if err := errors.Join(uerr, aerr, cerr, rerr); err != nil {
		return nil, nil, err
	}
	f, err := Classify(u, a, c, r, opts)
	if err != nil {
		return nil, nil, err
	}
	rec, err := tables.Encode(mem, f)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding findings table: %w", err)
	}
	return f, rec, nil
}

func decode[T any](rec arrow.RecordBatch, name string) ([]T, error) {
	if rec == nil {
		return nil, nil
	}
	rows, err := tables.Decode[T](rec)
	if err != nil {
		return nil, fmt.Errorf("reading the %s table: %w", name, err)
	}
	return rows, nil
}
