// Package athena is the activity engine that runs the activity query on
// Amazon Athena, over a table the user defined on the trail's S3 logs: it
// reads the table's partitioning to prune the day folders the window does not
// need (TableLayout), and reads the results from the CSV file Athena writes
// (paging GetQueryResults when that file cannot be read).
package athena
