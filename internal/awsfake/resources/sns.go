package resources

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// snsProtocol is the Query protocol: form-encoded POST bodies with Action
// and Version, XML answers wrapped in <XxxResponse><XxxResult>, and
// <ErrorResponse> errors.
type snsProtocol struct{}

const (
	snsVersion   = "2010-03-31"
	snsNamespace = "http://sns.amazonaws.com/doc/2010-03-31/"
)

func (snsProtocol) parse(c *call) *apiError {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return &apiError{status: 400, code: "MalformedQueryString", msg: "parsing the form body: " + err.Error()}
	}
	c.form = form
	if v := form.Get("Version"); v != snsVersion {
		return &apiError{status: 400, code: "InvalidAction", msg: fmt.Sprintf("Could not find operation %s for version %s", form.Get("Action"), v)}
	}
	c.action = form.Get("Action")
	if c.action == "" {
		return &apiError{status: 400, code: "MissingAction", msg: "Missing Action"}
	}
	return nil
}

func (snsProtocol) ops() map[string]func(*call) (any, *apiError) { return snsOps }

func (snsProtocol) writeResult(w http.ResponseWriter, c *call, result any) {
	inner, err := xml.Marshal(result)
	if err != nil {
		http.Error(w, "encoding the answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, c.action, snsNamespace)
	b.Write(inner)
	b.WriteString("<ResponseMetadata>")
	element(&b, "RequestId", c.reqID)
	fmt.Fprintf(&b, "</ResponseMetadata></%sResponse>", c.action)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func (snsProtocol) writeError(w http.ResponseWriter, c *call, e *apiError) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error>`, snsNamespace)
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	element(&b, "Type", typ)
	element(&b, "Code", e.code)
	element(&b, "Message", e.msg)
	b.WriteString("</Error>")
	element(&b, "RequestId", c.reqID)
	b.WriteString("</ErrorResponse>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	w.Write(b.Bytes())
}

func (snsProtocol) accessDenied(c *call) *apiError { return snsDenied(c, "*") }

func snsDenied(c *call, resource string) *apiError {
	return &apiError{status: 403, code: "AuthorizationError",
		msg: fmt.Sprintf("User: %s is not authorized to perform: SNS:%s on resource: %s because no identity-based policy allows the SNS:%s action",
			c.acct.CallerARN, c.action, resource, c.action)}
}

func (snsProtocol) throttled(*call) *apiError {
	return &apiError{status: 400, code: "Throttling", msg: "Rate exceeded"}
}

func (snsProtocol) invalidToken() *apiError {
	return &apiError{status: 403, code: "InvalidClientTokenId", msg: "The security token included in the request is invalid."}
}

type snsEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

var snsOps = map[string]func(*call) (any, *apiError){
	"ListTopics": func(c *call) (any, *apiError) {
		topics := inRegion(c.acct.Topics, func(t *Topic) string { return t.Region }, c.region)
		pg, next, aerr := page(c.s, topics, c.form.Get("NextToken"), 0)
		if aerr != nil {
			return nil, &apiError{status: 400, code: "InvalidParameter", msg: "Invalid parameter: NextToken"}
		}
		type member struct {
			TopicArn string `xml:"TopicArn"`
		}
		out := struct {
			XMLName   xml.Name `xml:"ListTopicsResult"`
			Topics    []member `xml:"Topics>member"`
			NextToken string   `xml:"NextToken,omitempty"`
		}{NextToken: next}
		for _, t := range pg {
			out.Topics = append(out.Topics, member{t.ARN(c.acct.ID)})
		}
		return out, nil
	},
	"GetTopicAttributes": func(c *call) (any, *apiError) {
		arn := c.form.Get("TopicArn")
		c.resource = arn
		for _, t := range c.acct.Topics {
			if t.Region != c.region || t.ARN(c.acct.ID) != arn {
				continue
			}
			if t.Deny {
				return nil, snsDenied(c, arn)
			}
			return struct {
				XMLName    xml.Name   `xml:"GetTopicAttributesResult"`
				Attributes []snsEntry `xml:"Attributes>entry"`
			}{Attributes: []snsEntry{
				{"Owner", c.acct.ID},
				{"Policy", t.Policy},
				{"TopicArn", arn},
			}}, nil
		}
		if !strings.HasPrefix(arn, "arn:") {
			return nil, &apiError{status: 400, code: "InvalidParameter", msg: "Invalid parameter: TopicArn"}
		}
		return nil, &apiError{status: 404, code: "NotFound", msg: "Topic does not exist"}
	},
}
