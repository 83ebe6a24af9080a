-- dormant: IAM user activity and trail coverage from CloudTrail log files
-- (local engine, DuckDB).
--
-- Window: TIMESTAMPTZ '2026-08-03 00:00:00+00' to TIMESTAMPTZ '2026-11-01 00:00:00+00', both inclusive.
-- Files:  2, read once; the scan returns three kinds of rows:
--   kind = 'activity'  one row per IAM user, or account root, that used its
--                      credentials or failed a console sign-in in the window;
--   kind = 'coverage'  per account, region and hour (a cell), the first and
--                      last event and the number of records in the files
--                      read, the lead-in day before the window included;
--   kind = 'file'      one row per file: its kind, records and the records
--                      skipped, by reason (dormant refuses a file whose
--                      objects hold no Records array, and one missing here:
--                      no JSON object at all).
--
-- A record is skipped, counted per file and never use, when it is JSON null,
-- an Insights event, or has no eventTime, or one that is not a time: its
-- time is unknown. A record without userIdentity is skipped too (it counts
-- for no principal) but still shows the trail delivering (coverage).
WITH objects AS (
    SELECT filename AS file, Records, digestStartTime
    FROM read_json(
        [
            '/logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/08/02/111111111111_CloudTrail_us-east-1_20260802T0005Z_Mu0KsOhtH1ar15ZZ.json.gz',
            '/logs/AWSLogs/o-exampleorgid/222222222222/CloudTrail/eu-west-1/2026/08/03/222222222222_CloudTrail_eu-west-1_20260803T0010Z_Hk2LrT8sVn4QpZ1x.json.gz'
        ],
        format = 'unstructured',
        compression = 'auto_detect',
        filename = true,
        -- A file is one JSON object: room for the largest file read, and
        -- no more than the limit on a log file's JSON text (a gzip bomb
        -- fails here rather than exhausting memory).
        maximum_object_size = 33554432,
        -- Only the fields used below, with fixed types, so that no mix of
        -- record shapes can fail the scan: requestParameters and the other
        -- free-form fields are not read at all, and responseElements (an
        -- object, null, or a string) stays JSON text.
        -- eventTime is text, cast below, so that one record's bad time is
        -- that record's skip, not the whole scan's failure.
        columns = {digestStartTime: 'VARCHAR', Records: 'STRUCT(
            eventID VARCHAR,
            eventType VARCHAR,
            eventTime VARCHAR,
            eventSource VARCHAR,
            eventName VARCHAR,
            awsRegion VARCHAR,
            sourceIPAddress VARCHAR,
            errorCode VARCHAR,
            errorMessage VARCHAR,
            recipientAccountId VARCHAR,
            responseElements JSON,
            userIdentity STRUCT(
                type VARCHAR,
                principalId VARCHAR,
                arn VARCHAR,
                accountId VARCHAR,
                accessKeyId VARCHAR,
                userName VARCHAR,
                sessionContext STRUCT(
                    sessionIssuer STRUCT(
                        type VARCHAR,
                        principalId VARCHAR,
                        arn VARCHAR,
                        accountId VARCHAR,
                        userName VARCHAR))))[]'}
    )
),

-- Every record, and one placeholder row for an object with no record, so
-- that each object's file is seen.
unnested AS (
    SELECT
        file,
        Records IS NULL AS no_records,
        Records IS NULL AND digestStartTime IS NOT NULL AS digest,
        coalesce(len(Records), 0) = 0 AS placeholder,
        unnest(CASE WHEN len(Records) > 0 THEN Records ELSE [NULL] END) AS r
    FROM objects
),

records AS (
    SELECT
        file, r,
        try_cast(r.eventTime AS TIMESTAMPTZ) AS event_time,
        CASE
            WHEN r IS NULL THEN 'null_record'
            WHEN r.eventType = 'AwsCloudTrailInsight' THEN 'insight'
            WHEN r.eventTime IS NULL THEN 'no_event_time'
            WHEN try_cast(r.eventTime AS TIMESTAMPTZ) IS NULL THEN 'bad_event_time'
            WHEN r.userIdentity IS NULL THEN 'no_user_identity'
        END AS skip
    FROM unnested
    WHERE NOT placeholder
),

files AS (
    SELECT
        file,
        bool_or(no_records AND NOT digest) AS not_log,
        bool_and(digest) AS digest,
        count(*) FILTER (WHERE NOT placeholder) AS records,
        count(*) FILTER (WHERE NOT placeholder AND r IS NULL) AS null_record,
        count(*) FILTER (WHERE NOT placeholder AND r.eventType = 'AwsCloudTrailInsight') AS insight
    FROM unnested
    GROUP BY file
),

skips AS (
    SELECT
        file,
        count(*) FILTER (WHERE skip = 'no_event_time') AS no_event_time,
        count(*) FILTER (WHERE skip = 'bad_event_time') AS bad_event_time,
        count(*) FILTER (WHERE skip = 'no_user_identity') AS no_user_identity
    FROM records
    GROUP BY file
),

events AS (
    SELECT
        -- Coverage is kept per account and region a record was logged for;
        -- a record without them takes the folders its file was delivered
        -- to: AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.
        CASE WHEN coalesce(r.recipientAccountId, '') = ''
             THEN regexp_extract(file, '([0-9]{12})/CloudTrail/[^/]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$', 1)
             ELSE r.recipientAccountId END AS trail_account,
        CASE WHEN coalesce(r.awsRegion, '') = ''
             THEN regexp_extract(file, '/CloudTrail/([^/]+)/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$', 1)
             ELSE r.awsRegion END AS trail_region,
        -- The cell's hour, from the epoch so that the session's time zone
        -- plays no part (records without a time were skipped above).
        to_timestamp(floor(epoch(event_time) / 3600) * 3600) AS trail_hour,
        event_time,
        -- Duplicate deliveries share the eventID and count once; a record
        -- without one is identified by its content.
        CASE WHEN r.eventID IS NULL THEN md5(r::VARCHAR) ELSE r.eventID END AS event_id,
        r.eventName AS event_name,
        r.eventSource AS event_source,
        r.sourceIPAddress AS source_ip,
        r.awsRegion AS region,
        r.userIdentity.accessKeyId AS access_key_id,
        -- (records skipped for their time never get here; those without
        -- userIdentity count for coverage and for no principal)
        -- The IAM user (or root) the event counts for; NULL for none.
        CASE
            -- A failed sign-in under a name IAM does not know: no credential.
            WHEN r.userIdentity.userName = 'HIDDEN_DUE_TO_SECURITY_REASONS' THEN NULL
            WHEN r.userIdentity.type = 'IAMUser' THEN {
                'account_id': coalesce(nullif(r.userIdentity.accountId, ''), r.recipientAccountId),
                'principal_id': coalesce(r.userIdentity.principalId, ''),
                'arn': coalesce(r.userIdentity.arn, ''),
                'user_name': coalesce(r.userIdentity.userName, '')}
            -- A GetFederationToken session is its issuing IAM user's use.
            WHEN r.userIdentity.type = 'FederatedUser'
                 AND r.userIdentity.sessionContext.sessionIssuer.type = 'IAMUser' THEN {
                'account_id': r.userIdentity.sessionContext.sessionIssuer.accountId,
                'principal_id': coalesce(r.userIdentity.sessionContext.sessionIssuer.principalId, ''),
                'arn': coalesce(r.userIdentity.sessionContext.sessionIssuer.arn, ''),
                'user_name': coalesce(r.userIdentity.sessionContext.sessionIssuer.userName, '')}
            -- A cross-account call by an IAM user, logged in the other
            -- account: principalId is the user's unique ID, accountId its account.
            WHEN r.userIdentity.type = 'AWSAccount'
                 AND regexp_full_match(r.userIdentity.principalId, 'AIDA[A-Z0-9]+') THEN {
                'account_id': r.userIdentity.accountId,
                'principal_id': r.userIdentity.principalId,
                'arn': '',
                'user_name': ''}
            -- The root user: one row per account, keyed by its ARN.
            WHEN r.userIdentity.type = 'Root' THEN {
                'account_id': coalesce(nullif(r.userIdentity.accountId, ''), r.recipientAccountId),
                'principal_id': '',
                'arn': 'arn:aws:iam::' || coalesce(nullif(r.userIdentity.accountId, ''), r.recipientAccountId) || ':root',
                'user_name': '<root_account>'}
            -- AssumedRole, Role, AWSService, SAMLUser, WebIdentityUser...:
            -- a role session never counts for a user, whatever its name.
        END AS principal,
        -- ConsoleLogin's outcome, from responseElements (an object, or the
        -- same object as a JSON string).
        CASE WHEN r.eventName = 'ConsoleLogin' THEN
            CASE json_type(r.responseElements)
                WHEN 'OBJECT' THEN r.responseElements ->> '$.ConsoleLogin'
                WHEN 'VARCHAR' THEN
                    CASE WHEN json_valid(r.responseElements ->> '$')
                         THEN (r.responseElements ->> '$')::JSON ->> '$.ConsoleLogin' END
            END
        END AS console_login,
        r.errorMessage AS error_message
    FROM records
    WHERE skip IS NULL OR skip = 'no_user_identity'
),

attributed AS (
    SELECT
        *,
        -- coalesce: a missing field (NULL) makes a condition false, not unknown.
        coalesce(principal.account_id IS NOT NULL
            AND (principal.principal_id <> '' OR principal.arn <> '')
            AND event_time BETWEEN TIMESTAMPTZ '2026-08-03 00:00:00+00' AND TIMESTAMPTZ '2026-11-01 00:00:00+00', false) AS counted,
        coalesce(event_name = 'ConsoleLogin'
            AND (console_login = 'Failure' OR error_message = 'Failed authentication'), false) AS failed_login
    FROM events
),

keyed AS (
    SELECT
        trail_account, trail_region, trail_hour, event_time, event_id, event_name, event_source, source_ip, region,
        access_key_id, principal, counted,
        -- Activity key: the unique ID, or the ARN when the event has no ID.
        CASE WHEN counted THEN principal.account_id END AS account_id,
        CASE WHEN counted THEN principal.principal_id END AS principal_id,
        CASE WHEN counted THEN
            CASE WHEN principal.principal_id = '' THEN principal.arn ELSE '' END
        END AS arn_key,
        -- Use: anything but a failed sign-in, errors (AccessDenied...)
        -- included, since the credential was presented.
        counted AND NOT failed_login AS is_use,
        counted AND failed_login AS is_failed_login,
        counted AND NOT failed_login AND coalesce(console_login = 'Success', false) AS is_console_login
    FROM attributed
),

-- One aggregation, two grouping sets: per account, region and hour (coverage) and
-- per principal (activity). Events that count for nobody fall in the
-- principal set's NULL group, which is dropped below.
grouped AS (
    SELECT
        GROUPING(trail_account, trail_region, trail_hour) = 0 AS for_coverage,
        trail_account, trail_region, trail_hour, account_id, principal_id, arn_key,
        min(event_time) AS first_record,
        max(event_time) AS last_record,
        count(*) AS records,
        min(event_time) FILTER (WHERE is_use) AS first_event,
        max(event_time) FILTER (WHERE is_use) AS last_event,
        count(DISTINCT event_id) FILTER (WHERE is_use) AS events,
        -- The latest use; equal times are ordered by eventID.
        arg_max({'name': event_name, 'source': event_source, 'ip': source_ip, 'region': region},
                {'t': event_time, 'id': event_id}) FILTER (WHERE is_use) AS latest,
        count(DISTINCT event_id) FILTER (WHERE is_console_login) AS console_logins,
        count(DISTINCT event_id) FILTER (WHERE is_failed_login) AS failed_console_logins,
        max(event_time) FILTER (WHERE is_failed_login) AS last_failed_console_login,
        -- Long-term keys only: AKIA; ASIA keys are temporary session keys.
        list(DISTINCT access_key_id ORDER BY access_key_id)
            FILTER (WHERE is_use AND access_key_id LIKE 'AKIA%') AS access_key_ids,
        arg_max(principal.arn, {'t': event_time, 'id': event_id})
            FILTER (WHERE counted AND principal.arn <> '') AS latest_arn,
        arg_max(principal.user_name, {'t': event_time, 'id': event_id})
            FILTER (WHERE counted AND principal.user_name <> '') AS latest_user_name
    FROM keyed
    GROUP BY GROUPING SETS ((trail_account, trail_region, trail_hour), (account_id, principal_id, arn_key))
)

SELECT
    'activity' AS kind,
    account_id,
    principal_id,
    CASE WHEN principal_id = '' THEN arn_key ELSE coalesce(latest_arn, '') END AS arn,
    coalesce(latest_user_name, '') AS user_name,
    NULL AS region,
    first_event,
    last_event,
    events,
    latest.name AS last_event_name,
    latest.source AS last_event_source,
    latest.ip AS last_source_ip,
    latest.region AS last_region,
    console_logins,
    failed_console_logins,
    last_failed_console_login,
    access_key_ids,
    NULL::TIMESTAMPTZ AS hour
FROM grouped
WHERE NOT for_coverage AND account_id IS NOT NULL

UNION ALL

SELECT
    'coverage',
    trail_account,
    NULL,
    NULL,
    NULL,
    trail_region,
    first_record,
    last_record,
    records,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    trail_hour
FROM grouped
WHERE for_coverage

UNION ALL

-- File rows: user_name holds the file's path, region its kind ('log',
-- 'digest', 'insight', or 'none' when an object has no Records array),
-- events its records, and last_event_name the counts of skipped records:
-- null record, no eventTime, malformed eventTime, no userIdentity, Insights.
SELECT
    'file',
    NULL,
    NULL,
    NULL,
    files.file,
    CASE WHEN not_log THEN 'none'
         WHEN digest THEN 'digest'
         WHEN records > 0 AND insight = records THEN 'insight'
         ELSE 'log' END,
    NULL,
    NULL,
    records,
    concat_ws(',', null_record, coalesce(no_event_time, 0), coalesce(bad_event_time, 0),
              coalesce(no_user_identity, 0), insight),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM files LEFT JOIN skips USING (file)

ORDER BY kind, account_id, principal_id, arn, region, hour, user_name
