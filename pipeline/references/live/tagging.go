package live

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/dormant-iam/dormant/pipeline/references"
	"github.com/dormant-iam/dormant/tables"
)

func init() {
	register(references.CheckTagging, 90, func(c *Clients, opts Options) *Checker { return NewTagging(c.Tagging, opts) })
}

// TaggingAPI is the Resource Groups Tagging API call the tagging check
// makes; *resourcegroupstaggingapi.Client satisfies it.
type TaggingAPI interface {
	GetResources(ctx context.Context, params *tagging.GetResourcesInput, optFns ...func(*tagging.Options)) (*tagging.GetResourcesOutput, error)
}

// NewTagging returns the tagging check: resources whose owner tags
// (Options.OwnerTagKeys) name a candidate, in every region.
func NewTagging(clients ClientFunc[TaggingAPI], opts Options) *Checker {
	keys := slices.Clone(opts.OwnerTagKeys)
	if len(keys) == 0 {
		keys = slices.Clone(DefaultOwnerTagKeys)
	}
	return regional(references.CheckTagging, KindTaggedResource, clients, opts,
		func(u unit) string { return fmt.Sprintf("arn:%s:*:%s:%s:*", u.partition, u.region, u.account) },
		func(ctx context.Context, r *run, u unit, client TaggingAPI) {
			// Tag filters are ANDed, so each key is its own listing.
			for _, key := range keys {
				p := tagging.NewGetResourcesPaginator(client, &tagging.GetResourcesInput{
					TagFilters:       []taggingtypes.TagFilter{{Key: aws.String(key)}},
					ResourcesPerPage: aws.Int32(100),
				})
				err := r.pages(ctx, p.HasMorePages, func(ctx context.Context) error {
					out, err := p.NextPage(ctx)
					if err != nil {
						return err
					}
					for _, m := range out.ResourceTagMappingList {
						for _, t := range m.Tags {
							if aws.ToString(t.Key) != key {
								continue
							}
							v := aws.ToString(t.Value)
							for _, usr := range r.owners(u.account, v) {
								r.reference(usr, KindTaggedResource, aws.ToString(m.ResourceARN), u.region, "Tag:"+key, v)
							}
						}
					}
					return nil
				})
				if err != nil {
					// The other keys would fail alike; one row says the
					// region's tags were not all read.
					r.listFailed(ctx, u, err)
					return
				}
			}
		})
}

// owners returns the candidates a tag value names: by ARN or unique ID, or
// by name (without case) among the users of the resource's account.
func (r *run) owners(account, value string) []*tables.User {
	v := strings.TrimSpace(value)
	if v == "" {
		return nil
	}
	if us := r.byLiteral[v]; len(us) > 0 {
		return us
	}
	return r.byName[[2]string{account, strings.ToLower(v)}]
}
