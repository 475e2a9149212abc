-- Foreign keys of table $1 that an import may drop before loading rows into
-- it and add again once every table of the file is loaded, in the same
-- transaction: one check over all rows instead of one lookup per row.
-- pg_get_constraintdef recreates them exactly. Left out: deferrable keys
-- (their check at the end is already the file's contract), keys not yet
-- validated, inherited ones and those of partitions or partitioned tables,
-- keys with a comment or something depending on them, keys this role
-- could not add again, and keys between tables that carry deferrable
-- triggers: the server refuses to alter a table with pending trigger events.
SELECT pg_catalog.quote_ident(k.conname) AS name,
       pg_catalog.pg_get_constraintdef(k.oid) AS definition
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class t ON t.oid = k.conrelid
WHERE k.conrelid = $1::text::regclass
  AND k.contype = 'f'
  AND t.relkind = 'r' AND NOT t.relispartition
  AND k.conparentid = 0 AND k.coninhcount = 0 AND k.conislocal
  AND k.convalidated AND NOT k.condeferrable
  AND pg_catalog.pg_has_role(t.relowner, 'USAGE')
  AND pg_catalog.has_table_privilege(k.confrelid, 'REFERENCES')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_description d
                  WHERE d.classoid = 'pg_catalog.pg_constraint'::regclass AND d.objoid = k.oid)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.refclassid = 'pg_catalog.pg_constraint'::regclass AND d.refobjid = k.oid
                    AND d.deptype = 'n')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                  WHERE g.tgrelid IN (k.conrelid, k.confrelid) AND g.tgdeferrable)
ORDER BY k.conname
