SELECT s.oid::int8 AS oid, s.stxrelid::int8 AS relid, n.nspname AS schema, s.stxname AS name,
       format('%I.%I', n.nspname, s.stxname) AS qname,
       pg_get_statisticsobjdef(s.oid) AS def,
       coalesce(s.stxstattarget, -1)::int4 AS stat_target
FROM pg_catalog.pg_statistic_ext s
JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY n.nspname, s.stxname
