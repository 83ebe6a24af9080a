package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dormant-iam/dormant/pipeline"
)

func (a *app) queriesCommand() *cobra.Command {
	group := &cobra.Command{
		Use:         "queries",
		Short:       "Print the activity query an engine would run (queries print --engine " + strings.Join(pipeline.EngineNames(), "|") + ")",
		Long:        "Prints the SQL an activity engine runs for a window, to review it or to run it by hand.",
		Example:     "  dormant queries print --engine athena --as-of 2026-11-01 --window 90d",
		Args:        cobra.ArbitraryArgs,
		RunE:        groupCommand,
		Annotations: map[string]string{"exit": exitHelpCommon},
	}
	var (
		asOf   timeFlag
		window = daysFlag(pipeline.DefaultWindowDays)
		cfg    pipeline.Config
	)
	print := &cobra.Command{
		Use:   "print --engine " + strings.Join(pipeline.EngineNames(), "|") + " [flags]",
		Short: "Print the activity query of one engine",
		Long: `Prints the SQL the engine runs for the window ending at --as-of: Athena's over
the CloudTrail table, CloudTrail Lake's over the event data store, or the local
engine's over the log files under --cloudtrail.`,
		Example: `  dormant queries print --engine athena --athena-database security --athena-table cloudtrail_logs --window 90d
  dormant queries print --engine lake --event-data-store arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/EXAMPLE
  dormant queries print --engine local --cloudtrail ./trail --as-of 2026-11-01`,
		Annotations: map[string]string{"exit": exitHelpCommon},
		RunE: func(*cobra.Command, []string) error {
			cfg.AsOf, cfg.WindowDays = asOf.t, int(window)
			sql, err := pipeline.QuerySQL(a.ctx, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, sql)
			return nil
		},
	}
	fs := print.Flags()
	fs.Var(&asOf, "as-of", "end of the window (RFC 3339 or YYYY-MM-DD, UTC); default now")
	fs.Var(&window, "window", "activity window, in days")
	fs.StringVar(&cfg.Engine, "engine", pipeline.DefaultEngine, "engine whose dialect to print: "+strings.Join(pipeline.EngineNames(), ", "))
	fs.StringVar(&cfg.CloudTrail, "cloudtrail", "", "local: the folder holding AWSLogs/ (its SQL lists the files)")
	fs.StringVar(&cfg.AthenaDatabase, "athena-database", "default", "athena: database")
	fs.StringVar(&cfg.AthenaTable, "athena-table", "cloudtrail_logs", "athena: table")
	fs.StringVar(&cfg.EventDataStore, "event-data-store", "", "lake: event data store ARN or ID")
	group.AddCommand(print)
	return group
}
