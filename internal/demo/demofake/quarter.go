package demofake

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/dormant-iam/dormant/internal/awsfake"
	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline/remediate"
	"github.com/dormant-iam/dormant/tables"
)

// Fake serves a demo directory's organization from the fake IAM on a clock
// the demo moves, so that remediation and an admin's changes between two
// quarters happen on the demo's dates, not today's.
type Fake struct {
	Org    *awsfake.Org
	Server *awsfake.Server
	now    atomic.Int64 // unix nanoseconds
}

// Serve loads dir (a demo directory) into the fake IAM, its clock at now.
// Close it when done.
func Serve(dir string, now time.Time) (*Fake, error) {
	org, err := Org(dir)
	if err != nil {
		return nil, err
	}
	f := &Fake{Org: org}
	f.SetClock(now)
	f.Server = awsfake.New(org, awsfake.WithClock(func() time.Time { return time.Unix(0, f.now.Load()).UTC() }))
	if err := f.Server.Err(); err != nil {
		f.Server.Close()
		return nil, fmt.Errorf("serving the demo organization of %s: %w", dir, err)
	}
	return f, nil
}

// SetClock sets the fake IAM's clock (what it stamps on changes).
func (f *Fake) SetClock(t time.Time) { f.now.Store(t.UnixNano()) }

// Close stops the server.
func (f *Fake) Close() { f.Server.Close() }

// Clients reaches every account as `dormant remediate --role-name
// OrganizationAccountAccessRole` does: the caller's own account directly,
// the others through the role.
func (f *Fake) Clients() remediate.ClientFactory {
	return remediate.AWSClients(f.Server.AWSConfig(f.Org.CallerCredentials()), remediate.AWSAccess{RoleName: demo.AdminRoleName})
}

// Users is every IAM user the fake IAM holds now, accounts in order, users
// in IAM's order.
func (f *Fake) Users() []demo.IAMUser {
	var out []demo.IAMUser
	f.Server.Do(func(o *awsfake.Org) {
		for _, a := range o.Accounts {
			for _, u := range a.Users {
				iu := demo.IAMUser{AccountID: a.ID, UserName: u.Name, UserID: u.UserID, LoginProfile: u.LoginProfile != nil}
				for _, k := range u.AccessKeys {
					iu.Keys = append(iu.Keys, demo.IAMKey{ID: k.ID, Active: k.Status == awsfake.StatusActive})
				}
				for _, t := range u.Tags {
					iu.Tags = append(iu.Tags, tables.Tag{Key: t.Key, Value: t.Value})
				}
				out = append(out, iu)
			}
		}
	})
	return out
}

// AdminSession is the session name the demo's admin acts under.
const AdminSession = "platform-oncall"

// Reenable is an admin re-enabling u's first access key at at: through
// AssumeRole into u's account as AdminSession, iam:UpdateAccessKey Status
// Active, through the real SDK. It returns what the next quarter's
// CloudTrail must log.
func (f *Fake) Reenable(ctx context.Context, u demo.IAMUser, at time.Time) (*demo.Reenabled, error) {
	if len(u.Keys) == 0 {
		return nil, fmt.Errorf("re-enabling %s/%s: the user has no access key", u.AccountID, u.UserName)
	}
	f.SetClock(at)
	creds := f.Org.CallerCredentials()
	if u.AccountID != f.Org.ManagementAccountID {
		// In the management account the caller acts itself, as remediation
		// does; the demo's logs show the admin role either way.
		roleARN := "arn:aws:iam::" + u.AccountID + ":role/" + demo.AdminRoleName
		as, err := f.Server.STSClient(creds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(AdminSession)})
		if err != nil {
			return nil, fmt.Errorf("re-enabling %s/%s: assuming %s: %w", u.AccountID, u.UserName, roleARN, err)
		}
		c := as.Credentials
		creds = aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
	}
	key := u.Keys[0].ID
	if _, err := f.Server.IAMClient(creds).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(u.UserName), AccessKeyId: aws.String(key), Status: iamtypes.StatusTypeActive}); err != nil {
		return nil, fmt.Errorf("re-enabling %s/%s: iam:UpdateAccessKey %s: %w", u.AccountID, u.UserName, key, err)
	}
	return &demo.Reenabled{AccountID: u.AccountID, UserName: u.UserName, AccessKeyID: key, At: at, RoleName: demo.AdminRoleName, SessionName: AdminSession}, nil
}
