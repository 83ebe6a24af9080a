-- dormant: IAM user activity and trail coverage from the Athena table over
-- the trail's log files (athena engine, Trino SQL; AWS's CloudTrail DDL).
--
-- Window: from_iso8601_timestamp('2026-08-03T00:00:00.000Z') to from_iso8601_timestamp('2026-11-01T00:00:00.000Z'), both inclusive.
-- The table is read once, only the partitions of the days the local engine
-- reads (the day before the window to the day after it); the scan returns
-- two kinds of rows, with the local engine's identity rules:
--   kind = 'activity'  one row per IAM user, or account root, that used its
--                      credentials or failed a console sign-in in the window;
--   kind = 'coverage'  per account, region and hour (a cell), the first and
--                      last event and the number of records read, the
--                      lead-in day included.
-- Times come out as ISO 8601 text, the access keys as one comma-separated
-- string.
WITH records AS (
    SELECT
        "$path" AS file,
        eventid,
        eventtime,
        from_iso8601_timestamp(eventtime) AS event_time,
        eventsource, eventname, awsregion, sourceipaddress, errorcode, errormessage,
        recipientaccountid, responseelements, useridentity
    FROM "default"."cloudtrail_logs"
    WHERE true
      AND "timestamp" BETWEEN '2026/08/02' AND '2026/11/02'
      -- The accounts in scope, by the account folder the file was delivered to.
      AND regexp_extract("$path", '([0-9]{12})/CloudTrail/[^/]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$', 1) IN ('111111111111', '222222222222')
),

events AS (
    SELECT
        -- Coverage is kept per account and region a record was logged for;
        -- a record without them takes the folders its file was delivered
        -- to: AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.
        CASE WHEN coalesce(recipientaccountid, '') = ''
             THEN regexp_extract(file, '([0-9]{12})/CloudTrail/[^/]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$', 1)
             ELSE recipientaccountid END AS trail_account,
        CASE WHEN coalesce(awsregion, '') = ''
             THEN regexp_extract(file, '/CloudTrail/([^/]+)/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$', 1)
             ELSE awsregion END AS trail_region,
        -- The cell's hour; a record without eventtime counts at midnight of
        -- its file's date folder, which still shows a delivery that day.
        coalesce(date_trunc('hour', event_time),
            CASE WHEN regexp_like(file, '/CloudTrail/[^/]+/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+$') THEN
                from_iso8601_timestamp(replace(regexp_extract(file, '/CloudTrail/[^/]+/([0-9]{4}/[0-9]{2}/[0-9]{2})/[^/]+$', 1), '/', '-') || 'T00:00:00Z')
            END) AS trail_hour,
        event_time,
        -- Duplicate deliveries share the eventID and count once; a record
        -- without one is identified by its content.
        coalesce(eventid, 'content:' || coalesce(eventtime, '') || '|' || coalesce(eventsource, '') || '|' ||
            coalesce(eventname, '') || '|' || coalesce(awsregion, '') || '|' || coalesce(sourceipaddress, '') || '|' ||
            coalesce(errorcode, '') || '|' || coalesce(errormessage, '') || '|' || coalesce(recipientaccountid, '') || '|' ||
            coalesce(responseelements, '') || '|' || coalesce(useridentity.type, '') || '|' ||
            coalesce(useridentity.principalid, '') || '|' || coalesce(useridentity.arn, '') || '|' ||
            coalesce(useridentity.accountid, '') || '|' || coalesce(useridentity.accesskeyid, '') || '|' ||
            coalesce(useridentity.username, '') || '|' || coalesce(useridentity.sessioncontext.sessionissuer.type, '') || '|' ||
            coalesce(useridentity.sessioncontext.sessionissuer.principalid, '') || '|' ||
            coalesce(useridentity.sessioncontext.sessionissuer.arn, '') || '|' ||
            coalesce(useridentity.sessioncontext.sessionissuer.accountid, '') || '|' ||
            coalesce(useridentity.sessioncontext.sessionissuer.username, '')) AS event_id,
        eventname AS event_name,
        eventsource AS event_source,
        sourceipaddress AS source_ip,
        awsregion AS region,
        useridentity.accesskeyid AS access_key_id,
        -- Whose use the event is; NULL for nobody's.
        CASE
            -- A failed sign-in under a name IAM does not know: no credential.
            WHEN useridentity.username = 'HIDDEN_DUE_TO_SECURITY_REASONS' THEN NULL
            WHEN useridentity.type = 'IAMUser' THEN 'user'
            -- A GetFederationToken session is its issuing IAM user's use.
            WHEN useridentity.type = 'FederatedUser'
                 AND useridentity.sessioncontext.sessionissuer.type = 'IAMUser' THEN 'issuer'
            -- A cross-account call by an IAM user, logged in the other
            -- account: principalId is the user's unique ID, accountId its account.
            WHEN useridentity.type = 'AWSAccount'
                 AND regexp_like(useridentity.principalid, '^AIDA[A-Z0-9]+$') THEN 'cross_account'
            -- The root user: one row per account, keyed by its ARN.
            WHEN useridentity.type = 'Root' THEN 'root'
            -- AssumedRole, Role, AWSService, SAMLUser, WebIdentityUser...:
            -- a role session never counts for a user, whatever its name.
        END AS via,
        useridentity,
        recipientaccountid,
        -- ConsoleLogin's outcome: responseelements holds the JSON object's text.
        CASE WHEN eventname = 'ConsoleLogin' THEN json_extract_scalar(responseelements, '$.ConsoleLogin') END AS console_login,
        errormessage AS error_message
    FROM records
),

principals AS (
    SELECT
        *,
        CASE via
            WHEN 'user' THEN coalesce(nullif(useridentity.accountid, ''), recipientaccountid)
            WHEN 'issuer' THEN useridentity.sessioncontext.sessionissuer.accountid
            WHEN 'cross_account' THEN useridentity.accountid
            WHEN 'root' THEN coalesce(nullif(useridentity.accountid, ''), recipientaccountid)
        END AS p_account,
        CASE via
            WHEN 'user' THEN coalesce(useridentity.principalid, '')
            WHEN 'issuer' THEN coalesce(useridentity.sessioncontext.sessionissuer.principalid, '')
            WHEN 'cross_account' THEN useridentity.principalid
            WHEN 'root' THEN ''
        END AS p_principal_id,
        CASE via
            WHEN 'user' THEN coalesce(useridentity.arn, '')
            WHEN 'issuer' THEN coalesce(useridentity.sessioncontext.sessionissuer.arn, '')
            WHEN 'cross_account' THEN ''
            WHEN 'root' THEN 'arn:aws:iam::' || coalesce(nullif(useridentity.accountid, ''), recipientaccountid) || ':root'
        END AS p_arn,
        CASE via
            WHEN 'user' THEN coalesce(useridentity.username, '')
            WHEN 'issuer' THEN coalesce(useridentity.sessioncontext.sessionissuer.username, '')
            WHEN 'cross_account' THEN ''
            WHEN 'root' THEN '<root_account>'
        END AS p_user_name
    FROM events
),

attributed AS (
    SELECT
        *,
        -- coalesce: a missing field (NULL) makes a condition false, not unknown.
        coalesce(p_account IS NOT NULL
            AND (p_principal_id <> '' OR p_arn <> '')
            AND event_time BETWEEN from_iso8601_timestamp('2026-08-03T00:00:00.000Z') AND from_iso8601_timestamp('2026-11-01T00:00:00.000Z'), false) AS counted,
        coalesce(event_name = 'ConsoleLogin'
            AND (console_login = 'Failure' OR error_message = 'Failed authentication'), false) AS failed_login,
        -- Orders events by time, then eventID (fixed-width ISO text first).
        to_iso8601(event_time) || event_id AS order_key
    FROM principals
),

keyed AS (
    SELECT
        trail_account, trail_region, trail_hour, event_time, event_id, event_name, event_source, source_ip, region,
        access_key_id, p_arn, p_user_name, counted, order_key,
        -- Activity key: the unique ID, or the ARN when the event has no ID.
        CASE WHEN counted THEN p_account END AS account_id,
        CASE WHEN counted THEN p_principal_id END AS principal_id,
        CASE WHEN counted THEN
            CASE WHEN p_principal_id = '' THEN p_arn ELSE '' END
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
        -- (CASE inside DISTINCT rather than FILTER: the same in every engine.)
        count(DISTINCT CASE WHEN is_use THEN event_id END) AS events,
        -- The latest use; equal times are ordered by eventID.
        max_by(event_name, order_key) FILTER (WHERE is_use) AS last_event_name,
        max_by(event_source, order_key) FILTER (WHERE is_use) AS last_event_source,
        max_by(source_ip, order_key) FILTER (WHERE is_use) AS last_source_ip,
        max_by(region, order_key) FILTER (WHERE is_use) AS last_region,
        count(DISTINCT CASE WHEN is_console_login THEN event_id END) AS console_logins,
        count(DISTINCT CASE WHEN is_failed_login THEN event_id END) AS failed_console_logins,
        max(event_time) FILTER (WHERE is_failed_login) AS last_failed_console_login,
        -- Long-term keys only: AKIA; ASIA keys are temporary session keys.
        array_join(array_sort(array_distinct(
            array_agg(access_key_id) FILTER (WHERE is_use AND access_key_id LIKE 'AKIA%'))), ',') AS access_key_ids,
        max_by(p_arn, order_key) FILTER (WHERE counted AND p_arn <> '') AS latest_arn,
        max_by(p_user_name, order_key) FILTER (WHERE counted AND p_user_name <> '') AS latest_user_name
    FROM keyed
    GROUP BY GROUPING SETS ((trail_account, trail_region, trail_hour), (account_id, principal_id, arn_key))
)

-- grouped is read once: a second reference would scan the table again.
SELECT
    CASE WHEN for_coverage THEN 'coverage' ELSE 'activity' END AS kind,
    CASE WHEN for_coverage THEN trail_account ELSE account_id END AS account_id,
    CASE WHEN NOT for_coverage THEN principal_id END AS principal_id,
    CASE WHEN NOT for_coverage THEN
        CASE WHEN principal_id = '' THEN arn_key ELSE coalesce(latest_arn, '') END
    END AS arn,
    CASE WHEN NOT for_coverage THEN coalesce(latest_user_name, '') END AS user_name,
    CASE WHEN for_coverage THEN trail_region END AS region,
    to_iso8601(CASE WHEN for_coverage THEN first_record ELSE first_event END) AS first_event,
    to_iso8601(CASE WHEN for_coverage THEN last_record ELSE last_event END) AS last_event,
    CASE WHEN for_coverage THEN records ELSE events END AS events,
    CASE WHEN NOT for_coverage THEN last_event_name END AS last_event_name,
    CASE WHEN NOT for_coverage THEN last_event_source END AS last_event_source,
    CASE WHEN NOT for_coverage THEN last_source_ip END AS last_source_ip,
    CASE WHEN NOT for_coverage THEN last_region END AS last_region,
    CASE WHEN NOT for_coverage THEN console_logins END AS console_logins,
    CASE WHEN NOT for_coverage THEN failed_console_logins END AS failed_console_logins,
    CASE WHEN NOT for_coverage THEN to_iso8601(last_failed_console_login) END AS last_failed_console_login,
    CASE WHEN NOT for_coverage THEN access_key_ids END AS access_key_ids,
    to_iso8601(CASE WHEN for_coverage THEN trail_hour END) AS hour
FROM grouped
WHERE for_coverage OR account_id IS NOT NULL
