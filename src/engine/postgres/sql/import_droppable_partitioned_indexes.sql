-- Partitioned indexes that reach table $1 (a partition), which an import may
-- drop whole, from the top of their tree, before loading rows, and build
-- again after the whole file, getting back exactly what was there: the top
-- index with ON ONLY, then every member under its own name (pg_get_indexdef
-- of each), attached to its parent. A tree qualifies when every index in it
-- does, as in import_droppable_indexes.sql; a member's ties to the index it
-- is attached to (pg_depend 'P' and 'S' entries) are what make it a member.
-- Left out too: a tree over a table with a foreign-table partition, which
-- has no member there (a parent made with ON ONLY would never be valid).
-- One row per index of each tree, top down.
WITH roots AS (
    SELECT DISTINCT pg_catalog.pg_partition_root(i.indexrelid) AS root
    FROM pg_catalog.pg_index i
    WHERE i.indrelid = $1::text::regclass
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
), tree AS (
    SELECT r.root, t.relid, t.parentrelid, t.level
    FROM roots r, LATERAL pg_catalog.pg_partition_tree(r.root) t
), checked AS (
    SELECT tr.*,
           pg_catalog.pg_has_role(t.relowner, 'USAGE')
           AND i.indisvalid AND i.indisready AND i.indislive
           AND NOT i.indisclustered AND NOT i.indisreplident
           AND c.reltablespace = 0
           AND c.relkind IN ('i', 'I')
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                           WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = i.indexrelid
                             AND NOT (d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('P', 'S')
                                      AND EXISTS (SELECT 1 FROM tree m WHERE m.relid = d.objid
                                                  AND m.parentrelid = i.indexrelid)))
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                           WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = i.indexrelid
                             AND d.deptype IN ('e', 'x'))
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_description d
                           WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = i.indexrelid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_seclabel s
                           WHERE s.classoid = 'pg_catalog.pg_class'::regclass AND s.objoid = i.indexrelid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0) AS ok,
           pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
           pg_catalog.pg_get_indexdef(i.indexrelid) AS definition
    FROM tree tr
    JOIN pg_catalog.pg_index i ON i.indexrelid = tr.relid
    JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
)
SELECT (SELECT pg_catalog.format('%I.%I', rn.nspname, rc.relname)
        FROM pg_catalog.pg_class rc JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE rc.oid = ch.root) AS root,
       (SELECT pg_catalog.format('%I.%I', tn.nspname, tc.relname)
        FROM pg_catalog.pg_index ri JOIN pg_catalog.pg_class tc ON tc.oid = ri.indrelid
        JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
        WHERE ri.indexrelid = ch.root) AS root_table,
       ch.name,
       ch.definition,
       (SELECT pg_catalog.format('%I.%I', pn.nspname, pc.relname)
        FROM pg_catalog.pg_class pc JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE pc.oid = ch.parentrelid) AS parent,
       ch.level
FROM (SELECT *, pg_catalog.bool_and(ok) OVER (PARTITION BY root) AS all_ok FROM checked) ch
WHERE ch.all_ok
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index ri,
                         LATERAL pg_catalog.pg_partition_tree(ri.indrelid) pt
                  JOIN pg_catalog.pg_class pc ON pc.oid = pt.relid
                  WHERE ri.indexrelid = ch.root AND pc.relkind = 'f')
ORDER BY ch.root, ch.level, ch.name
