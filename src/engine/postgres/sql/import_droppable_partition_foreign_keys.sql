-- Foreign keys that a partition being loaded ($1) inherits from a
-- partitioned table, which an import may drop there (from every partition at
-- once) and add again once every table of the file is loaded, in the same
-- transaction, as it does a plain table's keys: one check per partition
-- instead of one lookup per row. Only keys that come back exactly as they
-- were qualify: defined on the partitioned table itself, referencing a plain
-- table (a key referencing a partitioned one has clones the server names),
-- every partition's copy under the key's own name, and none of them with a
-- comment or something depending on it; and, as for a plain table's keys,
-- validated, not deferrable, addable by this role, and no deferrable
-- triggers on the tables involved.
WITH RECURSIVE up AS (
    SELECT k.oid, k.conparentid
    FROM pg_catalog.pg_constraint k
    WHERE k.conrelid = $1::text::regclass AND k.contype = 'f' AND k.conparentid <> 0
  UNION
    SELECT p.oid, p.conparentid
    FROM pg_catalog.pg_constraint p
    JOIN up ON p.oid = up.conparentid
), down AS (
    SELECT oid AS root, oid FROM up WHERE conparentid = 0
  UNION ALL
    SELECT down.root, c.oid
    FROM pg_catalog.pg_constraint c
    JOIN down ON c.conparentid = down.oid
)
SELECT pg_catalog.format('%I.%I', n.nspname, t.relname) AS owner,
       pg_catalog.quote_ident(k.conname) AS name,
       pg_catalog.pg_get_constraintdef(k.oid) AS definition
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class t ON t.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
JOIN pg_catalog.pg_class f ON f.oid = k.confrelid
WHERE k.oid IN (SELECT oid FROM up WHERE conparentid = 0)
  AND k.contype = 'f' AND t.relkind = 'p' AND f.relkind = 'r'
  AND k.coninhcount = 0 AND k.conislocal
  AND k.convalidated AND NOT k.condeferrable
  AND pg_catalog.pg_has_role(t.relowner, 'USAGE')
  AND pg_catalog.has_table_privilege(k.confrelid, 'REFERENCES')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                  WHERE g.tgrelid = k.confrelid AND g.tgdeferrable)
  AND NOT EXISTS (
      SELECT 1
      FROM down
      JOIN pg_catalog.pg_constraint c ON c.oid = down.oid
      WHERE down.root = k.oid
        AND (c.conname <> k.conname
             OR EXISTS (SELECT 1 FROM pg_catalog.pg_description d
                        WHERE d.classoid = 'pg_catalog.pg_constraint'::regclass
                          AND d.objoid = c.oid)
             OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                        WHERE d.refclassid = 'pg_catalog.pg_constraint'::regclass
                          AND d.refobjid = c.oid AND d.deptype = 'n')
             OR EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                        WHERE g.tgrelid = c.conrelid AND g.tgdeferrable)))
ORDER BY 1, 2
