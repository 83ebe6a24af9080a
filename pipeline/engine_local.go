package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dormant-iam/dormant/pipeline/activity"
	localengine "github.com/dormant-iam/dormant/pipeline/activity/local"
)

// EngineLocal reads log files, from a folder or synced from S3.
const EngineLocal = "local"

func init() {
	registerEngine(engineSpec{
		Name: EngineLocal, Summary: "DuckDB over log files", CountsFiles: true,
		Validate: validateLocal, New: newLocalEngine, Fingerprint: fingerprintLocal, SQL: localSQL,
	})
}

// fromS3 reports whether --cloudtrail names a bucket rather than a folder.
func (c Config) fromS3() bool { return strings.HasPrefix(c.CloudTrail, "s3://") }

func validateLocal(c Config) []error {
	switch {
	case c.CloudTrail == "":
		return []error{errors.New("--cloudtrail is required with --engine local: a folder holding AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz, or s3://bucket/prefix/ to sync")}
	case c.fromS3():
		return nil // checked by the sync
	}
	if st, err := os.Stat(c.CloudTrail); err != nil {
		return []error{fmt.Errorf("reading --cloudtrail: %w", err)}
	} else if !st.IsDir() {
		return []error{fmt.Errorf("--cloudtrail %s is not a directory", c.CloudTrail)}
	}
	return nil
}

// newLocalEngine reads the log files in --cloudtrail, or, for an s3:// URI,
// syncs them into the cache first.
func newLocalEngine(ctx context.Context, cfg Config, sess sessionFunc) (activity.Engine, error) {
	local := []localengine.LocalOption{localengine.WithLogger(cfg.Logger)}
	if cfg.Cache != "" {
		local = append(local, localengine.WithCache(cfg.Cache))
	}
	if cfg.Scanner != "" {
		local = append(local, localengine.WithScanner(cfg.Scanner))
	}
	if cfg.MaxLogFileSize > 0 {
		local = append(local, localengine.WithMaxLogFileSize(cfg.MaxLogFileSize))
	}
	if cfg.ScanProgress != nil {
		local = append(local, localengine.WithProgress(cfg.ScanProgress))
	}
	if !cfg.fromS3() {
		return localengine.NewLocal(cfg.CloudTrail, local...), nil
	}
	aws, err := sess(ctx)
	if err != nil {
		return nil, err
	}
	cache := cfg.Cache
	if cache == "" {
		if cache, err = localengine.DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	client := s3.NewFromConfig(aws.cfg, func(o *s3.Options) { o.UsePathStyle = cfg.EndpointURL != "" })
	return localengine.NewS3Local(client, cfg.CloudTrail, cache, localengine.SyncOptions{Logger: cfg.Logger, MaxObjectSize: cfg.MaxLogFileSize,
		PublicKeys: cloudtrail.NewFromConfig(aws.cfg), Progress: cfg.ScanProgress}, local...), nil
}

func fingerprintLocal(ctx context.Context, cfg Config, eng activity.Engine, q activity.Query, f *fingerprint) (activity.Engine, error) {
	switch e := eng.(type) {
	case *localengine.Local:
		return e, localFingerprint(ctx, f, e, q)
	case *localengine.S3Local:
		f.add(cfg.CloudTrail)
		local, err := e.Sync(ctx, q)
		if err != nil {
			return nil, err
		}
		return local, localFingerprint(ctx, f, local, q)
	}
	return nil, fmt.Errorf("fingerprinting the local engine: unexpected engine %T", eng)
}

// localSQL names the log files it reads, so it needs --cloudtrail as a folder.
func localSQL(ctx context.Context, cfg Config, q activity.Query) (string, error) {
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
}
