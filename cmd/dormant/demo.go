package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dormant-iam/dormant/internal/demo"
	"github.com/dormant-iam/dormant/pipeline"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dormant demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := demo.DefaultOptions()
	var (
		common  commonFlags
		out     string
		cfgPath string
	)
	common.register(fs)
	fs.StringVar(&cfgPath, "config", "", "YAML file with flag values (same names); the command line wins")
	fs.StringVar(&out, "out", "dormant-demo", "directory for the generated organization (source/) and the run (run/)")
	fs.IntVar(&opts.Accounts, "accounts", opts.Accounts, "accounts to generate")
	fs.IntVar(&opts.Users, "users", opts.Users, "IAM users to generate, across all accounts")
	fs.IntVar(&opts.Events, "events", opts.Events, "CloudTrail records to generate, across all accounts")
	fs.Int64Var(&opts.Seed, "seed", opts.Seed, "random seed (same seed, same organization)")
	if err := parseFlags(fs, args, &cfgPath); err != nil {
		return err
	}
	logger, err := newLogger(stderr, common.logFormat, common.logLevel)
	if err != nil {
		return err
	}
	if !common.asOf.t.IsZero() {
		opts.AsOf = common.asOf.t
	}
	opts.WindowDays, opts.DeleteAfterDays = int(common.window), int(common.deleteAfter)
	if opts.DeleteAfterDays < opts.WindowDays+14 {
		return usageError{fmt.Errorf("--delete-after %dd with --window %dd: the demo needs at least the window plus 14 days (%dd)", opts.DeleteAfterDays, opts.WindowDays, opts.WindowDays+14)}
	}

	t0 := time.Now()
	var res *pipeline.DemoResult
	if err := common.withProfiles(func() (err error) {
		res, err = pipeline.Demo(ctx, pipeline.DemoConfig{
			Out: out, Options: opts,
			Config: pipeline.Config{ToolVersion: version, Logger: logger, ScanProgress: terminal(stderr)},
		})
		return err
	}); err != nil {
		if errors.Is(err, pipeline.ErrForeignDemoSource) {
			return usageError{err}
		}
		return err
	}
	fmt.Fprintf(stdout, "demo: %d accounts, %d users, %d CloudTrail records generated under %s/source (as-of %s)\n",
		opts.Accounts, len(res.Source.Truth), res.Source.Events, out, opts.AsOf.Format("2006-01-02"))
	printSummary(stdout, res.Run)
	if len(res.Mismatches) > 0 {
		for _, m := range res.Mismatches {
			fmt.Fprintln(stderr, "mismatch:", m)
		}
		return fmt.Errorf("%d findings differ from the demo's ground truth", len(res.Mismatches))
	}
	fmt.Fprintf(stdout, "ground truth: all %d users classified as expected (%s)\n", len(res.Source.Truth), time.Since(t0).Round(time.Millisecond))
	return nil
}
