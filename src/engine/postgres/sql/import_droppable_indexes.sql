-- Indexes of table $1 that an import may drop before loading rows into it
-- and build again after them, in the same transaction, getting back exactly
-- what was there: pg_get_indexdef recreates the index, so only indexes that
-- it describes completely qualify. Left out: indexes of constraints (and
-- unique indexes that foreign keys use), partitioned-index members, indexes
-- something depends on, with a comment, a security label, per-column
-- statistics targets, CLUSTER or REPLICA IDENTITY marks, a tablespace of
-- their own, invalid ones, and tables this role does not own.
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
       pg_catalog.pg_get_indexdef(i.indexrelid) AS definition
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
WHERE i.indrelid = $1::text::regclass
  AND t.relkind = 'r'
  AND c.relkind = 'i'
  AND pg_catalog.pg_has_role(t.relowner, 'USAGE')
  AND i.indisvalid AND i.indisready AND i.indislive
  AND NOT i.indisclustered AND NOT i.indisreplident
  AND c.reltablespace = 0
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h
                  WHERE h.inhrelid = i.indexrelid OR h.inhparent = i.indexrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = i.indexrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = i.indexrelid
                    AND d.deptype IN ('e', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_description d
                  WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = i.indexrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_seclabel s
                  WHERE s.classoid = 'pg_catalog.pg_class'::regclass AND s.objoid = i.indexrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0)
ORDER BY c.relname
