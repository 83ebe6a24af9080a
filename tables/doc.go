// Package tables holds the row types every stage speaks and the Arrow codec that
// turns them into Arrow record batches and Parquet files (zstd) under the run
// directory's tables/. Stages exchange data only through these tables, so the
// schemas here are the contract between inventory, activity, findings and
// reports. Column names follow the `arrow` struct tags; times are UTC
// timestamps in microseconds, and a zero time is stored as null.
package tables
