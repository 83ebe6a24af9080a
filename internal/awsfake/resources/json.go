package resources

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// jsonProtocol is AWS JSON 1.0 or 1.1: POST /, X-Amz-Target
// "<target>.<Operation>", JSON bodies, errors as {"__type", "message"}.
type jsonProtocol struct {
	svc, target, version string
	handlers             map[string]func(*call) (any, *apiError)
	// queryCompatible services (SQS) also name errors in x-amzn-query-error,
	// which the SDK prefers as the error code.
	queryCompatible bool
}

func (p jsonProtocol) ops() map[string]func(*call) (any, *apiError) { return p.handlers }

func (p jsonProtocol) parse(c *call) *apiError {
	target := c.r.Header.Get("X-Amz-Target")
	action, ok := strings.CutPrefix(target, p.target+".")
	if !ok || action == "" {
		return &apiError{status: 400, code: "UnknownOperationException", msg: fmt.Sprintf("X-Amz-Target %q is not a %s operation", target, p.target)}
	}
	c.action = action
	if ct := c.r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-"+p.version) {
		return &apiError{status: 400, code: "SerializationException", msg: fmt.Sprintf("Content-Type must be application/x-amz-json-%s, not %q", p.version, ct)}
	}
	c.members = map[string]json.RawMessage{}
	if len(strings.TrimSpace(string(c.body))) > 0 {
		if err := json.Unmarshal(c.body, &c.members); err != nil {
			return &apiError{status: 400, code: "SerializationException", msg: "the request body is not a JSON object: " + err.Error()}
		}
	}
	return nil
}

func (p jsonProtocol) writeResult(w http.ResponseWriter, _ *call, result any) {
	body, err := json.Marshal(result)
	if err != nil {
		body = []byte(`{}`)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-"+p.version)
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (p jsonProtocol) writeError(w http.ResponseWriter, _ *call, e *apiError) {
	typ := e.code
	if p.queryCompatible {
		typ = "com.amazonaws.sqs#" + e.code
		if e.code == "AccessDeniedException" {
			typ = "com.amazon.coral.service#AccessDeniedException"
		}
		if e.queryCode != "" {
			w.Header().Set("X-Amzn-Query-Error", e.queryCode+";Sender")
		}
	}
	body, _ := json.Marshal(map[string]string{"__type": typ, "message": e.msg})
	w.Header().Set("Content-Type", "application/x-amz-json-"+p.version)
	w.WriteHeader(e.status)
	w.Write(body)
}

func (p jsonProtocol) accessDenied(c *call) *apiError {
	return p.denied(c, "*")
}

// denied is the access-denied answer for the call's action on resource.
func (p jsonProtocol) denied(c *call, resource string) *apiError {
	e := &apiError{status: 400, code: "AccessDeniedException", msg: deniedMessage(c, c.action, resource)}
	if p.queryCompatible {
		e.status, e.queryCode = 403, "AccessDenied"
	}
	return e
}

func (p jsonProtocol) throttled(*call) *apiError {
	switch p.svc {
	case ServiceSQS:
		return &apiError{status: 403, code: "RequestThrottled", queryCode: "RequestThrottled", msg: "Request is throttled."}
	case ServiceTagging:
		return &apiError{status: 400, code: "ThrottledException", msg: "Rate exceeded"}
	default:
		return &apiError{status: 400, code: "ThrottlingException", msg: "Rate exceeded"}
	}
}

func (p jsonProtocol) invalidToken() *apiError {
	e := &apiError{status: 400, code: "UnrecognizedClientException", msg: "The security token included in the request is invalid."}
	if p.queryCompatible {
		e.status, e.code, e.queryCode = 403, "InvalidClientTokenId", "InvalidClientTokenId"
	}
	return e
}

// str returns a string member, or "".
func (c *call) str(name string) string {
	var s string
	if raw, ok := c.members[name]; ok {
		json.Unmarshal(raw, &s)
	}
	return s
}

// num returns an integer member, or 0.
func (c *call) num(name string) int {
	var n int
	if raw, ok := c.members[name]; ok {
		json.Unmarshal(raw, &n)
	}
	return n
}

// member decodes a member into v; a malformed member is a SerializationException.
func (c *call) member(name string, v any) *apiError {
	raw, ok := c.members[name]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &apiError{status: 400, code: "SerializationException", msg: fmt.Sprintf("member %s: %v", name, err)}
	}
	return nil
}

func jsonDenied(c *call, resource string) *apiError {
	return c.proto.(jsonProtocol).denied(c, resource)
}

// KMS

var kmsOps = map[string]func(*call) (any, *apiError){
	"ListKeys": func(c *call) (any, *apiError) {
		keys := inRegion(c.acct.Keys, func(k *Key) string { return k.Region }, c.region)
		pg, next, aerr := page(c.s, keys, c.str("Marker"), c.num("Limit"))
		if aerr != nil {
			return nil, aerr
		}
		type entry struct{ KeyId, KeyArn string }
		out := struct {
			Keys       []entry
			NextMarker string `json:",omitempty"`
			Truncated  bool
		}{Keys: []entry{}, NextMarker: next, Truncated: next != ""}
		for _, k := range pg {
			out.Keys = append(out.Keys, entry{k.ID, k.ARN(c.acct.ID)})
		}
		return out, nil
	},
	"GetKeyPolicy": func(c *call) (any, *apiError) {
		id := c.str("KeyId")
		c.resource = id
		if name := c.str("PolicyName"); name != "" && name != "default" {
			return nil, &apiError{status: 400, code: "NotFoundException", msg: fmt.Sprintf("No such policy exists: %s", name)}
		}
		for _, k := range c.acct.Keys {
			if k.Region != c.region || (id != k.ID && id != k.ARN(c.acct.ID)) {
				continue
			}
			if k.Deny {
				return nil, jsonDenied(c, k.ARN(c.acct.ID))
			}
			return struct{ Policy, PolicyName string }{k.Policy, "default"}, nil
		}
		return nil, &apiError{status: 400, code: "NotFoundException", msg: fmt.Sprintf("Key '%s' does not exist", id)}
	},
}

// Secrets Manager

var secretsOps = map[string]func(*call) (any, *apiError){
	"ListSecrets": func(c *call) (any, *apiError) {
		secrets := inRegion(c.acct.Secrets, func(s *Secret) string { return s.Region }, c.region)
		pg, next, aerr := page(c.s, secrets, c.str("NextToken"), c.num("MaxResults"))
		if aerr != nil {
			return nil, aerr
		}
		type entry struct{ ARN, Name string }
		out := struct {
			SecretList []entry
			NextToken  string `json:",omitempty"`
		}{SecretList: []entry{}, NextToken: next}
		for _, s := range pg {
			out.SecretList = append(out.SecretList, entry{s.ARN(c.acct.ID), s.Name})
		}
		return out, nil
	},
	"GetResourcePolicy": func(c *call) (any, *apiError) {
		id := c.str("SecretId")
		c.resource = id
		for _, s := range c.acct.Secrets {
			arn := s.ARN(c.acct.ID)
			if s.Region != c.region || (id != s.Name && id != arn) {
				continue
			}
			if s.Deny {
				return nil, jsonDenied(c, arn)
			}
			return struct {
				ARN, Name      string
				ResourcePolicy string `json:",omitempty"`
			}{arn, s.Name, s.Policy}, nil
		}
		return nil, &apiError{status: 400, code: "ResourceNotFoundException", msg: "Secrets Manager can't find the specified secret."}
	},
}

// ECR

type ecrRepository struct {
	RepositoryArn  string `json:"repositoryArn"`
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
	RepositoryURI  string `json:"repositoryUri"`
}

var ecrOps = map[string]func(*call) (any, *apiError){
	"DescribeRepositories": func(c *call) (any, *apiError) {
		if reg := c.str("registryId"); reg != "" && reg != c.acct.ID {
			return nil, jsonDenied(c, fmt.Sprintf("arn:%s:ecr:%s:%s:repository/*", Partition, c.region, reg))
		}
		repos := inRegion(c.acct.Repositories, func(r *Repository) string { return r.Region }, c.region)
		pg, next, aerr := page(c.s, repos, c.str("nextToken"), c.num("maxResults"))
		if aerr != nil {
			return nil, aerr
		}
		out := struct {
			Repositories []ecrRepository `json:"repositories"`
			NextToken    string          `json:"nextToken,omitempty"`
		}{Repositories: []ecrRepository{}, NextToken: next}
		for _, r := range pg {
			out.Repositories = append(out.Repositories, ecrRepository{
				RepositoryArn: r.ARN(c.acct.ID), RegistryID: c.acct.ID, RepositoryName: r.Name,
				RepositoryURI: fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", c.acct.ID, r.Region, r.Name),
			})
		}
		return out, nil
	},
	"GetRepositoryPolicy": func(c *call) (any, *apiError) {
		name, reg := c.str("repositoryName"), c.str("registryId")
		c.resource = name
		if reg == "" {
			reg = c.acct.ID
		}
		for _, r := range c.acct.Repositories {
			if r.Region != c.region || r.Name != name || reg != c.acct.ID {
				continue
			}
			if r.Deny {
				return nil, jsonDenied(c, r.ARN(c.acct.ID))
			}
			if r.Policy == "" {
				return nil, &apiError{status: 400, code: "RepositoryPolicyNotFoundException",
					msg: fmt.Sprintf("Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", name, reg)}
			}
			return struct {
				RegistryID     string `json:"registryId"`
				RepositoryName string `json:"repositoryName"`
				PolicyText     string `json:"policyText"`
			}{reg, name, r.Policy}, nil
		}
		return nil, &apiError{status: 400, code: "RepositoryNotFoundException",
			msg: fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", name, reg)}
	},
}

// Resource Groups Tagging API

var taggingOps = map[string]func(*call) (any, *apiError){
	"GetResources": func(c *call) (any, *apiError) {
		var filters []struct {
			Key    string
			Values []string
		}
		if aerr := c.member("TagFilters", &filters); aerr != nil {
			return nil, aerr
		}
		var keys []string
		for _, f := range filters {
			keys = append(keys, f.Key)
		}
		c.resource = strings.Join(keys, ",")
		var matched []*TaggedResource
		for _, t := range c.acct.Tagged {
			if t.Region != c.region {
				continue
			}
			ok := true
			for _, f := range filters {
				v, has := t.Tags[f.Key]
				if !has || (len(f.Values) > 0 && !slices.Contains(f.Values, v)) {
					ok = false
				}
			}
			if ok {
				matched = append(matched, t)
			}
		}
		pg, next, aerr := page(c.s, matched, c.str("PaginationToken"), c.num("ResourcesPerPage"))
		if aerr != nil {
			return nil, aerr
		}
		type tag struct{ Key, Value string }
		type mapping struct {
			ResourceARN string
			Tags        []tag
		}
		out := struct {
			PaginationToken        string
			ResourceTagMappingList []mapping
		}{PaginationToken: next, ResourceTagMappingList: []mapping{}}
		for _, t := range pg {
			m := mapping{ResourceARN: t.ARN, Tags: []tag{}}
			for _, k := range sortedKeys(t.Tags) {
				m.Tags = append(m.Tags, tag{k, t.Tags[k]})
			}
			out.ResourceTagMappingList = append(out.ResourceTagMappingList, m)
		}
		return out, nil
	},
}

// SQS

var sqsOps = map[string]func(*call) (any, *apiError){
	"ListQueues": func(c *call) (any, *apiError) {
		var queues []*Queue
		prefix := c.str("QueueNamePrefix")
		for _, q := range c.acct.Queues {
			if q.Region == c.region && strings.HasPrefix(q.Name, prefix) {
				queues = append(queues, q)
			}
		}
		out := struct {
			QueueUrls []string `json:",omitempty"`
			NextToken string   `json:",omitempty"`
		}{}
		want := c.num("MaxResults")
		if want == 0 && c.str("NextToken") == "" {
			// Without MaxResults SQS returns up to 1,000 queues and no token.
			queues = queues[:min(len(queues), 1000)]
		} else {
			pg, next, aerr := page(c.s, queues, c.str("NextToken"), want)
			if aerr != nil {
				return nil, aerr
			}
			queues, out.NextToken = pg, next
		}
		for _, q := range queues {
			out.QueueUrls = append(out.QueueUrls, q.URL(c.acct.ID))
		}
		return out, nil
	},
	"GetQueueAttributes": func(c *call) (any, *apiError) {
		u := c.str("QueueUrl")
		c.resource = u
		var names []string
		if aerr := c.member("AttributeNames", &names); aerr != nil {
			return nil, aerr
		}
		q := findQueue(c, u)
		if q == nil {
			return nil, &apiError{status: 400, code: "QueueDoesNotExist", queryCode: "AWS.SimpleQueueService.NonExistentQueue", msg: "The specified queue does not exist."}
		}
		if q.Deny {
			return nil, jsonDenied(c, q.ARN(c.acct.ID))
		}
		attrs := map[string]string{}
		all := slices.Contains(names, "All")
		if (all || slices.Contains(names, "Policy")) && q.Policy != "" {
			attrs["Policy"] = q.Policy
		}
		if all || slices.Contains(names, "QueueArn") {
			attrs["QueueArn"] = q.ARN(c.acct.ID)
		}
		out := struct {
			Attributes map[string]string `json:",omitempty"`
		}{}
		if len(attrs) > 0 {
			out.Attributes = attrs
		}
		return out, nil
	},
}

// findQueue resolves a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)
// in the caller's account and region.
func findQueue(c *call, queueURL string) *Queue {
	u, err := url.Parse(queueURL)
	if err != nil {
		return nil
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || parts[0] != c.acct.ID {
		return nil
	}
	for _, q := range c.acct.Queues {
		if q.Region == c.region && q.Name == parts[1] {
			return q
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
