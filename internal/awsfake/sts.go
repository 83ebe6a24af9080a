package awsfake

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var stsOperations = map[string]operation{
	"GetCallerIdentity": {fn: stsGetCallerIdentity},
	"AssumeRole":        {fn: stsAssumeRole},
}

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func stsGetCallerIdentity(req *request) (any, *apiError) {
	return struct {
		Arn     string
		UserId  string
		Account string
	}{req.p.arn, req.p.userID, req.p.accountID}, nil
}

// parseRoleARN splits arn:aws:iam::<account>:role[/path]/<name>.
func parseRoleARN(arn string) (account, name string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:aws:iam::")
	if !found {
		return "", "", false
	}
	account, res, found := strings.Cut(rest, ":")
	if !found || !isAccountID(account) || !strings.HasPrefix(res, "role/") {
		return "", "", false
	}
	name = res[strings.LastIndex(res, "/")+1:]
	return account, name, name != ""
}

// stsAssumeRole hands out temporary credentials bound to the role's account.
// Every refusal is AccessDenied with the same message, as STS does not tell
// a missing role from an untrusting one.
func stsAssumeRole(req *request) (any, *apiError) {
	roleARN, aerr := req.required("RoleArn")
	if aerr != nil {
		return nil, aerr
	}
	sessionName, aerr := req.required("RoleSessionName")
	if aerr != nil {
		return nil, aerr
	}
	if !sessionNamePattern.MatchString(sessionName) {
		return nil, errValidation(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64", sessionName))
	}
	externalID := req.str("ExternalId")
	if externalID != "" && (len(externalID) < 2 || len(externalID) > 1224) {
		return nil, errValidation("1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224")
	}
	duration := time.Duration(0)
	if raw := req.str("DurationSeconds"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 900 || n > 43200 {
			return nil, errValidation(fmt.Sprintf("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", raw))
		}
		duration = time.Duration(n) * time.Second
	}
	acctID, roleName, ok := parseRoleARN(roleARN)
	if !ok {
		return nil, errValidation(fmt.Sprintf("%s is invalid: a role ARN looks like arn:aws:iam::123456789012:role/Name", roleARN))
	}
	denied := errAccessDenied(fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", req.p.arn, roleARN))
	target := req.s.org.Account(acctID)
	if target == nil || target.Status != AccountActive || req.s.cfg.denyAssumeRole[acctID] {
		return nil, denied
	}
	role := target.Role(roleName)
	if role == nil || role.ARN(acctID) != roleARN {
		return nil, denied
	}
	allowed, err := trustAllows(role.AssumeRolePolicyDocument, req.p.trust, externalID)
	if err != nil || !allowed {
		return nil, denied
	}
	maxDur := time.Duration(role.MaxSessionDuration) * time.Second
	if maxDur == 0 {
		maxDur = time.Hour
	}
	if duration == 0 {
		duration = min(req.s.cfg.sessionDuration, maxDur)
	}
	if duration > maxDur {
		return nil, errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	org := req.s.org
	sess := &session{
		accessKeyID: org.nextID("ASIA", 16),
		secret:      org.nextSecret(),
		token:       org.nextToken(),
		accountID:   acctID,
		role:        role,
		sessionName: sessionName,
		expiration:  req.now.Add(duration),
	}
	req.s.sessions[sess.accessKeyID] = sess
	now := req.now
	role.LastUsedDate, role.LastUsedRegion = &now, scopeRegion(req.header("Authorization"))

	type credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	type assumedRoleUser struct {
		AssumedRoleId string
		Arn           string
	}
	return struct {
		Credentials     credentials
		AssumedRoleUser assumedRoleUser
	}{
		credentials{sess.accessKeyID, sess.secret, sess.token, isoTime(sess.expiration)},
		assumedRoleUser{role.RoleID + ":" + sessionName, fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", acctID, role.Name, sessionName)},
	}, nil
}
