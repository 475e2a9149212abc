-- Text search parsers.
SELECT p.oid::int8 AS oid, n.nspname AS schema, p.prsname AS name,
       format('TEXT SEARCH PARSER %I.%I', n.nspname, p.prsname) AS target,
       format(E'CREATE TEXT SEARCH PARSER %I.%I (\n    START = %s,\n    GETTOKEN = %s,\n    END = %s,\n',
              n.nspname, p.prsname, p.prsstart::pg_catalog.regproc, p.prstoken::pg_catalog.regproc,
              p.prsend::pg_catalog.regproc)
       || CASE WHEN p.prsheadline <> 0
               THEN format(E'    HEADLINE = %s,\n', p.prsheadline::pg_catalog.regproc) ELSE '' END
       || format(E'    LEXTYPES = %s );\n', p.prslextype::pg_catalog.regproc) AS ddl
FROM pg_catalog.pg_ts_parser p
JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
WHERE p.oid >= 16384
ORDER BY n.nspname, p.prsname
