package local

import (
	"github.com/dormant-iam/dormant/internal/ctrecord"
	"github.com/dormant-iam/dormant/pipeline/activity"
)

// watchSpec is the Go scanner's form of the watch query's filter
// (queries/local/watch.sql.tmpl): the records it keeps as candidates, which
// activity.MatchWatch then matches to the targets, as for every engine.
type watchSpec struct {
	filter activity.WatchFilter
	from   int64 // filter.From, in microseconds
}

func newWatchSpec(q activity.Query) *watchSpec {
	f, ok := activity.NewWatchFilter(q.Watch)
	if !ok {
		return nil
	}
	return &watchSpec{filter: f, from: f.From.UnixMicro()}
}

// candidate returns r as a watch candidate when the filter keeps it; r has
// a time (the caller checked).
func (s *watchSpec) candidate(r *ctrecord.Record) (activity.WatchCandidate, bool) {
	if r.Time < s.from {
		return activity.WatchCandidate{}, false
	}
	u := &r.User
	var issuerType, issuerPID []byte
	if u.Issuer != nil {
		issuerType, issuerPID = u.Issuer.Type.Value, u.Issuer.PrincipalID.Value
	}
	reqUser, _ := ctrecord.Member(r.Request, "userName")
	if !s.filter.Match(string(u.PrincipalID.Value), string(issuerPID), string(u.AccessKeyID.Value),
		string(u.UserName.Value), string(u.ARN.Value), string(reqUser)) {
		return activity.WatchCandidate{}, false
	}
	login, _ := ctrecord.Member(r.Response, "ConsoleLogin")
	status, _ := ctrecord.Member(r.Request, "status")
	return activity.WatchCandidate{
		EventTime:         microTime(r.Time),
		EventID:           string(r.EventID.Value),
		EventSource:       string(r.EventSource.Value),
		EventName:         string(r.EventName.Value),
		ErrorCode:         string(r.ErrorCode.Value),
		ErrorMessage:      string(r.ErrorMessage.Value),
		SourceIP:          string(r.SourceIP.Value),
		Region:            string(r.AWSRegion.Value),
		Recipient:         string(r.Recipient.Value),
		IdentityType:      string(u.Type.Value),
		PrincipalID:       string(u.PrincipalID.Value),
		ARN:               string(u.ARN.Value),
		AccountID:         string(u.AccountID.Value),
		AccessKeyID:       string(u.AccessKeyID.Value),
		UserName:          string(u.UserName.Value),
		IssuerType:        string(issuerType),
		IssuerPrincipalID: string(issuerPID),
		ConsoleLogin:      string(login),
		RequestUserName:   string(reqUser),
		RequestStatus:     string(status),
	}, true
}
