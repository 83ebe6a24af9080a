-- dormant: the watch over deactivated users (athena engine, Trino SQL; AWS's
-- CloudTrail DDL), the partitions the activity query reads.
--
-- The candidate events of the watch: at or after the earliest deactivation
-- date (from_iso8601_timestamp('2026-09-02T00:00:00.000Z')) and inside the window
-- (from_iso8601_timestamp('2026-08-03T00:00:00.000Z') to from_iso8601_timestamp('2026-11-01T00:00:00.000Z')), that name one of the watched
-- users' unique IDs or access key IDs, or one of their names (lower-cased:
-- IAM compares names case-insensitively) as the signed-in or the target
-- user. dormant then applies the per-user rules in Go, as for every engine
-- (pipeline/activity/watch.go). Times come out as ISO 8601 text.
WITH fields AS (
    SELECT
        from_iso8601_timestamp(eventtime) AS event_time,
        eventid AS event_id,
        eventsource AS event_source,
        eventname AS event_name,
        errorcode AS error_code,
        errormessage AS error_message,
        sourceipaddress AS source_ip,
        awsregion AS region,
        recipientaccountid AS recipient_account_id,
        useridentity.type AS identity_type,
        useridentity.principalid AS principal_id,
        useridentity.arn AS arn,
        useridentity.accountid AS identity_account_id,
        useridentity.accesskeyid AS access_key_id,
        useridentity.username AS identity_user_name,
        useridentity.sessioncontext.sessionissuer.type AS issuer_type,
        useridentity.sessioncontext.sessionissuer.principalid AS issuer_principal_id,
        json_extract_scalar(responseelements, '$.ConsoleLogin') AS console_login,
        json_extract_scalar(requestparameters, '$.userName') AS request_user_name,
        json_extract_scalar(requestparameters, '$.status') AS request_status
    FROM "default"."cloudtrail_logs"
    WHERE true
      AND "timestamp" BETWEEN '2026/08/02' AND '2026/11/02'
      -- The accounts in scope, by the account folder the file was delivered to.
      AND regexp_extract("$path", '([0-9]{12})/CloudTrail/[^/]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$', 1) IN ('111111111111')
)

SELECT
    'watch' AS kind, to_iso8601(event_time) AS event_time, event_id, event_source, event_name, error_code, error_message,
    source_ip, region, recipient_account_id, identity_type, principal_id, arn, identity_account_id, access_key_id,
    identity_user_name, issuer_type, issuer_principal_id, console_login, request_user_name, request_status
FROM fields
WHERE event_time >= from_iso8601_timestamp('2026-09-02T00:00:00.000Z')
  AND event_time BETWEEN from_iso8601_timestamp('2026-08-03T00:00:00.000Z') AND from_iso8601_timestamp('2026-11-01T00:00:00.000Z')
  AND (false
   OR principal_id IN ('AIDAIVANEXAMPLE000009')
   OR split_part(principal_id, ':', 1) IN ('AIDAIVANEXAMPLE000009')
   OR issuer_principal_id IN ('AIDAIVANEXAMPLE000009')
   OR access_key_id IN ('AKIAIVANKEY000000001', 'AKIAIVANKEY000000002')
   OR lower(identity_user_name) IN ('ivan', 'o''brien')
   OR lower(regexp_extract(arn, ':user/(.*/)?([^/]+)$', 2)) IN ('ivan', 'o''brien')
   OR lower(request_user_name) IN ('ivan', 'o''brien')
  )
