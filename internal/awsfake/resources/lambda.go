package resources

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// lambdaProtocol is REST-JSON: GET /2015-03-31/functions lists functions,
// GET /2015-03-31/functions/NAME/policy reads a function's policy; errors
// are named in X-Amzn-ErrorType with a {"Type", "Message"} body.
type lambdaProtocol struct{}

func (lambdaProtocol) parse(c *call) *apiError {
	c.query = c.r.URL.Query()
	var segs []string
	for _, s := range strings.Split(strings.Trim(c.r.URL.EscapedPath(), "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			return &apiError{status: 400, code: "InvalidParameterValueException", msg: "bad path segment " + s}
		}
		segs = append(segs, u)
	}
	c.path = segs
	switch {
	case c.r.Method == http.MethodGet && len(segs) == 2 && segs[0] == "2015-03-31" && segs[1] == "functions":
		c.action = "ListFunctions"
	case c.r.Method == http.MethodGet && len(segs) == 4 && segs[0] == "2015-03-31" && segs[1] == "functions" && segs[3] == "policy":
		c.action = "GetPolicy"
		c.resource = segs[2]
	default:
		return &apiError{status: 404, code: "UnknownOperationException", msg: c.r.Method + " " + c.r.URL.Path + " is not served by the resources fake"}
	}
	return nil
}

func (lambdaProtocol) ops() map[string]func(*call) (any, *apiError) { return lambdaOps }

func (lambdaProtocol) writeResult(w http.ResponseWriter, _ *call, result any) {
	body, err := json.Marshal(result)
	if err != nil {
		http.Error(w, "encoding the answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (lambdaProtocol) writeError(w http.ResponseWriter, _ *call, e *apiError) {
	typ := e.lambdaType
	if typ == "" {
		typ = "User"
	}
	body, _ := json.Marshal(map[string]string{"Type": typ, "Message": e.msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.WriteHeader(e.status)
	w.Write(body)
}

func (lambdaProtocol) accessDenied(c *call) *apiError { return lambdaDenied(c, "*") }

func lambdaDenied(c *call, resource string) *apiError {
	return &apiError{status: 403, code: "AccessDeniedException", msg: deniedMessage(c, c.action, resource)}
}

func (lambdaProtocol) throttled(*call) *apiError {
	return &apiError{status: 429, code: "TooManyRequestsException", msg: "Rate exceeded"}
}

func (lambdaProtocol) invalidToken() *apiError {
	return &apiError{status: 403, code: "UnrecognizedClientException", msg: "The security token included in the request is invalid."}
}

var lambdaOps = map[string]func(*call) (any, *apiError){
	"ListFunctions": func(c *call) (any, *apiError) {
		want := 0
		if v := c.query.Get("MaxItems"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				return nil, &apiError{status: 400, code: "InvalidParameterValueException", msg: "MaxItems must be between 1 and 10000"}
			}
			want = n
		}
		fns := inRegion(c.acct.Functions, func(f *Function) string { return f.Region }, c.region)
		// Lambda returns at most 50 functions a page, whatever MaxItems says.
		size := 50
		if want > 0 {
			size = min(want, 50)
		}
		pg, next, aerr := page(c.s, fns, c.query.Get("Marker"), size)
		if aerr != nil {
			return nil, &apiError{status: 400, code: "InvalidParameterValueException", msg: aerr.msg}
		}
		type fn struct{ FunctionName, FunctionArn, Runtime string }
		out := struct {
			Functions  []fn
			NextMarker string `json:",omitempty"`
		}{Functions: []fn{}, NextMarker: next}
		for _, f := range pg {
			out.Functions = append(out.Functions, fn{f.Name, f.ARN(c.acct.ID), "python3.12"})
		}
		return out, nil
	},
	"GetPolicy": func(c *call) (any, *apiError) {
		name, qualifier := functionName(c.resource)
		if q := c.query.Get("Qualifier"); q != "" {
			qualifier = q
		}
		for _, f := range c.acct.Functions {
			if f.Region != c.region || f.Name != name {
				continue
			}
			if f.Deny {
				return nil, lambdaDenied(c, f.ARN(c.acct.ID))
			}
			if f.Policy == "" || (qualifier != "" && qualifier != "$LATEST") {
				// Lambda answers the same for a function without a policy.
				return nil, &apiError{status: 404, code: "ResourceNotFoundException", msg: "The resource you requested does not exist."}
			}
			return struct{ Policy, RevisionId string }{f.Policy, digest("revision", f.Policy)[:8] + "-0000-4000-8000-" + digest(f.Name)[:12]}, nil
		}
		return nil, &apiError{status: 404, code: "ResourceNotFoundException",
			msg: fmt.Sprintf("Function not found: arn:%s:lambda:%s:%s:function:%s", Partition, c.region, c.acct.ID, name)}
	},
}

// functionName takes a name, an ARN or a partial ARN (ACCOUNT:function:NAME),
// each maybe with a :QUALIFIER, to the name and qualifier.
func functionName(s string) (name, qualifier string) {
	if i := strings.Index(s, "function:"); i >= 0 {
		s = s[i+len("function:"):]
	}
	name, qualifier, _ = strings.Cut(s, ":")
	return name, qualifier
}
