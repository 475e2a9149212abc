-- Operator families and classes with their members, worded as pg_dump words
-- them: every family is created on its own, and every class names its family.
-- A member belongs to its class if it depends on it, else it was added to the
-- family on its own ("loose").
WITH member AS (
    SELECT d.classid, d.objid, d.refclassid, d.refobjid
    FROM pg_catalog.pg_depend d
    WHERE d.classid IN ('pg_catalog.pg_amop'::regclass, 'pg_catalog.pg_amproc'::regclass)
      AND d.refclassid IN ('pg_catalog.pg_opclass'::regclass, 'pg_catalog.pg_opfamily'::regclass)
      AND d.deptype IN ('a', 'i')
), ops AS (
    SELECT m.refclassid, m.refobjid, ao.amopstrategy AS num, 0 AS kind,
           format('OPERATOR %s %s', ao.amopstrategy, ao.amopopr::pg_catalog.regoperator)
           || CASE WHEN ao.amoppurpose = 'o' THEN format(' FOR ORDER BY %I.%I', sn.nspname, sf.opfname) ELSE '' END AS item
    FROM member m
    JOIN pg_catalog.pg_amop ao ON m.classid = 'pg_catalog.pg_amop'::regclass AND ao.oid = m.objid
    LEFT JOIN pg_catalog.pg_opfamily sf ON sf.oid = ao.amopsortfamily
    LEFT JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace
    UNION ALL
    SELECT m.refclassid, m.refobjid, ap.amprocnum, 1,
           format('FUNCTION %s (%s, %s) %s', ap.amprocnum, ap.amproclefttype::pg_catalog.regtype,
                  ap.amprocrighttype::pg_catalog.regtype, ap.amproc::pg_catalog.regprocedure)
    FROM member m
    JOIN pg_catalog.pg_amproc ap ON m.classid = 'pg_catalog.pg_amproc'::regclass AND ap.oid = m.objid
)
SELECT 'pg_catalog.pg_opfamily'::regclass::oid::int8 AS class, f.oid::int8 AS oid,
       n.nspname AS schema, f.opfname AS name,
       format('OPERATOR FAMILY %I.%I USING %I', n.nspname, f.opfname, a.amname) AS target,
       format(E'CREATE OPERATOR FAMILY %I.%I USING %I;\n', n.nspname, f.opfname, a.amname)
       || CASE WHEN loose.items IS NOT NULL
               THEN format(E'ALTER OPERATOR FAMILY %I.%I USING %I ADD\n    %s;\n',
                           n.nspname, f.opfname, a.amname, loose.items)
               ELSE '' END AS ddl
FROM pg_catalog.pg_opfamily f
JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace
JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod
LEFT JOIN LATERAL (
    SELECT string_agg(o.item, E' ,\n    ' ORDER BY o.kind, o.num, o.item) AS items
    FROM ops o WHERE o.refclassid = 'pg_catalog.pg_opfamily'::regclass AND o.refobjid = f.oid
) loose ON true
WHERE f.oid >= 16384
UNION ALL
SELECT 'pg_catalog.pg_opclass'::regclass::oid::int8, c.oid::int8, n.nspname, c.opcname,
       format('OPERATOR CLASS %I.%I USING %I', n.nspname, c.opcname, a.amname),
       format(E'CREATE OPERATOR CLASS %I.%I\n    %sFOR TYPE %s USING %I',
              n.nspname, c.opcname, CASE WHEN c.opcdefault THEN 'DEFAULT ' ELSE '' END,
              format_type(c.opcintype, NULL), a.amname)
       || format(' FAMILY %I.%I', fn.nspname, f.opfname)
       || E' AS\n    '
       || concat_ws(E' ,\n    ',
                    CASE WHEN c.opckeytype <> 0 THEN 'STORAGE ' || format_type(c.opckeytype, NULL) END,
                    members.items,
                    CASE WHEN c.opckeytype = 0 AND members.items IS NULL
                         THEN 'STORAGE ' || format_type(c.opcintype, NULL) END)
       || E';\n'
FROM pg_catalog.pg_opclass c
JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace
JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod
JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily
JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
LEFT JOIN LATERAL (
    SELECT string_agg(o.item, E' ,\n    ' ORDER BY o.kind, o.num, o.item) AS items
    FROM ops o WHERE o.refclassid = 'pg_catalog.pg_opclass'::regclass AND o.refobjid = c.oid
) members ON true
WHERE c.oid >= 16384
ORDER BY 1, 3, 4, 5
