-- dormant: the watch over deactivated users (lake engine, Trino SQL): the
-- candidate events naming a watched user's unique ID, key ID or name
-- (lower-cased), at or after TIMESTAMP '2026-09-02 00:00:00.000' and inside the
-- window (TIMESTAMP '2026-08-03 00:00:00.000' to TIMESTAMP '2026-11-01 00:00:00.000'). dormant applies
-- the per-user rules in Go (pipeline/activity/watch.go).
SELECT
    'watch' AS kind, to_iso8601(eventtime) AS event_time, eventid AS event_id, eventsource AS event_source,
    eventname AS event_name, errorcode AS error_code, errormessage AS error_message, sourceipaddress AS source_ip,
    awsregion AS region, recipientaccountid AS recipient_account_id, useridentity.type AS identity_type,
    useridentity.principalid AS principal_id, useridentity.arn AS arn, useridentity.accountid AS identity_account_id,
    useridentity.accesskeyid AS access_key_id, useridentity.username AS identity_user_name,
    useridentity.sessioncontext.sessionissuer.type AS issuer_type,
    useridentity.sessioncontext.sessionissuer.principalid AS issuer_principal_id,
    element_at(responseelements, 'ConsoleLogin') AS console_login,
    element_at(requestparameters, 'userName') AS request_user_name,
    element_at(requestparameters, 'status') AS request_status
FROM EXAMPLEf852-4e8f-8bd1-bcf6cEXAMPLE
WHERE eventtime >= TIMESTAMP '2026-08-02 00:00:00.000' AND eventtime < TIMESTAMP '2026-11-03 00:00:00.000'
  AND recipientaccountid IN ('111111111111')
  AND eventtime >= TIMESTAMP '2026-09-02 00:00:00.000'
  AND eventtime BETWEEN TIMESTAMP '2026-08-03 00:00:00.000' AND TIMESTAMP '2026-11-01 00:00:00.000'
  AND (false
   OR useridentity.principalid IN ('AIDAIVANEXAMPLE000009')
   OR split_part(useridentity.principalid, ':', 1) IN ('AIDAIVANEXAMPLE000009')
   OR useridentity.sessioncontext.sessionissuer.principalid IN ('AIDAIVANEXAMPLE000009')
   OR useridentity.accesskeyid IN ('AKIAIVANKEY000000001', 'AKIAIVANKEY000000002')
   OR lower(useridentity.username) IN ('ivan', 'o''brien')
   OR lower(regexp_extract(useridentity.arn, ':user/(.*/)?([^/]+)$', 2)) IN ('ivan', 'o''brien')
   OR lower(element_at(requestparameters, 'userName')) IN ('ivan', 'o''brien')
  )
