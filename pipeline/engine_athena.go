package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dormant-iam/dormant/pipeline/activity"
	athenaengine "github.com/dormant-iam/dormant/pipeline/activity/athena"
)

// EngineAthena queries the trail's Athena table.
const EngineAthena = "athena"

func init() {
	registerEngine(engineSpec{
		Name: EngineAthena, Validate: validateAthena, New: newAthenaEngine, Fingerprint: fingerprintAthena, SQL: athenaSQL,
	})
}

func validateAthena(c Config) []error {
	if c.AthenaDatabase == "" || c.AthenaTable == "" {
		return []error{errors.New("--engine athena needs --athena-database and --athena-table: the table over the trail's logs (AWS's CloudTrail DDL)")}
	}
	return nil
}

func newAthenaEngine(ctx context.Context, cfg Config, sess sessionFunc) (activity.Engine, error) {
	aws, err := sess(ctx)
	if err != nil {
		return nil, err
	}
	client := s3.NewFromConfig(aws.cfg, func(o *s3.Options) { o.UsePathStyle = cfg.EndpointURL != "" })
	return athenaengine.NewAthena(athena.NewFromConfig(aws.cfg), client, athenaengine.AthenaOptions{
		Database: cfg.AthenaDatabase, Table: cfg.AthenaTable, Workgroup: cfg.AthenaWorkgroup,
		OutputLocation: cfg.AthenaOutput, Catalog: cfg.AthenaCatalog, Logger: cfg.Logger, Progress: cfg.ScanProgress,
	})
}

// fingerprintAthena covers the SQL it would run against the table's real
// layout and the engine settings.
func fingerprintAthena(ctx context.Context, cfg Config, eng activity.Engine, q activity.Query, f *fingerprint) (activity.Engine, error) {
	a, ok := eng.(*athenaengine.Athena)
	if !ok {
		return nil, fmt.Errorf("fingerprinting the athena engine: unexpected engine %T", eng)
	}
	plan, err := a.Plan(ctx, q)
	if err != nil {
		return nil, err
	}
	f.add(cfg.AthenaCatalog, cfg.AthenaDatabase, cfg.AthenaTable, cfg.AthenaWorkgroup, cfg.AthenaOutput, plan.SQL)
	return a, nil
}

// athenaSQL assumes AWS's documented table with a projected `timestamp`
// partition, since it reads no table's real layout.
func athenaSQL(ctx context.Context, cfg Config, q activity.Query) (string, error) {
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
}
