package ctrecord

// SkipReason is why a record is not attributed to anyone; its values index
// tables.SkipReasonList.
type SkipReason int8

const (
	SkipNullRecord SkipReason = iota
	SkipNoTime
	SkipBadTime
	SkipNoIdentity
	SkipInsight
	NumSkips

	NotSkipped SkipReason = -1
)

// Skip classifies r as the SQL's skip column does, in the same order.
func (r *Record) Skip() SkipReason {
	switch {
	case r.Null:
		return SkipNullRecord
	case r.EventType.Is("AwsCloudTrailInsight"):
		return SkipInsight
	case r.BadTime:
		return SkipBadTime
	case !r.HasTime:
		return SkipNoTime
	case !r.User.Present:
		return SkipNoIdentity
	}
	return NotSkipped
}
