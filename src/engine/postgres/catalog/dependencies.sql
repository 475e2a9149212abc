-- Dependencies between user objects; sub-objects are mapped to owners in Rust.
SELECT d.classid::int8 AS class, d.objid::int8 AS oid,
       d.refclassid::int8 AS ref_class, d.refobjid::int8 AS ref_oid, d.deptype::text AS kind
FROM pg_catalog.pg_depend d
WHERE d.deptype IN ('n', 'a') AND d.objid >= 16384 AND d.refobjid >= 16384
ORDER BY 1, 2, 3, 4
