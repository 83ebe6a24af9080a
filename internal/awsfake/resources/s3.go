package resources

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// s3Protocol is S3's REST-XML, path style: GET / lists buckets, GET
// /BUCKET?location|policy|acl reads a bucket's configuration.
type s3Protocol struct{}

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// rawBody is an answer written as is.
type rawBody struct {
	contentType string
	body        []byte
}

func (s3Protocol) parse(c *call) *apiError {
	if c.r.Method != http.MethodGet {
		return &apiError{status: 501, code: "NotImplemented", msg: c.r.Method + " is not served by the resources fake"}
	}
	c.query = c.r.URL.Query()
	bucket := strings.Trim(c.r.URL.Path, "/")
	switch {
	case bucket == "":
		c.action = "ListBuckets"
	case strings.Contains(bucket, "/"):
		return &apiError{status: 501, code: "NotImplemented", msg: "object operations are not served by the resources fake"}
	case c.query.Has("location"):
		c.action = "GetBucketLocation"
	case c.query.Has("policy"):
		c.action = "GetBucketPolicy"
	case c.query.Has("acl"):
		c.action = "GetBucketAcl"
	default:
		return &apiError{status: 501, code: "NotImplemented", msg: "bucket operation " + c.r.URL.RawQuery + " is not served by the resources fake"}
	}
	c.resource = bucket
	return nil
}

func (s3Protocol) ops() map[string]func(*call) (any, *apiError) { return s3Ops }

func (s3Protocol) writeResult(w http.ResponseWriter, _ *call, result any) {
	var body rawBody
	switch r := result.(type) {
	case rawBody:
		body = r
	default:
		b, err := xml.Marshal(r)
		if err != nil {
			http.Error(w, "encoding the answer: "+err.Error(), http.StatusInternalServerError)
			return
		}
		body = rawBody{"application/xml", append([]byte(xml.Header), b...)}
	}
	w.Header().Set("Content-Type", body.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body.body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body.body)
}

func (s3Protocol) writeError(w http.ResponseWriter, c *call, e *apiError) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<Error>")
	element(&b, "Code", e.code)
	element(&b, "Message", e.msg)
	for _, k := range sortedKeys(e.s3Extra) {
		element(&b, k, e.s3Extra[k])
	}
	element(&b, "RequestId", c.reqID)
	element(&b, "HostId", digest("host", c.reqID)[:56])
	b.WriteString("</Error>")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Id-2", digest("host", c.reqID)[:56])
	w.WriteHeader(e.status)
	w.Write(b.Bytes())
}

func element(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">")
}

func (s3Protocol) accessDenied(*call) *apiError {
	return &apiError{status: 403, code: "AccessDenied", msg: "Access Denied"}
}

func (s3Protocol) throttled(*call) *apiError {
	return &apiError{status: 503, code: "SlowDown", msg: "Please reduce your request rate."}
}

func (s3Protocol) invalidToken() *apiError {
	return &apiError{status: 403, code: "InvalidAccessKeyId", msg: "The AWS Access Key Id you provided does not exist in our records."}
}

type s3Owner struct {
	ID string `xml:"ID"`
}

var s3Ops = map[string]func(*call) (any, *apiError){
	"ListBuckets":       s3ListBuckets,
	"GetBucketLocation": func(c *call) (any, *apiError) { return s3Bucket(c, false, s3Location) },
	"GetBucketPolicy":   func(c *call) (any, *apiError) { return s3Bucket(c, true, s3Policy) },
	"GetBucketAcl":      func(c *call) (any, *apiError) { return s3Bucket(c, true, s3ACL) },
}

func s3ListBuckets(c *call) (any, *apiError) {
	q := c.query
	paginated := !c.s.cfg.legacyListBuckets &&
		(q.Has("max-buckets") || q.Has("continuation-token") || q.Has("prefix") || q.Has("bucket-region"))
	buckets := slices.Clone(c.acct.Buckets)
	slices.SortFunc(buckets, func(a, b *Bucket) int { return strings.Compare(a.Name, b.Name) })
	type bucket struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion,omitempty"`
	}
	out := struct {
		XMLName           xml.Name `xml:"ListAllMyBucketsResult"`
		XMLNS             string   `xml:"xmlns,attr"`
		Owner             s3Owner  `xml:"Owner"`
		Buckets           []bucket `xml:"Buckets>Bucket"`
		ContinuationToken string   `xml:"ContinuationToken,omitempty"`
		Prefix            string   `xml:"Prefix,omitempty"`
	}{XMLNS: s3Namespace, Owner: s3Owner{ID: c.acct.CanonicalID}}
	if paginated {
		prefix, region := q.Get("prefix"), q.Get("bucket-region")
		buckets = slices.DeleteFunc(buckets, func(b *Bucket) bool {
			return !strings.HasPrefix(b.Name, prefix) || (region != "" && b.Region != region)
		})
		want := 0
		if v := q.Get("max-buckets"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				return nil, &apiError{status: 400, code: "InvalidArgument", msg: "max-buckets must be between 1 and 10000"}
			}
			want = n
		}
		pg, next, aerr := page(c.s, buckets, q.Get("continuation-token"), want)
		if aerr != nil {
			return nil, &apiError{status: 400, code: "InvalidArgument", msg: aerr.msg}
		}
		buckets, out.ContinuationToken, out.Prefix = pg, next, prefix
	}
	out.Buckets = []bucket{}
	for _, b := range buckets {
		e := bucket{Name: b.Name, CreationDate: "2021-03-01T10:00:00.000Z"}
		if paginated {
			e.BucketRegion = b.Region
		}
		out.Buckets = append(out.Buckets, e)
	}
	return out, nil
}

// s3Bucket finds the bucket the call names and checks the caller may
// address it: the owner's account, and for configuration reads the bucket's
// region (S3 rejects a signature scoped to another region).
func s3Bucket(c *call, regional bool, fn func(*call, *Bucket) (any, *apiError)) (any, *apiError) {
	name := c.resource
	for _, a := range c.s.state.Accounts {
		for _, b := range a.Buckets {
			if b.Name != name {
				continue
			}
			if regional && b.Region != c.region {
				return nil, &apiError{status: 400, code: "AuthorizationHeaderMalformed",
					msg:     fmt.Sprintf("The authorization header is malformed; the region '%s' is wrong; expecting '%s'", c.region, b.Region),
					s3Extra: map[string]string{"Region": b.Region}}
			}
			if a != c.acct {
				return nil, &apiError{status: 403, code: "AccessDenied", msg: "Access Denied"}
			}
			return fn(c, b)
		}
	}
	return nil, &apiError{status: 404, code: "NoSuchBucket", msg: "The specified bucket does not exist", s3Extra: map[string]string{"BucketName": name}}
}

func s3Location(_ *call, b *Bucket) (any, *apiError) {
	return struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		XMLNS   string   `xml:"xmlns,attr"`
		Value   string   `xml:",chardata"`
	}{XMLNS: s3Namespace, Value: b.LocationConstraint}, nil
}

func s3Policy(_ *call, b *Bucket) (any, *apiError) {
	if b.DenyPolicy {
		return nil, &apiError{status: 403, code: "AccessDenied", msg: "Access Denied"}
	}
	if b.Policy == "" {
		return nil, &apiError{status: 404, code: "NoSuchBucketPolicy", msg: "The bucket policy does not exist", s3Extra: map[string]string{"BucketName": b.Name}}
	}
	return rawBody{"application/json", []byte(b.Policy)}, nil
}

type s3Grantee struct {
	XSI   string `xml:"xmlns:xsi,attr"`
	Type  string `xml:"xsi:type,attr"`
	ID    string `xml:"ID,omitempty"`
	Email string `xml:"EmailAddress,omitempty"`
	URI   string `xml:"URI,omitempty"`
}

type s3Grant struct {
	Grantee    s3Grantee `xml:"Grantee"`
	Permission string    `xml:"Permission"`
}

func s3ACL(c *call, b *Bucket) (any, *apiError) {
	if b.DenyACL {
		return nil, &apiError{status: 403, code: "AccessDenied", msg: "Access Denied"}
	}
	const xsi = "http://www.w3.org/2001/XMLSchema-instance"
	grants := []s3Grant{{Grantee: s3Grantee{XSI: xsi, Type: "CanonicalUser", ID: c.acct.CanonicalID}, Permission: "FULL_CONTROL"}}
	for _, g := range b.Grants {
		grants = append(grants, s3Grant{Grantee: s3Grantee{XSI: xsi, Type: g.Type, ID: g.ID, Email: g.Email, URI: g.URI}, Permission: g.Permission})
	}
	return struct {
		XMLName xml.Name  `xml:"AccessControlPolicy"`
		XMLNS   string    `xml:"xmlns,attr"`
		Owner   s3Owner   `xml:"Owner"`
		Grants  []s3Grant `xml:"AccessControlList>Grant"`
	}{XMLNS: s3Namespace, Owner: s3Owner{ID: c.acct.CanonicalID}, Grants: grants}, nil
}
