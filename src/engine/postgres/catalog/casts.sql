-- User casts, worded as pg_dump words them (a cast function is named by its
-- schema and argument types). Casts between a range and its multirange are
-- made with the range type.
SELECT c.oid::int8 AS oid, '' AS schema,
       format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) AS name,
       format('CAST (%s AS %s)', format_type(c.castsource, NULL), format_type(c.casttarget, NULL)) AS target,
       format(E'CREATE CAST (%s AS %s) %s%s;\n',
              format_type(c.castsource, NULL), format_type(c.casttarget, NULL),
              CASE c.castmethod
                  WHEN 'b' THEN 'WITHOUT FUNCTION'
                  WHEN 'i' THEN 'WITH INOUT'
                  ELSE format('WITH FUNCTION %I.%I(%s)', n.nspname, p.proname,
                              (SELECT coalesce(string_agg(format_type(a.t, NULL), ', ' ORDER BY a.i), '')
                               FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)))
              END,
              CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT' ELSE '' END) AS ddl
FROM pg_catalog.pg_cast c
LEFT JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE c.oid >= 16384
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = c.tableoid AND d.objid = c.oid AND d.deptype = 'i')
ORDER BY 3
