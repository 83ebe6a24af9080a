package analytics

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/johannesboyne/gofakes3"
)

// macros define, in DuckDB, the Trino functions the engines' SQL uses that
// DuckDB lacks or names differently (see the package documentation), and
// the fake's own helpers in schema ct.
var macros = []string{
	`CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`,
	`CREATE MACRO to_iso8601(t) AS strftime(t, '%Y-%m-%dT%H:%M:%S.%gZ')`,
	`CREATE MACRO json_extract_scalar(j, p) AS
		CASE WHEN json_valid(j) AND json_type(j, p) NOT IN ('OBJECT', 'ARRAY') THEN json_extract_string(j, p) END`,
	`CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)`,
	`CREATE MACRO array_join(a, sep) AS array_to_string(a, sep)`,
	`CREATE MACRO element_at(m, k) AS map_extract_value(m, k)`,
	`CREATE SCHEMA ct`,
	// The JSON SerDe's text of a free-form field: a string's content, any
	// other value's JSON text.
	`CREATE MACRO ct.serde_text(j) AS CASE json_type(j) WHEN 'VARCHAR' THEN j ->> '$' ELSE j::VARCHAR END`,
	// Lake's map of a free-form field: a JSON object's members, values as text.
	`CREATE MACRO ct.json_map(s) AS
		CASE WHEN json_valid(s) AND json_type(s::JSON) = 'OBJECT' THEN CAST(s::JSON AS MAP(VARCHAR, VARCHAR)) END`,
	`CREATE SCHEMA lake`,
}

// recordType is the shape the log files are read with: the fields of AWS's
// CloudTrail DDL, as the JSON spells them.
const recordType = `STRUCT(
	eventVersion VARCHAR,
	userIdentity STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, invokedBy VARCHAR,
		accessKeyId VARCHAR, userName VARCHAR,
		sessionContext STRUCT(
			attributes STRUCT(mfaAuthenticated VARCHAR, creationDate VARCHAR),
			sessionIssuer STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, userName VARCHAR),
			ec2RoleDelivery VARCHAR,
			webIdFederationData JSON)),
	eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR, sourceIPAddress VARCHAR,
	userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR,
	requestParameters JSON, responseElements JSON, additionalEventData JSON,
	requestID VARCHAR, eventID VARCHAR, readOnly VARCHAR,
	resources STRUCT(ARN VARCHAR, accountId VARCHAR, type VARCHAR)[],
	eventType VARCHAR, apiVersion VARCHAR, managementEvent VARCHAR, recipientAccountId VARCHAR,
	serviceEventDetails JSON, sharedEventID VARCHAR, vpcEndpointId VARCHAR, eventCategory VARCHAR,
	tlsDetails STRUCT(tlsVersion VARCHAR, cipherSuite VARCHAR, clientProvidedHostHeader VARCHAR),
	sessionCredentialFromConsole VARCHAR)`

// athenaShape turns a raw record r into the Athena table's columns.
const athenaShape = `
	r.eventVersion AS eventversion,
	{'type': r.userIdentity.type, 'principalid': r.userIdentity.principalId, 'arn': r.userIdentity.arn,
	 'accountid': r.userIdentity.accountId, 'invokedby': r.userIdentity.invokedBy,
	 'accesskeyid': r.userIdentity.accessKeyId, 'username': r.userIdentity.userName,
	 'sessioncontext': {
		'attributes': {'mfaauthenticated': r.userIdentity.sessionContext.attributes.mfaAuthenticated,
		               'creationdate': r.userIdentity.sessionContext.attributes.creationDate},
		'sessionissuer': {'type': r.userIdentity.sessionContext.sessionIssuer.type,
		                  'principalid': r.userIdentity.sessionContext.sessionIssuer.principalId,
		                  'arn': r.userIdentity.sessionContext.sessionIssuer.arn,
		                  'accountid': r.userIdentity.sessionContext.sessionIssuer.accountId,
		                  'username': r.userIdentity.sessionContext.sessionIssuer.userName},
		'ec2roledelivery': r.userIdentity.sessionContext.ec2RoleDelivery,
		'webidfederationdata': ct.json_map(r.userIdentity.sessionContext.webIdFederationData::VARCHAR)}} AS useridentity,
	r.eventTime AS eventtime, r.eventSource AS eventsource, r.eventName AS eventname, r.awsRegion AS awsregion,
	r.sourceIPAddress AS sourceipaddress, r.userAgent AS useragent, r.errorCode AS errorcode, r.errorMessage AS errormessage,
	ct.serde_text(r.requestParameters) AS requestparameters,
	ct.serde_text(r.responseElements) AS responseelements,
	ct.serde_text(r.additionalEventData) AS additionaleventdata,
	r.requestID AS requestid, r.eventID AS eventid, r.readOnly AS readonly,
	list_transform(r.resources, x -> {'arn': x.ARN, 'accountid': x.accountId, 'type': x.type}) AS resources,
	r.eventType AS eventtype, r.apiVersion AS apiversion, r.recipientAccountId AS recipientaccountid,
	ct.serde_text(r.serviceEventDetails) AS serviceeventdetails, r.sharedEventID AS sharedeventid,
	r.vpcEndpointId AS vpcendpointid,
	{'tlsversion': r.tlsDetails.tlsVersion, 'ciphersuite': r.tlsDetails.cipherSuite,
	 'clientprovidedhostheader': r.tlsDetails.clientProvidedHostHeader} AS tlsdetails,
	r.managementEvent AS managementevent, r.eventCategory AS eventcategory,
	r.sessionCredentialFromConsole AS sessioncredentialfromconsole`

// athenaColumns are the Athena table's data columns with their Glue types,
// as AWS's CloudTrail DDL declares them (lower-case, as Glue stores them).
var athenaColumns = []struct{ name, typ string }{
	{"eventversion", "string"},
	{"useridentity", "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string,username:string," +
		"sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>," +
		"sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>," +
		"ec2roledelivery:string,webidfederationdata:map<string,string>>>"},
	{"eventtime", "string"},
	{"eventsource", "string"},
	{"eventname", "string"},
	{"awsregion", "string"},
	{"sourceipaddress", "string"},
	{"useragent", "string"},
	{"errorcode", "string"},
	{"errormessage", "string"},
	{"requestparameters", "string"},
	{"responseelements", "string"},
	{"additionaleventdata", "string"},
	{"requestid", "string"},
	{"eventid", "string"},
	{"readonly", "string"},
	{"resources", "array<struct<arn:string,accountid:string,type:string>>"},
	{"eventtype", "string"},
	{"apiversion", "string"},
	{"recipientaccountid", "string"},
	{"serviceeventdetails", "string"},
	{"sharedeventid", "string"},
	{"vpcendpointid", "string"},
	{"tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"},
}

// lakeShape turns the stored (Athena-shaped) columns into the event data
// store's.
const lakeShape = `
	eventversion, useridentity,
	CAST(from_iso8601_timestamp(eventtime) AS TIMESTAMP) AS eventtime,
	eventsource, eventname, awsregion, sourceipaddress, useragent, errorcode, errormessage,
	ct.json_map(requestparameters) AS requestparameters,
	ct.json_map(responseelements) AS responseelements,
	ct.json_map(additionaleventdata) AS additionaleventdata,
	requestid, eventid, CAST(readonly AS BOOLEAN) AS readonly, resources, eventtype, apiversion,
	CAST(managementevent AS BOOLEAN) AS managementevent, recipientaccountid,
	ct.json_map(serviceeventdetails) AS serviceeventdetails, sharedeventid, vpcendpointid,
	eventcategory, tlsdetails, sessioncredentialfromconsole`

// logFile matches a CloudTrail log file's key below the logs folder.
var logFile = regexp.MustCompile(`(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?([0-9]{12})/CloudTrail/([a-z0-9-]+)/([0-9]{4})/([0-9]{2})/([0-9]{2})/([^/]+)$`)

// folder is one AWSLogs/.../<account>/CloudTrail/<region>/YYYY/MM/DD folder:
// one DuckDB table, ct.f_<id>.
type folder struct {
	id              int
	account, region string
	day             time.Time
	files           []string // local paths
	bytes           int64
}

type catalog struct {
	database string
	location string // s3://bucket/prefix/AWSLogs
	folders  []*folder
	tables   map[string]Table // by lower-case name
	stores   map[string]bool
}

// openDuckDB opens the fake's in-memory database: UTC, never reaching the
// network for an extension.
func openDuckDB() (*sql.DB, error) {
	cfg := url.Values{}
	cfg.Set("threads", "2")
	cfg.Set("autoinstall_known_extensions", "false")
	cfg.Set("autoload_known_extensions", "false")
	// Every connection works in UTC, so TIMESTAMP (Lake) and TIMESTAMPTZ
	// (Athena) convert and print alike.
	connector, err := duckdb.NewConnector("?"+cfg.Encode(), func(execer driver.ExecerContext) error {
		_, err := execer.ExecContext(context.Background(), "SET TimeZone = 'UTC'", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening the fake's DuckDB: %w", err)
	}
	return sql.OpenDB(connector), nil
}

// loadCatalog puts cfg's log files in the fake S3 and in DuckDB, and creates
// the Athena tables and Lake event data stores over them.
func loadCatalog(ctx context.Context, db *sql.DB, s3 gofakes3.Backend, cfg Config) (*catalog, error) {
	c := &catalog{database: cfg.Database, tables: map[string]Table{}, stores: map[string]bool{},
		location: "s3://" + cfg.TrailBucket + "/" + cfg.TrailPrefix + "AWSLogs"}
	exec := func(q string) error {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("setting up the fake's DuckDB: %w\n%s", err, q)
		}
		return nil
	}
	for _, m := range macros {
		if err := exec(m); err != nil {
			return nil, err
		}
	}
	files, err := c.upload(s3, cfg)
	if err != nil {
		return nil, err
	}
	if err := exec(`CREATE TABLE ct.raw (filename VARCHAR, r ` + recordType + `)`); err != nil {
		return nil, err
	}
	if err := exec(`CREATE TABLE ct.files (path VARCHAR, s3path VARCHAR, folder INTEGER)`); err != nil {
		return nil, err
	}
	if len(files) > 0 {
		var list, rows []string
		var largest int64
		for path, s3path := range files {
			list = append(list, quote(path))
			rows = append(rows, fmt.Sprintf("(%s, %s, %d)", quote(path), quote(s3path.uri), s3path.folder))
			largest = max(largest, s3path.jsonBytes)
		}
		slices.Sort(list)
		slices.Sort(rows)
		if err := exec(`INSERT INTO ct.files VALUES ` + strings.Join(rows, ", ")); err != nil {
			return nil, err
		}
		objectSize := max(16<<20, (largest>>20+2)<<20)
		if err := exec(fmt.Sprintf(`INSERT INTO ct.raw SELECT filename, unnest(Records) AS r FROM read_json([%s],
			format = 'unstructured', compression = 'auto_detect', filename = true, maximum_object_size = %d,
			columns = {Records: '%s[]'})`, strings.Join(list, ", "), objectSize, strings.ReplaceAll(recordType, "'", "''"))); err != nil {
			return nil, err
		}
	}
	// Every record in the Athena table's shape, once; then a table per
	// folder (what the Athena views prune), and Lake's views over all.
	if err := exec(`CREATE TABLE ct.records AS SELECT f.folder, ` + athenaShape + `, f.s3path AS "$path"
		FROM ct.raw JOIN ct.files f ON ct.raw.filename = f.path ORDER BY f.folder`); err != nil {
		return nil, err
	}
	if err := exec(`DROP TABLE ct.raw`); err != nil {
		return nil, err
	}
	var creates []string
	creates = append(creates, `CREATE TABLE ct.f_empty AS SELECT * EXCLUDE (folder) FROM ct.records LIMIT 0`)
	for _, f := range c.folders {
		creates = append(creates, fmt.Sprintf(`CREATE TABLE ct.f_%d AS SELECT * EXCLUDE (folder) FROM ct.records WHERE folder = %d`, f.id, f.id))
	}
	if err := exec(strings.Join(creates, ";\n")); err != nil {
		return nil, err
	}

	if err := exec(`CREATE SCHEMA ` + ident(cfg.Database)); err != nil {
		return nil, err
	}
	for _, t := range cfg.Tables {
		if err := c.createTable(exec, t); err != nil {
			return nil, err
		}
	}
	if err := exec(`CREATE VIEW ct.all_records AS SELECT * EXCLUDE (folder) FROM ct.records`); err != nil {
		return nil, err
	}
	for _, id := range cfg.EventDataStores {
		if !eventDataStoreID.MatchString(id) {
			return nil, fmt.Errorf("event data store ID %q: want letters, digits and hyphens", id)
		}
		c.stores[id] = true
		if err := exec(`CREATE VIEW lake.` + ident(id) + ` AS SELECT ` + lakeShape + ` FROM ct.all_records`); err != nil {
			return nil, err
		}
	}
	return c, nil
}

type seededFile struct {
	uri       string
	folder    int
	jsonBytes int64
}

// upload puts every file under cfg.LogsDir in the trail bucket and indexes
// the log files by folder.
func (c *catalog) upload(s3 gofakes3.Backend, cfg Config) (map[string]seededFile, error) {
	files := map[string]seededFile{}
	if cfg.LogsDir == "" {
		return files, nil
	}
	byKey := map[string]*folder{}
	err := filepath.WalkDir(cfg.LogsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(cfg.LogsDir, path)
		if err != nil {
			return err
		}
		key := cfg.TrailPrefix + filepath.ToSlash(rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		meta := map[string]string{}
		if digestFile.MatchString(filepath.ToSlash(rel)) {
			if meta, err = digestMetadata(key, data); err != nil {
				return err
			}
		}
		if _, err := s3.PutObject(cfg.TrailBucket, key, meta, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			return fmt.Errorf("putting %s in the fake S3: %w", key, err)
		}
		m := logFile.FindStringSubmatch(filepath.ToSlash(rel))
		name := d.Name()
		if m == nil || strings.HasPrefix(name, ".") || !(strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json")) {
			return nil // digests, insights, notes: in S3, not in any table
		}
		day, err := time.Parse("2006/01/02", m[3]+"/"+m[4]+"/"+m[5])
		if err != nil {
			return nil
		}
		fk := m[1] + "/" + m[2] + "/" + m[3] + m[4] + m[5]
		f := byKey[fk]
		if f == nil {
			f = &folder{id: len(c.folders) + 1, account: m[1], region: m[2], day: day}
			byKey[fk] = f
			c.folders = append(c.folders, f)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		abs = filepath.ToSlash(abs)
		f.files = append(f.files, abs)
		f.bytes += int64(len(data))
		jsonBytes := int64(len(data))
		if strings.HasSuffix(name, ".gz") && len(data) >= 18 {
			jsonBytes = int64(binary.LittleEndian.Uint32(data[len(data)-4:]))
		}
		files[abs] = seededFile{uri: "s3://" + cfg.TrailBucket + "/" + key, folder: f.id, jsonBytes: jsonBytes}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seeding the fake from %s: %w", cfg.LogsDir, err)
	}
	return files, nil
}

// createTable creates an Athena table's view: the UNION ALL of its folders,
// each with its partition values as constants.
func (c *catalog) createTable(exec func(string) error, t Table) error {
	for _, p := range t.Partitions {
		if !slices.Contains([]string{"account", "region", "timestamp", "year", "month", "day"}, p) {
			return fmt.Errorf("table %s: unknown partition key %q", t.Name, p)
		}
	}
	c.tables[strings.ToLower(t.Name)] = t
	cols := make([]string, 0, len(athenaColumns)+1)
	for _, col := range athenaColumns {
		cols = append(cols, col.name)
	}
	cols = append(cols, `"$path"`)
	var branches []string
	for _, f := range c.folders {
		if !t.holds(f) {
			continue
		}
		branch := "SELECT " + strings.Join(cols, ", ")
		for _, p := range t.Partitions {
			branch += ", " + quote(partitionValue(p, f)) + " AS " + ident(p)
		}
		branches = append(branches, branch+fmt.Sprintf(" FROM ct.f_%d", f.id))
	}
	if len(branches) == 0 {
		branch := "SELECT " + strings.Join(cols, ", ")
		for _, p := range t.Partitions {
			branch += ", ''::VARCHAR AS " + ident(p)
		}
		branches = []string{branch + " FROM ct.f_empty"}
	}
	return exec("CREATE VIEW " + ident(c.database) + "." + ident(t.Name) + " AS " + strings.Join(branches, "\nUNION ALL "))
}

func (t Table) holds(f *folder) bool {
	return (t.Account == "" || t.Account == f.account) && (t.Region == "" || t.Region == f.region)
}

func partitionValue(p string, f *folder) string {
	switch p {
	case "account":
		return f.account
	case "region":
		return f.region
	case "timestamp":
		return f.day.Format("2006/01/02")
	case "year":
		return f.day.Format("2006")
	case "month":
		return f.day.Format("01")
	case "day":
		return f.day.Format("02")
	}
	return ""
}

// tableBytes sums the file sizes of a table's folders, all and those of the
// days [first, last].
func (c *catalog) tableBytes(table string, first, last time.Time) (all, days int64, err error) {
	t, ok := c.tables[strings.ToLower(table)]
	if !ok {
		return 0, 0, fmt.Errorf("no table %s", table)
	}
	for _, f := range c.folders {
		if !t.holds(f) {
			continue
		}
		all += f.bytes
		if !f.day.Before(first) && !f.day.After(last) {
			days += f.bytes
		}
	}
	return all, days, nil
}

// folderBytes sums the sizes of the folders' files by table ID.
func (c *catalog) folderBytes(ids []int) int64 {
	var n int64
	for _, id := range ids {
		if id >= 1 && id <= len(c.folders) {
			n += c.folders[id-1].bytes
		}
	}
	return n
}

// metadata is the table as GetTableMetadata reports it: columns, partition
// keys and parameters (the projection's, for a projected table).
func (c *catalog) metadata(t Table) (cols, keys []column, params map[string]string) {
	for _, col := range athenaColumns {
		cols = append(cols, column{Name: col.name, Type: col.typ})
	}
	params = map[string]string{"classification": "cloudtrail", "EXTERNAL": "TRUE"}
	for _, p := range t.Partitions {
		keys = append(keys, column{Name: p, Type: "string"})
	}
	if !t.Projection {
		return cols, keys, params
	}
	params["projection.enabled"] = "true"
	var accounts, regions []string
	for _, f := range c.folders {
		if t.holds(f) {
			accounts = append(accounts, f.account)
			regions = append(regions, f.region)
		}
	}
	slices.Sort(accounts)
	slices.Sort(regions)
	template := c.location
	for _, p := range t.Partitions {
		switch p {
		case "timestamp":
			params["projection.timestamp.type"] = "date"
			params["projection.timestamp.format"] = "yyyy/MM/dd"
			params["projection.timestamp.interval"] = "1"
			params["projection.timestamp.interval.unit"] = "DAYS"
			params["projection.timestamp.range"] = "2020/01/01,NOW"
		case "region":
			params["projection.region.type"] = "enum"
			params["projection.region.values"] = strings.Join(slices.Compact(regions), ",")
		case "account":
			if t.InjectedAccount {
				params["projection.account.type"] = "injected"
			} else {
				params["projection.account.type"] = "enum"
				params["projection.account.values"] = strings.Join(slices.Compact(accounts), ",")
			}
		case "year", "month", "day":
			params["projection."+p+".type"] = "integer"
			params["projection."+p+".range"] = map[string]string{"year": "2020,2100", "month": "1,12", "day": "1,31"}[p]
			params["projection."+p+".digits"] = map[string]string{"year": "4", "month": "2", "day": "2"}[p]
		}
		template += "/${" + p + "}"
	}
	params["storage.location.template"] = template
	return cols, keys, params
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

var eventDataStoreID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,127}$`)
