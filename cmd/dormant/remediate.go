package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dormant-iam/dormant/internal/awssession"
	"github.com/dormant-iam/dormant/pipeline/remediate"
)

// remediateExitHelp is the exit status both commands document.
const remediateExitHelp = `
Exit status: 0 when every entry was done, already done, or (dry run) planned;
1 when the manifest or backup was refused, or any entry failed or was
interrupted; 4 when nothing failed but some entries were skipped (the live
re-check found a reason not to act); 2 for bad flags.
`

// remediateAWSFlags are how remediate and restore reach AWS.
type remediateAWSFlags struct {
	profile, region, roleName, externalID, endpointURL string
	logFormat, logLevel                                string
}

func (f *remediateAWSFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.profile, "profile", "", "AWS shared config profile (default: the SDK's default chain)")
	fs.StringVar(&f.region, "region", "", "AWS region to sign IAM calls for (IAM is global; default from the profile, else us-east-1)")
	fs.StringVar(&f.roleName, "role-name", "", "role assumed in every account other than the caller's, e.g. OrganizationAccountAccessRole")
	fs.StringVar(&f.externalID, "external-id", "", "external ID for AssumeRole")
	fs.StringVar(&f.endpointURL, "endpoint-url", "", "override the IAM and STS endpoint (e.g. an emulator)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
}

// deps loads the AWS config and builds the Remediator's collaborators.
func (f *remediateAWSFlags) deps(ctx context.Context, stdout, stderr io.Writer) (remediate.Deps, error) {
	logger, err := newLogger(stderr, f.logFormat, f.logLevel)
	if err != nil {
		return remediate.Deps{}, err
	}
	cfg, err := awssession.Load(ctx, awssession.Settings{Profile: f.profile, Region: f.region, EndpointURL: f.endpointURL})
	if err != nil {
		return remediate.Deps{}, err
	}
	clients := remediate.AWSClients(cfg, remediate.AWSAccess{RoleName: f.roleName, ExternalID: f.externalID})
	return remediate.Deps{Clients: clients, Out: stdout, Logger: logger, Now: time.Now}, nil
}

// remediateConfigErr maps the package's option errors to usage errors.
func remediateConfigErr(err error) error {
	if ce := (*remediate.ConfigError)(nil); errors.As(err, &ce) {
		return usageError{err}
	}
	return err
}

func cmdRemediate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dormant remediate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		awsF         remediateAWSFlags
		cfgPath      string
		manifestPath string
		apply        bool
		only         listFlag
		mode         string
		backupDir    string
		journal      string
		concurrency  int
		maxAge       = ageFlag(remediate.DefaultMaxAge)
		allowEdited  bool
		exemptTag    string
		grace        = daysFlag(remediate.DefaultGraceDays)
		trustKey     string
		signKey      string
	)
	awsF.register(fs)
	fs.StringVar(&cfgPath, "config", "", "YAML file with flag values (same names); the command line wins")
	fs.StringVar(&manifestPath, "manifest", "", "the remediation manifest to carry out (reports/remediation-manifest.json of a run); required")
	fs.BoolVar(&apply, "apply", false, "make the changes; without it, print the plan (the exact calls per user, in order, and why) and change nothing")
	fs.Var(&only, "only", "only these users, as account/user (e.g. 111111111111/alice); repeatable or comma-separated")
	fs.StringVar(&mode, "mode", "", "deactivate: delete entries are only deactivated; delete: unused-key entries delete the key instead of deactivating it (a deactivate entry is never upgraded; refused with --trust-key, since a signed plan is carried out as signed); default: each entry's decision")
	fs.StringVar(&backupDir, "backup-dir", "", "where backups go, <dir>/<account>/<user>.json (default: backup-<run id> next to the manifest)")
	fs.StringVar(&journal, "journal", "", "JSON-lines journal of every call; a re-run with the same journal continues where it stopped (default: journal.jsonl in the backup directory)")
	fs.IntVar(&concurrency, "concurrency", remediate.DefaultConcurrency, "users remediated at once")
	fs.Var(&maxAge, "max-age", "refuse a manifest whose evidence is older than this, in days (30d) or as a duration, 1h to 365d; command line only, like --apply and --allow-edited")
	fs.BoolVar(&allowEdited, "allow-edited", false, "accept a manifest whose digest does not match its entries or whose schema version is unknown")
	fs.StringVar(&exemptTag, "exempt-tag", remediate.DefaultExemptTag, "users tagged <key>=true are never touched")
	fs.StringVar(&trustKey, "trust-key", "", "act only on a manifest whose detached signature (<manifest>.sig) is by this key; "+trustKeyHelp)
	fs.StringVar(&signKey, "sign-key", "", "sign each backup written (<backup>.sig); "+signKeyHelp)
	fs.Var(&grace, "grace", "a delete entry downgraded by --mode deactivate is tagged dormant:delete-after this many days after today; deactivate entries carry the manifest's own date")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: dormant remediate --manifest FILE [--apply] [flags]\n\nCarries out a remediation manifest: re-checks each user live, backs it up, then\ndeactivates or deletes it. Dry run unless --apply.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), remediateExitHelp)
	}
	if err := parseFlags(fs, args, &cfgPath); err != nil {
		return err
	}
	if manifestPath == "" {
		return usageError{errors.New("--manifest is required")}
	}
	deps, err := awsF.deps(ctx, stdout, stderr)
	if err != nil {
		return err
	}
	keys := awsKeyAccess{awsF.profile, awsF.region, awsF.endpointURL}
	trust, err := keys.verifier(ctx, trustKey)
	if err != nil {
		return err
	}
	signer, err := keys.signer(ctx, signKey)
	if err != nil {
		return err
	}
	if trust == nil {
		// Loud on purpose: whoever could write the file chose what it removes.
		fmt.Fprintf(stderr, "WARNING: %s is not checked against any signature: pass --trust-key with the reviewers' public key (or kms:<key>) to act only on a manifest they signed\n", manifestPath)
	}
	r, err := remediate.New(deps,
		remediate.WithTrustKey(trust), remediate.WithSignKey(signer),
		remediate.WithApply(apply), remediate.WithOnly(only...), remediate.WithMode(mode),
		remediate.WithBackupDir(backupDir), remediate.WithJournal(journal), remediate.WithConcurrency(concurrency),
		remediate.WithMaxAge(time.Duration(maxAge)), remediate.WithAllowEdited(allowEdited),
		remediate.WithExemptTag(exemptTag), remediate.WithGraceDays(int(grace)))
	if err != nil {
		return remediateConfigErr(err)
	}
	res, err := r.Run(ctx, manifestPath)
	if err != nil {
		return remediateConfigErr(err)
	}
	if err := res.Err(); err != nil && res.Count(remediate.OutcomeFailed) == 0 && res.Count(remediate.OutcomeInterrupted) == 0 {
		return skippedError{err}
	}
	return res.Err()
}

func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dormant restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		awsF       remediateAWSFlags
		backupPath string
		apply      bool
		journal    string
		trustKey   string
	)
	awsF.register(fs)
	fs.StringVar(&trustKey, "trust-key", "", "also require the backup's detached signature (<backup>.sig, written by remediate --sign-key) by this key; "+trustKeyHelp)
	fs.StringVar(&backupPath, "backup", "", "backup file written by remediate, <backup dir>/<account>/<user>.json; required")
	fs.BoolVar(&apply, "apply", false, "make the changes; without it, print what would be put back and change nothing")
	fs.StringVar(&journal, "journal", "", "JSON-lines journal of every call (default: the remediation's journal, journal.jsonl in the backup directory)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: dormant restore --backup FILE [--apply] [flags]\n\nPuts a remediated user back from its backup: re-creates a deleted user (with a\nNEW unique ID) with its path, boundary, policies, groups and tags, or\nre-activates a deactivated user's keys, and lists what cannot come back\n(key secrets, passwords, MFA devices, SSH keys, certificates, service\ncredentials). Dry run unless --apply.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), remediateExitHelp)
	}
	if err := parseFlags(fs, args, nil); err != nil {
		return err
	}
	if backupPath == "" {
		return usageError{errors.New("--backup is required")}
	}
	deps, err := awsF.deps(ctx, stdout, stderr)
	if err != nil {
		return err
	}
	trust, err := awsKeyAccess{awsF.profile, awsF.region, awsF.endpointURL}.verifier(ctx, trustKey)
	if err != nil {
		return err
	}
	r, err := remediate.New(deps, remediate.WithApply(apply), remediate.WithJournal(journal), remediate.WithTrustKey(trust))
	if err != nil {
		return remediateConfigErr(err)
	}
	res, err := r.Restore(ctx, backupPath)
	if err != nil {
		return err
	}
	return res.Err()
}
