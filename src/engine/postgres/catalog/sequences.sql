-- Sequences with their options and, if any, the column that owns them
-- (deptype 'a': OWNED BY; deptype 'i': an identity column's sequence).
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name,
       format('%I.%I', n.nspname, c.relname) AS qname,
       format_type(s.seqtypid, NULL) AS type, s.seqstart AS start, s.seqincrement AS increment,
       s.seqmax AS max, s.seqmin AS min, s.seqcache AS cache, s.seqcycle AS cycle,
       c.relpersistence::text AS persistence,
       d.refobjid::int8 AS owner_relid, d.refobjsubid::int4 AS owner_attnum,
       d.deptype::text AS owner_deptype,
       quote_ident(a.attname) AS owner_column
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_catalog.pg_depend d
       ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
      AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE c.relkind = 'S'
  AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY n.nspname, c.relname
