package awsfake

import (
	"encoding/json"
	"fmt"
)

var orgsOperations = map[string]operation{
	"ListAccounts":         {fn: orgsListAccounts},
	"DescribeOrganization": {fn: orgsDescribeOrganization},
}

func orgsAccessDenied() *apiError {
	return &apiError{status: 403, code: "AccessDeniedException", msg: "You don't have permissions to access this resource."}
}

func orgsInvalidInput(reason, msg string) *apiError {
	return &apiError{status: 400, code: "InvalidInputException", msg: msg, extra: map[string]string{"Reason": reason}}
}

func (o *Org) accountARN(id string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.ManagementAccountID, o.ID, id)
}

// orgsListAccounts lists accounts in the Org's order; only the management
// account may call it (delegated administrators are not modelled).
func orgsListAccounts(req *request) (any, *apiError) {
	org := req.s.org
	if req.p.accountID != org.ManagementAccountID {
		return nil, orgsAccessDenied()
	}
	var maxRaw, token string
	if raw, ok := req.body["MaxResults"]; ok {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, orgsInvalidInput("INVALID_INPUT", "MaxResults must be a number")
		}
		maxRaw = n.String()
	}
	if raw, ok := req.body["NextToken"]; ok {
		if err := json.Unmarshal(raw, &token); err != nil {
			return nil, orgsInvalidInput("INVALID_NEXT_TOKEN", "NextToken must be a string")
		}
	}
	limit, aerr := req.pageLimit(maxRaw, "maxResults", 20, 20)
	if aerr != nil {
		return nil, orgsInvalidInput("MAX_VALUE_EXCEEDED", aerr.msg)
	}
	type account struct {
		Arn             string
		Email           string
		Id              string
		JoinedMethod    string
		JoinedTimestamp float64 // epoch seconds, as JSON protocols send timestamps
		Name            string
		State           string
		Status          string
	}
	type indexed struct {
		key string
		acc account
	}
	items := make([]indexed, len(org.Accounts))
	for i, a := range org.Accounts {
		items[i] = indexed{fmt.Sprintf("%08d", i), account{
			Arn: org.accountARN(a.ID), Email: a.Email, Id: a.ID, JoinedMethod: a.JoinedMethod,
			JoinedTimestamp: float64(a.JoinedTimestamp.UnixMilli()) / 1000,
			Name:            a.Name, State: a.Status, Status: a.Status,
		}}
	}
	pg, next, aerr := paginate(req.action, items, func(x indexed) string { return x.key }, token, limit)
	if aerr != nil {
		return nil, orgsInvalidInput("INVALID_NEXT_TOKEN", "The NextToken is not valid: "+aerr.msg)
	}
	out := struct {
		Accounts  []account
		NextToken string `json:",omitempty"`
	}{Accounts: make([]account, len(pg)), NextToken: next}
	for i, x := range pg {
		out.Accounts[i] = x.acc
	}
	return out, nil
}

func orgsDescribeOrganization(req *request) (any, *apiError) {
	org := req.s.org
	mgmt := org.Account(org.ManagementAccountID)
	type policyType struct {
		Status string
		Type   string
	}
	return map[string]any{"Organization": map[string]any{
		"Arn":                  fmt.Sprintf("arn:aws:organizations::%s:organization/%s", org.ManagementAccountID, org.ID),
		"AvailablePolicyTypes": []policyType{{Status: "ENABLED", Type: "SERVICE_CONTROL_POLICY"}},
		"FeatureSet":           "ALL",
		"Id":                   org.ID,
		"MasterAccountArn":     org.accountARN(org.ManagementAccountID),
		"MasterAccountEmail":   mgmt.Email,
		"MasterAccountId":      org.ManagementAccountID,
	}}, nil
}
