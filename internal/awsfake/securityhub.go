package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
)

// Security Hub, as much as a finding provider needs: BatchImportFindings
// (POST /findings/import), GetFindings (POST /findings) and
// BatchUpdateFindings (PATCH /findings/batchupdate), over the REST JSON
// protocol, with errors as an X-Amzn-Errortype header and a
// {"Code","Message"} body. Findings are kept per product ARN and ID, each
// as the JSON it was imported as; an import with a known ID updates the
// finding in place. The workflow rules the API reference states are
// applied: a finding starts NEW (or with the Workflow it is created with),
// an import never changes an existing finding's Workflow (that is
// BatchUpdateFindings' job), and it goes back to NEW when its record state
// turns from ARCHIVED to ACTIVE or its compliance from PASSED to anything
// else.

const (
	svcSecurityHub     = "securityhub"
	shSchemaVersion    = "2018-10-08"
	shMaxImport        = 100
	shMaxResults       = 100
	shWorkflowNew      = "NEW"
	shRecordActive     = "ACTIVE"
	shRecordArchived   = "ARCHIVED"
	shCompliancePassed = "PASSED"
)

var securityHubRoutes = map[string]operation{
	"POST /findings/import":       {fn: shBatchImportFindings, mutating: true},
	"POST /findings":              {fn: shGetFindings},
	"PATCH /findings/batchupdate": {fn: shBatchUpdateFindings, mutating: true},
}

var shActions = map[string]string{
	"POST /findings/import": "BatchImportFindings", "POST /findings": "GetFindings", "PATCH /findings/batchupdate": "BatchUpdateFindings",
}

// securityHubStore holds every account's imported findings; Server.mu
// guards it.
type securityHubStore struct {
	findings map[string]map[string]json.RawMessage // product ARN + "\x00" + ID -> the finding
	// disabled are the accounts where Security Hub is not enabled.
	disabled map[string]bool
}

// DisableSecurityHub makes account answer every Security Hub call as an
// account that has not enabled Security Hub does: InvalidAccessException.
func (s *Server) DisableSecurityHub(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.securityHub.disabled == nil {
		s.securityHub.disabled = map[string]bool{}
	}
	s.securityHub.disabled[account] = true
}

func shKey(product, id string) string { return product + "\x00" + id }

func shInvalid(format string, args ...any) *apiError {
	return &apiError{status: 400, code: "InvalidInputException", msg: fmt.Sprintf(format, args...)}
}

// serveSecurityHub answers r if it is a Security Hub call, reporting
// whether it did; ServeHTTP hands every request to it first.
func (s *Server) serveSecurityHub(w http.ResponseWriter, r *http.Request, reqID string) bool {
	route := r.Method + " " + r.URL.Path
	op, ok := securityHubRoutes[route]
	if !ok {
		return false
	}
	req := &request{s: s, hdr: r.Header, svc: svcSecurityHub, action: shActions[route]}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		shWriteError(w, &apiError{status: 400, code: "InvalidInputException", msg: "Content-Type must be application/json, not " + ct})
		return true
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		shWriteError(w, shInvalid("reading request body: %v", err))
		return true
	}
	req.body = map[string]json.RawMessage{}
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &req.body); err != nil {
			shWriteError(w, shInvalid("request body is not a JSON object: %v", err))
			return true
		}
	}
	if s.invalid != nil {
		shWriteError(w, &apiError{status: 500, code: "InternalException", msg: s.invalid.Error()})
		return true
	}
	d, ok := s.cfg.actionLatency[req.action]
	if !ok {
		d = s.cfg.latency
	}
	if !sleepCtx(r.Context(), d) {
		return true
	}

	s.mu.Lock()
	req.now = s.now()
	call := Call{Time: req.now, Service: req.svc, Action: req.action, Params: map[string]string{}, Mutating: op.mutating}
	result, aerr := s.handle(req, op, &call)
	call.Status = http.StatusOK
	if aerr != nil {
		call.Status, call.ErrorCode = aerr.status, aerr.code
	}
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	s.cfg.logger.LogAttrs(r.Context(), slog.LevelDebug, "awsfake call",
		slog.String("service", call.Service), slog.String("action", call.Action),
		slog.String("account", call.AccountID), slog.Int("status", call.Status), slog.String("error", call.ErrorCode))
	if aerr != nil {
		shWriteError(w, aerr)
		return true
	}
	body, err := json.Marshal(result)
	if err != nil {
		shWriteError(w, &apiError{status: 500, code: "InternalException", msg: "encoding response: " + err.Error()})
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return true
}

func shWriteError(w http.ResponseWriter, e *apiError) {
	body, _ := json.Marshal(map[string]string{"Code": e.code, "Message": e.msg}) // strings always marshal
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// shDefaultProduct is the caller's default product ARN in the region the
// request was signed for.
func shDefaultProduct(req *request) string {
	region := scopeRegion(req.header("Authorization"))
	return fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", region, req.acct.ID, req.acct.ID)
}

func shString(f map[string]json.RawMessage, name string) string {
	var v string
	_ = json.Unmarshal(f[name], &v) // absent or not a string: empty
	return v
}

// shNested reads a string member of an object member, e.g. Workflow.Status.
func shNested(f map[string]json.RawMessage, obj, name string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(f[obj], &m) != nil {
		return ""
	}
	return shString(m, name)
}

// shValidate checks the attributes ASFF requires of every finding
// ("Required top-level ASFF attributes") and that the caller imports into
// its own default product for its own account.
func shValidate(req *request, f map[string]json.RawMessage) string {
	for _, name := range []string{"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "SchemaVersion", "Title", "UpdatedAt"} {
		if shString(f, name) == "" {
			return name + " is required"
		}
	}
	if v := shString(f, "SchemaVersion"); v != shSchemaVersion {
		return fmt.Sprintf("SchemaVersion %q is not %s", v, shSchemaVersion)
	}
	for _, name := range []string{"CreatedAt", "UpdatedAt"} {
		if _, err := time.Parse(time.RFC3339, shString(f, name)); err != nil {
			return fmt.Sprintf("%s %q is not an ISO 8601 timestamp", name, shString(f, name))
		}
	}
	var types []string
	if json.Unmarshal(f["Types"], &types) != nil || len(types) == 0 {
		return "Types is required: at least one namespace/category/classifier"
	}
	var sev struct {
		Label      string
		Normalized *int
	}
	if json.Unmarshal(f["Severity"], &sev) != nil || (sev.Label == "" && sev.Normalized == nil) {
		return "Severity is required, with Label or Normalized"
	}
	if sev.Label != "" && !slices.Contains([]string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, sev.Label) {
		return fmt.Sprintf("Severity.Label %q is not a valid label", sev.Label)
	}
	var res []struct{ Id, Type string }
	if json.Unmarshal(f["Resources"], &res) != nil || len(res) == 0 || len(res) > 32 {
		return "Resources is required: 1 to 32 resources"
	}
	for i, r := range res {
		if r.Id == "" || r.Type == "" {
			return fmt.Sprintf("Resources[%d] needs Id and Type", i)
		}
	}
	if p := shString(f, "ProductArn"); p != shDefaultProduct(req) {
		return fmt.Sprintf("ProductArn %s is not the caller's default product %s", p, shDefaultProduct(req))
	}
	if a := shString(f, "AwsAccountId"); a != req.acct.ID {
		return fmt.Sprintf("AwsAccountId %s is not the caller's account %s", a, req.acct.ID)
	}
	if rs := shString(f, "RecordState"); rs != "" && rs != shRecordActive && rs != shRecordArchived {
		return fmt.Sprintf("RecordState %q is not ACTIVE or ARCHIVED", rs)
	}
	return ""
}

// shEnabled refuses a call in an account that has not enabled Security Hub,
// with the error AWS answers then.
func shEnabled(req *request) *apiError {
	if req.s.securityHub.disabled[req.acct.ID] {
		return &apiError{status: 401, code: "InvalidAccessException", msg: "Account " + req.acct.ID + " is not subscribed to AWS Security Hub"}
	}
	return nil
}

type shImportError struct {
	Id, ErrorCode, ErrorMessage string
}

func shBatchImportFindings(req *request) (any, *apiError) {
	if aerr := shEnabled(req); aerr != nil {
		return nil, aerr
	}
	raw, ok := req.body["Findings"]
	if !ok {
		return nil, shInvalid("Findings is required")
	}
	var findings []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &findings); err != nil {
		return nil, shInvalid("Findings must be a list of findings: %v", err)
	}
	if len(findings) == 0 || len(findings) > shMaxImport {
		return nil, shInvalid("Findings must hold 1 to %d findings, not %d", shMaxImport, len(findings))
	}
	st := &req.s.securityHub
	if st.findings == nil {
		st.findings = map[string]map[string]json.RawMessage{}
	}
	var failed []shImportError
	for _, f := range findings {
		id := shString(f, "Id")
		if msg := shValidate(req, f); msg != "" {
			failed = append(failed, shImportError{Id: id, ErrorCode: "InvalidInput", ErrorMessage: msg})
			continue
		}
		key := shKey(shString(f, "ProductArn"), id)
		prev, exists := st.findings[key]
		if shString(f, "RecordState") == "" {
			f["RecordState"] = json.RawMessage(`"` + shRecordActive + `"`)
		}
		// After creation the Workflow is the customer's: an import's is ignored.
		workflow := shNested(f, "Workflow", "Status")
		if exists {
			workflow = shNested(prev, "Workflow", "Status")
		}
		reset := exists && ((shString(prev, "RecordState") == shRecordArchived && shString(f, "RecordState") == shRecordActive) ||
			(shNested(prev, "Compliance", "Status") == shCompliancePassed && shNested(f, "Compliance", "Status") != "" && shNested(f, "Compliance", "Status") != shCompliancePassed))
		if workflow == "" || reset {
			workflow = shWorkflowNew
		}
		f["Workflow"] = json.RawMessage(`{"Status":"` + workflow + `"}`)
		f["ProcessedAt"] = json.RawMessage(strconv.Quote(req.now.UTC().Format("2006-01-02T15:04:05.000Z")))
		st.findings[key] = f
	}
	return map[string]any{"FailedCount": len(failed), "SuccessCount": len(findings) - len(failed), "FailedFindings": failedOrEmpty(failed)}, nil
}

type shIdentifier struct{ Id, ProductArn string }

type shUnprocessed struct {
	FindingIdentifier       shIdentifier
	ErrorCode, ErrorMessage string
}

var shWorkflowStatuses = []string{shWorkflowNew, "NOTIFIED", "RESOLVED", "SUPPRESSED"}

// shBatchUpdateFindings sets the Workflow (the one customer field the fake
// keeps) of up to 100 findings of the caller's account.
func shBatchUpdateFindings(req *request) (any, *apiError) {
	if aerr := shEnabled(req); aerr != nil {
		return nil, aerr
	}
	var ids []shIdentifier
	if err := json.Unmarshal(req.body["FindingIdentifiers"], &ids); err != nil || len(ids) == 0 || len(ids) > shMaxImport {
		return nil, shInvalid("FindingIdentifiers must hold 1 to %d identifiers", shMaxImport)
	}
	for name := range req.body {
		if name != "FindingIdentifiers" && name != "Workflow" {
			return nil, shInvalid("awsfake's BatchUpdateFindings updates Workflow only, not %s", name)
		}
	}
	status := shNested(req.body, "Workflow", "Status")
	if !slices.Contains(shWorkflowStatuses, status) {
		return nil, shInvalid("Workflow.Status %q is not one of %v", status, shWorkflowStatuses)
	}
	st := &req.s.securityHub
	processed, unprocessed := []shIdentifier{}, []shUnprocessed{}
	for _, id := range ids {
		f, ok := st.findings[shKey(id.ProductArn, id.Id)]
		if !ok || shString(f, "AwsAccountId") != req.acct.ID {
			unprocessed = append(unprocessed, shUnprocessed{FindingIdentifier: id, ErrorCode: "FindingNotFound", ErrorMessage: "no finding " + id.Id + " under " + id.ProductArn})
			continue
		}
		f["Workflow"] = json.RawMessage(`{"Status":"` + status + `"}`)
		processed = append(processed, id)
	}
	return map[string]any{"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}, nil
}

func failedOrEmpty(f []shImportError) []shImportError {
	if f == nil {
		return []shImportError{}
	}
	return f
}

// shFilterFields are the GetFindings filters the fake serves, each with
// how it reads a finding; any other filter is refused, so a test never
// silently gets unfiltered findings.
var shFilterFields = map[string]func(map[string]json.RawMessage) string{
	"ProductArn":       func(f map[string]json.RawMessage) string { return shString(f, "ProductArn") },
	"GeneratorId":      func(f map[string]json.RawMessage) string { return shString(f, "GeneratorId") },
	"AwsAccountId":     func(f map[string]json.RawMessage) string { return shString(f, "AwsAccountId") },
	"Id":               func(f map[string]json.RawMessage) string { return shString(f, "Id") },
	"RecordState":      func(f map[string]json.RawMessage) string { return shString(f, "RecordState") },
	"WorkflowStatus":   func(f map[string]json.RawMessage) string { return shNested(f, "Workflow", "Status") },
	"ComplianceStatus": func(f map[string]json.RawMessage) string { return shNested(f, "Compliance", "Status") },
	"SeverityLabel":    func(f map[string]json.RawMessage) string { return shNested(f, "Severity", "Label") },
}

type shStringFilter struct {
	Value      string
	Comparison string
}

// shMatch applies one field's filters as Security Hub does: the positive
// comparisons (EQUALS, PREFIX) are ORed, the negative ones ANDed.
func shMatch(v string, filters []shStringFilter) (bool, *apiError) {
	positive, anyPositive := false, false
	for _, fl := range filters {
		switch fl.Comparison {
		case "EQUALS":
			anyPositive = true
			positive = positive || v == fl.Value
		case "PREFIX":
			anyPositive = true
			positive = positive || strings.HasPrefix(v, fl.Value)
		case "NOT_EQUALS":
			if v == fl.Value {
				return false, nil
			}
		case "PREFIX_NOT_EQUALS":
			if strings.HasPrefix(v, fl.Value) {
				return false, nil
			}
		default:
			return false, shInvalid("awsfake serves string comparisons EQUALS, PREFIX, NOT_EQUALS and PREFIX_NOT_EQUALS, not %q", fl.Comparison)
		}
	}
	return !anyPositive || positive, nil
}

func shGetFindings(req *request) (any, *apiError) {
	if aerr := shEnabled(req); aerr != nil {
		return nil, aerr
	}
	filters := map[string][]shStringFilter{}
	if raw, ok := req.body["Filters"]; ok {
		var all map[string]json.RawMessage
		if err := json.Unmarshal(raw, &all); err != nil {
			return nil, shInvalid("Filters must be an object: %v", err)
		}
		for name, v := range all {
			if _, ok := shFilterFields[name]; !ok {
				return nil, shInvalid("awsfake does not serve the GetFindings filter %s", name)
			}
			var fs []shStringFilter
			if err := json.Unmarshal(v, &fs); err != nil {
				return nil, shInvalid("filter %s must be a list of string filters: %v", name, err)
			}
			filters[name] = fs
		}
	}
	if _, ok := req.body["SortCriteria"]; ok {
		return nil, shInvalid("awsfake does not serve SortCriteria")
	}
	limit := shMaxResults
	if raw, ok := req.body["MaxResults"]; ok {
		if err := json.Unmarshal(raw, &limit); err != nil || limit < 1 || limit > shMaxResults {
			return nil, shInvalid("MaxResults must be 1 to %d", shMaxResults)
		}
	}
	start := 0
	if tok := shString(req.body, "NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "awsfake-"))
		if err != nil || !strings.HasPrefix(tok, "awsfake-") || n < 0 {
			return nil, shInvalid("NextToken %q is not one this endpoint issued", tok)
		}
		start = n
	}
	st := &req.s.securityHub
	var match []map[string]json.RawMessage
	for _, key := range slices.Sorted(maps.Keys(st.findings)) {
		f := st.findings[key]
		if shString(f, "AwsAccountId") != req.acct.ID {
			continue // a member sees only its own account's findings
		}
		ok := true
		for name, fs := range filters {
			m, aerr := shMatch(shFilterFields[name](f), fs)
			if aerr != nil {
				return nil, aerr
			}
			ok = ok && m
		}
		if ok {
			match = append(match, f)
		}
	}
	if start > len(match) {
		start = len(match)
	}
	end := min(start+limit, len(match))
	out := map[string]any{"Findings": append([]map[string]json.RawMessage{}, match[start:end]...)}
	if end < len(match) {
		out["NextToken"] = "awsfake-" + strconv.Itoa(end)
	}
	return out, nil
}

// SecurityHubClient returns a real Security Hub client signing with creds.
func (s *Server) SecurityHubClient(creds aws.Credentials, opts ...ClientOption) *securityhub.Client {
	return securityhub.NewFromConfig(s.AWSConfig(creds, opts...))
}

// SecurityHubFindings returns the findings account holds, as imported
// (with the fake's Workflow, RecordState and ProcessedAt), sorted by
// product ARN and ID.
func (s *Server) SecurityHubFindings(account string) []map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]json.RawMessage
	for _, key := range slices.Sorted(maps.Keys(s.securityHub.findings)) {
		if f := s.securityHub.findings[key]; shString(f, "AwsAccountId") == account {
			out = append(out, f)
		}
	}
	return out
}
