package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dormant-iam/dormant/pipeline"
)

// errVerifyFailed: the bundle was read but something differs (exit 1).
var errVerifyFailed = errors.New("the bundle does not verify")

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dormant verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var trustKey, profile, region, endpointURL, manifestPath, logs, cache, logFormat, logLevel string
	var maxLogFileSize sizeFlag
	fs.StringVar(&trustKey, "trust-key", "", "also require SHA256SUMS.sig (and --manifest's .sig) to be a valid signature by this key; "+trustKeyHelp)
	fs.StringVar(&manifestPath, "manifest", "", "also check this reviewed manifest's detached signature (<manifest>.sig) and digests; needs --trust-key")
	fs.StringVar(&logs, "logs", "", "also re-hash every log file the bundle lists in this copy of the trail's logs (a folder holding AWSLogs/, or s3://bucket/prefix/ to sync the window's days), name any missing, changed or unlisted file, and recompute the activity and coverage tables from them")
	fs.StringVar(&cache, "cache", "", "with --logs s3://: the folder the window's days are synced to (default: the user cache folder's dormant/cloudtrail)")
	fs.Var(&maxLogFileSize, "max-log-file-size", "with --logs: the most JSON text one log file may hold (default 1GiB), as for run")
	fs.StringVar(&logFormat, "log-format", "text", "with --logs: log format, text or json")
	fs.StringVar(&logLevel, "log-level", "info", "with --logs: log level of the sync and the scan (debug, info, warn, error)")
	fs.StringVar(&profile, "profile", "", "AWS shared config profile (for a kms: trust key, or --logs s3://)")
	fs.StringVar(&region, "region", "", "AWS region (for a kms: trust key, or --logs s3://)")
	fs.StringVar(&endpointURL, "endpoint-url", "", "override every AWS service endpoint (for a kms: trust key, or --logs s3://)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: dormant verify [--trust-key KEY [--manifest FILE]] [--logs DIR|s3://bucket/prefix] OUT\n\nChecks every file of a run directory against SHA256SUMS, recomputes the inventory\nfrom the stored inputs and the findings from the stored tables, regenerates the\nreports, and names whatever differs. With --trust-key, SHA256SUMS must carry a valid\nsignature by that key (SHA256SUMS.sig). With --logs, every log file the run read\nmust be in that copy of the logs (found by its AWSLogs/ key) with the same size and\nSHA-256, no other file may be in the window's folders, and the activity and coverage\nrecomputed from them must match the bundle's. Exit 0 only if everything matches.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("give the run directory: dormant verify OUT")}
	}
	if manifestPath != "" && trustKey == "" {
		return usageError{errors.New("--manifest checks a signature: give --trust-key too")}
	}
	if logs == "" && (cache != "" || maxLogFileSize != 0) {
		return usageError{errors.New("--cache and --max-log-file-size apply to the logs --logs names: give --logs too")}
	}
	logger, err := newLogger(stderr, logFormat, logLevel)
	if err != nil {
		return err
	}
	trust, err := awsKeyAccess{profile, region, endpointURL}.verifier(ctx, trustKey)
	if err != nil {
		return err
	}
	v, err := pipeline.Verify(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if trust != nil {
		checkSignatures(ctx, v, trust, manifestPath)
	}
	if logs != "" {
		if err := pipeline.VerifyLogs(ctx, v, pipeline.VerifyLogsOptions{
			Logs: logs, CacheDir: cache, Profile: profile, Region: region, EndpointURL: endpointURL,
			MaxLogFileSize: int64(maxLogFileSize), Logger: logger,
		}); err != nil {
			return err
		}
	}
	for _, c := range v.Checked {
		fmt.Fprintf(stdout, "checked: %s\n", c)
	}
	if v.OK() {
		what := ""
		if logs != "" {
			what = ", and the log files it read, its activity and its coverage match " + logs
		}
		fmt.Fprintf(stdout, "verified: %s matches its SHA256SUMS, and its findings and reports follow from its inputs%s\n", v.Dir, what)
		return nil
	}
	for _, p := range v.Problems {
		fmt.Fprintf(stdout, "DIFFERS: %s\n", p)
	}
	return fmt.Errorf("%w: %d problems", errVerifyFailed, len(v.Problems))
}
