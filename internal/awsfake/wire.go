package awsfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// apiError is an AWS error as the wire carries it.
type apiError struct {
	status int
	code   string
	msg    string
	extra  map[string]string // further members of JSON error bodies
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (%d): %s", e.code, e.status, e.msg) }

func errAccessDenied(msg string) *apiError {
	return &apiError{status: 403, code: "AccessDenied", msg: msg}
}

func errNoSuchEntity(format string, args ...any) *apiError {
	return &apiError{status: 404, code: "NoSuchEntity", msg: fmt.Sprintf(format, args...)}
}

func errDeleteConflict(msg string) *apiError {
	return &apiError{status: 409, code: "DeleteConflict", msg: msg}
}

func errEntityExists(format string, args ...any) *apiError {
	return &apiError{status: 409, code: "EntityAlreadyExists", msg: fmt.Sprintf(format, args...)}
}

func errLimitExceeded(msg string) *apiError {
	return &apiError{status: 409, code: "LimitExceeded", msg: msg}
}

func errValidation(msg string) *apiError {
	return &apiError{status: 400, code: "ValidationError", msg: msg}
}

func errInvalidInput(msg string) *apiError {
	return &apiError{status: 400, code: "InvalidInput", msg: msg}
}

func errMalformedPolicy(msg string) *apiError {
	return &apiError{status: 400, code: "MalformedPolicyDocument", msg: msg}
}

// writeResult writes a successful response in the service's protocol.
func writeResult(w http.ResponseWriter, svc, action string, result any, reqID string) {
	if jsonService(svc) {
		if result == nil {
			result = struct{}{}
		}
		body, err := json.Marshal(result)
		if err != nil {
			writeError(w, svc, &apiError{status: 500, code: "ServiceException", msg: "encoding response: " + err.Error()}, reqID)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	body, err := queryResponse(svc, action, result, reqID)
	if err != nil {
		writeError(w, svc, &apiError{status: 500, code: "ServiceFailure", msg: "encoding response: " + err.Error()}, reqID)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// queryResponse renders
// <XxxResponse xmlns=...><XxxResult>...</XxxResult><ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></XxxResponse>.
// Operations without output have no Result element, as in IAM.
func queryResponse(svc, action string, result any, reqID string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{
		Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: namespace(svc)}},
	}
	if err := enc.EncodeToken(start); err != nil {
		return nil, err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return nil, err
		}
	}
	meta := struct {
		RequestId string
	}{reqID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return nil, err
	}
	if err := enc.EncodeToken(start.End()); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func namespace(svc string) string {
	if svc == svcSTS {
		return stsNamespace
	}
	return iamNamespace
}

// writeError writes an AWS error body: <ErrorResponse> for the Query
// protocol, {"__type":...,"Message":...} for JSON 1.1.
func writeError(w http.ResponseWriter, svc string, e *apiError, reqID string) {
	if jsonService(svc) {
		m := map[string]string{"__type": e.code, "Message": e.msg}
		for k, v := range e.extra {
			m[k] = v
		}
		body, _ := json.Marshal(m) // a map of strings always marshals
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", e.code)
		w.WriteHeader(e.status)
		_, _ = w.Write(body)
		return
	}
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	type xmlError struct {
		Type    string
		Code    string
		Message string
	}
	body := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     xmlError
		RequestId string
	}{Xmlns: namespace(svc), Error: xmlError{typ, e.code, e.msg}, RequestId: reqID}
	out, err := xml.Marshal(body)
	if err != nil {
		http.Error(w, e.Error(), e.status)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

// members renders a Query-protocol list: <Name><member>...</member></Name>.
// The container is always written, as AWS writes empty lists.
type members[T any] struct {
	Member []T `xml:"member"`
}

func list[T any](items []T) members[T] { return members[T]{Member: items} }

// isoTime formats an XML timestamp as IAM does: 2013-10-14T18:32:25Z.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func isoTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return isoTime(*t)
}

// str returns a Query parameter.
func (req *request) str(name string) string { return req.form.Get(name) }

// required returns a Query parameter, or the ValidationError AWS answers
// when it is missing.
func (req *request) required(name string) (string, *apiError) {
	v := req.form.Get(name)
	if v == "" {
		field := strings.ToLower(name[:1]) + name[1:]
		return "", errValidation(fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field))
	}
	return v, nil
}

// strList reads a Query list: Name.member.1, Name.member.2, ...
func (req *request) strList(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := req.form[fmt.Sprintf("%s.member.%d", name, i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// tagList reads Name.member.N.Key / Name.member.N.Value.
func (req *request) tagList(name string) []Tag {
	var out []Tag
	for i := 1; ; i++ {
		k, ok := req.form[fmt.Sprintf("%s.member.%d.Key", name, i)]
		if !ok || len(k) == 0 {
			return out
		}
		out = append(out, Tag{Key: k[0], Value: req.form.Get(fmt.Sprintf("%s.member.%d.Value", name, i))})
	}
}

func (req *request) boolParam(name string) bool {
	b, _ := strconv.ParseBool(req.form.Get(name))
	return b
}

// pageLimit returns how many items a page may hold: the client's limit
// (param, default def, at most max) capped by the server's page size.
func (req *request) pageLimit(raw string, param string, def, max int) (int, *apiError) {
	n := def
	if raw != "" {
		v, err := strconv.Atoi(raw)
		if err != nil || v < 1 || v > max {
			return 0, errValidation(fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have value between 1 and %d", raw, param, max))
		}
		n = v
	}
	if n > req.s.cfg.pageSize {
		n = req.s.cfg.pageSize
	}
	return n, nil
}

// encodeMarker makes an opaque pagination token naming the last item
// returned, so that deleting items between pages (as remediation does)
// neither skips nor repeats any.
func encodeMarker(action, lastKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(action + "\x00" + lastKey))
}

func decodeMarker(action, marker string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(marker)
	if err != nil {
		return "", false
	}
	a, key, ok := strings.Cut(string(raw), "\x00")
	if !ok || a != action {
		return "", false
	}
	return key, true
}

// paginate sorts items by key and returns the page after marker, with the
// marker of the next page ("" when this is the last).
func paginate[T any](action string, items []T, key func(T) string, marker string, limit int) ([]T, string, *apiError) {
	sort.SliceStable(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	start := 0
	if marker != "" {
		after, ok := decodeMarker(action, marker)
		if !ok {
			return nil, "", errValidation("Invalid Marker: it was not returned by a previous " + action + " call")
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	end := min(start+limit, len(items))
	page := items[start:end]
	if end < len(items) {
		return page, encodeMarker(action, key(items[end-1])), nil
	}
	return page, "", nil
}

// nameKey sorts IAM names case-insensitively, as IAM treats them.
func nameKey(name string) string { return strings.ToLower(name) + "\x00" + name }
