-- dormant: IAM user activity and trail coverage from a CloudTrail Lake event
-- data store (lake engine, Trino SQL). The athena query's rules in Lake's
-- dialect (eventtime a timestamp, responseelements a map); Lake caps a
-- statement at 10000 characters, so the comments are few.
-- Window: TIMESTAMP '2026-08-03 00:00:00.000' to TIMESTAMP '2026-11-01 00:00:00.000', both inclusive.
-- Read: events from TIMESTAMP '2026-08-02 00:00:00.000' on, before TIMESTAMP '2026-11-03 00:00:00.000'.
WITH events AS (
    SELECT
        recipientaccountid AS trail_account,
        awsregion AS trail_region,
        date_trunc('hour', eventtime) AS trail_hour,
        eventtime AS event_time,
        -- Duplicates share the eventID.
        eventid AS event_id,
        eventname AS event_name,
        eventsource AS event_source,
        sourceipaddress AS source_ip,
        awsregion AS region,
        useridentity.accesskeyid AS access_key_id,
        -- Whose use the event is; NULL for nobody's (never a role session).
        CASE
            WHEN useridentity.username = 'HIDDEN_DUE_TO_SECURITY_REASONS' THEN NULL
            WHEN useridentity.type = 'IAMUser' THEN 'user'
            WHEN useridentity.type = 'FederatedUser'
                 AND useridentity.sessioncontext.sessionissuer.type = 'IAMUser' THEN 'issuer'
            WHEN useridentity.type = 'AWSAccount'
                 AND regexp_like(useridentity.principalid, '^AIDA[A-Z0-9]+$') THEN 'cross_account'
            WHEN useridentity.type = 'Root' THEN 'root'
        END AS via,
        useridentity,
        recipientaccountid,
        CASE WHEN eventname = 'ConsoleLogin' THEN element_at(responseelements, 'ConsoleLogin') END AS console_login,
        errormessage AS error_message
    FROM EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE
    WHERE eventtime >= TIMESTAMP '2026-08-02 00:00:00.000' AND eventtime < TIMESTAMP '2026-11-03 00:00:00.000'
      AND recipientaccountid IN ('111111111111')
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
        coalesce(p_account IS NOT NULL
            AND (p_principal_id <> '' OR p_arn <> '')
            AND event_time BETWEEN TIMESTAMP '2026-08-03 00:00:00.000' AND TIMESTAMP '2026-11-01 00:00:00.000', false) AS counted,
        coalesce(event_name = 'ConsoleLogin'
            AND (console_login = 'Failure' OR error_message = 'Failed authentication'), false) AS failed_login,
        to_iso8601(event_time) || event_id AS order_key
    FROM principals
),

keyed AS (
    SELECT
        trail_account, trail_region, trail_hour, event_time, event_id, event_name, event_source, source_ip, region,
        access_key_id, p_arn, p_user_name, counted, order_key,
        CASE WHEN counted THEN p_account END AS account_id,
        CASE WHEN counted THEN p_principal_id END AS principal_id,
        CASE WHEN counted THEN
            CASE WHEN p_principal_id = '' THEN p_arn ELSE '' END
        END AS arn_key,
        counted AND NOT failed_login AS is_use,
        counted AND failed_login AS is_failed_login,
        counted AND NOT failed_login AND coalesce(console_login = 'Success', false) AS is_console_login
    FROM attributed
),

grouped AS (
    SELECT
        GROUPING(trail_account, trail_region, trail_hour) = 0 AS for_coverage,
        trail_account, trail_region, trail_hour, account_id, principal_id, arn_key,
        min(event_time) AS first_record,
        max(event_time) AS last_record,
        count(*) AS records,
        min(event_time) FILTER (WHERE is_use) AS first_event,
        max(event_time) FILTER (WHERE is_use) AS last_event,
        count(DISTINCT CASE WHEN is_use THEN event_id END) AS events,
        max_by(event_name, order_key) FILTER (WHERE is_use) AS last_event_name,
        max_by(event_source, order_key) FILTER (WHERE is_use) AS last_event_source,
        max_by(source_ip, order_key) FILTER (WHERE is_use) AS last_source_ip,
        max_by(region, order_key) FILTER (WHERE is_use) AS last_region,
        count(DISTINCT CASE WHEN is_console_login THEN event_id END) AS console_logins,
        count(DISTINCT CASE WHEN is_failed_login THEN event_id END) AS failed_console_logins,
        max(event_time) FILTER (WHERE is_failed_login) AS last_failed_console_login,
        array_join(array_sort(array_distinct(
            array_agg(access_key_id) FILTER (WHERE is_use AND access_key_id LIKE 'AKIA%'))), ',') AS access_key_ids,
        max_by(p_arn, order_key) FILTER (WHERE counted AND p_arn <> '') AS latest_arn,
        max_by(p_user_name, order_key) FILTER (WHERE counted AND p_user_name <> '') AS latest_user_name
    FROM keyed
    GROUP BY GROUPING SETS ((trail_account, trail_region, trail_hour), (account_id, principal_id, arn_key))
)

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
