package analytics

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Athena's wire shapes (JSON 1.1, member names as in the model).
type (
	athenaResultConfiguration struct {
		OutputLocation string `json:"OutputLocation,omitempty"`
	}
	athenaContext struct {
		Database string `json:"Database,omitempty"`
		Catalog  string `json:"Catalog,omitempty"`
	}
	athenaError struct {
		ErrorCategory int    `json:"ErrorCategory"`
		ErrorType     int    `json:"ErrorType"`
		Retryable     bool   `json:"Retryable"`
		ErrorMessage  string `json:"ErrorMessage"`
	}
	athenaStatus struct {
		State              string       `json:"State"`
		StateChangeReason  string       `json:"StateChangeReason,omitempty"`
		SubmissionDateTime float64      `json:"SubmissionDateTime"`
		CompletionDateTime *float64     `json:"CompletionDateTime,omitempty"`
		AthenaError        *athenaError `json:"AthenaError,omitempty"`
	}
	athenaStatistics struct {
		EngineExecutionTimeInMillis int64 `json:"EngineExecutionTimeInMillis"`
		DataScannedInBytes          int64 `json:"DataScannedInBytes"`
		TotalExecutionTimeInMillis  int64 `json:"TotalExecutionTimeInMillis"`
		QueryQueueTimeInMillis      int64 `json:"QueryQueueTimeInMillis"`
	}
	athenaExecution struct {
		QueryExecutionId      string                    `json:"QueryExecutionId"`
		Query                 string                    `json:"Query"`
		StatementType         string                    `json:"StatementType"`
		ResultConfiguration   athenaResultConfiguration `json:"ResultConfiguration"`
		QueryExecutionContext athenaContext             `json:"QueryExecutionContext"`
		Status                athenaStatus              `json:"Status"`
		Statistics            athenaStatistics          `json:"Statistics"`
		WorkGroup             string                    `json:"WorkGroup"`
	}
	athenaDatum struct {
		VarCharValue *string `json:"VarCharValue,omitempty"`
	}
	athenaRow struct {
		Data []athenaDatum `json:"Data"`
	}
	athenaColumnInfo struct {
		Name          string `json:"Name"`
		Label         string `json:"Label"`
		Type          string `json:"Type"`
		CatalogName   string `json:"CatalogName"`
		SchemaName    string `json:"SchemaName"`
		TableName     string `json:"TableName"`
		Nullable      string `json:"Nullable"`
		CaseSensitive bool   `json:"CaseSensitive"`
		Precision     int    `json:"Precision"`
		Scale         int    `json:"Scale"`
	}
)

// maxPage is the largest page GetQueryResults (both services) returns.
const maxPage = 1000

func (s *Server) athena(action string, body []byte) (any, string, *apiError) {
	switch action {
	case "StartQueryExecution":
		var in struct {
			QueryString           string
			ClientRequestToken    string
			QueryExecutionContext athenaContext
			ResultConfiguration   athenaResultConfiguration
			WorkGroup             string
		}
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		id, err := s.startAthena(in.QueryString, in.ClientRequestToken, in.QueryExecutionContext, in.ResultConfiguration.OutputLocation, in.WorkGroup)
		return map[string]string{"QueryExecutionId": id}, id, err

	case "GetQueryExecution":
		var in struct{ QueryExecutionId string }
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		e, aerr := s.athenaQuery(in.QueryExecutionId)
		if aerr != nil {
			return nil, in.QueryExecutionId, aerr
		}
		return map[string]any{"QueryExecution": e.athenaView()}, e.id, nil

	case "GetQueryResults":
		var in struct {
			QueryExecutionId string
			NextToken        string
			MaxResults       int
		}
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		out, err := s.athenaResults(in.QueryExecutionId, in.NextToken, in.MaxResults)
		return out, in.QueryExecutionId, err

	case "StopQueryExecution":
		var in struct{ QueryExecutionId string }
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		e, aerr := s.athenaQuery(in.QueryExecutionId)
		if aerr != nil {
			return nil, in.QueryExecutionId, aerr
		}
		e.stop() // stopping an ended query is not an error in Athena
		return map[string]any{}, e.id, nil

	case "GetTableMetadata":
		var in struct{ CatalogName, DatabaseName, TableName string }
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		out, err := s.tableMetadata(in.CatalogName, in.DatabaseName, in.TableName)
		return out, "", err
	}
	return nil, "", badRequest("UnknownOperationException", "the fake does not answer AmazonAthena.%s", action)
}

func (s *Server) startAthena(query, token string, qctx athenaContext, output, workgroup string) (string, *apiError) {
	if strings.TrimSpace(query) == "" {
		return "", badRequest("InvalidRequestException", "QueryString must not be empty")
	}
	if workgroup == "" {
		workgroup = "primary"
	}
	if workgroup != "primary" {
		return "", badRequest("InvalidRequestException", "WorkGroup %s is not found.", workgroup)
	}
	if output == "" {
		output = s.cfg.WorkGroupOutput
	}
	if output == "" {
		return "", badRequest("InvalidRequestException", "No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.")
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(output, "s3://"), "/")
	if !strings.HasPrefix(output, "s3://") || bucket == "" {
		return "", badRequest("InvalidRequestException", "outputLocation %q is not an s3:// URI", output)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	e := &execution{id: newID(), service: "athena", query: query, run: query, database: qctx.Database,
		catalog: qctx.Catalog, workgroup: workgroup, token: token}
	if e.database == "" {
		e.database = "default"
	}
	if e.catalog == "" {
		e.catalog = "AwsDataCatalog"
	}
	e.output = "s3://" + bucket + "/" + prefix + e.id + ".csv"
	// The token is checked and taken in one step: a retry racing the
	// first call gets the same query.
	if token != "" {
		s.mu.Lock()
		if prev, ok := s.tokens[token]; ok {
			s.mu.Unlock()
			if prev.query != query {
				return "", badRequest("InvalidRequestException", "Idempotent parameters do not match")
			}
			return prev.id, nil
		}
		s.tokens[token] = tokenUse{id: e.id, query: query}
		s.mu.Unlock()
	}
	if !strings.EqualFold(e.catalog, "AwsDataCatalog") {
		e.failWith = "CATALOG_NOT_FOUND: line 1:1: Catalog '" + e.catalog + "' does not exist"
	}
	s.start(e, func(e *execution) error {
		data := resultCSV(e.cols, e.rows)
		if _, err := s.s3.PutObject(bucket, prefix+e.id+".csv", map[string]string{"Content-Type": "text/csv"},
			bytes.NewReader(data), int64(len(data)), nil); err != nil {
			return fmt.Errorf("Unable to verify/create output bucket %s: %v", bucket, err)
		}
		return nil
	})
	return e.id, nil
}

// tokenUse is the query a ClientRequestToken started.
type tokenUse struct{ id, query string }

func (s *Server) athenaQuery(id string) (*execution, *apiError) {
	e, ok := s.queries[id]
	if !ok || e.service != "athena" {
		return nil, badRequest("InvalidRequestException", "QueryExecution %s was not found", id)
	}
	return e, nil
}

// athenaView is e as GetQueryExecution shows it; the caller holds s.mu.
func (e *execution) athenaView() athenaExecution {
	v := athenaExecution{
		QueryExecutionId:      e.id,
		Query:                 e.query,
		StatementType:         "DML",
		ResultConfiguration:   athenaResultConfiguration{OutputLocation: e.output},
		QueryExecutionContext: athenaContext{Database: e.database, Catalog: e.catalog},
		WorkGroup:             e.workgroup,
		Status:                athenaStatus{State: e.visibleState(), SubmissionDateTime: epoch(e.submitted)},
	}
	if v.Status.State == e.state && e.terminal() {
		c := epoch(e.completed)
		v.Status.CompletionDateTime = &c
		v.Status.StateChangeReason = e.reason
		v.Statistics = athenaStatistics{
			EngineExecutionTimeInMillis: e.engineTime.Milliseconds(),
			DataScannedInBytes:          e.scanned,
			TotalExecutionTimeInMillis:  e.completed.Sub(e.submitted).Milliseconds(),
		}
		if e.state == stateFailed {
			v.Status.AthenaError = &athenaError{ErrorCategory: 2, ErrorType: 1100, ErrorMessage: e.reason}
		}
	}
	return v
}

func (s *Server) athenaResults(id, token string, max int) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, aerr := s.athenaQuery(id)
	if aerr != nil {
		return nil, aerr
	}
	switch {
	case e.state == stateRunning:
		return nil, badRequest("InvalidRequestException", "Query has not yet finished. Current state: %s", e.state)
	case e.state != stateSucceeded:
		return nil, badRequest("InvalidRequestException", "Query did not finish successfully. Final query state: %s", e.state)
	}
	if max == 0 {
		max = maxPage
	}
	if max < 1 || max > maxPage {
		return nil, badRequest("InvalidRequestException", "MaxResults must be between 1 and %d", maxPage)
	}
	// The header row is row 0 of the first page; data rows follow.
	offset, err := pageOffset(token, len(e.rows)+1)
	if err != nil {
		return nil, badRequest("InvalidRequestException", "NextToken %q is not valid", token)
	}
	end := min(offset+max, len(e.rows)+1)
	rows := make([]athenaRow, 0, end-offset)
	for i := offset; i < end; i++ {
		if i == 0 {
			header := make([]athenaDatum, len(e.cols))
			for j, c := range e.cols {
				name := c.Name
				header[j] = athenaDatum{VarCharValue: &name}
			}
			rows = append(rows, athenaRow{Data: header})
			continue
		}
		data := make([]athenaDatum, len(e.cols))
		for j, v := range e.rows[i-1] {
			data[j] = athenaDatum{VarCharValue: v}
		}
		rows = append(rows, athenaRow{Data: data})
	}
	info := make([]athenaColumnInfo, len(e.cols))
	for i, c := range e.cols {
		info[i] = athenaColumnInfo{Name: c.Name, Label: c.Name, Type: c.Type, CatalogName: "hive",
			Nullable: "UNKNOWN", CaseSensitive: c.Type == "varchar"}
	}
	out := map[string]any{
		"ResultSet":   map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": info}},
		"UpdateCount": 0,
	}
	if end < len(e.rows)+1 {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}

func (s *Server) tableMetadata(catalogName, database, table string) (any, *apiError) {
	if !strings.EqualFold(catalogName, "AwsDataCatalog") {
		return nil, badRequest("MetadataException", "Catalog %s is not found", catalogName)
	}
	if !strings.EqualFold(database, s.cfg.Database) {
		return nil, badRequest("MetadataException", "Database %s is not found", database)
	}
	t, ok := s.catalog.tables[strings.ToLower(table)]
	if !ok {
		return nil, badRequest("MetadataException", "Table %s is not found in database %s", table, database)
	}
	cols, keys, params := s.catalog.metadata(t)
	return map[string]any{"TableMetadata": map[string]any{
		"Name": strings.ToLower(t.Name), "TableType": "EXTERNAL_TABLE", "CreateTime": 1.7e9,
		"Columns": cols, "PartitionKeys": keys, "Parameters": params,
	}}, nil
}

// resultCSV is a result as Athena writes it to S3: a header line, every
// value double-quoted with quotes doubled, NULL an empty unquoted field.
func resultCSV(cols []column, rows [][]*string) []byte {
	var b bytes.Buffer
	field := func(i int, v *string) {
		if i > 0 {
			b.WriteByte(',')
		}
		if v == nil {
			return
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(*v, `"`, `""`))
		b.WriteByte('"')
	}
	for i, c := range cols {
		name := c.Name
		field(i, &name)
	}
	b.WriteByte('\n')
	for _, r := range rows {
		for i, v := range r {
			field(i, v)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// pageOffset reads a NextToken the fake handed out (an offset into n rows).
func pageOffset(token string, n int) (int, error) {
	if token == "" {
		return 0, nil
	}
	off, err := strconv.Atoi(token)
	if err != nil || off < 0 || off > n {
		return 0, fmt.Errorf("bad token %q", token)
	}
	return off, nil
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
