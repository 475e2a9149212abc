-- User types other than array types, multiranges and the row types of tables.
SELECT t.oid::int8 AS oid, n.nspname AS schema, t.typname AS name,
       format('%I.%I', n.nspname, t.typname) AS qname, t.typtype::text AS kind,
       t.typrelid::int8 AS relid,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type,
       CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation
            THEN format('%I.%I', cn.nspname, co.collname) END AS collation,
       pg_get_expr(t.typdefaultbin, 0) AS default_expr, t.typnotnull AS not_null
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND t.typtype <> 'm'
  AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
  AND NOT (t.typelem <> 0 AND t.typlen = -1
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid))
ORDER BY n.nspname, t.typname
