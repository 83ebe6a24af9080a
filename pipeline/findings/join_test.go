package findings

import (
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dormant-iam/dormant/tables"
)

func encode[T any](t *testing.T, mem memory.Allocator, rows []T) arrow.RecordBatch {
	t.Helper()
	rec, err := tables.Encode(mem, rows)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestJoin(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	users, activity, coverage, refs := synthetic(300, 900, 11)
	opts := DefaultOptions(asOf)

	ur, ar, cr, rr := encode(t, mem, users), encode(t, mem, activity), encode(t, mem, coverage), encode(t, mem, refs)
	defer ur.Release()
	defer ar.Release()
	defer cr.Release()
	defer rr.Release()

	rec, err := Join(mem, ur, ar, cr, rr, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.NumRows() != int64(len(users)) {
		t.Fatalf("findings table has %d rows, want %d", rec.NumRows(), len(users))
	}
	if !rec.Schema().Equal(tables.Schema[tables.Finding]()) {
		t.Errorf("findings schema:\n got %s\nwant %s", rec.Schema(), tables.Schema[tables.Finding]())
	}
	got, err := tables.Decode[tables.Finding](rec)
	if err != nil {
		t.Fatal(err)
	}

	// The same classification over rows that went through Arrow: the tables
	// keep microseconds, so compare after the same round trip.
	u2, _ := tables.Decode[tables.User](ur)
	a2, _ := tables.Decode[tables.Activity](ar)
	c2, _ := tables.Decode[tables.Coverage](cr)
	r2, _ := tables.Decode[tables.Reference](rr)
	direct, err := Classify(u2, a2, c2, r2, opts)
	if err != nil {
		t.Fatal(err)
	}
	dr := encode(t, mem, direct)
	defer dr.Release()
	want, err := tables.Decode[tables.Finding](dr)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("finding %d: Join and Classify differ:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
		t.Fatal("Join and Classify differ")
	}
	var reviewed int
	for _, f := range got {
		if f.Status == tables.StatusReview {
			reviewed++
		}
	}
	if reviewed == 0 {
		t.Error("no review finding: the data does not exercise coverage and references through Arrow")
	}
}

func TestJoinNilTables(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	u := baseUser()
	u.PasswordState, u.PasswordLastUsed = tables.PasswordUsed, daysBefore(3)
	ur := encode(t, mem, []tables.User{u})
	defer ur.Release()
	rec, err := Join(mem, ur, nil, nil, nil, DefaultOptions(asOf))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	got, err := tables.Decode[tables.Finding](rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Status != tables.StatusActive {
		t.Errorf("got %+v, want one active finding", got)
	}
}

func TestJoinErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	ur := encode(t, mem, []tables.User{baseUser()})
	defer ur.Release()
	cr := encode(t, mem, fullCoverage())
	defer cr.Release()

	// The coverage table where the activity table belongs.
	rec, err := Join(mem, ur, cr, cr, nil, DefaultOptions(asOf))
	if err == nil {
		rec.Release()
		t.Fatal("no error for a coverage table given as activity")
	}
	if !strings.Contains(err.Error(), "reading the activity table") || !strings.Contains(err.Error(), "principal_id") {
		t.Errorf("error %q should name the table and the missing column", err)
	}

	rec, err = Join(mem, ur, nil, cr, nil, Options{})
	if err == nil {
		rec.Release()
		t.Fatal("no error for invalid options")
	}
}

// The rows JoinRows hands the reports are the rows of the table it returns:
// what `dormant verify` decodes from findings.parquet to regenerate them.
func TestJoinRowsAreTheTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	users, activity, coverage, refs := synthetic(500, 1500, 7)
	ur, ar, cr, rr := encode(t, mem, users), encode(t, mem, activity), encode(t, mem, coverage), encode(t, mem, refs)
	defer ur.Release()
	defer ar.Release()
	defer cr.Release()
	defer rr.Release()
	rows, rec, err := JoinRows(mem, ur, ar, cr, rr, DefaultOptions(asOf))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	decoded, err := tables.Decode[tables.Finding](rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(decoded) {
		t.Fatalf("%d rows, table has %d", len(rows), len(decoded))
	}
	for i := range rows {
		if !reflect.DeepEqual(emptySlices(rows[i]), emptySlices(decoded[i])) {
			t.Fatalf("row %d differs from the table:\n rows  %+v\n table %+v", i, rows[i], decoded[i])
		}
	}
}

// emptySlices makes nil slices empty: a table has no nil lists.
func emptySlices(f tables.Finding) tables.Finding {
	v := reflect.ValueOf(&f).Elem()
	for i := range v.NumField() {
		if fv := v.Field(i); fv.Kind() == reflect.Slice && fv.IsNil() {
			fv.Set(reflect.MakeSlice(fv.Type(), 0, 0))
		}
	}
	return f
}
