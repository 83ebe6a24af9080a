package live

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/tables"
)

// StageAccessKeys is the ListAccessKeys calls after the inventory is read.
const StageAccessKeys = "access-keys"

// keyUsers are the users whose keys are listed by ID: every user the
// credential report shows with an access key (only such a user has a key
// to find in code or to name in the manifest), and every user remediation
// deactivated (tag dormant:deactivated), whose keys the watch follows.
func keyUsers(rep *inventory.CredentialReport, det *inventory.AuthorizationDetails) []string {
	var out []string
	for _, u := range rep.Users {
		if u.IsRoot {
			continue
		}
		if u.Key1Active || u.Key2Active || !u.Key1LastRotated.IsZero() || !u.Key2LastRotated.IsZero() {
			out = append(out, u.UserName)
		}
	}
	for _, u := range det.Users {
		if slices.ContainsFunc(u.Tags, func(t tables.Tag) bool { return t.Key == tables.TagDeactivated }) {
			out = append(out, u.UserName)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// listAccessKeys reads the access keys, by ID, of the users keyUsers picks.
// A user deleted since the report was generated (NoSuchEntity) has no keys
// to list; any other failure fails the account, as the key IDs are what the
// code search and the manifest's key entries rest on.
func (s *Source) listAccessKeys(ctx context.Context, acct string, client IAMAPI, rep *inventory.CredentialReport, det *inventory.AuthorizationDetails) ([]tables.AccessKey, error) {
	var out []tables.AccessKey
	for _, name := range keyUsers(rep, det) {
		p := iam.NewListAccessKeysPaginator(client, &iam.ListAccessKeysInput{UserName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if ErrorCode(err) == "NoSuchEntity" {
					s.log.InfoContext(ctx, "user gone since the credential report; no keys to list", "account", acct, "user", name)
					break
				}
				return nil, fmt.Errorf("listing the access keys of user %s (iam:ListAccessKeys): %w; grant iam:ListAccessKeys to the role the run uses", name, err)
			}
			for _, k := range page.AccessKeyMetadata {
				out = append(out, tables.AccessKey{
					AccountID: acct, UserName: aws.ToString(k.UserName), AccessKeyID: aws.ToString(k.AccessKeyId),
					Status: string(k.Status), CreateDate: aws.ToTime(k.CreateDate).UTC(), Source: "aws:" + acct,
				})
			}
		}
	}
	slices.SortFunc(out, func(a, b tables.AccessKey) int {
		if c := strings.Compare(a.UserName, b.UserName); c != 0 {
			return c
		}
		return a.CreateDate.Compare(b.CreateDate)
	})
	return out, nil
}
