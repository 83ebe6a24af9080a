package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
)

func (a *app) demoCommand() *cobra.Command {
	opts := demo.DefaultOptions()
	var (
		common   commonFlags
		out      string
		cfgPath  string
		resume   bool
		quarters int
	)
	cmd := &cobra.Command{
		Use:   "demo [flags]",
		Short: "Generate a synthetic organization and run the whole job on it",
		Long: `Generates a synthetic AWS Organization under OUT/source (credential reports,
authorization details, CloudTrail files, an allowlist and the ground truth),
runs the whole job on it into OUT/run, and checks every finding against the
ground truth. The same seed gives the same organization. An OUT/run that
holds a run is refused unless --replace (replace it) or --resume (reuse its
unchanged stages) is given.`,
		Example: `  dormant demo --out /tmp/dormant-demo
  dormant demo --out /tmp/dormant-demo --replace --users 5000 --events 2000000 --seed 7
  dormant demo --out /tmp/dormant-demo --replace --format json --log-format json`,
		Annotations: map[string]string{"exit": exitHelpCommon + "\n  1  also when a finding differs from the ground truth"},
	}
	fs := cmd.Flags()
	common.register(fs)
	fs.StringVar(&cfgPath, "config", "", "YAML `file` with flag values under the flags' names")
	fs.StringVar(&out, "out", "dormant-demo", "directory for the generated organization (source/) and the run (run/)")
	fs.IntVar(&opts.Accounts, "accounts", opts.Accounts, "accounts to generate")
	fs.IntVar(&opts.Users, "users", opts.Users, "IAM users to generate, across all accounts")
	fs.IntVar(&opts.Events, "events", opts.Events, "CloudTrail records to generate, across all accounts")
	fs.Int64Var(&opts.Seed, "seed", opts.Seed, "random seed (same seed, same organization)")
	fs.IntVar(&quarters, "quarters", 1, "quarters to run in sequence (1 to 4): each in OUT/qN/{source,run,remediation}, the manifest carried out against the fake IAM between them and the next quarter run with --previous; --as-of is the last quarter's")
	fs.BoolVar(&resume, "resume", false, "reuse the stages of the run already in OUT/run whose inputs and settings are unchanged")

	cmd.RunE = func(*cobra.Command, []string) error {
		if common.format == "json" {
			a.report = newReport("demo")
		}
		if !common.asOf.t.IsZero() {
			opts.AsOf = common.asOf.t
		}
		opts.WindowDays, opts.DeleteAfterDays = int(common.window), int(common.deleteAfter)
		if opts.DeleteAfterDays < opts.WindowDays+14 {
			return usageError{fmt.Errorf("--delete-after %dd with --window %dd: the demo needs at least the window plus 14 days (%dd)", opts.DeleteAfterDays, opts.WindowDays, opts.WindowDays+14)}
		}

		t0 := time.Now()
		cfg := pipeline.Config{ToolVersion: toolVersion(), Logger: a.logger, Replace: common.replace, Resume: resume}
		a.progress(&cfg)
		var res *pipeline.DemoResult
		if err := common.withProfiles(func() (err error) {
			res, err = pipeline.Demo(a.ctx, pipeline.DemoConfig{Out: out, Options: opts, Config: cfg, Quarters: quarters})
			return err
		}); err != nil {
			if errors.Is(err, pipeline.ErrForeignDemoSource) {
				return usageError{err}
			}
			return err
		}
		if a.report != nil {
			src := filepath.Join(out, "source")
			if n := len(res.Quarters); n > 0 {
				src = filepath.Join(res.Quarters[n-1].Dir, "source")
			}
			a.report.Demo = &demoReport{Source: src, Accounts: opts.Accounts, Users: len(res.Source.Truth),
				Events: int64(res.Source.Events), AsOf: opts.AsOf.Format(time.RFC3339), Mismatches: res.Mismatches, Run: newRunReport(res.Run)}
			if a.report.Demo.Mismatches == nil {
				a.report.Demo.Mismatches = []string{}
			}
		} else {
			if len(res.Quarters) > 0 {
				for _, q := range res.Quarters {
					fmt.Fprintln(a.stdout, q.Summary())
					printSummary(a.stdout, q.Run)
				}
			} else {
				fmt.Fprintf(a.stdout, "demo: %d accounts, %d users, %d CloudTrail records generated under %s/source (as-of %s)\n",
					opts.Accounts, len(res.Source.Truth), res.Source.Events, out, opts.AsOf.Format("2006-01-02"))
				printSummary(a.stdout, res.Run)
			}
		}
		if len(res.Mismatches) > 0 {
			for _, m := range res.Mismatches {
				a.warn("mismatch: " + m)
			}
			return fmt.Errorf("%d findings differ from the demo's ground truth", len(res.Mismatches))
		}
		if a.report == nil {
			fmt.Fprintf(a.stdout, "ground truth: all %d users classified as expected (%s)\n", len(res.Source.Truth), time.Since(t0).Round(time.Millisecond))
		}
		return nil
	}
	return cmd
}
