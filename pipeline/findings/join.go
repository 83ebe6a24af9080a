package findings

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dormant-iam/dormant/tables"
)

// Join is Classify over the stage tables: users (inventory), activity,
// coverage and references as Arrow record batches. A nil batch is an empty
// table (e.g. no reference check ran). It returns the findings table as one
// record batch, allocated from mem, which the caller releases.
func Join(mem memory.Allocator, users, activity, coverage, refs arrow.RecordBatch, opts Options) (arrow.RecordBatch, error) {
	u, err := decode[tables.User](users, "inventory")
	if err != nil {
		return nil, err
	}
	a, err := decode[tables.Activity](activity, "activity")
	if err != nil {
		return nil, err
	}
	c, err := decode[tables.Coverage](coverage, "coverage")
	if err != nil {
		return nil, err
	}
	r, err := decode[tables.Reference](refs, "references")
	if err != nil {
		return nil, err
	}
	f, err := Classify(u, a, c, r, opts)
	if err != nil {
		return nil, err
	}
	rec, err := tables.Encode(mem, f)
	if err != nil {
		return nil, fmt.Errorf("encoding findings table: %w", err)
	}
	return rec, nil
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
