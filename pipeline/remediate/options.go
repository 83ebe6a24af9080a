package remediate

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/dormant-iam/dormant/internal/signature"
)

// Modes override what the manifest's decisions do.
const (
	// ModePlanned follows each entry's decision.
	ModePlanned = ""
	// ModeDeactivate only deactivates: delete entries are downgraded to
	// deactivate; unused keys are made Inactive.
	ModeDeactivate = "deactivate"
	// ModeDelete follows each user entry's decision (a deactivate entry is
	// never upgraded to delete) and deletes unused keys instead of
	// deactivating them.
	ModeDelete = "delete"
)

// Defaults.
const (
	DefaultConcurrency = 4
	DefaultMaxAge      = 30 * 24 * time.Hour
	DefaultExemptTag   = "dormant:exempt"
	// DefaultGraceDays is how long after a deactivation a delete entry that
	// ModeDeactivate downgraded is tagged due for deletion: it was already
	// due, so this is the owner's notice period.
	DefaultGraceDays = 30
	// DefaultCallTimeout bounds one mutating call (retries included), which
	// runs to completion even after Ctrl-C.
	DefaultCallTimeout = 2 * time.Minute
	// JournalName is the journal's file name in the backup directory when
	// no journal path is given.
	JournalName = "journal.jsonl"
)

// Deps are the Remediator's collaborators.
type Deps struct {
	// Clients reaches each account (required); see AWSClients.
	Clients ClientFactory
	// Out receives the plan and results, for people (default io.Discard).
	Out io.Writer
	// Logger receives progress and warnings (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Option configures a Remediator.
type Option func(*config)

type config struct {
	apply        bool
	only         []string
	mode         string
	backupDir    string
	journal      string
	concurrency  int
	maxAge       time.Duration
	allowEdited  bool
	exemptTag    string
	graceDays    int
	callTimeout  time.Duration
	onlyPatterns []onlyItem
	trustKey     signature.Verifier
	signKey      signature.Signer
	ignoreIaC    bool
}

type onlyItem struct{ account, user string }

// WithIgnoreIaC lets --apply deactivate, through IAM, the users a
// remove-in-iac entry says infrastructure as code manages (--ignore-iac);
// the journal records that the IaC was ignored. Without it such an entry
// makes no IAM call: remediation prints the change to make in code.
func WithIgnoreIaC(ignore bool) Option { return func(c *config) { c.ignoreIaC = ignore } }

// WithApply makes changes in AWS; without it every operation is a dry run
// that only reads.
func WithApply(apply bool) Option { return func(c *config) { c.apply = apply } }

// WithOnly limits the run to the given users, each "account/user" (the
// user's entry and its key entries).
func WithOnly(users ...string) Option {
	return func(c *config) { c.only = append(c.only, users...) }
}

// WithMode sets ModePlanned, ModeDeactivate or ModeDelete.
func WithMode(mode string) Option { return func(c *config) { c.mode = mode } }

// WithBackupDir sets where backups go (default: backup-<run id> next to the
// manifest).
func WithBackupDir(dir string) Option { return func(c *config) { c.backupDir = dir } }

// WithJournal sets the journal file (default: journal.jsonl in the backup
// directory for remediation; none for restore).
func WithJournal(path string) Option { return func(c *config) { c.journal = path } }

// WithConcurrency sets how many users are remediated at once (default 4).
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// WithMaxAge refuses a manifest whose evidence is older than d (default 30
// days); 0 disables the check.
func WithMaxAge(d time.Duration) Option { return func(c *config) { c.maxAge = d } }

// WithAllowEdited accepts a manifest whose digest does not match its entries
// or whose schema version is unknown (its entries must still pass the
// current schema's rules).
func WithAllowEdited(allow bool) Option { return func(c *config) { c.allowEdited = allow } }

// WithTrustKey makes remediation act only on a manifest that carries a
// valid detached signature (<manifest>.sig) by v; --allow-edited then never
// applies. Without it, remediation warns that the manifest is unsigned.
func WithTrustKey(v signature.Verifier) Option { return func(c *config) { c.trustKey = v } }

// WithSignKey signs each backup remediation writes (<backup>.sig), and
// restore then checks that signature with the same key.
func WithSignKey(s signature.Signer) Option { return func(c *config) { c.signKey = s } }

// WithExemptTag sets the tag key whose value "true" exempts a user (default
// dormant:exempt); the re-check skips a user that carries it.
func WithExemptTag(key string) Option { return func(c *config) { c.exemptTag = key } }

// WithGraceDays sets DefaultGraceDays.
func WithGraceDays(days int) Option { return func(c *config) { c.graceDays = days } }

// WithCallTimeout sets DefaultCallTimeout.
func WithCallTimeout(d time.Duration) Option { return func(c *config) { c.callTimeout = d } }

// ConfigError is a bad option: the caller's mistake, not AWS's.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

var (
	onlyRE   = regexp.MustCompile(`^([0-9]{12})/([\w+=,.@-]{1,64})$`)
	tagKeyRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
)

func (c *config) validate() error {
	var probs []string
	switch c.mode {
	case ModePlanned, ModeDeactivate, ModeDelete:
	default:
		probs = append(probs, fmt.Sprintf("mode %q: use %s or %s (or leave it empty to follow each entry's decision)", c.mode, ModeDeactivate, ModeDelete))
	}
	if c.mode == ModeDelete && c.trustKey != nil {
		// A signed plan is carried out as signed: --mode delete would delete
		// keys its entries only deactivate, and a deleted key cannot return.
		probs = append(probs, fmt.Sprintf("mode %s with a trusted signature: the signed plan deactivates its unused keys, and --mode %s would delete them; drop --mode %s (or --mode %s, which only downgrades)", ModeDelete, ModeDelete, ModeDelete, ModeDeactivate))
	}
	if c.concurrency < 1 {
		probs = append(probs, fmt.Sprintf("concurrency %d: must be at least 1", c.concurrency))
	}
	if c.maxAge < 0 {
		probs = append(probs, fmt.Sprintf("max age %s: must not be negative (0 disables the check)", c.maxAge))
	}
	if c.graceDays < 1 {
		probs = append(probs, fmt.Sprintf("grace %d days: must be at least 1", c.graceDays))
	}
	if c.callTimeout <= 0 {
		probs = append(probs, fmt.Sprintf("call timeout %s: must be positive", c.callTimeout))
	}
	if !tagKeyRE.MatchString(c.exemptTag) {
		probs = append(probs, fmt.Sprintf("exempt tag %q is not an IAM tag key", c.exemptTag))
	}
	c.onlyPatterns = nil
	for _, o := range c.only {
		m := onlyRE.FindStringSubmatch(strings.TrimSpace(o))
		if m == nil {
			probs = append(probs, fmt.Sprintf("only %q: write account/user, e.g. 111111111111/alice", o))
			continue
		}
		c.onlyPatterns = append(c.onlyPatterns, onlyItem{m[1], m[2]})
	}
	if len(probs) > 0 {
		return &ConfigError{Err: errors.New(strings.Join(probs, "; "))}
	}
	return nil
}
