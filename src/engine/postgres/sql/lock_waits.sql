-- What backend $1 waits for, one row per session holding it. A wait on a
-- transaction id (a row another transaction wrote) has no relation.
SELECT CASE WHEN c.oid IS NULL THEN 'a row another transaction is writing'
            ELSE 'table ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
       END AS waiting_on,
       b.pid,
       b.usename::text AS usename,
       b.application_name,
       b.state,
       pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) b.xact_start)::int8 AS in_transaction
FROM pg_catalog.pg_locks l
LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stat_activity b
       ON b.pid OPERATOR(pg_catalog.=) ANY (pg_catalog.pg_blocking_pids(l.pid))
WHERE l.pid OPERATOR(pg_catalog.=) $1 AND NOT l.granted
ORDER BY b.pid
