-- Text search templates.
SELECT t.oid::int8 AS oid, n.nspname AS schema, t.tmplname AS name,
       format('TEXT SEARCH TEMPLATE %I.%I', n.nspname, t.tmplname) AS target,
       format(E'CREATE TEXT SEARCH TEMPLATE %I.%I (\n', n.nspname, t.tmplname)
       || CASE WHEN t.tmplinit <> 0
               THEN format(E'    INIT = %s,\n', t.tmplinit::pg_catalog.regproc) ELSE '' END
       || format(E'    LEXIZE = %s );\n', t.tmpllexize::pg_catalog.regproc) AS ddl
FROM pg_catalog.pg_ts_template t
JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
WHERE t.oid >= 16384
ORDER BY n.nspname, t.tmplname
