package trails

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// API is the part of the CloudTrail client the live reader calls, with the
// SDK's own signatures.
type API interface {
	DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
}

// Read describes every trail that applies to account, with api holding that
// account's credentials. Shadow trails are included, so a multi-region
// trail homed elsewhere and an organization trail of the management account
// show up; each trail's status and selectors are asked of its home region
// (the SDK option), by ARN, as AWS requires for a shadow trail.
func Read(ctx context.Context, api API, account string) ([]Description, error) {
	out, err := api.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("describing the trails of account %s (cloudtrail:DescribeTrails): %w", account, err)
	}
	var descs []Description
	seen := map[string]bool{}
	for _, t := range out.TrailList {
		id := cmpOr(aws.ToString(t.TrailARN), aws.ToString(t.Name))
		if seen[id] {
			continue
		}
		seen[id] = true
		inRegion := func(o *cloudtrail.Options) {
			if r := aws.ToString(t.HomeRegion); r != "" {
				o.Region = r
			}
		}
		st, err := api.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(id)}, inRegion)
		if err != nil {
			return nil, fmt.Errorf("reading the status of trail %s of account %s (cloudtrail:GetTrailStatus): %w", id, account, err)
		}
		sel, err := api.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(id)}, inRegion)
		if err != nil {
			return nil, fmt.Errorf("reading the event selectors of trail %s of account %s (cloudtrail:GetEventSelectors): %w", id, account, err)
		}
		d := Description{
			AccountID: account, Trail: t, EventSelectors: sel.EventSelectors, AdvancedEventSelectors: sel.AdvancedEventSelectors,
			Status: Status{IsLogging: aws.ToBool(st.IsLogging)}, Source: "aws:cloudtrail",
		}
		if st.IsLogging == nil {
			return nil, fmt.Errorf("reading the status of trail %s of account %s: GetTrailStatus gave no IsLogging", id, account)
		}
		if st.StartLoggingTime != nil {
			d.Status.StartLoggingTime = st.StartLoggingTime.UTC()
		}
		if st.StopLoggingTime != nil {
			d.Status.StopLoggingTime = st.StopLoggingTime.UTC()
		}
		descs = append(descs, d)
	}
	slices.SortFunc(descs, func(a, b Description) int {
		return strings.Compare(aws.ToString(a.Trail.TrailARN)+aws.ToString(a.Trail.Name), aws.ToString(b.Trail.TrailARN)+aws.ToString(b.Trail.Name))
	})
	return descs, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
