-- User operators, worded as pg_dump words them: support functions by name
-- (qualified unless in pg_catalog), commutator and negator as OPERATOR(schema.op).
-- A shell operator (no function: only named as another's commutator or negator)
-- gets no statement; the operator naming it makes it again.
WITH fn AS (
    SELECT p.oid, CASE WHEN pg_catalog.pg_function_is_visible(p.oid) THEN quote_ident(p.proname)
                       ELSE format('%I.%I', n.nspname, p.proname) END AS name
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
), op AS (
    SELECT o.oid, format('OPERATOR(%I.%s)', n.nspname, o.oprname) AS ref
    FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
)
SELECT o.oid::int8 AS oid, n.nspname AS schema, o.oprname AS name,
       format('OPERATOR %I.%s (%s, %s)', n.nspname, o.oprname,
              CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END,
              CASE WHEN o.oprright = 0 THEN 'NONE' ELSE format_type(o.oprright, NULL) END) AS target,
       CASE WHEN o.oprcode = 0 THEN '' ELSE
           format(E'CREATE OPERATOR %I.%s (\n    FUNCTION = %s', n.nspname, o.oprname, code.name)
           || CASE WHEN o.oprleft <> 0 THEN E',\n    LEFTARG = ' || format_type(o.oprleft, NULL) ELSE '' END
           || CASE WHEN o.oprright <> 0 THEN E',\n    RIGHTARG = ' || format_type(o.oprright, NULL) ELSE '' END
           || coalesce(E',\n    COMMUTATOR = ' || com.ref, '')
           || coalesce(E',\n    NEGATOR = ' || neg.ref, '')
           || CASE WHEN o.oprcanmerge THEN E',\n    MERGES' ELSE '' END
           || CASE WHEN o.oprcanhash THEN E',\n    HASHES' ELSE '' END
           || coalesce(E',\n    RESTRICT = ' || rest.name, '')
           || coalesce(E',\n    JOIN = ' || j.name, '')
           || E'\n);\n'
       END AS ddl
FROM pg_catalog.pg_operator o
JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
LEFT JOIN fn code ON code.oid = o.oprcode
LEFT JOIN fn rest ON rest.oid = o.oprrest
LEFT JOIN fn j ON j.oid = o.oprjoin
LEFT JOIN op com ON com.oid = o.oprcom
LEFT JOIN op neg ON neg.oid = o.oprnegate
WHERE o.oid >= 16384
ORDER BY n.nspname, o.oprname, 4
