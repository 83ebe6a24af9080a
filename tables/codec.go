package tables

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/dormant-iam/dormant/internal/atomicfile"
)

// The codec maps row structs to Arrow by reflection over their `arrow` tags,
// so a column added to a row type appears in every table, Parquet file and
// reader without hand-written builders to keep in step.

type kind int

const (
	kString kind = iota
	kBool
	kInt64
	kFloat64
	kTime
	kList
	kStruct
)

type plan struct {
	name   string
	index  int // field index in the Go struct
	kind   kind
	dtype  arrow.DataType
	elem   *plan  // kList
	fields []plan // kStruct
	// added: the column came after files were written without it (tag
	// option ",added"); such a file decodes with the zero value, so that
	// earlier runs' tables stay readable.
	added bool
}

var timeType = reflect.TypeOf(time.Time{})

// timestampType is microseconds in UTC: what Parquet, DuckDB and Athena agree on.
var timestampType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

var plans sync.Map // reflect.Type -> []plan

func structPlan(t reflect.Type) ([]plan, error) {
	if p, ok := plans.Load(t); ok {
		return p.([]plan), nil
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("tables: %s is not a struct", t)
	}
	var out []plan
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opt, _ := strings.Cut(f.Tag.Get("arrow"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		p, err := typePlan(f.Type)
		if err != nil {
			return nil, fmt.Errorf("tables: field %s.%s: %w", t.Name(), f.Name, err)
		}
		p.name, p.index, p.added = name, i, opt == "added"
		out = append(out, p)
	}
	plans.Store(t, out)
	return out, nil
}

func typePlan(t reflect.Type) (plan, error) {
	switch {
	case t == timeType:
		return plan{kind: kTime, dtype: timestampType}, nil
	case t.Kind() == reflect.String:
		return plan{kind: kString, dtype: arrow.BinaryTypes.String}, nil
	case t.Kind() == reflect.Bool:
		return plan{kind: kBool, dtype: arrow.FixedWidthTypes.Boolean}, nil
	case t.Kind() == reflect.Int64:
		return plan{kind: kInt64, dtype: arrow.PrimitiveTypes.Int64}, nil
	case t.Kind() == reflect.Float64:
		return plan{kind: kFloat64, dtype: arrow.PrimitiveTypes.Float64}, nil
	case t.Kind() == reflect.Slice:
		e, err := typePlan(t.Elem())
		if err != nil {
			return plan{}, err
		}
		return plan{kind: kList, dtype: arrow.ListOf(e.dtype), elem: &e}, nil
	case t.Kind() == reflect.Struct:
		fs, err := structPlan(t)
		if err != nil {
			return plan{}, err
		}
		fields := make([]arrow.Field, len(fs))
		for i, f := range fs {
			fields[i] = arrow.Field{Name: f.name, Type: f.dtype, Nullable: true}
		}
		return plan{kind: kStruct, dtype: arrow.StructOf(fields...), fields: fs}, nil
	}
	return plan{}, fmt.Errorf("unsupported type %s", t)
}

func schemaOf(t reflect.Type) (*arrow.Schema, []plan, error) {
	ps, err := structPlan(t)
	if err != nil {
		return nil, nil, err
	}
	fields := make([]arrow.Field, len(ps))
	for i, p := range ps {
		fields[i] = arrow.Field{Name: p.name, Type: p.dtype, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), ps, nil
}

// Schema returns the Arrow schema of row type T (one of this package's row
// structs), derived from its `arrow` tags.
func Schema[T any]() *arrow.Schema {
	s, _, err := schemaOf(reflect.TypeFor[T]())
	if err != nil {
		// Row types are fixed at compile time; a bad one is a programming error
		// that every test of this package would already show.
		panic(err)
	}
	return s
}

// Encode builds one record batch from rows. The caller releases it.
func Encode[T any](mem memory.Allocator, rows []T) (arrow.RecordBatch, error) {
	schema, ps, err := schemaOf(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Reserve(len(rows))
	for j := range ps {
		// Reserving a string column's bytes up front spares the builder's doubling copies.
		if ps[j].kind == kString {
			total := 0
			for i := range rows {
				total += reflect.ValueOf(&rows[i]).Elem().Field(ps[j].index).Len()
			}
			b.Field(j).(*array.StringBuilder).ReserveData(total)
		}
	}
	for i := range rows {
		v := reflect.ValueOf(&rows[i]).Elem()
		for j := range ps {
			appendValue(b.Field(j), v.Field(ps[j].index), &ps[j])
		}
	}
	return b.NewRecordBatch(), nil
}

func appendValue(b array.Builder, v reflect.Value, p *plan) {
	switch p.kind {
	case kString:
		b.(*array.StringBuilder).Append(v.String())
	case kBool:
		b.(*array.BooleanBuilder).Append(v.Bool())
	case kInt64:
		b.(*array.Int64Builder).Append(v.Int())
	case kFloat64:
		b.(*array.Float64Builder).Append(v.Float())
	case kTime:
		// Through its address, because Interface on a time.Time value copies it to the heap.
		t := v.Addr().Interface().(*time.Time)
		if t.IsZero() {
			b.AppendNull()
			return
		}
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
	case kList:
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder()
		for i := 0; i < v.Len(); i++ {
			appendValue(vb, v.Index(i), p.elem)
		}
	case kStruct:
		sb := b.(*array.StructBuilder)
		sb.Append(true)
		for j := range p.fields {
			appendValue(sb.FieldBuilder(j), v.Field(p.fields[j].index), &p.fields[j])
		}
	}
}

// Decode reads every row of rec back into T values. Columns are found by name,
// so a table written by an older build with extra or reordered columns still
// reads; a missing column is an error naming it. Strings share the record's
// buffers, as array.String.Value gives them.
func Decode[T any](rec arrow.RecordBatch) ([]T, error) {
	out := make([]T, 0, rec.NumRows())
	return decodeInto(out, rec)
}

func decodeInto[T any](out []T, rec arrow.RecordBatch) ([]T, error) {
	_, ps, err := schemaOf(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, len(ps))
	for j, p := range ps {
		idx := rec.Schema().FieldIndices(p.name)
		if len(idx) == 0 && p.added {
			continue // written before the column existed: zero values
		}
		if len(idx) == 0 {
			return nil, fmt.Errorf("decoding %s table: column %q is missing", reflect.TypeFor[T]().Name(), p.name)
		}
		col := rec.Column(idx[0])
		if !arrow.TypeEqual(col.DataType(), p.dtype) {
			return nil, fmt.Errorf("decoding %s table: column %q has type %s, want %s", reflect.TypeFor[T]().Name(), p.name, col.DataType(), p.dtype)
		}
		cols[j] = col
	}
	n := int(rec.NumRows())
	first := len(out)
	out = slices.Grow(out, n)[:first+n]
	clear(out[first:])
	for i := range n {
		v := reflect.ValueOf(&out[first+i]).Elem()
		for j := range ps {
			if cols[j] != nil {
				readValue(cols[j], i, v.Field(ps[j].index), &ps[j])
			}
		}
	}
	return out, nil
}

func readValue(a arrow.Array, i int, dst reflect.Value, p *plan) {
	if a.IsNull(i) {
		return // zero value
	}
	switch p.kind {
	case kString:
		dst.SetString(a.(*array.String).Value(i))
	case kBool:
		dst.SetBool(a.(*array.Boolean).Value(i))
	case kInt64:
		dst.SetInt(a.(*array.Int64).Value(i))
	case kFloat64:
		dst.SetFloat(a.(*array.Float64).Value(i))
	case kTime:
		us := int64(a.(*array.Timestamp).Value(i))
		*dst.Addr().Interface().(*time.Time) = time.UnixMicro(us).UTC()
	case kList:
		l := a.(*array.List)
		start, end := l.ValueOffsets(i)
		n := int(end - start)
		s := reflect.MakeSlice(dst.Type(), n, n)
		vals := l.ListValues()
		for k := 0; k < n; k++ {
			readValue(vals, int(start)+k, s.Index(k), p.elem)
		}
		dst.Set(s)
	case kStruct:
		st := a.(*array.Struct)
		for j := range p.fields {
			readValue(st.Field(j), i, dst.Field(p.fields[j].index), &p.fields[j])
		}
	}
}

// batchRows bounds the memory of one record batch when writing Parquet.
const batchRows = 64 << 10

// WriteParquet writes rows to path as Parquet (zstd), atomically.
func WriteParquet[T any](path string, rows []T) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		return EncodeParquet(w, rows)
	})
}

// EncodeParquet writes rows as a Parquet file to w.
func EncodeParquet[T any](w io.Writer, rows []T) error {
	mem := memory.NewGoAllocator()
	fw, err := newParquetWriter(w, Schema[T]())
	if err != nil {
		return err
	}
	for start := 0; start < len(rows) || start == 0; start += batchRows {
		end := min(start+batchRows, len(rows))
		rec, err := Encode(mem, rows[start:end])
		if err != nil {
			fw.Close()
			return err
		}
		err = fw.Write(rec)
		rec.Release()
		if err != nil {
			fw.Close()
			return fmt.Errorf("writing parquet rows: %w", err)
		}
		if end == len(rows) {
			break
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("closing parquet writer: %w", err)
	}
	return nil
}

func newParquetWriter(w io.Writer, schema *arrow.Schema) (*pqarrow.FileWriter, error) {
	// No dictionary pages: the columns are mostly distinct IDs, names and times, which zstd alone compresses smaller and faster.
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithDictionaryDefault(false),
	)
	fw, err := pqarrow.NewFileWriter(schema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return nil, fmt.Errorf("creating parquet writer: %w", err)
	}
	return fw, nil
}

// WriteRecordParquet is WriteParquet for a table already encoded (by
// Encode[T]): the same file, without decoding and re-encoding the rows.
func WriteRecordParquet(path string, rec arrow.RecordBatch) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		return EncodeRecordParquet(w, rec)
	})
}

// EncodeRecordParquet writes rec as a Parquet file to w, in row groups of
// the same size EncodeParquet uses, so the bytes are the same.
func EncodeRecordParquet(w io.Writer, rec arrow.RecordBatch) error {
	fw, err := newParquetWriter(w, rec.Schema())
	if err != nil {
		return err
	}
	n := rec.NumRows()
	for start := int64(0); start < n || start == 0; start += batchRows {
		end := min(start+batchRows, n)
		part := rec.NewSlice(start, end)
		err := fw.Write(part)
		part.Release()
		if err != nil {
			fw.Close()
			return fmt.Errorf("writing parquet rows: %w", err)
		}
		if end == n {
			break
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("closing parquet writer: %w", err)
	}
	return nil
}

// ReadParquet reads a file WriteParquet wrote.
func ReadParquet[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening table %s: %w", path, err)
	}
	defer f.Close()
	rows, err := DecodeParquet[T](f)
	if err != nil {
		return nil, fmt.Errorf("reading table %s: %w", path, err)
	}
	return rows, nil
}

// DecodeParquet reads a Parquet file written by EncodeParquet.
func DecodeParquet[T any](r parquet.ReaderAtSeeker) ([]T, error) {
	pf, err := file.NewParquetReader(r)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	mem := memory.NewGoAllocator()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchRows}, mem)
	if err != nil {
		return nil, err
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	out := make([]T, 0, pf.NumRows())
	for rr.Next() {
		if out, err = decodeInto(out, rr.RecordBatch()); err != nil {
			return nil, err
		}
	}
	if err := rr.Err(); err != nil && err != io.EOF {
		return nil, err
	}
	return out, nil
}
