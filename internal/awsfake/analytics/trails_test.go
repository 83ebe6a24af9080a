package analytics

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// TestTrails: each caller sees the trails that apply to its account; a
// shadow trail (homed elsewhere, or another account's) is listed only with
// includeShadowTrails, and a trail the caller cannot see is not found.
func TestTrails(t *testing.T) {
	account := "222222222222"
	s := newServer(t, Config{
		AccountOf: func(string) (string, bool) { return account, true },
		Trails: []Trail{
			{Name: "org", Accounts: []string{AccountID, "222222222222"}, Organization: true, MultiRegion: true, IsLogging: true},
			{Name: "own", Owner: "222222222222", HomeRegion: "eu-west-1"},
			{Name: "other", Owner: "333333333333"},
		},
	})
	c := s.CloudTrailClient()
	ctx := context.Background()
	all, err := c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil || len(all.TrailList) != 2 {
		t.Fatalf("with shadow trails: %+v %v", all, err)
	}
	local, err := c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
	if err != nil || len(local.TrailList) != 0 {
		t.Errorf("without shadow trails, the organization trail and one homed in eu-west-1 are not listed in us-east-1: %+v %v", local, err)
	}
	st, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: all.TrailList[0].TrailARN})
	if err != nil || !aws.ToBool(st.IsLogging) {
		t.Errorf("status of %s: %+v %v", aws.ToString(all.TrailList[0].TrailARN), st, err)
	}
	sel, err := c.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("own")})
	if err != nil || len(sel.EventSelectors) != 1 || sel.EventSelectors[0].ReadWriteType != "All" {
		t.Errorf("a trail without selectors has the default one: %+v %v", sel, err)
	}
	if _, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("arn:aws:cloudtrail:us-east-1:333333333333:trail/other")}); !isCode(err, "TrailNotFoundException") {
		t.Errorf("another account's trail: %v", err)
	}
}
