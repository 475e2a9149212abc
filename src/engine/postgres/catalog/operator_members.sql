-- Which operator family or class each operator and support function entry
-- belongs to (its dependencies count as that object's).
SELECT d.classid::int8 AS class, d.objid::int8 AS oid,
       d.refclassid::int8 AS ref_class, d.refobjid::int8 AS ref_oid
FROM pg_catalog.pg_depend d
WHERE d.classid IN ('pg_catalog.pg_amop'::regclass, 'pg_catalog.pg_amproc'::regclass)
  AND d.refclassid IN ('pg_catalog.pg_opclass'::regclass, 'pg_catalog.pg_opfamily'::regclass)
  AND d.deptype IN ('a', 'i')
ORDER BY 1, 2, 3, 4
