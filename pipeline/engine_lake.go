package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/dormant-iam/dormant/pipeline/activity"
	lakeengine "github.com/dormant-iam/dormant/pipeline/activity/lake"
)

// EngineLake queries a CloudTrail Lake event data store.
const EngineLake = "lake"

func init() {
	registerEngine(engineSpec{
		Name: EngineLake, Summary: "CloudTrail Lake",
		Validate: validateLake, New: newLakeEngine, Fingerprint: fingerprintLake, SQL: lakeSQL,
	})
}

func validateLake(c Config) []error {
	if c.EventDataStore == "" {
		return []error{errors.New("--engine lake needs --event-data-store: the event data store's ARN or ID")}
	}
	return nil
}

func newLakeEngine(ctx context.Context, cfg Config, sess sessionFunc) (activity.Engine, error) {
	aws, err := sess(ctx)
	if err != nil {
		return nil, err
	}
	return lakeengine.NewLake(cloudtrail.NewFromConfig(aws.cfg), lakeengine.LakeOptions{EventDataStore: cfg.EventDataStore, Logger: cfg.Logger,
		Progress: cfg.ScanProgress})
}

func fingerprintLake(ctx context.Context, cfg Config, eng activity.Engine, q activity.Query, f *fingerprint) (activity.Engine, error) {
	l, ok := eng.(*lakeengine.Lake)
	if !ok {
		return nil, fmt.Errorf("fingerprinting the lake engine: unexpected engine %T", eng)
	}
	sql, err := l.SQL(q)
	if err != nil {
		return nil, err
	}
	f.add(cfg.EventDataStore, sql)
	return l, nil
}

func lakeSQL(ctx context.Context, cfg Config, q activity.Query) (string, error) {
	if cfg.EventDataStore == "" {
		return "", fmt.Errorf("the lake engine's SQL names the event data store: give --event-data-store")
	}
	id, err := lakeengine.EventDataStoreID(cfg.EventDataStore)
	if err != nil {
		return "", err
	}
	return lakeengine.LakeSQL(id, q)
}
