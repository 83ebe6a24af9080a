package awsfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// encodePolicyDocument URL-encodes a policy document the way IAM returns
// documents (RFC 3986: everything but unreserved characters is %XX, spaces
// included), so clients must url-decode before parsing the JSON, exactly as
// against AWS.
func encodePolicyDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// trustPolicyDocument builds a role trust policy letting principals call
// sts:AssumeRole, with an sts:ExternalId condition when externalID is set.
// Bare account IDs become root ARNs, as IAM stores them.
func trustPolicyDocument(principals []string, externalID string) string {
	aws := make([]string, len(principals))
	for i, p := range principals {
		if isAccountID(p) {
			p = arnPrefix(p) + "root"
		}
		aws[i] = p
	}
	stmt := map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": aws},
		"Action":    "sts:AssumeRole",
	}
	if externalID != "" {
		stmt["Condition"] = map[string]any{"StringEquals": map[string]string{"sts:ExternalId": externalID}}
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{stmt}})
	if err != nil {
		// Only strings and maps of strings are marshalled; this cannot fail.
		return `{"Version":"2012-10-17","Statement":[]}`
	}
	return string(b)
}

// trustCaller is the principal calling AssumeRole, as the trust policy sees it.
type trustCaller struct {
	accountID string
	arn       string // user or role ARN (a session is matched by its role)
	uniqueID  string // AIDA.../AROA...; policies naming a deleted entity hold its ID
}

type policyStatement struct {
	Effect       string
	Principal    json.RawMessage
	NotPrincipal json.RawMessage
	Action       json.RawMessage
	NotAction    json.RawMessage
	Condition    map[string]map[string]json.RawMessage
}

// trustAllows evaluates a trust policy for sts:AssumeRole: an explicit Deny
// wins, otherwise some Allow must match the caller and its conditions. Only
// sts:ExternalId conditions (StringEquals, StringLike) are understood; any
// other condition fails closed, as it would for a caller that cannot
// satisfy it (this fake has no MFA or source-IP context).
func trustAllows(doc string, c trustCaller, externalID string) (bool, error) {
	var raw struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return false, fmt.Errorf("parsing trust policy: %w", err)
	}
	var stmts []policyStatement
	if t := bytes.TrimSpace(raw.Statement); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &stmts); err != nil {
			return false, fmt.Errorf("parsing trust policy statements: %w", err)
		}
	} else if len(t) > 0 {
		var s policyStatement
		if err := json.Unmarshal(t, &s); err != nil {
			return false, fmt.Errorf("parsing trust policy statement: %w", err)
		}
		stmts = []policyStatement{s}
	}
	allowed := false
	for _, s := range stmts {
		if len(s.NotPrincipal) > 0 || len(s.NotAction) > 0 {
			continue // not modelled: never grants
		}
		if !actionMatches(s.Action, "sts:AssumeRole") || !principalMatches(s.Principal, c) {
			continue
		}
		switch {
		case strings.EqualFold(s.Effect, "Deny"):
			if conditionsHold(s.Condition, externalID) {
				return false, nil
			}
		case strings.EqualFold(s.Effect, "Allow"):
			if conditionsHold(s.Condition, externalID) {
				allowed = true
			}
		}
	}
	return allowed, nil
}

// stringOrList decodes a policy value that may be a string or a list.
func stringOrList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err == nil {
		return many
	}
	return nil
}

func actionMatches(raw json.RawMessage, action string) bool {
	for _, a := range stringOrList(raw) {
		if globMatch(strings.ToLower(a), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

func principalMatches(raw json.RawMessage, c trustCaller) bool {
	if list := stringOrList(raw); len(list) == 1 && list[0] == "*" {
		return true
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return false
	}
	for _, p := range stringOrList(obj["AWS"]) {
		switch {
		case p == "*":
			return true
		case p == c.accountID || p == arnPrefix(c.accountID)+"root":
			return true
		case p == c.arn || (c.uniqueID != "" && p == c.uniqueID):
			return true
		}
	}
	return false
}

func conditionsHold(cond map[string]map[string]json.RawMessage, externalID string) bool {
	for op, kv := range cond {
		for key, raw := range kv {
			if !strings.EqualFold(key, "sts:ExternalId") || externalID == "" {
				return false
			}
			want := stringOrList(raw)
			ok := false
			for _, w := range want {
				switch op {
				case "StringEquals":
					ok = ok || w == externalID
				case "StringLike":
					ok = ok || globMatch(w, externalID)
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// globMatch matches IAM wildcards: * any run of characters, ? one character.
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if globMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}
