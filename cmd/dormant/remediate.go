package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dormant-iam/dormant/internal/awssession"
	"github.com/dormant-iam/dormant/pipeline/remediate"
)

// remediateAWSFlags are how remediate and restore reach AWS.
type remediateAWSFlags struct {
	profile, region, roleName, externalID, endpointURL string
	logFormat, logLevel, format                        string
}

func (f *remediateAWSFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.profile, "profile", "", "AWS shared config profile (default: the SDK's default chain)")
	fs.StringVar(&f.region, "region", "", "AWS region to sign IAM calls for (IAM is global; default from the profile, else us-east-1)")
	fs.StringVar(&f.roleName, "role-name", "", "role assumed in every account other than the caller's, e.g. OrganizationAccountAccessRole")
	fs.StringVar(&f.externalID, "external-id", "", "external ID for AssumeRole")
	fs.StringVar(&f.endpointURL, "endpoint-url", "", "override the IAM and STS endpoint (e.g. an emulator)")
	registerLogFlags(fs, &f.logFormat, &f.logLevel)
}

// deps loads the AWS config and builds the Remediator's collaborators.
// The plan and the outcomes go to stdout as text; with --format json only
// the JSON report does, so the text is dropped.
func (f *remediateAWSFlags) deps(a *app) (remediate.Deps, error) {
	cfg, err := awssession.Load(a.ctx, awssession.Settings{Profile: f.profile, Region: f.region, EndpointURL: f.endpointURL, Logger: a.logger})
	if err != nil {
		return remediate.Deps{}, err
	}
	clients := remediate.AWSClients(cfg, remediate.AWSAccess{RoleName: f.roleName, ExternalID: f.externalID})
	out := a.stdout
	if f.format == "json" {
		out = io.Discard
	}
	return remediate.Deps{Clients: clients, Out: out, Logger: a.logger, Now: time.Now}, nil
}

// remediateConfigErr maps the package's option errors to usage errors.
func remediateConfigErr(err error) error {
	if ce := (*remediate.ConfigError)(nil); errors.As(err, &ce) {
		return usageError{err}
	}
	return err
}

func (a *app) remediateCommand() *cobra.Command {
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
		ignoreIaC    bool
		trustKey     string
		signKey      string
	)
	cmd := &cobra.Command{
		Use:   "remediate --manifest FILE [--apply] [flags]",
		Short: "Carry out a remediation manifest: re-check, back up, deactivate or delete",
		Long: `Carries out a remediation manifest: re-checks each user live, backs it up, then
deactivates or deletes it. Dry run unless --apply: without it, prints the plan
(the exact calls per user, in order, and why) and changes nothing. A re-run
with the same --journal continues where the last one stopped.`,
		Example: `  # The plan, then the changes, on a manifest the reviewers signed.
  dormant remediate --manifest review/plan.json --trust-key review.pub --role-name OrganizationAccountAccessRole
  dormant remediate --manifest review/plan.json --trust-key review.pub --role-name OrganizationAccountAccessRole --apply

  # Only two users, deactivating even those the manifest would delete.
  dormant remediate --manifest plan.json --only 111111111111/alice,222222222222/bob --mode deactivate --apply`,
		Annotations: map[string]string{"exit": exitHelpRemediate},
	}
	fs := cmd.Flags()
	awsF.register(fs)
	registerFormat(fs, &awsF.format)
	fs.StringVar(&cfgPath, "config", "", "YAML `file` with flag values under the flags' names (never --apply, --allow-edited, --max-age, --trust-key, --mode, --exempt-tag, --ignore-iac)")
	fs.StringVar(&manifestPath, "manifest", "", "the remediation manifest `file` to carry out (reports/remediation-manifest.json of a run); required")
	fs.BoolVar(&apply, "apply", false, "make the changes; without it, print the plan (the exact calls per user, in order, and why) and change nothing")
	fs.Var(&only, "only", "only these users, as account/user (e.g. 111111111111/alice); repeatable or comma-separated")
	fs.StringVar(&mode, "mode", "", "deactivate: delete entries are only deactivated; delete: unused-key entries delete the key instead of deactivating it (a deactivate entry is never upgraded; refused with --trust-key, since a signed plan is carried out as signed); default: each entry's decision")
	fs.StringVar(&backupDir, "backup-dir", "", "where backups go, <dir>/<account>/<user>.json (default: backup-<run id> next to the manifest)")
	fs.StringVar(&journal, "journal", "", "JSON-lines journal `file` of every call; a re-run with the same journal continues where it stopped (default: journal.jsonl in the backup directory)")
	fs.IntVar(&concurrency, "concurrency", remediate.DefaultConcurrency, "users remediated at once")
	fs.Var(&maxAge, "max-age", "refuse a manifest whose evidence is older than this, in days (30d) or as a duration, 1h to 365d")
	fs.BoolVar(&allowEdited, "allow-edited", false, "accept a manifest whose digest does not match its entries or whose schema version is unknown")
	fs.StringVar(&exemptTag, "exempt-tag", remediate.DefaultExemptTag, "users tagged <key>=true are never touched")
	fs.StringVar(&trustKey, "trust-key", "", "act only on a manifest whose detached signature (<manifest>.sig) is by this key; "+trustKeyHelp)
	fs.StringVar(&signKey, "sign-key", "", "sign each backup written (<backup>.sig); "+signKeyHelp)
	fs.BoolVar(&ignoreIaC, "ignore-iac", false, "with --apply, deactivate through IAM the users whose remove-in-iac entry says infrastructure as code manages them (the journal records it); without it those entries make no IAM call and print the change to make in code")
	fs.Var(&grace, "grace", "a delete entry downgraded by --mode deactivate is tagged dormant:delete-after this many days after today; deactivate entries carry the manifest's own date")

	cmd.RunE = func(*cobra.Command, []string) error {
		ctx := a.ctx
		if awsF.format == "json" {
			a.report = newReport("remediate")
		}
		if manifestPath == "" {
			return usageError{errors.New("--manifest is required")}
		}
		deps, err := awsF.deps(a)
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
			a.warn(fmt.Sprintf("WARNING: %s is not checked against any signature: pass --trust-key with the reviewers' public key (or kms:<key>) to act only on a manifest they signed", manifestPath))
		}
		r, err := remediate.New(deps,
			remediate.WithTrustKey(trust), remediate.WithSignKey(signer),
			remediate.WithApply(apply), remediate.WithOnly(only...), remediate.WithMode(mode),
			remediate.WithBackupDir(backupDir), remediate.WithJournal(journal), remediate.WithConcurrency(concurrency),
			remediate.WithMaxAge(time.Duration(maxAge)), remediate.WithAllowEdited(allowEdited),
			remediate.WithExemptTag(exemptTag), remediate.WithGraceDays(int(grace)), remediate.WithIgnoreIaC(ignoreIaC))
		if err != nil {
			return remediateConfigErr(err)
		}
		res, err := r.Run(ctx, manifestPath)
		if err != nil {
			return remediateConfigErr(err)
		}
		if a.report != nil {
			a.report.Remediate = newRemediateReport(res)
		}
		if err := res.Err(); err != nil && res.Count(remediate.OutcomeFailed) == 0 && res.Count(remediate.OutcomeInterrupted) == 0 {
			return skippedError{err}
		}
		return res.Err()
	}
	return cmd
}

func (a *app) restoreCommand() *cobra.Command {
	var (
		awsF       remediateAWSFlags
		backupPath string
		apply      bool
		journal    string
		trustKey   string
	)
	cmd := &cobra.Command{
		Use:   "restore --backup FILE [--apply] [flags]",
		Short: "Put a remediated user back from its backup",
		Long: `Puts a remediated user back from its backup: re-creates a deleted user (with a
NEW unique ID) with its path, boundary, policies, groups and tags, or
re-activates a deactivated user's keys, and lists what cannot come back
(key secrets, passwords, MFA devices, SSH keys, certificates, service
credentials). Dry run unless --apply.`,
		Example: `  dormant restore --backup backup-20261101T000000Z-0123abcd/222222222222/bob.json --role-name OrganizationAccountAccessRole
  dormant restore --backup backup-20261101T000000Z-0123abcd/222222222222/bob.json --role-name OrganizationAccountAccessRole --apply`,
		Annotations: map[string]string{"exit": exitHelpRemediate},
	}
	fs := cmd.Flags()
	awsF.register(fs)
	fs.StringVar(&trustKey, "trust-key", "", "also require the backup's detached signature (<backup>.sig, written by remediate --sign-key) by this key; "+trustKeyHelp)
	fs.StringVar(&backupPath, "backup", "", "backup `file` written by remediate, <backup dir>/<account>/<user>.json; required")
	fs.BoolVar(&apply, "apply", false, "make the changes; without it, print what would be put back and change nothing")
	fs.StringVar(&journal, "journal", "", "JSON-lines journal `file` of every call (default: the remediation's journal, journal.jsonl in the backup directory)")

	cmd.RunE = func(*cobra.Command, []string) error {
		if backupPath == "" {
			return usageError{errors.New("--backup is required")}
		}
		deps, err := awsF.deps(a)
		if err != nil {
			return err
		}
		trust, err := awsKeyAccess{awsF.profile, awsF.region, awsF.endpointURL}.verifier(a.ctx, trustKey)
		if err != nil {
			return err
		}
		r, err := remediate.New(deps, remediate.WithApply(apply), remediate.WithJournal(journal), remediate.WithTrustKey(trust))
		if err != nil {
			return remediateConfigErr(err)
		}
		res, err := r.Restore(a.ctx, backupPath)
		if err != nil {
			return err
		}
		return res.Err()
	}
	return cmd
}
