-- Tables that hold rows (partitions included, partitioned parents not), with
-- the columns a data snapshot carries (generated columns are recomputed).
SELECT c.oid::int8 AS oid, format('%I.%I', n.nspname, c.relname) AS qname,
       coalesce(pg_partition_root(c.oid), c.oid)::int8 AS root,
       ARRAY(SELECT quote_ident(a.attname) FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
             ORDER BY a.attnum) AS columns,
       ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
             ORDER BY a.attnum) AS types,
       -- Estimates for the progress bar: -1 means never analysed.
       greatest(c.reltuples, 0)::int8 AS est_rows,
       pg_catalog.pg_table_size(c.oid)::int8 AS est_bytes
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname
