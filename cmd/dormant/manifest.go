package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/pipeline"
	"github.com/dormant-iam/dormant/reports/review"
)

func (a *app) manifestCommand() *cobra.Command {
	var (
		opts              review.Options
		signKey, trustKey string
		keys              awsKeyAccess
	)
	cmd := &cobra.Command{
		Use:   "manifest --from-workbook FILE --run OUT [flags]",
		Short: "Write the manifest a reviewer approved in the workbook",
		Long: `Checks the run directory against its SHA256SUMS (and, with --trust-key, its signature),
rebuilds the run's plan from its findings table, and writes a remediation manifest that keeps
only the entries the reviewer approved, with their comments and downgrades (delete to
deactivate). A workbook whose rows or non-review columns no longer match the run is refused.`,
		Example: `  dormant manifest --from-workbook reviewed.xlsx --run q4-2026 --out review/plan.json --sign-key review.key
  dormant manifest --from-workbook reviewed.xlsx --run q4-2026 --trust-key kms:alias/dormant-runs --sign-key kms:alias/dormant-review`,
		Annotations: map[string]string{"exit": exitHelpCommon + "\n  1  also when the workbook or the run is refused (the message names what differs)"},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Workbook, "from-workbook", "", "the run's workbook `file` with the reviewer's decisions (Approve, Reject, Defer) filled in")
	fs.StringVar(&opts.RunDir, "run", "", "the run `directory` the workbook came from (--out of dormant run)")
	fs.StringVar(&opts.Out, "out", "", "where to write the reviewed manifest, outside the run directory (default: next to the workbook, <name>.manifest.json)")
	fs.StringVar(&signKey, "sign-key", "", "write <out>.sig, a detached signature of the reviewed manifest; "+signKeyHelp)
	fs.StringVar(&trustKey, "trust-key", "", "require the run's SHA256SUMS.sig to be a valid signature by this key; "+trustKeyHelp)
	fs.StringVar(&keys.profile, "profile", "", "AWS shared config profile (for kms: keys)")
	fs.StringVar(&keys.region, "region", "", "AWS region (for kms: keys)")
	fs.StringVar(&keys.endpointURL, "endpoint-url", "", "override the KMS endpoint (for kms: keys)")
	cmd.RunE = func(*cobra.Command, []string) error {
		ctx, stdout, stderr := a.ctx, a.stdout, a.stderr
		if opts.Workbook == "" || opts.RunDir == "" {
			return usageError{errors.New("give --from-workbook and --run")}
		}
		opts.Findings = filepath.Join(opts.RunDir, filepath.FromSlash(pipeline.FindingsTable))
		var err error
		if opts.SignKey, err = keys.signer(ctx, signKey); err != nil {
			return err
		}
		if opts.TrustKey, err = keys.verifier(ctx, trustKey); err != nil {
			return err
		}

		res, err := review.Apply(ctx, opts)
		if res != nil {
			for _, p := range res.Problems {
				if !p.Refused {
					fmt.Fprintln(stderr, "note:", p)
				}
			}
		}
		if err != nil {
			return err
		}
		r := res.Manifest.ReviewedFrom
		fmt.Fprintf(stdout, "reviewed manifest: %s (%d entries approved; %d rejected, %d deferred, %d undecided dropped; digest %s)\n",
			res.Out, r.Approved, r.Rejected, r.Deferred, r.Undecided, res.Manifest.Digest)
		if opts.SignKey != nil {
			fmt.Fprintf(stdout, "signed: %s by %s\n", signature.Path(res.Out), opts.SignKey.KeyID())
		} else {
			fmt.Fprintln(stderr, "note: the reviewed manifest is not signed (no --sign-key): remediate --trust-key will refuse it")
		}
		return nil
	}
	return cmd
}
