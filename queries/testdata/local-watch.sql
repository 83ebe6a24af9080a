-- dormant: the watch over deactivated users (local engine, DuckDB).
--
-- The candidate events of the watch: at or after the earliest deactivation
-- date (TIMESTAMPTZ '2026-09-02 00:00:00+00') and inside the window (TIMESTAMPTZ '2026-08-03 00:00:00+00' to
-- TIMESTAMPTZ '2026-11-01 00:00:00+00'), that name one of the watched users' unique IDs or access key
-- IDs, or one of their names (lower-cased: IAM compares names
-- case-insensitively) as the signed-in or the target user. dormant then
-- applies the per-user rules in Go, as for every engine
-- (pipeline/activity/watch.go): each user's own deactivation date and
-- account, and the kind of row (failed sign-in, re-enable, use).
-- Records the activity query skips for their time are not read here either.
WITH objects AS (
    SELECT Records
    FROM read_json(
        [
            '/logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/08/02/111111111111_CloudTrail_us-east-1_20260802T0005Z_Mu0KsOhtH1ar15ZZ.json.gz'
        ],
        format = 'unstructured',
        compression = 'auto_detect',
        maximum_object_size = 16777216,
        columns = {Records: 'STRUCT(
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
            requestParameters JSON,
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

records AS (
    SELECT r, try_cast(r.eventTime AS TIMESTAMPTZ) AS event_time
    FROM (SELECT unnest(Records) AS r FROM objects)
    WHERE r IS NOT NULL AND coalesce(r.eventType, '') <> 'AwsCloudTrailInsight'
),

fields AS (
    SELECT
        event_time,
        r.eventID AS event_id,
        r.eventSource AS event_source,
        r.eventName AS event_name,
        r.errorCode AS error_code,
        r.errorMessage AS error_message,
        r.sourceIPAddress AS source_ip,
        r.awsRegion AS region,
        r.recipientAccountId AS recipient_account_id,
        r.userIdentity.type AS identity_type,
        r.userIdentity.principalId AS principal_id,
        r.userIdentity.arn AS arn,
        r.userIdentity.accountId AS identity_account_id,
        r.userIdentity.accessKeyId AS access_key_id,
        r.userIdentity.userName AS identity_user_name,
        r.userIdentity.sessionContext.sessionIssuer.type AS issuer_type,
        r.userIdentity.sessionContext.sessionIssuer.principalId AS issuer_principal_id,
        -- responseElements and requestParameters: an object, or the same
        -- object as a JSON string.
        CASE json_type(r.responseElements)
            WHEN 'OBJECT' THEN r.responseElements ->> '$.ConsoleLogin'
            WHEN 'VARCHAR' THEN
                CASE WHEN json_valid(r.responseElements ->> '$')
                     THEN (r.responseElements ->> '$')::JSON ->> '$.ConsoleLogin' END
        END AS console_login,
        CASE json_type(r.requestParameters)
            WHEN 'OBJECT' THEN r.requestParameters ->> '$.userName'
            WHEN 'VARCHAR' THEN
                CASE WHEN json_valid(r.requestParameters ->> '$')
                     THEN (r.requestParameters ->> '$')::JSON ->> '$.userName' END
        END AS request_user_name,
        CASE json_type(r.requestParameters)
            WHEN 'OBJECT' THEN r.requestParameters ->> '$.status'
            WHEN 'VARCHAR' THEN
                CASE WHEN json_valid(r.requestParameters ->> '$')
                     THEN (r.requestParameters ->> '$')::JSON ->> '$.status' END
        END AS request_status
    FROM records
    WHERE event_time IS NOT NULL
      AND event_time >= TIMESTAMPTZ '2026-09-02 00:00:00+00'
      AND event_time BETWEEN TIMESTAMPTZ '2026-08-03 00:00:00+00' AND TIMESTAMPTZ '2026-11-01 00:00:00+00'
)

SELECT
    'watch' AS kind, event_time, event_id, event_source, event_name, error_code, error_message, source_ip, region,
    recipient_account_id, identity_type, principal_id, arn, identity_account_id, access_key_id, identity_user_name,
    issuer_type, issuer_principal_id, console_login, request_user_name, request_status
FROM fields
WHERE false
   OR principal_id IN ('AIDAIVANEXAMPLE000009')
   OR split_part(principal_id, ':', 1) IN ('AIDAIVANEXAMPLE000009')
   OR issuer_principal_id IN ('AIDAIVANEXAMPLE000009')
   OR access_key_id IN ('AKIAIVANKEY000000001', 'AKIAIVANKEY000000002')
   OR lower(identity_user_name) IN ('ivan', 'o''brien')
   OR lower(regexp_extract(arn, ':user/(.*/)?([^/]+)$', 2)) IN ('ivan', 'o''brien')
   OR lower(request_user_name) IN ('ivan', 'o''brien')
ORDER BY event_time, event_id
