package pipeline

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dormant-iam/dormant/pipeline/activity"
	athenaengine "github.com/dormant-iam/dormant/pipeline/activity/athena"
	lakeengine "github.com/dormant-iam/dormant/pipeline/activity/lake"
	localengine "github.com/dormant-iam/dormant/pipeline/activity/local"
)

// Engines the activity stage can run on.
const (
	EngineLocal  = "local"
	EngineAthena = "athena"
	EngineLake   = "lake"
)

// fromS3 reports whether --cloudtrail names a bucket rather than a folder.
func (c Config) fromS3() bool { return strings.HasPrefix(c.CloudTrail, "s3://") }

// engine builds the configured activity engine; the cloud engines and the
// S3 sync get their clients from the run's AWS session.
func (s *state) engine(ctx context.Context) (activity.Engine, error) {
	local := []localengine.LocalOption{localengine.WithLogger(s.cfg.Logger)}
	if s.cfg.Cache != "" {
		local = append(local, localengine.WithCache(s.cfg.Cache))
	}
	if s.cfg.Scanner != "" {
		local = append(local, localengine.WithScanner(s.cfg.Scanner))
	}
	if s.cfg.MaxLogFileSize > 0 {
		local = append(local, localengine.WithMaxLogFileSize(s.cfg.MaxLogFileSize))
	}
	if s.cfg.ScanProgress != nil {
		local = append(local, localengine.WithProgress(s.cfg.ScanProgress))
	}
	switch s.cfg.Engine {
	case EngineLocal:
		if !s.cfg.fromS3() {
			return localengine.NewLocal(s.cfg.CloudTrail, local...), nil
		}
		sess, err := s.aws(ctx)
		if err != nil {
			return nil, err
		}
		cache := s.cfg.Cache
		if cache == "" {
			if cache, err = localengine.DefaultCacheDir(); err != nil {
				return nil, err
			}
		}
		client := s3.NewFromConfig(sess.cfg, func(o *s3.Options) { o.UsePathStyle = s.cfg.EndpointURL != "" })
		return localengine.NewS3Local(client, s.cfg.CloudTrail, cache, localengine.SyncOptions{Logger: s.cfg.Logger, MaxObjectSize: s.cfg.MaxLogFileSize,
			PublicKeys: cloudtrail.NewFromConfig(sess.cfg)}, local...), nil
	case EngineAthena:
		sess, err := s.aws(ctx)
		if err != nil {
			return nil, err
		}
		client := s3.NewFromConfig(sess.cfg, func(o *s3.Options) { o.UsePathStyle = s.cfg.EndpointURL != "" })
		return athenaengine.NewAthena(athena.NewFromConfig(sess.cfg), client, athenaengine.AthenaOptions{
			Database: s.cfg.AthenaDatabase, Table: s.cfg.AthenaTable, Workgroup: s.cfg.AthenaWorkgroup,
			OutputLocation: s.cfg.AthenaOutput, Catalog: s.cfg.AthenaCatalog, Logger: s.cfg.Logger,
			PublicKeys: cloudtrail.NewFromConfig(sess.cfg),
		})
	case EngineLake:
		sess, err := s.aws(ctx)
		if err != nil {
			return nil, err
		}
		return lakeengine.NewLake(cloudtrail.NewFromConfig(sess.cfg), lakeengine.LakeOptions{EventDataStore: s.cfg.EventDataStore, Logger: s.cfg.Logger})
	}
	return nil, fmt.Errorf("--engine %q is not known; use local, athena or lake", s.cfg.Engine)
}

// activityFingerprint says what the activity tables depend on: for the local
// engine the log files' names, sizes and modification times (after syncing
// them from S3, which downloads only what changed), for the cloud engines the
// SQL they would run and the engine settings — so --resume never pays twice
// for the same Athena scan.
func (s *state) activityFingerprint(ctx context.Context) (string, error) {
	f := newFingerprint("activity", s.cfg.ToolVersion)
	q := s.query()
	f.add(s.cfg.Engine, q.Start.Format(time.RFC3339Nano), q.End.Format(time.RFC3339Nano))
	eng, err := s.engine(ctx)
	if err != nil {
		return "", err
	}
	switch e := eng.(type) {
	case *localengine.Local:
		if err := s.localFingerprint(ctx, f, e, q); err != nil {
			return "", err
		}
	case *localengine.S3Local:
		f.add(s.cfg.CloudTrail)
		local, err := e.Sync(ctx, q)
		if err != nil {
			return "", err
		}
		if err := s.localFingerprint(ctx, f, local, q); err != nil {
			return "", err
		}
		eng = local
	case *athenaengine.Athena:
		plan, err := e.Plan(ctx, q)
		if err != nil {
			return "", err
		}
		f.add(s.cfg.AthenaCatalog, s.cfg.AthenaDatabase, s.cfg.AthenaTable, s.cfg.AthenaWorkgroup, s.cfg.AthenaOutput, plan.SQL)
	case *lakeengine.Lake:
		sql, err := e.SQL(q)
		if err != nil {
			return "", err
		}
		f.add(s.cfg.EventDataStore, sql)
	default:
		return "", nil
	}
	s.eng = eng
	return s.remember("activity", f.sum()), nil
}

func (s *state) localFingerprint(ctx context.Context, f *fingerprint, l *localengine.Local, q activity.Query) error {
	plan, err := l.Plan(ctx, q)
	if err != nil {
		return err
	}
	f.add(plan.SQL)
	for _, lf := range plan.Files {
		st, err := os.Stat(lf.Path)
		if err != nil {
			return err
		}
		f.add(lf.Path, fmt.Sprint(st.Size()), st.ModTime().UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// QuerySQL renders the activity query the configured engine would run for
// the window, without running it (`dormant queries print`). The local SQL
// lists the files it reads, so it needs --cloudtrail; the Athena SQL assumes
// AWS's documented table with a projected `timestamp` partition unless the
// run reads the table's real layout.
func QuerySQL(ctx context.Context, cfg Config) (string, error) {
	cfg = cfg.WithDefaults()
	q := activity.Query{Start: cfg.WindowStart(), End: cfg.AsOf}
	switch cfg.Engine {
	case EngineLocal:
		if cfg.CloudTrail == "" || cfg.fromS3() {
			return "", fmt.Errorf("the local engine's SQL names the log files it reads: give --cloudtrail, a folder holding AWSLogs/")
		}
		plan, err := localengine.NewLocal(cfg.CloudTrail).Plan(ctx, q)
		if err != nil {
			return "", err
		}
		if plan.SQL == "" {
			return "", fmt.Errorf("no CloudTrail log files under %s for the window %s to %s", cfg.CloudTrail, q.Start.Format(time.DateOnly), q.End.Format(time.DateOnly))
		}
		return plan.SQL, nil
	case EngineAthena:
		db, table := cfg.AthenaDatabase, cfg.AthenaTable
		if db == "" {
			db = "default"
		}
		if table == "" {
			table = "cloudtrail_logs"
		}
		layout := athenaengine.TableLayout{Keys: []athenaengine.PartitionKey{{Name: "timestamp", Type: "string", Projection: "date", Format: "yyyy/MM/dd"}}}
		sql, _, err := athenaengine.AthenaSQL(db, table, layout, q)
		return sql, err
	case EngineLake:
		store := cfg.EventDataStore
		if store == "" {
			return "", fmt.Errorf("the lake engine's SQL names the event data store: give --event-data-store")
		}
		id, err := lakeengine.EventDataStoreID(store)
		if err != nil {
			return "", err
		}
		return lakeengine.LakeSQL(id, q)
	}
	return "", fmt.Errorf("--engine %q is not known; use local, athena or lake", cfg.Engine)
}
