package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dormant-iam/dormant/pipeline"
)

// errVerifyFailed: the bundle was read but something differs (exit 1).
var errVerifyFailed = errors.New("the bundle does not verify")

func (a *app) verifyCommand() *cobra.Command {
	var trustKey, profile, region, endpointURL, manifestPath, logs, cache, logFormat, logLevel, format string
	var maxLogFileSize sizeFlag
	cmd := &cobra.Command{
		Use:   "verify [flags] OUT",
		Short: "Check a run directory offline: hashes, and findings recomputed from its inputs",
		Long: `Checks every file of a run directory against SHA256SUMS, recomputes the inventory
from the stored inputs and the findings from the stored tables, regenerates the
reports, and names whatever differs. With --trust-key, SHA256SUMS must carry a valid
signature by that key (SHA256SUMS.sig). With --logs, every log file the run read
must be in that copy of the logs (found by its AWSLogs/ key) with the same size and
SHA-256, no other file may be in the window's folders, and the activity and coverage
recomputed from them must match the bundle's. Exit 0 only if everything matches.`,
		Example: `  dormant verify q4-2026
  dormant verify q4-2026 --trust-key review.pub --manifest review/plan.json
  dormant verify q4-2026 --logs s3://trail-bucket/org/ --log-format json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{errors.New("give the run directory: dormant verify OUT")}
			}
			return nil
		},
		Annotations: map[string]string{"exit": exitHelpCommon + "\n  1  also when anything differs (each difference is printed as DIFFERS: ...)"},
	}
	fs := cmd.Flags()
	fs.StringVar(&trustKey, "trust-key", "", "also require SHA256SUMS.sig (and --manifest's .sig) to be a valid signature by this key; "+trustKeyHelp)
	fs.StringVar(&manifestPath, "manifest", "", "also check this reviewed manifest's detached signature (<manifest>.sig) and digests; needs --trust-key")
	fs.StringVar(&logs, "logs", "", "also re-hash every log file the bundle lists in this copy of the trail's logs (a folder holding AWSLogs/, or s3://bucket/prefix/ to sync the window's days), name any missing, changed or unlisted file, and recompute the activity and coverage tables from them")
	fs.StringVar(&cache, "cache", "", "with --logs s3://: the `folder` the window's days are synced to (default: the user cache folder's dormant/cloudtrail)")
	fs.Var(&maxLogFileSize, "max-log-file-size", "with --logs: the most JSON text one log file may hold (default 1GiB), as for run")
	registerLogFlags(fs, &logFormat, &logLevel)
	registerFormat(fs, &format)
	fs.StringVar(&profile, "profile", "", "AWS shared config profile (for a kms: trust key, or --logs s3://)")
	fs.StringVar(&region, "region", "", "AWS region (for a kms: trust key, or --logs s3://)")
	fs.StringVar(&endpointURL, "endpoint-url", "", "override every AWS service endpoint (for a kms: trust key, or --logs s3://)")

	cmd.RunE = func(_ *cobra.Command, args []string) error {
		ctx := a.ctx
		if format == "json" {
			a.report = newReport("verify")
		}
		if manifestPath != "" && trustKey == "" {
			return usageError{errors.New("--manifest checks a signature: give --trust-key too")}
		}
		if logs == "" && (cache != "" || maxLogFileSize != 0) {
			return usageError{errors.New("--cache and --max-log-file-size apply to the logs --logs names: give --logs too")}
		}
		trust, err := awsKeyAccess{profile, region, endpointURL}.verifier(ctx, trustKey)
		if err != nil {
			return err
		}
		v, err := pipeline.Verify(ctx, args[0])
		if err != nil {
			return err
		}
		if trust != nil {
			checkSignatures(ctx, v, trust, manifestPath)
		}
		if logs != "" {
			if err := pipeline.VerifyLogs(ctx, v, pipeline.VerifyLogsOptions{
				Logs: logs, CacheDir: cache, Profile: profile, Region: region, EndpointURL: endpointURL,
				MaxLogFileSize: int64(maxLogFileSize), Logger: a.logger,
			}); err != nil {
				return err
			}
		}
		if a.report != nil {
			a.report.Verify = &verifyReport{Dir: v.Dir, OK: v.OK(), Checked: nonNil(v.Checked), Problems: nonNil(v.Problems)}
		} else {
			for _, c := range v.Checked {
				fmt.Fprintf(a.stdout, "checked: %s\n", c)
			}
		}
		if v.OK() {
			what := ""
			if logs != "" {
				what = ", and the log files it read, its activity and its coverage match " + logs
			}
			if a.report == nil {
				fmt.Fprintf(a.stdout, "verified: %s matches its SHA256SUMS, and its findings and reports follow from its inputs%s\n", v.Dir, what)
			}
			return nil
		}
		if a.report == nil {
			for _, p := range v.Problems {
				fmt.Fprintf(a.stdout, "DIFFERS: %s\n", p)
			}
		}
		return fmt.Errorf("%w: %d problems", errVerifyFailed, len(v.Problems))
	}
	return cmd
}

// nonNil makes an empty list a JSON [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
