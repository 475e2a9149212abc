-- Transforms; their functions are named by schema and argument types, as pg_dump does.
WITH fn AS (
    SELECT p.oid, format('%I.%I(%s)', n.nspname, p.proname,
                         (SELECT coalesce(string_agg(format_type(a.t, NULL), ', ' ORDER BY a.i), '')
                          FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i))) AS sig
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
)
SELECT t.oid::int8 AS oid, '' AS schema, format_type(t.trftype, NULL) || ' ' || l.lanname AS name,
       format('TRANSFORM FOR %s LANGUAGE %I', format_type(t.trftype, NULL), l.lanname) AS target,
       format('TRANSFORM %s LANGUAGE %I', format_type(t.trftype, NULL), l.lanname) AS label,
       format(E'CREATE TRANSFORM FOR %s LANGUAGE %I (%s);\n', format_type(t.trftype, NULL), l.lanname,
              concat_ws(', ', 'FROM SQL WITH FUNCTION ' || f.sig, 'TO SQL WITH FUNCTION ' || g.sig)) AS ddl
FROM pg_catalog.pg_transform t
JOIN pg_catalog.pg_language l ON l.oid = t.trflang
LEFT JOIN fn f ON f.oid = t.trffromsql
LEFT JOIN fn g ON g.oid = t.trftosql
ORDER BY 3
