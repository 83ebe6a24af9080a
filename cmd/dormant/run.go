package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dormant-iam/dormant/internal/profiling"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/pipeline/activity/local"
	"github.com/dormant-iam/dormant/pipeline/inventory"
	"github.com/dormant-iam/dormant/reports"
)

// commonFlags are the flags run and demo share.
type commonFlags struct {
	asOf        timeFlag
	window      daysFlag
	deleteAfter daysFlag
	logFormat   string
	logLevel    string
	format      string
	cpuProfile  string
	memProfile  string
	replace     bool
}

func (c *commonFlags) register(fs *pflag.FlagSet) {
	c.window = pipeline.DefaultWindowDays
	c.deleteAfter = pipeline.DefaultDeleteAfterDays
	fs.Var(&c.asOf, "as-of", "end of the window (RFC 3339 or YYYY-MM-DD, UTC); default now")
	fs.Var(&c.window, "window", "activity window, in days")
	fs.Var(&c.deleteAfter, "delete-after", "inactive (or never used) longer than this: delete instead of deactivate")
	registerLogFlags(fs, &c.logFormat, &c.logLevel)
	registerFormat(fs, &c.format)
	fs.BoolVar(&c.replace, "replace", false, "replace the run already in --out (kept until the new one is complete); without it, an --out holding a run is refused")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile to this `file` (for a bug report)")
	fs.StringVar(&c.memProfile, "memprofile", "", "write a heap profile to this `file` when the command ends")
}

// registerLogFlags adds --log-format and --log-level, which settle reads
// to build the command's logger.
func registerLogFlags(fs *pflag.FlagSet, format, level *string) {
	fs.StringVar(format, "log-format", "text", "log format on stderr: text or json (json: every stderr line is a JSON object)")
	fs.StringVar(level, "log-level", "info", "log level: debug, info, warn, error")
}

// registerFormat adds --format: what the command prints on stdout.
func registerFormat(fs *pflag.FlagSet, format *string) {
	fs.StringVar(format, "format", "text", "stdout: text for people, or json for one JSON object at the end (counts, paths, exit code and reason)")
}

// withProfiles runs fn with the profiles the flags ask for.
func (c *commonFlags) withProfiles(fn func() error) error {
	stop, err := profiling.Start(c.cpuProfile, c.memProfile)
	if err != nil {
		return err
	}
	err = fn()
	return errors.Join(err, stop())
}

func (a *app) runCommand() *cobra.Command {
	var (
		common       commonFlags
		cfgPath      string
		reportsF     listFlag
		detailsF     listFlag
		failOn       listFlag
		cfg          pipeline.Config
		reportMaxAge = ageFlag(pipeline.DefaultReportMaxAge)
		reportTimes  reportTimesFlag
		maxLogFile   = sizeFlag(local.DefaultMaxLogFileSize)
		signKey      string

		accounts, checks, regions, ownerTags, trailsF, formatsF listFlag
	)
	cmd := &cobra.Command{
		Use:   "run [flags]",
		Short: "Run the whole job: inventory, activity, findings, reports",
		Long: `Reads who the IAM users are (live from AWS, or from exported credential
reports and authorization details), what they did in the activity window
(CloudTrail files or S3, Athena, or CloudTrail Lake), and what still names
them, then classifies every user and writes the evidence bundle to --out:
the workbook, the CSV, the remediation manifest, the tables they come from,
the inputs and SHA256SUMS. Nothing is left in --out unless the whole run
succeeds. An --out that already holds a run is refused unless --replace
(replace it) or --resume (reuse its unchanged stages) is given.`,
		Example: `  # Live: every account of the Organization, logs synced from S3.
  dormant run --org --role-name OrganizationAccountAccessRole --cloudtrail s3://trail-bucket/org/ --out q4-2026

  # From files exported per account, logs in a local folder.
  dormant run --credential-report 111122223333.csv --authorization-details 111122223333.json \
    --report-generated-at 111122223333=2026-11-01T06:00:00Z --cloudtrail ./trail --out q4-2026

  # For a pipeline: settings in a file, a JSON summary, exit 3 on findings.
  DORMANT_LOG_FORMAT=json dormant run --config dormant.yaml --format json --fail-on delete --replace`,
		Annotations: map[string]string{"exit": exitHelpRun},
	}
	fs := cmd.Flags()
	common.register(fs)
	fs.StringVar(&cfgPath, "config", "", "YAML `file` with flag values under the flags' names (lists for repeatable flags)")
	fs.Var(&reportsF, "credential-report", "credential report `file` (CSV as GetCredentialReport returns it, or the AWS CLI's JSON); repeatable, one per account")
	fs.Var(&detailsF, "authorization-details", "output `file` of aws iam get-account-authorization-details; repeatable, one per account")
	fs.Var(&reportTimes, "report-generated-at", "ACCOUNT_ID=RFC3339: when that account's CSV --credential-report was generated (a CSV does not say; without it no user of that account becomes a removal candidate); repeatable")
	fs.Var(&formatsF, "report", "also write this optional report format: "+strings.Join(reports.OptionalNames(), " or ")+" (the workbook, CSV and manifest are always written); repeatable")
	fs.Var(&trailsF, "trail-description", "one trail's settings as the CLI exports them: JSON {Trail: a describe-trails entry, EventSelectors or AdvancedEventSelectors: get-event-selectors, Status: get-trail-status} (see README); repeatable. Live runs read them from CloudTrail; a file run without them says \"trail settings unknown\"")
	fs.StringVar(&cfg.Profile, "profile", "", "AWS shared config profile (live inventory and reference checks)")
	fs.StringVar(&cfg.Region, "region", "", "AWS region for the SDK (default: from the profile or environment, else us-east-1)")
	fs.StringVar(&cfg.EndpointURL, "endpoint-url", "", "override every AWS service endpoint (e.g. an emulator); AWS_ENDPOINT_URL_<SERVICE> also works")
	fs.Var(&accounts, "accounts", "accounts to read live, comma-separated (default: the caller's account)")
	fs.BoolVar(&cfg.Org, "org", false, "read every ACTIVE account of the AWS Organization")
	fs.StringVar(&cfg.RoleName, "role-name", "", "role assumed in each account other than the caller's (e.g. OrganizationAccountAccessRole)")
	fs.StringVar(&cfg.ExternalID, "external-id", "", "external ID for AssumeRole")
	fs.IntVar(&cfg.Concurrency, "concurrency", 8, "accounts read at once")
	fs.BoolVar(&cfg.FreshReport, "fresh-report", false, "never reuse a credential report IAM generated before this run (waits out IAM's 4-hour reuse)")
	fs.BoolVar(&cfg.SkipReferences, "skip-references", false, "do not look for policies and resources that name candidates")
	fs.Var(&checks, "reference-checks", "reference checks to run: iam,s3,kms,sns,sqs,secretsmanager,ecr,lambda,tagging,code (default: all that can run)")
	fs.Var((*listFlag)(&cfg.Search), "search", "search this directory, file, git repository or s3://bucket/prefix for the removal candidates' user names (a whole word, user/NAME and ARN), unique IDs and access key IDs; each hit is a reference that sends the user to review. Binary files, .git internals and files over 256 MiB are skipped and counted; Terraform states and .tf files found are read for the users Terraform manages; repeatable")
	fs.BoolVar(&cfg.SearchHistory, "search-history", false, "also search every blob reachable from every ref of each git repository --search finds (read in Go; no git binary needed)")
	fs.Var((*listFlag)(&cfg.AccessKeysFiles), "access-keys", "an aws iam list-access-keys export `file` (one or more outputs, or a JSON list of them): the access key IDs a run on exported files searches for and names in the manifest; live runs list the keys themselves; repeatable")
	fs.Var((*listFlag)(&cfg.TerraformState), "terraform-state", "a Terraform state (format version 4), as a path or s3://bucket/key, whose aws_iam_user, access key, login profile, policy and group-membership resources mark users as managed by Terraform: such a user that would be removed becomes remove-in-iac; repeatable")
	fs.BoolVar(&cfg.SecurityHub, "security-hub", false, "after the reports are written, import the findings into the Security Hub of every assessed account (its default product, in --region), updating the last run's findings in place and resolving those of users deleted or in use again; needs securityhub:GetFindings, BatchImportFindings and BatchUpdateFindings")
	fs.Var(&regions, "regions", "regions the live reference checks read (default: every region enabled by default)")
	fs.Var(&ownerTags, "owner-tags", "tag keys that name a resource's owner (default Owner,owner,CreatedBy,created-by)")
	fs.StringVar(&cfg.Engine, "engine", pipeline.DefaultEngine, "activity engine: "+strings.Join(pipeline.EngineSummaries(), ", "))
	fs.StringVar(&cfg.CloudTrail, "cloudtrail", "", "local engine: folder holding AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz, or s3://bucket/prefix/ to sync the window's days")
	fs.StringVar(&cfg.Cache, "cache", "", "local engine: keep per-day aggregates (and files synced from S3) in this `folder`, so later runs read only new days")
	fs.StringVar(&cfg.Scanner, "scanner", "", "local engine: go (default, fastest) or duckdb (DuckDB's read_json over the same SQL, the reference)")
	fs.Var(&maxLogFile, "max-log-file-size", "local engine: refuse a log file whose JSON, inflated, is larger than this (e.g. 512MiB; CloudTrail's own files are a few MB)")
	fs.StringVar(&cfg.AthenaDatabase, "athena-database", "", "athena: database of the CloudTrail table")
	fs.StringVar(&cfg.AthenaTable, "athena-table", "", "athena: the CloudTrail table (AWS's documented DDL)")
	fs.StringVar(&cfg.AthenaWorkgroup, "athena-workgroup", "", "athena: workgroup (default primary)")
	fs.StringVar(&cfg.AthenaOutput, "athena-output", "", "athena: s3://bucket/prefix/ for results (default: the workgroup's)")
	fs.StringVar(&cfg.AthenaCatalog, "athena-catalog", "", "athena: data catalog (default AwsDataCatalog)")
	fs.StringVar(&cfg.EventDataStore, "event-data-store", "", "lake: the event data store's ARN or ID")
	fs.StringVar(&cfg.Allowlist, "allowlist", "", "YAML `file` listing {account_id, user_name, reason, owner, expires} exemptions")
	fs.StringVar(&cfg.ExemptTag, "exempt-tag", pipeline.DefaultExemptTag, "users tagged <key>=true are exempt")
	fs.Var(&reportMaxAge, "report-max-age", "a credential report older than this at as-of turns candidates into review")
	fs.StringVar(&cfg.Out, "out", "dormant-out", "run directory to write (the evidence bundle)")
	fs.StringVar(&cfg.Previous, "previous", "", "a previous run's output `folder` (its evidence bundle) to compare with: adds the Changes and Remediation sheets and the changes, trend and remediation tables; it is verified first, as dormant verify does, and refused if it fails")
	fs.StringVar(&cfg.History, "history", "", "a `folder` of earlier runs' bundles: the newest (by run.json started_at, with an as-of before this run's) is the previous run unless --previous names one; every run found feeds the trend and the candidates' ages")
	fs.StringVar(&cfg.PreviousManifest, "previous-manifest", "", "the reviewed manifest `file` made from the previous run's workbook (dormant manifest --from-workbook): its entries are checked instead of the run's own manifest")
	fs.StringVar(&cfg.Journal, "journal", "", "the previous run's remediation journal `file`: its entries and their calls' results are checked instead of a manifest")
	fs.BoolVar(&cfg.Resume, "resume", false, "reuse the stages of the run already in --out whose inputs and settings are unchanged")
	fs.StringVar(&signKey, "sign-key", "", "write SHA256SUMS.sig, a detached signature of SHA256SUMS; "+signKeyHelp)
	fs.Var(&failOn, "fail-on", "exit 3 when any finding has one of these statuses or decisions (e.g. inactive,never_used or delete)")

	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := a.ctx
		if common.format == "json" {
			a.report = newReport("run")
		}
		cfg.CredentialReports, cfg.AuthorizationDetails, cfg.TrailDescriptions = reportsF, detailsF, trailsF
		cfg.Reports = formatsF
		if len(reportTimes) > 0 && len(reportsF) == 0 {
			return usageError{errors.New("--report-generated-at without --credential-report: a report read from AWS carries IAM's own generation time; drop the flag")}
		}
		cfg.ReportGeneratedAt = reportTimes
		cfg.Accounts, cfg.ReferenceChecks, cfg.Regions, cfg.OwnerTags = accounts, checks, regions, ownerTags
		a.progress(&cfg)
		cfg.AsOf, cfg.WindowDays, cfg.DeleteAfterDays = common.asOf.t, int(common.window), int(common.deleteAfter)
		cfg.ReportMaxAge = time.Duration(reportMaxAge)
		cfg.MaxLogFileSize = int64(maxLogFile)
		cfg.Replace = common.replace
		cfg.ToolVersion, cfg.Logger = toolVersion(), a.logger
		var err error
		if cfg.Signer, err = (awsKeyAccess{cfg.Profile, cfg.Region, cfg.EndpointURL}).signer(ctx, signKey); err != nil {
			return err
		}
		if err := checkFailOn(failOn); err != nil {
			return err
		}
		// The settings as a whole (required flags, engines, files), before any
		// work: a bad combination is a usage error like a bad flag.
		if err := cfg.WithDefaults().Validate(); err != nil {
			return usageError{err}
		}

		var res *pipeline.Result
		if err := common.withProfiles(func() (err error) {
			res, err = pipeline.Run(ctx, cfg)
			return err
		}); err != nil && res == nil {
			if errors.Is(err, inventory.ErrReportTime) {
				return usageError{err}
			}
			return err
		} else if err != nil {
			// The run is committed (its reports are good) but a step after
			// them failed, such as the Security Hub import: say both.
			if a.report != nil {
				a.report.Run = newRunReport(res)
			} else {
				printSummary(a.stdout, res)
			}
			return err
		}
		if a.report != nil {
			a.report.Run = newRunReport(res)
		} else {
			printSummary(a.stdout, res)
		}
		if err := failOnFindings(res, failOn); err != nil {
			return err
		}
		if res.Partial {
			return partialError{fmt.Errorf("some accounts could not be assessed (see run.json and the workbook's Summary)")}
		}
		return nil
	}
	return cmd
}

func printSummary(w io.Writer, res *pipeline.Result) {
	s := res.Summary
	assessed := 0
	for _, a := range res.Record.Accounts {
		if a.Assessed {
			assessed++
		} else {
			fmt.Fprintf(w, "NOT ASSESSED: account %s: %s\n", a.AccountID, a.Error)
		}
	}
	fmt.Fprintf(w, "dormant: %d users assessed in %d accounts\n", s.Total, assessed)
	for _, st := range reports.Statuses {
		fmt.Fprintf(w, "  %-11s %d\n", st, s.ByStatus[st])
	}
	var ds []string
	for _, d := range reports.Decisions {
		ds = append(ds, fmt.Sprintf("%s %d", d, s.ByDecision[d]))
	}
	fmt.Fprintf(w, "decisions: %s; unused keys %d\n", strings.Join(ds, ", "), s.UnusedKeys)
	fmt.Fprintf(w, "reports:  %s/reports/ (dormant-report.xlsx, findings.csv, remediation-manifest.json)\n", res.Out)
}

// failOnValues are every status and decision (review is both).
var failOnValues = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(reports.Statuses), reports.Decisions...))))

func checkFailOn(failOn []string) error {
	for _, v := range failOn {
		if !slices.Contains(failOnValues, strings.ToLower(v)) {
			return usageError{fmt.Errorf("--fail-on %q is not a status or decision; use one of %s", v, strings.Join(failOnValues, ", "))}
		}
	}
	return nil
}

func failOnFindings(res *pipeline.Result, failOn []string) error {
	for _, want := range failOn {
		want = strings.ToLower(want)
		if res.Summary.ByStatus[want] > 0 || res.Summary.ByDecision[want] > 0 {
			return errFindings
		}
	}
	return nil
}
