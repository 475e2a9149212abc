SELECT r.rngtypid::int8 AS type_oid,
       format_type(r.rngsubtype, NULL) AS subtype,
       format('%I.%I', mn.nspname, mt.typname) AS multirange,
       CASE WHEN NOT opc.opcdefault THEN format('%I.%I', opn.nspname, opc.opcname) END AS opclass,
       CASE WHEN r.rngcollation <> 0 THEN format('%I.%I', cn.nspname, co.collname) END AS collation,
       CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::regproc::text END AS canonical,
       CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::regproc::text END AS subdiff
FROM pg_catalog.pg_range r
JOIN pg_catalog.pg_type mt ON mt.oid = r.rngmultitypid
JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace
JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc
JOIN pg_catalog.pg_namespace opn ON opn.oid = opc.opcnamespace
LEFT JOIN pg_catalog.pg_collation co ON co.oid = r.rngcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE r.rngtypid >= 16384
