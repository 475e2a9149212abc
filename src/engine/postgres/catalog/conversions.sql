-- User encoding conversions.
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.conname AS name,
       format('CONVERSION %I.%I', n.nspname, c.conname) AS target,
       format(E'CREATE %sCONVERSION %I.%I FOR %L TO %L FROM %s;\n',
              CASE WHEN c.condefault THEN 'DEFAULT ' ELSE '' END, n.nspname, c.conname,
              pg_encoding_to_char(c.conforencoding), pg_encoding_to_char(c.contoencoding),
              c.conproc::pg_catalog.regproc) AS ddl
FROM pg_catalog.pg_conversion c
JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
WHERE c.oid >= 16384
ORDER BY n.nspname, c.conname
