-- User collations. to_jsonb keeps the query valid across versions that rename
-- the ICU locale column (colliculocale in 15, colllocale in 17).
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.collname AS name,
       format('%I.%I', n.nspname, c.collname) AS qname,
       c.collprovider::text AS provider, c.collisdeterministic AS deterministic,
       c.collcollate AS lc_collate, c.collctype AS lc_ctype,
       coalesce(to_jsonb(c) ->> 'colliculocale', to_jsonb(c) ->> 'colllocale') AS icu_locale
FROM pg_catalog.pg_collation c
JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY n.nspname, c.collname
