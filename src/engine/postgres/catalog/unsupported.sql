-- User objects dbsnap does not export: SECURITY LABELs, which need their label
-- provider's module loaded on the target (none ships with the server).
-- Extension members are excluded: CREATE EXTENSION recreates them.
WITH ext AS (SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e')
-- Keyed by pg_seclabel: a label makes nothing else unsupported.
SELECT 'pg_catalog.pg_seclabel'::regclass::oid::int8 AS class, l.objoid::int8 AS oid,
       format('security label (%s) on %s', l.provider,
              pg_catalog.pg_describe_object(l.classoid, l.objoid, l.objsubid)) AS object
FROM pg_catalog.pg_seclabel l
WHERE l.objoid >= 16384 AND (l.classoid, l.objoid) NOT IN (SELECT * FROM ext)
ORDER BY 3
