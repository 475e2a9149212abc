SELECT d.classid::int8 AS class, d.objid::int8 AS oid
FROM pg_catalog.pg_depend d
WHERE d.deptype = 'e'
