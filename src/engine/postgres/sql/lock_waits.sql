-- What backend $1 waits for, one row per session holding it, and for how
-- many seconds. A wait on a transaction id (a row another transaction wrote)
-- has no relation. pg_locks.waitstart is PostgreSQL 14's: read through jsonb,
-- it is NULL on older servers instead of an error.
SELECT CASE WHEN c.oid IS NULL THEN 'a row another transaction is writing'
            ELSE 'table ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
       END AS waiting_on,
       b.pid,
       b.usename::text AS usename,
       b.application_name,
       b.state,
       pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) b.xact_start)::int8 AS in_transaction,
       pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-)
           (pg_catalog.to_jsonb(l) OPERATOR(pg_catalog.->>) 'waitstart')::pg_catalog.timestamptz)::float8 AS waited
FROM pg_catalog.pg_locks l
LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stat_activity b
       ON b.pid OPERATOR(pg_catalog.=) ANY (pg_catalog.pg_blocking_pids(l.pid))
WHERE l.pid OPERATOR(pg_catalog.=) $1 AND NOT l.granted
ORDER BY b.pid
