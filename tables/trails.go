package tables

import "time"

// Trail is one row of the trails table: what one CloudTrail trail that
// applies to an account records (its event selectors) and whether it was
// logging, normalised from DescribeTrails, GetEventSelectors and
// GetTrailStatus (read live or from --trail-description files).
type Trail struct {
	// AccountID is the account whose events the trail was read for: the
	// account DescribeTrails was called in (an organization trail shows up
	// in every member account).
	AccountID    string `arrow:"account_id"`
	Name         string `arrow:"name"`
	ARN          string `arrow:"arn"`
	HomeRegion   string `arrow:"home_region"`
	MultiRegion  bool   `arrow:"multi_region"`
	Organization bool   `arrow:"organization"`

	// GetTrailStatus: StartLogging and StopLogging are the latest such
	// calls (zero when the status does not give them).
	IsLogging    bool      `arrow:"is_logging"`
	StartLogging time.Time `arrow:"start_logging"`
	StopLogging  time.Time `arrow:"stop_logging"`

	// ManagementEvents: some selector records management events;
	// ReadOnlyRecorded and WriteOnlyRecorded say which of them (readOnly
	// true, false). ExcludedSources are the event sources every management
	// selector of the trail leaves out (kms.amazonaws.com,
	// rdsdata.amazonaws.com). DataEvents: some selector records data events.
	ManagementEvents  bool     `arrow:"management_events"`
	ReadOnlyRecorded  bool     `arrow:"read_only_recorded"`
	WriteOnlyRecorded bool     `arrow:"write_only_recorded"`
	ExcludedSources   []string `arrow:"excluded_sources"`
	DataEvents        bool     `arrow:"data_events"`
	// Ignored lists the selectors read as recording no management events
	// because they restrict them in a way not modelled (e.g. eventSource
	// Equals): read conservatively, as not recording.
	Ignored []string `arrow:"ignored_selectors"`

	// Source is where the description came from: "aws:cloudtrail" or the
	// --trail-description file.
	Source string `arrow:"source"`
}
