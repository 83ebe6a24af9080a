package analytics

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Trail is one trail the fake CloudTrail describes (DescribeTrails,
// GetTrailStatus, GetEventSelectors) to the callers of the accounts it
// applies to.
type Trail struct {
	// Owner is the account that holds the trail (default AccountID);
	// Accounts are the accounts whose DescribeTrails lists it (default
	// Owner): an organization trail lists every member account.
	Owner    string
	Accounts []string

	Name, HomeRegion          string // HomeRegion default Region
	MultiRegion, Organization bool

	IsLogging                 bool
	StartLogging, StopLogging time.Time // zero: not answered

	// Exactly one of the two, as AWS keeps one or the other; neither: the
	// default selector (all management events).
	EventSelectors         []EventSelector
	AdvancedEventSelectors []AdvancedEventSelector
}

// EventSelector is a basic event selector, as the API answers it.
type EventSelector struct {
	ReadWriteType                 string         `json:"ReadWriteType,omitempty"`
	IncludeManagementEvents       *bool          `json:"IncludeManagementEvents,omitempty"`
	ExcludeManagementEventSources []string       `json:"ExcludeManagementEventSources,omitempty"`
	DataResources                 []DataResource `json:"DataResources,omitempty"`
}

// DataResource selects data events.
type DataResource struct {
	Type   string   `json:"Type"`
	Values []string `json:"Values"`
}

// AdvancedEventSelector is an advanced event selector: its field selectors
// are ANDed.
type AdvancedEventSelector struct {
	Name           string          `json:"Name,omitempty"`
	FieldSelectors []FieldSelector `json:"FieldSelectors"`
}

// FieldSelector is one condition of an advanced selector.
type FieldSelector struct {
	Field         string   `json:"Field"`
	Equals        []string `json:"Equals,omitempty"`
	NotEquals     []string `json:"NotEquals,omitempty"`
	StartsWith    []string `json:"StartsWith,omitempty"`
	NotStartsWith []string `json:"NotStartsWith,omitempty"`
	EndsWith      []string `json:"EndsWith,omitempty"`
	NotEndsWith   []string `json:"NotEndsWith,omitempty"`
}

// trailActions are the CloudTrail calls trails.go answers; the others are Lake's.
var trailActions = []string{"DescribeTrails", "GetTrailStatus", "GetEventSelectors"}

func (t *Trail) owner() string {
	if t.Owner != "" {
		return t.Owner
	}
	return AccountID
}

func (t *Trail) home() string {
	if t.HomeRegion != "" {
		return t.HomeRegion
	}
	return Region
}

func (t *Trail) arn() string {
	return "arn:aws:cloudtrail:" + t.home() + ":" + t.owner() + ":trail/" + t.Name
}

func (t *Trail) appliesTo(account string) bool {
	if len(t.Accounts) == 0 {
		return account == t.owner()
	}
	return slices.Contains(t.Accounts, account)
}

// callerAccount is the account whose credentials signed r: Config.AccountOf
// resolves the access key; without it every caller is AccountID's.
func (s *Server) callerAccount(r *http.Request) (string, *apiError) {
	if s.cfg.AccountOf == nil {
		return AccountID, nil
	}
	auth := r.Header.Get("Authorization")
	_, cred, _ := strings.Cut(auth, "Credential=")
	akid, _, _ := strings.Cut(cred, "/")
	if a, ok := s.cfg.AccountOf(akid); ok {
		return a, nil
	}
	return "", &apiError{status: http.StatusBadRequest, code: "UnrecognizedClientException", msg: "The security token included in the request is invalid."}
}

// trails answers DescribeTrails, GetTrailStatus and GetEventSelectors for
// the caller's account.
func (s *Server) trails(action string, body []byte, r *http.Request) (any, *apiError) {
	account, aerr := s.callerAccount(r)
	if aerr != nil {
		return nil, aerr
	}
	var visible []*Trail
	for i := range s.cfg.Trails {
		if t := &s.cfg.Trails[i]; t.appliesTo(account) {
			visible = append(visible, t)
		}
	}
	if action == "DescribeTrails" {
		var in struct {
			TrailNameList       []string `json:"trailNameList"`
			IncludeShadowTrails *bool    `json:"includeShadowTrails"`
		}
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		shadows := in.IncludeShadowTrails == nil || *in.IncludeShadowTrails
		list := []map[string]any{}
		for _, t := range visible {
			// A trail of another account or homed in another region is a
			// shadow trail here.
			if !shadows && (t.owner() != account || t.home() != Region) {
				continue
			}
			if len(in.TrailNameList) > 0 && !slices.Contains(in.TrailNameList, t.Name) && !slices.Contains(in.TrailNameList, t.arn()) {
				continue
			}
			list = append(list, map[string]any{
				"Name": t.Name, "TrailARN": t.arn(), "HomeRegion": t.home(),
				"IsMultiRegionTrail": t.MultiRegion, "IsOrganizationTrail": t.Organization,
				"S3BucketName": s.cfg.TrailBucket, "IncludeGlobalServiceEvents": true,
				"LogFileValidationEnabled": true, "HasCustomEventSelectors": len(t.EventSelectors)+len(t.AdvancedEventSelectors) > 0,
			})
		}
		return map[string]any{"trailList": list}, nil
	}
	var in struct{ Name, TrailName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name := in.Name + in.TrailName
	i := slices.IndexFunc(visible, func(t *Trail) bool {
		return name == t.arn() || (name == t.Name && t.owner() == account)
	})
	if i < 0 {
		return nil, badRequest("TrailNotFoundException", "Unknown trail: %s for the user: %s", name, account)
	}
	t := visible[i]
	if action == "GetTrailStatus" {
		out := map[string]any{"IsLogging": t.IsLogging}
		if !t.StartLogging.IsZero() {
			out["StartLoggingTime"] = epoch(t.StartLogging)
		}
		if !t.StopLogging.IsZero() {
			out["StopLoggingTime"] = epoch(t.StopLogging)
		}
		return out, nil
	}
	out := map[string]any{"TrailARN": t.arn()}
	switch {
	case len(t.AdvancedEventSelectors) > 0:
		out["AdvancedEventSelectors"] = t.AdvancedEventSelectors
	case len(t.EventSelectors) > 0:
		out["EventSelectors"] = t.EventSelectors
	default:
		out["EventSelectors"] = []EventSelector{{ReadWriteType: "All", IncludeManagementEvents: ptr(true)}}
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }
