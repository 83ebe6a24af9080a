package tables

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func sampleUsers() []User {
	t0 := time.Date(2026, 5, 1, 12, 30, 0, 123000, time.UTC)
	return []User{
		{
			AccountID: "111111111111", UserName: "alice", UserID: "AIDAAAAAAAAAAAAAAAAAA",
			ARN: "arn:aws:iam::111111111111:user/ops/alice", Path: "/ops/", CreateDate: t0,
			PasswordEnabled: true, PasswordLastUsed: t0.Add(time.Hour), PasswordState: PasswordUsed,
			Key1Active: true, Key1LastRotated: t0, Key1LastUsedRegion: "us-east-1",
			Groups: []string{"admins", "dev"}, Tags: []Tag{{Key: "dormant:exempt", Value: "true"}, {Key: "team", Value: ""}},
			InCredentialReport: true,
		},
		{AccountID: "111111111111", UserName: RootUserName, IsRoot: true, Groups: []string{}},
		{AccountID: "222222222222", UserName: "bob"},
	}
}

// normalize makes nil and empty slices compare equal: Arrow has no nil list.
func normalize[T any](rows []T) []T {
	for i := range rows {
		v := reflect.ValueOf(&rows[i]).Elem()
		for j := 0; j < v.NumField(); j++ {
			f := v.Field(j)
			if f.Kind() == reflect.Slice && f.Len() == 0 {
				f.Set(reflect.Zero(f.Type()))
			}
		}
	}
	return rows
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	in := sampleUsers()
	rec, err := Encode(mem, in)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.NumRows() != 3 || int(rec.NumCols()) != len(Schema[User]().Fields()) {
		t.Fatalf("got %d rows %d cols", rec.NumRows(), rec.NumCols())
	}
	if !rec.Column(5).IsNull(1) { // create_date of the root row is zero -> null
		t.Errorf("zero time should be stored as null")
	}
	out, err := Decode[User](rec)
	if err != nil {
		t.Fatal(err)
	}
	want := normalize(sampleUsers())
	// Arrow keeps microseconds.
	want[0].CreateDate = want[0].CreateDate.Truncate(time.Microsecond)
	if !reflect.DeepEqual(normalize(out), want) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", out, want)
	}
}

func TestParquetRoundTripEveryTable(t *testing.T) {
	dir := t.TempDir()
	check := func(name string, rows any, write func(string) error, read func(string) (any, error)) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := write(p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := read(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, rows) {
			t.Fatalf("%s: got %+v want %+v", name, got, rows)
		}
	}
	users := normalize(sampleUsers())
	users[0].CreateDate = users[0].CreateDate.Truncate(time.Microsecond)
	check("inventory.parquet", users,
		func(p string) error { return WriteParquet(p, users) },
		func(p string) (any, error) { r, err := ReadParquet[User](p); return normalize(r), err })
	f := normalize([]Finding{{AccountID: "1", Status: StatusReview, Reasons: []string{"a", "b"}, UnusedKeys: []int64{2}, DaysInactive: -1}})
	check("findings.parquet", f,
		func(p string) error { return WriteParquet(p, f) },
		func(p string) (any, error) { r, err := ReadParquet[Finding](p); return normalize(r), err })
	var empty []Activity
	check("activity.parquet", []Activity{},
		func(p string) error { return WriteParquet(p, empty) },
		func(p string) (any, error) { return ReadParquet[Activity](p) })
}

func TestParquetManyBatches(t *testing.T) {
	rows := make([]Coverage, batchRows*2+17)
	for i := range rows {
		rows[i] = Coverage{AccountID: "111111111111", Events: int64(i)}
	}
	var buf bytes.Buffer
	if err := EncodeParquet(&buf, rows); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeParquet[Coverage](bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) || got[len(got)-1].Events != int64(len(rows)-1) {
		t.Fatalf("got %d rows", len(got))
	}
}

func TestDecodeMissingColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec, err := Encode(mem, []Coverage{{AccountID: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if _, err := Decode[Activity](rec); err == nil {
		t.Fatal("decoding coverage as activity should fail naming a column")
	}
}

// A table already encoded is written as the same Parquet bytes as its rows
// (row groups of batchRows included), empty tables too.
func TestEncodeRecordParquetMatchesRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	many := make([]Coverage, batchRows*2+17)
	for i := range many {
		many[i] = Coverage{AccountID: "111111111111", Region: "eu-west-1", Events: int64(i)}
	}
	for name, rows := range map[string][]Coverage{"empty": {}, "one": many[:1], "many batches": many} {
		t.Run(name, func(t *testing.T) {
			var want, got bytes.Buffer
			if err := EncodeParquet(&want, rows); err != nil {
				t.Fatal(err)
			}
			rec, err := Encode(mem, rows)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			if err := EncodeRecordParquet(&got, rec); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("record and rows give different Parquet files (%d vs %d bytes)", got.Len(), want.Len())
			}
		})
	}
	f := normalize([]Finding{{AccountID: "1", Status: StatusReview, Reasons: []string{"a", "b"}, UnusedKeys: []int64{2}, DaysInactive: -1}})
	rec, err := Encode(mem, f)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	p := filepath.Join(t.TempDir(), "findings.parquet")
	if err := WriteRecordParquet(p, rec); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquet[Finding](p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(got), f) {
		t.Fatalf("got %+v want %+v", got, f)
	}
}
