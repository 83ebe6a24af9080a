package demo

import (
	"time"

	"github.com/dormant-iam/dormant/tables"
)

type principalKind uint8

const (
	kindUser    principalKind = iota // a current IAM user
	kindOldUser                      // a deleted user whose events remain (re-created case)
	kindRoot
)

type keySlot struct {
	exists   bool
	active   bool
	id       string // AKIA...
	rotated  time.Time
	lastUsed time.Time // zero: N/A
	region   string
	service  string
}

type tag struct{ Key, Value string }

// user is one identity of the organization: an IAM user, the root user, or a
// deleted user whose CloudTrail events are still in the logs.
type user struct {
	acct     *account
	idx      int32 // index in org.principals
	kind     principalKind
	name     string
	path     string
	id       string // AIDA...; the account ID for root
	arn      string
	created  time.Time
	caseName string
	human    bool
	ip       string // usual source address

	inReport bool
	inGAAD   bool

	pwEnabled  bool
	pwLastUsed time.Time // zero and pwNoInfo: no_information; zero otherwise: N/A
	pwNoInfo   bool
	pwChanged  time.Time
	mfa        bool
	keys       [2]keySlot

	groups   []string
	attached []string // managed policy ARNs
	selfPol  bool     // has the self-service inline policy
	boundary string
	tags     []tag

	// What the classification must find, by construction.
	decision   string // for inactive cases: deactivate or delete, as built
	failed     bool   // failed console sign-ins visible in the window
	referenced bool   // named in a policy of the authorization details
	ctLast     int64  // latest counted CloudTrail event in the window, unix seconds; 0 if none
	fedName    string
	exp        Expected

	// Later quarters (quarter.go): what remediation left and the user's
	// lifecycle role.
	gone        bool // deleted from IAM by the previous quarter's remediation
	deact       tables.Deactivation
	lifecycle   string // Lifecycle* or ""
	reenabledBy *Reenabled
}

type role struct {
	name, path, id, arn string
	created             time.Time
	trust               policyDoc
	encoded             bool // print the trust policy URL-encoded (the SDK's form)
	style               sessionStyle
	service             string // service principal for service roles
	attached            []string
	inline              []namedDoc
	lastUsed            time.Time
	lastUsedRegion      string
	maxSession          int
}

type sessionStyle uint8

const (
	styleNone    sessionStyle = iota // never assumed in the generated logs
	styleECS                         // task ID session names
	styleLambda                      // function name
	styleEC2                         // instance ID
	styleSSO                         // e-mail address
	styleAdmin                       // OrganizationAccountAccessRole, named admins
	styleCI                          // GitHub Actions / Terraform
	styleService                     // service-linked role
)

type group struct {
	name, path, id, arn string
	created             time.Time
	inline              []namedDoc
	attached            []string
}

type namedDoc struct {
	name    string
	doc     policyDoc
	encoded bool
}

type policyVersion struct {
	id        string
	doc       policyDoc
	isDefault bool
	created   time.Time
	encoded   bool
}

type managedPolicy struct {
	name, path, id, arn string
	created, updated    time.Time
	versions            []policyVersion
	attachments         int
	boundaryUses        int
	awsManaged          bool
	description         string
}

// Policy document types, in the order AWS prints the keys.
type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *principal `json:"Principal,omitempty"`
	Action    any        `json:"Action,omitempty"`
	NotAction any        `json:"NotAction,omitempty"`
	Resource  any        `json:"Resource,omitempty"`
	Condition any        `json:"Condition,omitempty"`
}

type principal struct {
	AWS       any `json:"AWS,omitempty"`
	Service   any `json:"Service,omitempty"`
	Federated any `json:"Federated,omitempty"`
}

type account struct {
	idx        int
	id         string
	cov        coverage
	trailStart time.Time // first instant the trail logs; zero without coverage
	trail      *trailAcct
	created    time.Time
	reportAt   time.Time

	users    []*user // current users, sorted by name
	root     *user
	roles    []*role
	groups   []*group
	policies []*managedPolicy

	ssoRoles  []*role
	busyRoles []*role // roles whose sessions fill the background
	partner   *role   // assumed cross-account by other accounts' users
	saml      string
	buckets   []string
	kmsKeys   []string
	functions []string
	tables    []string
	vpc       string
	subnets   []string
}

type allowEntry struct {
	AccountID string
	UserName  string
	Reason    string
	Owner     string
	Expires   time.Time
}
