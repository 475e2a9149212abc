-- Indexes; those that back a PK/UNIQUE/EXCLUDE constraint are created by it.
SELECT i.indexrelid::int8 AS oid, i.indrelid::int8 AS relid, ic.relname AS name,
       n.nspname AS schema, format('%I.%I', n.nspname, ic.relname) AS qname,
       pg_get_indexdef(i.indexrelid) AS def, i.indisclustered AS clustered,
       i.indisreplident AS replident,
       ARRAY(SELECT a.attnum || ' ' || a.attstattarget FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0 ORDER BY a.attnum) AS stat_targets,
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co
               WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid
                 AND co.contype IN ('p', 'u', 'x')) AS for_constraint
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY n.nspname, ic.relname
