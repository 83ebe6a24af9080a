package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// app is one invocation: where output goes, the logger the command built
// from its flags, and the --format json report printed when it ends.
type app struct {
	ctx            context.Context
	stdout, stderr io.Writer
	// jsonLog is true once --log-format json is known (guessed from the
	// arguments before parsing, so that even a parse error is a JSON line).
	jsonLog bool
	logger  *slog.Logger // nil until a command with --log-format settled its flags
	report  *report      // non-nil with --format json
}

// envPrefix starts the environment variable of every flag:
// DORMANT_<FLAG>, the flag's name upper-cased with '-' as '_'.
const envPrefix = "DORMANT_"

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// precedenceHelp is the footer of every command that takes flags.
const precedenceHelp = `Every flag can also be set in the environment as DORMANT_<FLAG>: the flag's
name in upper case with '-' as '_' (DORMANT_WINDOW=90d, DORMANT_LOG_FORMAT=json;
an empty variable counts as unset). The command line wins over the
environment, which wins over the --config file, which wins over the default.`

// usageTemplate is cobra's, with the exit status and the environment after
// the flags.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{with .Annotations.env}}

Environment:
{{.}}{{end}}{{with .Annotations.exit}}

Exit status:
{{.}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`

// Exit status texts, shared by the commands' help.
const (
	exitHelpCommon = `  0  success
  1  error (the message says which and what to do)
  2  usage: an unknown flag or command, a missing or bad value, an unexpected argument`
	exitHelpRun = exitHelpCommon + `
  3  findings with a status or decision --fail-on names (the run itself succeeded)
  5  partial: some accounts could not be assessed (see run.json and the workbook's Summary)`
	exitHelpRemediate = `  0  every entry was done, already done, or (dry run) planned
  1  the manifest or backup was refused, or an entry failed or was interrupted
  2  usage: an unknown flag, a missing or bad value, an unexpected argument
  4  nothing failed, but some entries were skipped (the live re-check found a reason not to act)`
)

func (a *app) rootCommand() *cobra.Command {
	info := readBuildInfo()
	root := &cobra.Command{
		Use:   "dormant",
		Short: "Find IAM users nobody uses any more, prove it, and remediate",
		Long: `dormant finds IAM users nobody uses any more, proves it to an auditor (an Excel
workbook, a CSV, a remediation manifest and a signed evidence bundle), and
carries out the reviewed plan. It never recommends removing a user that is in
use, and never states a fact it does not have.

` + precedenceHelp,
		Example: `  dormant demo --out /tmp/dormant-demo
  dormant run --org --role-name OrganizationAccountAccessRole --cloudtrail s3://trail-bucket/org/ --out q4-2026
  dormant verify q4-2026
  dormant remediate --manifest q4-2026/reports/remediation-manifest.json`,
		Version:                    info.String(),
		SilenceErrors:              true,
		SuggestionsMinimumDistance: 2,
		SilenceUsage:               true,
		Args:                       a.unknownCommand,
		RunE:                       a.noCommand,
		Annotations: map[string]string{"exit": exitHelpCommon + `
  3  run: findings with a status or decision --fail-on names
  4  remediate: nothing failed, but some entries were skipped
  5  run: some accounts could not be assessed`},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetUsageTemplate(usageTemplate)
	root.SetVersionTemplate("dormant {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(a.runCommand(), a.demoCommand(), a.remediateCommand(), a.restoreCommand(), a.manifestCommand(),
		a.queriesCommand(), a.verifyCommand(), a.versionCommand())
	// Cobra's completion command, made now so that `completion tcsh` is a
	// usage error rather than its help.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.RunE = groupCommand
			c.Example = "  source <(dormant completion bash)\n  dormant completion zsh > \"${fpath[1]}/_dormant\"\n  dormant completion fish > ~/.config/fish/completions/dormant.fish"
			c.Annotations = map[string]string{"exit": "  0  the script was written to stdout\n  2  usage: no shell, or one not listed"}
			continue
		}
		a.prepare(c)
	}
	return root
}

// prepare gives every command of ours (and its subcommands) the same
// treatment: its flags settled from the environment and the config file
// before it runs, its errors marked as its own, and help that names the
// environment variables.
func (a *app) prepare(c *cobra.Command) {
	for _, sub := range c.Commands() {
		a.prepare(sub)
	}
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	if c.HasAvailableLocalFlags() {
		c.Annotations["env"] = envHelp(c)
	}
	if c.Args == nil {
		c.Args = noArgs
	}
	run := c.RunE
	if run == nil {
		return
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if err := a.settle(cmd); err != nil {
			// A script that asked for JSON gets its report even for a bad
			// value found while settling.
			if f := cmd.Flags().Lookup("format"); f != nil && f.Value.String() == "json" && cmd.Name() != "version" {
				a.report = newReport(commandKey(cmd))
			}
			return ranError{err}
		}
		if err := run(cmd, args); err != nil {
			return ranError{err}
		}
		return nil
	}
}

// envHelp is the Environment section of c's help: the precedence, and the
// flags of c that only the command line may set.
func envHelp(c *cobra.Command) string {
	var only []string
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if _, ok := lookupByCommand(commandLineOnly, commandKey(c), f.Name); ok {
			only = append(only, "--"+f.Name)
		}
	})
	text := precedenceHelp
	if len(only) > 0 {
		text += "\nOnly the command line sets " + strings.Join(only, ", ") + ":\nthe environment and the config file are refused for them."
	}
	return text
}

// commandKey is the command's path without "dormant ": "run", "queries print".
func commandKey(c *cobra.Command) string {
	return strings.TrimPrefix(c.CommandPath(), "dormant ")
}

// noArgs refuses positional arguments, naming the first.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", args[0])}
	}
	return nil
}

// unknownCommand is the root's argument check: the first argument names a
// command, and one that does not is named with the nearest ones.
func (a *app) unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return usageError{errors.New(msg)}
}

// noCommand is `dormant` alone: the help, on stderr, and exit 2, since a
// script that forgot its command did not succeed.
func (a *app) noCommand(cmd *cobra.Command, _ []string) error {
	cmd.SetOut(a.stderr)
	_ = cmd.Help()
	cmd.SetOut(a.stdout)
	return usageError{errors.New("give a command")}
}

// groupCommand is the RunE of a command that only holds subcommands.
func groupCommand(cmd *cobra.Command, args []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		names = append(names, c.Name())
	}
	if len(args) == 0 {
		return usageError{fmt.Errorf("give a subcommand: %s", strings.Join(names, ", "))}
	}
	return usageError{fmt.Errorf("unknown subcommand %q: use %s", args[0], strings.Join(names, ", "))}
}

// settle completes the flags cobra parsed from the command line: it checks
// their values against flagRanges, fills the flags the command line left
// alone from DORMANT_* variables and then from the --config file, and
// builds the command's logger. Everything is checked before any work.
func (a *app) settle(cmd *cobra.Command) error {
	fs, key := cmd.Flags(), commandKey(cmd)
	var errs []string
	fs.Visit(func(f *pflag.Flag) {
		if err := checkRange(key, f); err != nil {
			errs = append(errs, fmt.Sprintf("--%s %s %v", f.Name, f.Value, err))
		}
	})
	if len(errs) > 0 {
		return usageError{errors.New(strings.Join(errs, "; "))}
	}
	if err := applyEnv(fs, key, os.LookupEnv); err != nil {
		return usageError{err}
	}
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		if err := applyConfigFile(fs, key, f.Value.String()); err != nil {
			return usageError{err}
		}
	}
	if err := checkWindowStart(fs); err != nil {
		return usageError{err}
	}
	lf, lv := fs.Lookup("log-format"), fs.Lookup("log-level")
	if lf == nil || lv == nil {
		return nil
	}
	a.jsonLog = lf.Value.String() == "json"
	logger, err := newLogger(a.stderr, lf.Value.String(), lv.Value.String())
	if err != nil {
		return err
	}
	a.logger = logger
	slog.SetDefault(logger)
	return nil
}

// jsonLogRequested says whether the arguments or the environment ask for
// JSON logs, read before cobra parses them so that an error found while
// parsing is written as JSON too.
func jsonLogRequested(args []string) bool {
	for i, arg := range args {
		if arg == "--" {
			break
		}
		v, ok := strings.CutPrefix(arg, "--log-format=")
		if !ok && arg == "--log-format" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if ok {
			return v == "json"
		}
	}
	return os.Getenv(envName("log-format")) == "json"
}

// finish writes what the command left to say: with --format json the
// report on stdout, and the error (if any) on stderr, as one JSON log line
// in JSON mode, else as text; a usage error with one hint line.
func (a *app) finish(cmd *cobra.Command, name string, code int, err error) {
	if a.report != nil {
		a.report.ExitCode, a.report.ExitReason = code, exitReasons[code]
		if err != nil {
			a.report.Error = err.Error()
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if encErr := enc.Encode(a.report); encErr != nil {
			fmt.Fprintf(a.stderr, "dormant %s: writing the JSON report: %v\n", name, encErr)
		}
	}
	if err == nil || errors.Is(err, errFindings) {
		return
	}
	prefix := "dormant"
	if name != "dormant" && name != "" {
		prefix += " " + name
	}
	msg, hint := err.Error(), ""
	if code == exitUsage {
		// One line: a joined list of problems becomes "a; b".
		msg = strings.ReplaceAll(strings.TrimSpace(msg), "\n", "; ")
		hint = fmt.Sprintf("Run '%s --help' for usage.", cmd.CommandPath())
	}
	if a.jsonLog {
		logger := a.logger
		if logger == nil {
			logger = slog.New(slog.NewJSONHandler(a.stderr, nil))
		}
		attrs := []any{"command", name, "exit_code", code, "exit_reason", exitReasons[code]}
		if hint != "" {
			attrs = append(attrs, "hint", hint)
		}
		logger.Error(msg, attrs...)
		return
	}
	fmt.Fprintf(a.stderr, "%s: %s\n", prefix, msg)
	if hint != "" {
		fmt.Fprintln(a.stderr, hint)
	}
}

// log is the command's logger; before one is built, text on stderr.
func (a *app) log() *slog.Logger {
	if a.logger != nil {
		return a.logger
	}
	return slog.New(slog.NewTextHandler(a.stderr, nil))
}

// warn writes a warning meant for a person: a line of text, or a JSON log
// line when the logs are JSON.
func (a *app) warn(text string) {
	if a.jsonLog {
		a.log().Warn(text)
		return
	}
	fmt.Fprintln(a.stderr, text)
}
