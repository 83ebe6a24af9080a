package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/dormant-iam/dormant/pipeline"
)

func cmdQueries(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "print" {
		return usageError{errors.New("usage: dormant queries print --engine " + strings.Join(pipeline.EngineNames(), "|") + " [--as-of ... --window ...]")}
	}
	fs := flag.NewFlagSet("dormant queries print", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		common commonFlags
		cfg    pipeline.Config
	)
	common.register(fs)
	fs.StringVar(&cfg.Engine, "engine", pipeline.DefaultEngine, "engine whose dialect to print: "+strings.Join(pipeline.EngineNames(), ", "))
	fs.StringVar(&cfg.CloudTrail, "cloudtrail", "", "local: the folder holding AWSLogs/ (its SQL lists the files)")
	fs.StringVar(&cfg.AthenaDatabase, "athena-database", "default", "athena: database")
	fs.StringVar(&cfg.AthenaTable, "athena-table", "cloudtrail_logs", "athena: table")
	fs.StringVar(&cfg.EventDataStore, "event-data-store", "", "lake: event data store ARN or ID")
	if err := parseFlags(fs, args[1:], nil); err != nil {
		return err
	}
	cfg.AsOf, cfg.WindowDays = common.asOf.t, int(common.window)
	sql, err := pipeline.QuerySQL(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sql)
	return nil
}
