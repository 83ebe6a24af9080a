package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/dormant-iam/dormant/internal/atomicfile"
	"github.com/dormant-iam/dormant/internal/signature"
	"github.com/dormant-iam/dormant/pipeline/activity"
	"github.com/dormant-iam/dormant/pipeline/findings"
	"github.com/dormant-iam/dormant/reports"
	"github.com/dormant-iam/dormant/reports/evidence"
	"github.com/dormant-iam/dormant/tables"
)

// Result is what a finished run reports back to the caller.
type Result struct {
	RunID   string
	Out     string
	Record  *RunRecord
	Summary findings.Summary
	// Partial is set when some accounts could not be assessed (see
	// Record.Accounts for why); their users are in no report.
	Partial bool
}

// Run executes the whole job as numbered steps, each a function of the
// earlier steps' outputs: inventory, trails, activity, references, findings,
// changes (with a previous run to compare with), reports; then, with
// cfg.SecurityHub, the import into Security Hub; then the evidence
// checksums. Nothing is left under cfg.Out unless every step succeeded; a
// failure to publish to Security Hub is returned with the committed run's
// Result, as the reports are good.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	started := time.Now().UTC()
	runID := newRunID(started)
	st, err := newStaging(ctx, cfg.Out, runID, cfg.Replace || cfg.Resume, cfg.Logger)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, st: st, rec: newRunRecord(cfg, runID, started), total: totalSteps}
	var written <-chan error // the findings table, written while the reports are
	committed := false
	defer func() {
		if !committed {
			if written != nil {
				<-written // nothing may still write into what abort removes
			}
			st.abort()
		}
	}()
	if cfg.Resume {
		if r.prev, err = openPreviousRun(st.final); err != nil {
			cfg.Logger.Warn("--resume: no reusable run in --out; running every stage", "reason", err)
		}
	}
	sess := lazySession(cfg)
	// The previous quarter is verified before any work: a bundle that fails
	// is refused here, not after the scan.
	prev, err := openPrevious(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		r.total++
	}

	// 1. Inventory: who the users are, and the policies that may name them.
	inv, invFP, err := step(ctx, r, "inventory",
		func(context.Context) (string, error) { return inventoryFingerprint(cfg) },
		func(ctx context.Context) (inventoryOutput, error) { return runInventory(ctx, cfg, st, sess) },
		loadInventory)
	if err != nil {
		return nil, err
	}
	invFP = cmp.Or(invFP, inv.liveFP)
	// Each later step is handed only what it reads, so that the rows go out
	// of scope with the last step that reads them (users and policies with
	// the references): the collector need not mark them during the join.
	users, policies, usersTable, accounts := inv.users, inv.policies, inv.table, inv.accounts

	// 2. Trails: what each account's trails record, and fail to.
	trl, _, err := step(ctx, r, "trails", nil,
		func(ctx context.Context) (trailsOutput, error) { return runTrails(ctx, cfg, st, sess, accounts) },
		nil)
	if err != nil {
		return nil, err
	}

	// 3. Activity: who acted in the window, and which hours the logs cover;
	// and the watch over the users dormant deactivated, by unique ID, name
	// and the access key IDs the inventory lists.
	targets := watchTargets(users, inv.accessKeys)
	var eng activity.Engine // built (and, from S3, synced) while fingerprinting
	act, actFP, err := step(ctx, r, "activity",
		func(ctx context.Context) (fp string, err error) {
			fp, eng, err = activityFingerprint(ctx, cfg, sess, targets)
			return fp, err
		},
		func(ctx context.Context) (activityOutput, error) {
			return runActivity(ctx, cfg, st, sess, eng, targets)
		},
		loadActivity)
	if err != nil {
		return nil, err
	}
	actRows, actTable, cov, logFiles, counted := act.rows, act.table, act.coverage, act.logFiles, act.logFilesCounted
	known, trailsFP := trl.known, trl.fp

	// 4. References: who and what still names each user.
	checks, err := referenceChecks(cfg)
	if err != nil {
		return nil, fmt.Errorf("references: %w", err)
	}
	refs, refFP, err := step(ctx, r, "references",
		func(context.Context) (string, error) { return referencesFingerprint(cfg, checks, invFP), nil },
		func(ctx context.Context) (referencesOutput, error) {
			return runReferences(ctx, cfg, st, sess, checks, users, policies, actRows, cov, logFiles, inv.accessKeys)
		},
		loadReferences)
	if err != nil {
		return nil, err
	}

	// 5. Findings: the join of the tables above, classified.
	refRows := refs.rows
	fnd, _, err := step(ctx, r, "findings",
		func(context.Context) (string, error) { return findingsFingerprint(cfg, invFP, refFP, actFP, trailsFP) },
		func(ctx context.Context) (findingsOutput, error) {
			return runFindings(cfg, st, usersTable, actTable, cov, refRows, logFiles, known, act.watch, inv.accessKeys)
		},
		loadFindings)
	if err != nil {
		return nil, err
	}
	written = fnd.written
	finds, summary := fnd.rows, fnd.summary

	// 6. Changes (with --previous or --history): what changed since the
	// previous quarter, and whether its plan was carried out.
	if prev != nil {
		if _, _, err := step(ctx, r, "changes", nil, func(context.Context) (changesOutput, error) {
			return runChanges(st, prev, runID, r.rec, finds)
		}, nil); err != nil {
			return nil, err
		}
	}

	// 6 (or 7). Reports: the workbook, the CSV, the remediation manifest and the optional formats asked for.
	var in *reports.Input // what the reports show, published to Security Hub after them
	if _, _, err := step(ctx, r, "reports", nil, func(ctx context.Context) (noOutput, error) {
		var err error
		in, err = reportInput(st.dir, r.rec, finds, cov, refRows, inv.accessKeys, logFiles, counted)
		if err != nil {
			return noOutput{}, err
		}
		ws, err := reports.Selected(cfg.Reports)
		if err == nil {
			err = reports.WriteAll(ctx, st.dir, in, ws...)
		}
		if written != nil {
			werr := <-written
			written = nil
			if werr != nil && err == nil {
				err = fmt.Errorf("writing %s: %w", FindingsTable, werr)
			}
		}
		return noOutput{}, err
	}, nil); err != nil {
		return nil, err
	}

	// Publishing is after the reports so that a failure to publish keeps
	// them: the run is committed and the failure returned with its result.
	var publishErr error
	if cfg.SecurityHub {
		publishErr = publishSecurityHub(ctx, cfg, sess, in, r.rec)
	}

	r.rec.FinishedAt = time.Now().UTC()
	if err := writeJSON(st.path(RunFile), r.rec); err != nil {
		return nil, fmt.Errorf("writing %s: %w", RunFile, err)
	}
	if err := evidence.WriteSums(ctx, st.dir); err != nil {
		return nil, fmt.Errorf("writing %s: %w", SumsFile, err)
	}
	if cfg.Signer != nil {
		if _, err := signature.SignFile(ctx, cfg.Signer, st.path(SumsFile)); err != nil {
			return nil, fmt.Errorf("signing %s: %w", SumsFile, err)
		}
	}
	if err := st.commit(); err != nil {
		return nil, err
	}
	committed = true
	cfg.Logger.Info("run complete", "out", st.final, "users", summary.Total, "duration", time.Since(started).Round(time.Millisecond))
	res := &Result{RunID: runID, Out: st.final, Record: r.rec, Summary: summary}
	for _, a := range r.rec.Accounts {
		res.Partial = res.Partial || !a.Assessed
	}
	return res, publishErr
}

// runner is the bookkeeping around the steps, never seen by a stage: where
// the run is written, the previous run for --resume, and run.json.
type runner struct {
	cfg  Config
	st   *staging
	prev *previousRun // the run already in --out, for --resume; nil otherwise
	rec  *RunRecord
	n    int // steps started so far
	// total is how many steps this run numbers: totalSteps, plus the
	// changes step when it compares with a previous run.
	total int
}

// totalSteps is how many steps Run numbers in its log without --previous.
const totalSteps = 6

// stageOutput is what a stage hands the later ones; recordTo writes its part
// of run.json, whether the stage ran or was reused.
type stageOutput interface {
	recordTo(rec *RunRecord)
}

// noOutput is the output of a stage that only writes files.
type noOutput struct{}

func (noOutput) recordTo(*RunRecord) {}

// step runs one numbered stage. A stage with a fingerprint can be reused
// under --resume: when the run in --out recorded the same fingerprint, its
// outputs are copied instead of recomputed and load reads them back. step
// returns the stage's output and its fingerprint ("" when it has none).
func step[T stageOutput](ctx context.Context, r *runner, name string,
	fingerprint func(context.Context) (string, error),
	run func(context.Context) (T, error),
	load func(ctx context.Context, dir string, prev *RunRecord) (T, error),
) (out T, fp string, err error) {
	if err := context.Cause(ctx); err != nil {
		return out, "", fmt.Errorf("run cancelled before %s: %w", name, err)
	}
	r.n++
	log := r.cfg.Logger.With("step", fmt.Sprintf("%d/%d", r.n, r.total), "stage", name)
	t0 := time.Now()
	if fingerprint != nil {
		if fp, err = fingerprint(ctx); err != nil {
			return out, "", fmt.Errorf("%s: fingerprinting inputs: %w", name, err)
		}
	}
	reused := false
	if load != nil && fp != "" {
		prev, err := r.reuse(name, fp)
		if err != nil {
			return out, "", fmt.Errorf("%s: reusing the previous run's outputs: %w", name, err)
		}
		if prev != nil {
			if out, err = load(ctx, r.st.dir, prev); err != nil {
				return out, "", fmt.Errorf("%s: reusing the previous run's outputs: %w", name, err)
			}
			reused = true
			log.Info("stage unchanged since the previous run: reused its outputs", "fingerprint", fp[:12])
		}
	}
	if !reused {
		log.Info("stage")
		// The stage's name labels its CPU profile samples (--cpuprofile),
		// goroutines it starts included.
		pprof.Do(ctx, pprof.Labels("stage", name), func(ctx context.Context) { out, err = run(ctx) })
		if err != nil {
			return out, "", fmt.Errorf("%s: %w", name, err)
		}
	}
	out.recordTo(r.rec)
	r.rec.AddStage(name, t0, time.Since(t0), fp, reused)
	return out, fp, nil
}

// LogFilesTable lists every file the local engine read, with its records
// and the records skipped, by reason (tables.LogFile).
const LogFilesTable = "tables/logfiles.parquet"

// readLogFiles reads a run's log files table; counted is false when the run
// has none (its engine cannot count per file).
func readLogFiles(dir, engine string) (files []tables.LogFile, counted bool, err error) {
	p := filepath.Join(dir, filepath.FromSlash(LogFilesTable))
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	files, err = tables.ReadParquet[tables.LogFile](p)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", LogFilesTable, err)
	}
	spec, _ := lookupEngine(engine)
	return files, spec.CountsFiles, nil
}

// copyInput keeps an input byte for byte, as the user (or AWS) gave it.
func copyInput(st *staging, src, rel string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading input %s: %w", src, err)
	}
	if err := atomicfile.WriteBytes(st.path(rel), data); err != nil {
		return fmt.Errorf("storing input %s as %s: %w", src, rel, err)
	}
	return nil
}

// joinRel is the path of rel, a slash-separated path inside the run directory dir.
func joinRel(dir, rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }
