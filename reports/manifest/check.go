package manifest

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/dormant-iam/dormant/tables"
)

// The schema's patterns for what identifies a user (schema/v1.json, $defs/entry).
// IAM's API reference gives UserId as [\w]+ of 16 to 128 characters: AIDA is
// only the usual prefix, and emulators and other partitions use others.
var (
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	userNameRE  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	userIDRE    = regexp.MustCompile(`^\w{16,128}$`)
)

// CheckFinding reports what in a finding's data, all of it from the run's
// inputs, would make Build refuse the entries the finding asks for: a
// missing or malformed unique ID, account ID, user name or ARN (or an ARN
// naming another user), text that is not UTF-8, a time JSON cannot carry, an
// unused key without its creation time. The classifier calls it before it
// decides on a removal, so that such a user goes to review instead of
// aborting the run at the manifest; the error says what is missing.
func CheckFinding(f *tables.Finding) error {
	if err := checkPlanned(f); err != nil {
		return err
	}
	for _, t := range []struct {
		field string
		v     time.Time
	}{
		{"creation date", f.CreateDate}, {"password last used", f.PasswordLastUsed},
		{"access key 1 last used", f.Key1LastUsed}, {"access key 2 last used", f.Key2LastUsed},
		{"CloudTrail last event", f.CloudTrailLastEvent}, {"last activity", f.LastActivity},
	} {
		if err := checkTime(t.field, t.v); err != nil {
			return err
		}
	}
	for _, slot := range f.UnusedKeys {
		if err := checkKey(f, slot); err != nil {
			return err
		}
	}
	return nil
}

// checkPlanned is what Build requires of a finding it plans entries for:
// the identity remediation matches by, in the form the schema states, and a
// day count the schema allows, so that the plan it signs is one the reader accepts.
func checkPlanned(f *tables.Finding) error {
	if err := checkIdentity(f); err != nil {
		return err
	}
	if err := checkForm(f); err != nil {
		return err
	}
	if f.DaysInactive < -1 {
		return fmt.Errorf("days inactive is %d: a negative count means activity after as-of, which is no removal", f.DaysInactive)
	}
	return nil
}

// checkReasons requires a user entry to say why, as the schema does.
func checkReasons(reasons []string) error {
	if len(reasons) == 0 {
		return errors.New("reasons: has 0 items, want at least 1: a removal must say why it is proposed")
	}
	for i, r := range reasons {
		if r == "" {
			return fmt.Errorf("reasons[%d]: is empty: a removal must say why it is proposed", i)
		}
	}
	return nil
}

// checkTime refuses a time outside years 0 to 9999, which RFC 3339 (and so
// the manifest) cannot write.
func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("the %s %s is outside years 0 to 9999: the input it came from is damaged", field, t.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkKey requires what identifies an unused key for its own entry.
func checkKey(f *tables.Finding, slot int64) error {
	var active bool
	var rotated time.Time
	switch slot {
	case 1:
		active, rotated = f.Key1Active, f.Key1LastRotated
	case 2:
		active, rotated = f.Key2Active, f.Key2LastRotated
	default:
		return fmt.Errorf("unused key slot %d: the credential report has slots 1 and 2", slot)
	}
	if !active {
		return fmt.Errorf("access key %d is listed as unused but is not active", slot)
	}
	if rotated.IsZero() {
		return fmt.Errorf("access key %d has no creation (last rotated) time, which is what identifies the key (the credential report has no key IDs)", slot)
	}
	return checkTime(fmt.Sprintf("access key %d creation time", slot), rotated)
}

// checkForm requires the identity in the form the schema states, so that
// the check Build runs on the plan cannot fail on it.
func checkForm(f *tables.Finding) error {
	if !accountIDRE.MatchString(f.AccountID) {
		return fmt.Errorf("the account ID %q is not 12 digits", f.AccountID)
	}
	if !userNameRE.MatchString(f.UserName) {
		return fmt.Errorf("the user name %q is not an IAM user name (1 to 64 letters, digits and +=,.@_-)", f.UserName)
	}
	if !userIDRE.MatchString(f.UserID) {
		return fmt.Errorf("the unique user ID %q is not one IAM issues (16 to 128 letters, digits and _)", f.UserID)
	}
	// Indexes rather than submatch strings: this runs for every candidate.
	mm := arnRE.FindStringSubmatchIndex(f.ARN)
	if mm == nil || !arnSchemaRE.MatchString(f.ARN) {
		return fmt.Errorf("the ARN %q is not an IAM user ARN", f.ARN)
	}
	if acct := f.ARN[mm[2]:mm[3]]; acct != f.AccountID {
		return fmt.Errorf("the ARN %q is in account %s, not the user's account %s", f.ARN, acct, f.AccountID)
	}
	if name := f.ARN[mm[4]:mm[5]]; name != f.UserName {
		return fmt.Errorf("the ARN %q names user %q, not %q", f.ARN, name, f.UserName)
	}
	return nil
}

// arnSchemaRE is the schema's pattern for an entry's arn.
var arnSchemaRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:user/(.+/)?[\w+=,.@-]{1,64}$`)
