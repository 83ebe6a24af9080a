package analytics

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// maxStatement is Lake's limit on QueryStatement, in characters.
const maxStatement = 10000

func (s *Server) lake(action string, body []byte) (any, string, *apiError) {
	switch action {
	case "StartQuery":
		var in struct{ QueryStatement string }
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		run, aerr := s.lakeStatement(in.QueryStatement)
		if aerr != nil {
			return nil, "", aerr
		}
		e := &execution{id: newID(), service: "cloudtrail", query: in.QueryStatement, run: run}
		s.start(e, func(*execution) error { return nil })
		return map[string]string{"QueryId": e.id}, e.id, nil

	case "DescribeQuery":
		var in struct{ QueryId string }
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		e, aerr := s.lakeQuery(in.QueryId)
		if aerr != nil {
			return nil, in.QueryId, aerr
		}
		state := e.visibleState()
		out := map[string]any{
			"QueryId":     e.id,
			"QueryString": e.query,
			"QueryStatus": state,
			"QueryStatistics": map[string]any{
				"CreationTime":          epoch(e.submitted),
				"EventsMatched":         0,
				"EventsScanned":         0,
				"BytesScanned":          0,
				"ExecutionTimeInMillis": 0,
			},
		}
		if state == e.state && e.terminal() {
			stats := out["QueryStatistics"].(map[string]any)
			stats["EventsMatched"] = len(e.rows)
			stats["BytesScanned"] = e.scanned
			stats["ExecutionTimeInMillis"] = e.engineTime.Milliseconds()
			if e.state == stateFailed {
				out["ErrorMessage"] = e.reason
			}
		}
		return out, e.id, nil

	case "GetQueryResults":
		var in struct {
			QueryId         string
			NextToken       string
			MaxQueryResults int
		}
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		out, aerr := s.lakeResults(in.QueryId, in.NextToken, in.MaxQueryResults)
		return out, in.QueryId, aerr

	case "CancelQuery":
		var in struct{ QueryId string }
		if err := decode(body, &in); err != nil {
			return nil, "", err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		e, aerr := s.lakeQuery(in.QueryId)
		if aerr != nil {
			return nil, in.QueryId, aerr
		}
		if !e.stop() {
			return nil, e.id, badRequest("InactiveQueryException",
				"The specified query cannot be canceled because it is in the %s state.", e.state)
		}
		return map[string]string{"QueryId": e.id, "QueryStatus": e.state}, e.id, nil
	}
	return nil, "", badRequest("UnknownOperationException", "the fake does not answer CloudTrail_20131101.%s", action)
}

// fromStore finds the tables a Lake statement reads: FROM or JOIN, then a
// name (an event data store ID is unquoted, hyphens and all).
var fromStore = regexp.MustCompile(`(?i)\b(FROM|JOIN)(\s+)([A-Za-z0-9][A-Za-z0-9-]*)`)

// lakeStatement checks a statement and rewrites the event data store IDs it
// reads to the fake's views.
func (s *Server) lakeStatement(stmt string) (string, *apiError) {
	if strings.TrimSpace(stmt) == "" {
		return "", badRequest("InvalidQueryStatementException", "QueryStatement must not be empty")
	}
	if n := len([]rune(stmt)); n > maxStatement {
		return "", badRequest("InvalidQueryStatementException",
			"QueryStatement is %d characters long; the maximum is %d", n, maxStatement)
	}
	var (
		found   bool
		unknown string
	)
	run := fromStore.ReplaceAllStringFunc(stmt, func(m string) string {
		parts := fromStore.FindStringSubmatch(m)
		name := parts[3]
		switch {
		case s.catalog.stores[name]:
			found = true
			return parts[1] + parts[2] + "lake." + ident(name)
		case strings.Contains(name, "-") && unknown == "":
			unknown = name
		}
		return m
	})
	if unknown != "" {
		return "", &apiError{status: http.StatusBadRequest, code: "EventDataStoreNotFoundException",
			msg: "The specified event data store " + unknown + " was not found."}
	}
	if !found {
		return "", badRequest("InvalidQueryStatementException", "the query reads no event data store (FROM <event data store ID>)")
	}
	return run, nil
}

func (s *Server) lakeQuery(id string) (*execution, *apiError) {
	e, ok := s.queries[id]
	if !ok || e.service != "cloudtrail" {
		return nil, badRequest("QueryIdNotFoundException", "The query ID %s does not exist or does not map to a query.", id)
	}
	return e, nil
}

func (s *Server) lakeResults(id, token string, max int) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, aerr := s.lakeQuery(id)
	if aerr != nil {
		return nil, aerr
	}
	if max == 0 {
		max = maxPage
	}
	if max < 1 || max > maxPage {
		return nil, badRequest("InvalidParameterException", "MaxQueryResults must be between 1 and %d", maxPage)
	}
	out := map[string]any{
		"QueryStatus": e.state,
		"QueryStatistics": map[string]any{
			"ResultsCount": 0, "TotalResultsCount": len(e.rows), "BytesScanned": e.scanned,
		},
	}
	if e.state != stateFinished {
		if e.state == stateFailed {
			out["ErrorMessage"] = e.reason
		}
		out["QueryResultRows"] = [][]map[string]*string{}
		return out, nil
	}
	offset, err := pageOffset(token, len(e.rows))
	if err != nil {
		return nil, badRequest("InvalidNextTokenException", "A token that is not valid, or a token that was previously used in a request with different parameters.")
	}
	end := min(offset+max, len(e.rows))
	rows := make([][]map[string]*string, 0, end-offset)
	for _, r := range e.rows[offset:end] {
		row := make([]map[string]*string, len(e.cols))
		for j, v := range r {
			row[j] = map[string]*string{e.cols[j].Name: v}
		}
		rows = append(rows, row)
	}
	out["QueryResultRows"] = rows
	out["QueryStatistics"].(map[string]any)["ResultsCount"] = len(rows)
	if end < len(e.rows) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil
}
