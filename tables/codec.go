package tables

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Schema returns the Arrow schema of row type T (one of this package's row
// structs), derived from its `arrow` tags.
func Schema[T any]() *arrow.Schema { panic("being written") }

// Encode builds one record batch from rows. The caller releases it.
func Encode[T any](mem memory.Allocator, rows []T) (arrow.RecordBatch, error) {
	panic("being written")
}

// Decode reads every row of rec back into T values.
func Decode[T any](rec arrow.RecordBatch) ([]T, error) { panic("being written") }

// WriteParquet writes rows to path as Parquet (zstd), atomically.
func WriteParquet[T any](path string, rows []T) error { panic("being written") }

// ReadParquet reads a file WriteParquet wrote.
func ReadParquet[T any](path string) ([]T, error) { panic("being written") }
