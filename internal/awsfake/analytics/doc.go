// Package analytics is a test-only AWS endpoint for the activity engines that
// run where the logs are: Amazon Athena and CloudTrail Lake (both JSON 1.1,
// dispatched on X-Amz-Target) and Amazon S3 (github.com/johannesboyne/gofakes3
// with its in-memory backend), all on one httptest server, so real
// aws-sdk-go-v2 clients can be pointed at it with BaseEndpoint.
//
// It is seeded with a folder of CloudTrail log files (AWSLogs/..., as
// `dormant demo` or a fixture writes them). Every file is put in the fake S3
// trail bucket, and the log files (AWSLogs/[o-id/]<account>/CloudTrail/
// <region>/YYYY/MM/DD/*.json[.gz]) are loaded into an in-memory DuckDB, where
// submitted SQL really runs:
//
//   - Athena tables are views named and shaped like AWS's documented
//     CloudTrail DDL: lower-case columns, useridentity a STRUCT with
//     sessioncontext.sessionissuer, eventtime and responseelements VARCHAR
//     (the JSON SerDe's text), the hidden "$path" column (s3://bucket/key of
//     the record's file), and the partition columns of the configured layout
//     (account, region, a projected `timestamp` 'yyyy/MM/dd', or
//     year/month/day), with values taken from the file's folders.
//     GetTableMetadata reports the columns, partition keys and, for projected
//     tables, the projection parameters.
//   - Each day folder of each account and region is its own DuckDB table, and
//     an Athena table is the UNION ALL of its folders with the partition
//     values as constants, so DuckDB prunes the folders a query's partition
//     predicates exclude. DataScannedInBytes is the size of the files of the
//     folders the optimized plan still reads (EXPLAIN): a query that prunes
//     scans, and is billed for, less.
//   - A CloudTrail Lake event data store is a view over every log file with
//     Lake's shapes: eventtime TIMESTAMP (UTC), requestparameters,
//     responseelements and additionaleventdata MAP(VARCHAR, VARCHAR) (a JSON
//     object's members, values as text; a string holding a JSON object is
//     parsed, anything else is NULL), readonly and managementevent BOOLEAN.
//     sessioncontext.attributes.creationdate stays text. BytesScanned is the
//     size of every log file (the fake does not model Lake's storage).
//
// Trino functions DuckDB lacks, or names differently, are defined as DuckDB
// macros of the same name, so the SQL the engines send runs unchanged:
//
//	from_iso8601_timestamp(s)  CAST(s AS TIMESTAMPTZ)
//	to_iso8601(t)              strftime(t, '%Y-%m-%dT%H:%M:%S.%gZ')  (UTC session)
//	json_extract_scalar(j, p)  json_extract_string(j, p), NULL for invalid JSON
//	                           or a non-scalar value, as in Trino
//	regexp_like(s, p)          regexp_matches(s, p)
//	array_join(a, sep)         array_to_string(a, sep)
//	element_at(m, k)           map_extract_value(m, k) (DuckDB's returns a list)
//
// The only rewrite of the SQL text is Lake's: FROM <event data store ID>
// (unquoted, hyphens and all, as Lake takes it) becomes the quoted view name;
// an ID the fake does not know answers EventDataStoreNotFoundException.
//
// Athena writes each successful query's result, as Athena does, to
// <OutputLocation><QueryExecutionId>.csv in the fake S3: a header line, every
// value double-quoted (quotes doubled), NULL an empty unquoted field.
// GetQueryResults pages the same rows (header row first on the first page,
// NULL a Datum without VarCharValue); Lake's GetQueryResults pages rows as
// lists of one-key maps in SELECT order.
//
// SetBehavior makes the next queries fail (FAILED with a reason) or stay
// RUNNING until StopQueryExecution or CancelQuery; Calls lists the requests
// the server answered, so tests can see that a cancelled run stopped its
// query.
package analytics
