-- User access methods, index or table, with their handlers.
SELECT a.oid::int8 AS oid, '' AS schema, a.amname AS name,
       'ACCESS METHOD ' || quote_ident(a.amname) AS target,
       format(E'CREATE ACCESS METHOD %I TYPE %s HANDLER %s;\n', a.amname,
              CASE a.amtype WHEN 'i' THEN 'INDEX' ELSE 'TABLE' END,
              a.amhandler::pg_catalog.regproc) AS ddl
FROM pg_catalog.pg_am a
WHERE a.oid >= 16384
ORDER BY a.amname
