package activity

// skipReason is why a record is not attributed to anyone; its values index
// tables.SkipReasonList.
type skipReason int8

const (
	skipNullRecord skipReason = iota
	skipNoTime
	skipBadTime
	skipNoIdentity
	skipInsight
	numSkips

	notSkipped skipReason = -1
)

// skip classifies r as the SQL's skip column does, in the same order.
func (r *record) skip() skipReason {
	switch {
	case r.null:
		return skipNullRecord
	case r.eventType.is("AwsCloudTrailInsight"):
		return skipInsight
	case r.badTime:
		return skipBadTime
	case !r.hasTime:
		return skipNoTime
	case !r.user.present:
		return skipNoIdentity
	}
	return notSkipped
}
