-- Text search dictionaries; their options are kept as written.
SELECT d.oid::int8 AS oid, n.nspname AS schema, d.dictname AS name,
       format('TEXT SEARCH DICTIONARY %I.%I', n.nspname, d.dictname) AS target,
       format(E'CREATE TEXT SEARCH DICTIONARY %I.%I (\n    TEMPLATE = %I.%I',
              n.nspname, d.dictname, tn.nspname, t.tmplname)
       || coalesce(E',\n    ' || d.dictinitoption, '')
       || E' );\n' AS ddl
FROM pg_catalog.pg_ts_dict d
JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
WHERE d.oid >= 16384
ORDER BY n.nspname, d.dictname
