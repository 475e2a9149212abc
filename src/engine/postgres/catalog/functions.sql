-- Functions, procedures and aggregates. Aggregates have no functiondef.
SELECT p.oid::int8 AS oid, n.nspname AS schema, p.proname AS name,
       format('%I.%I', n.nspname, p.proname) AS qname, p.prokind::text AS kind,
       pg_get_function_identity_arguments(p.oid) AS identity_args,
       pg_get_function_arguments(p.oid) AS args,
       CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS def
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  -- Range and multirange constructors are made by CREATE TYPE.
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
ORDER BY n.nspname, p.proname, identity_args
